package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// Directories (Microsoft Entra ID, Okta, Google Workspace) provision people through SCIM.
// This file holds their use cases in the portal's own terms — tokens, profiles, roles; the
// SCIM protocol that carries them is package server's (scim*.go). Every change runs through
// portal's rules with the directory as the actor, is audited under the directory's name
// and goes out in the change feed, so desktops show it like any other change.

// throttleDirectoryAddress counts SCIM requests with a token that is not one, per address.
var throttleDirectoryAddress = throttleKind{"scim:address:", 20, time.Second, 15 * time.Minute, time.Hour}

// lastUseGranularity: a token's last use is written at most this often, so that a busy
// directory does not turn every read into a write.
const lastUseGranularity = time.Minute

func directoryTokenView(t store.DirectoryToken) api.DirectoryToken {
	v := api.DirectoryToken{Directory: t.Directory, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt}
	if !t.RevokedAt.IsZero() {
		v.RevokedAt = &t.RevokedAt
	}
	if !t.LastUsedAt.IsZero() {
		v.LastUsedAt = &t.LastUsedAt
	}
	return v
}

// CreateDirectoryToken connects a directory and returns its token, which is shown this
// once: only its hash is kept. It is not an idempotent command on purpose, as a stored
// answer would keep the token.
func (s *Service) CreateDirectoryToken(ctx context.Context, act portal.Actor, req api.DirectoryTokenRequest) (api.NewDirectoryToken, error) {
	d, err := portal.CheckDirectory(act, portal.Directory{Name: req.Name, Kind: req.Kind, OrganizationID: req.OrganizationID,
		Purge: req.Purge, DepartmentOrganizations: req.DepartmentOrganizations, GroupsAs: req.GroupsAs})
	if err != nil {
		return api.NewDirectoryToken{}, err
	}
	token, hash := portal.NewToken()
	d.ID = NewID("dir")
	t := store.DirectoryToken{Directory: d, TokenHash: hash, CreatedBy: act.Name, CreatedAt: s.clock.Now()}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := s.checkOrgExists(ctx, tx, d.OrganizationID); err != nil {
			return err
		}
		if err := tx.PutDirectoryToken(ctx, t); err != nil {
			return err
		}
		return audit(ctx, tx, portal.AuditEvent{At: t.CreatedAt, ActorID: act.ID, ActorName: act.Name, Action: portal.ActionDirectoryTokenCreate,
			EntityType: api.EntityDirectory, EntityID: d.ID, OrganizationID: d.OrganizationID, After: jsonOf(d)})
	})
	if err != nil {
		return api.NewDirectoryToken{}, err
	}
	return api.NewDirectoryToken{DirectoryToken: directoryTokenView(t), Token: token, BaseURL: s.SCIMBase()}, nil
}

// SCIMBase is the address directories send their requests to: the portal's public one
// with the SCIM endpoint's path.
func (s *Service) SCIMBase() string { return strings.TrimRight(s.LinkBase(), "/") + api.SCIMPath }

// ListDirectoryTokens lists the directories the actor administers: every one for system
// administrators, their own organisation's for an organisation's administrators.
func (s *Service) ListDirectoryTokens(ctx context.Context, act portal.Actor) ([]api.DirectoryToken, error) {
	if _, err := orgScope(act); err != nil {
		return nil, err
	}
	out := []api.DirectoryToken{}
	err := s.store.View(ctx, func(r store.Reader) error {
		all, err := r.DirectoryTokens(ctx)
		for _, t := range all {
			if act.Administers(t.OrganizationID) {
				out = append(out, directoryTokenView(t))
			}
		}
		return err
	})
	return out, err
}

// RevokeDirectoryToken disconnects a directory: its token is refused from now on. What it
// provisioned stays.
func (s *Service) RevokeDirectoryToken(ctx context.Context, act portal.Actor, id string) (api.DirectoryToken, error) {
	if _, err := orgScope(act); err != nil {
		return api.DirectoryToken{}, err
	}
	var out api.DirectoryToken
	err := s.store.Update(ctx, func(tx store.Tx) error {
		all, err := tx.DirectoryTokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range all {
			if t.ID != id || !act.Administers(t.OrganizationID) {
				continue
			}
			if !t.RevokedAt.IsZero() {
				return portal.Errorf(portal.ECONFLICT, "The token of %s was already revoked on %s.", t.Name, t.RevokedAt.Format("2 Jan 2006 15:04 MST"))
			}
			t.RevokedAt = s.clock.Now()
			if err := tx.PutDirectoryToken(ctx, t); err != nil {
				return err
			}
			out = directoryTokenView(t)
			return audit(ctx, tx, portal.AuditEvent{At: t.RevokedAt, ActorID: act.ID, ActorName: act.Name, Action: portal.ActionDirectoryTokenRevoke,
				EntityType: api.EntityDirectory, EntityID: t.ID, OrganizationID: t.OrganizationID, Before: jsonOf(t.Directory)})
		}
		return portal.NotFound("directory", id)
	})
	return out, err
}

// AuthenticateDirectory works out which directory sent a SCIM request. Wrong tokens are
// counted against the address they came from, which is refused for a while after many.
func (s *Service) AuthenticateDirectory(ctx context.Context, token, addr string) (portal.Directory, error) {
	key := throttleKey{throttleDirectoryAddress, addr}
	if err := s.checkThrottles(ctx, key); err != nil {
		return portal.Directory{}, err
	}
	if token == "" {
		return portal.Directory{}, portal.Errorf(portal.EUNAUTHORIZED, "Send the directory's token as \"Authorization: Bearer <token>\". Make one in Gatehouse → Settings → Directories.")
	}
	var t store.DirectoryToken
	// One read on every directory request: no snapshot needed (Store.Read).
	err := s.store.Read(ctx, func(r store.Reader) error {
		var err error
		t, err = r.DirectoryToken(ctx, portal.HashToken(token))
		return err
	})
	if err == nil && !t.RevokedAt.IsZero() {
		err = portal.Errorf(portal.EUNAUTHORIZED, "The token of %s was revoked on %s. Make a new one in Gatehouse and give it to the directory.", t.Name, t.RevokedAt.Format("2 Jan 2006"))
	}
	if err != nil {
		if portal.ErrorCode(err) == portal.EUNAUTHORIZED {
			if herr := s.hitThrottles(ctx, key); herr != nil {
				return portal.Directory{}, herr
			}
		}
		return portal.Directory{}, err
	}
	if now := s.clock.Now(); now.Sub(t.LastUsedAt) >= lastUseGranularity {
		t.LastUsedAt = now
		if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.PutDirectoryToken(ctx, t) }); err != nil {
			return portal.Directory{}, err
		}
	}
	return t.Directory, nil
}

// DirectoryMatch selects accounts for a directory's search; the zero value selects every
// account it can see.
type DirectoryMatch struct {
	UserName   string
	ExternalID string
	Email      string
}

// DirectoryAccounts returns the accounts a directory can see that match m, in ID order.
// The directory sees the people of its organisation, or everyone when it is not scoped.
func (s *Service) DirectoryAccounts(ctx context.Context, d portal.Directory, m DirectoryMatch) ([]portal.Account, error) {
	act := d.Actor()
	var out []portal.Account
	err := s.store.View(ctx, func(r store.Reader) error {
		var found []portal.Account
		var err error
		switch {
		case m.ExternalID != "":
			found, err = r.AccountsByExternalID(ctx, d.ID, m.ExternalID)
		case m.UserName != "":
			found, err = s.byUserName(ctx, r, m.UserName)
		case m.Email != "":
			found, err = r.AccountsByEmail(ctx, m.Email)
		default:
			found, err = allAccounts(ctx, r, d, store.AccountFilter{})
		}
		for _, a := range found {
			if act.MaySee(a) {
				out = append(out, a)
			}
		}
		return err
	})
	return out, err
}

// DirectoryAccountsPage returns the window [offset, offset+limit) of every account the
// directory can see, in ID order, and how many there are: a directory's listing without a
// filter (Okta's import), cut by the database rather than read whole for every page.
func (s *Service) DirectoryAccountsPage(ctx context.Context, d portal.Directory, offset, limit int) (int, []portal.Account, error) {
	f := reach(d, store.AccountFilter{Limit: limit, Offset: offset})
	var total int
	page := []portal.Account{}
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if total, err = r.CountAccounts(ctx, f); err != nil || limit <= 0 || offset >= total {
			return err
		}
		page, err = r.Accounts(ctx, f)
		return err
	})
	return total, page, err
}

// reach narrows f to the accounts within the directory's reach: its organisation's people,
// or everyone's when it is not scoped — the accounts its actor may see
// (portal.Directory.Actor).
func reach(d portal.Directory, f store.AccountFilter) store.AccountFilter {
	if d.OrganizationID != "" {
		f.OrganizationIDs = []string{d.OrganizationID}
	}
	return f
}

// allAccounts reads every account f selects within the directory's reach, a page at a time.
func allAccounts(ctx context.Context, r store.Reader, d portal.Directory, f store.AccountFilter) ([]portal.Account, error) {
	act := d.Actor()
	f = reach(d, f)
	f.Limit = MaxPageSize
	var out []portal.Account
	for {
		page, err := r.Accounts(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, a := range page {
			if act.MaySee(a) {
				out = append(out, a)
			}
		}
		if len(page) < f.Limit {
			return out, nil
		}
		f.After = page[len(page)-1].ID
	}
}

// byUserName finds the accounts a directory knows under userName: those a directory linked
// under it, else (a person the portal had before any directory) those with it as address.
func (s *Service) byUserName(ctx context.Context, r store.Reader, userName string) ([]portal.Account, error) {
	found, err := r.AccountsByDirectoryUserName(ctx, userName)
	if err != nil || len(found) > 0 {
		return found, err
	}
	all, err := r.AccountsByEmail(ctx, userName)
	found = all[:0]
	for _, a := range all {
		if a.Directory == nil {
			found = append(found, a)
		}
	}
	return found, err
}

// DirectoryAccount returns one account the directory can see.
func (s *Service) DirectoryAccount(ctx context.Context, d portal.Directory, id string) (portal.Account, error) {
	var a portal.Account
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		a, err = visibleAccount(ctx, r, d.Actor(), id)
		return err
	})
	return a, err
}

// placeByDepartment sets the organisation of a directory's person from their department,
// when the directory is configured so and an organisation has that name.
func (s *Service) placeByDepartment(ctx context.Context, r store.Reader, d portal.Directory, p *portal.DirectoryProfile) error {
	if d.OrganizationID != "" || !d.DepartmentOrganizations || strings.TrimSpace(p.Department) == "" {
		return nil
	}
	orgs, err := r.Organizations(ctx, store.OrgFilter{})
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if strings.EqualFold(strings.TrimSpace(o.Name), strings.TrimSpace(p.Department)) {
			p.OrganizationID = o.ID
			return nil
		}
	}
	return nil
}

// uniqueForDirectory refuses a second account for the same person: by userName, or by
// address (the address signs in, so two accounts with one would be ambiguous).
func (s *Service) uniqueForDirectory(ctx context.Context, r store.Reader, p portal.DirectoryProfile, self string) error {
	byName, err := s.byUserName(ctx, r, p.UserName)
	if err != nil {
		return err
	}
	byEmail, err := r.AccountsByEmail(ctx, p.Address())
	if err != nil {
		return err
	}
	for _, a := range append(byName, byEmail...) {
		if a.ID != self {
			return &portal.Error{Code: portal.ECONFLICT, Field: "userName", Message: fmt.Sprintf(
				"The portal already has an account for %s. Match the user to it (by userName) instead of creating another.", p.UserName)}
		}
	}
	return nil
}

// DirectoryProvision creates the account of a person the directory sends (SCIM POST).
func (s *Service) DirectoryProvision(ctx context.Context, d portal.Directory, p portal.DirectoryProfile) (portal.Account, error) {
	var a portal.Account
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if err := s.placeByDepartment(ctx, tx, d, &p); err != nil {
			return err
		}
		if err := s.uniqueForDirectory(ctx, tx, p, ""); err != nil {
			return err
		}
		op, err := s.op(ctx, tx, d.Actor())
		if err != nil {
			return err
		}
		var ev portal.AuditEvent
		if a, ev, err = portal.Provision(op, d, p, NewID("acc")); err != nil {
			return err
		}
		if err := s.checkOrgExists(ctx, tx, a.OrganizationID); err != nil {
			return err
		}
		if err := tx.PutAccount(ctx, &a); err != nil {
			return err
		}
		ev.After = jsonOf(a)
		return audit(ctx, tx, ev)
	})
	return a, err
}

// DirectoryUpdate changes an account from what the directory says (SCIM PUT and PATCH).
// profile works out the directory's new view of the person from the account as it is
// now, inside the transaction, so that a PATCH applies to the current record. ifMatch,
// when not 0, is the version the directory saw.
func (s *Service) DirectoryUpdate(ctx context.Context, d portal.Directory, id string, ifMatch int64,
	profile func(a portal.Account) (portal.DirectoryProfile, error)) (portal.Account, error) {
	var out portal.Account
	err := s.store.Update(ctx, func(tx store.Tx) error {
		a, err := visibleAccount(ctx, tx, d.Actor(), id)
		if err != nil {
			return err
		}
		if err := checkVersion(&Cmd{IfMatch: ifMatch}, "account", id, a.Version, a); err != nil {
			return err
		}
		p, err := profile(a)
		if err != nil {
			return err
		}
		if err := s.placeByDepartment(ctx, tx, d, &p); err != nil {
			return err
		}
		if err := s.uniqueForDirectory(ctx, tx, p, a.ID); err != nil {
			return err
		}
		op, err := s.opFor(ctx, tx, d.Actor(), a)
		if err != nil {
			return err
		}
		b, events, err := portal.UpdateFromDirectory(op, d, a, p)
		if err != nil {
			return err
		}
		out = a
		if len(events) == 0 {
			return nil
		}
		if err := s.checkOrgExists(ctx, tx, b.OrganizationID); err != nil {
			return err
		}
		out = b
		if err := storeAccount(ctx, tx, op, a, &out, events...); err != nil {
			return err
		}
		// A directory that lets in someone waiting for approval has approved them: their
		// approval links are retired and they are told, as when an approver does it.
		if a.Status == portal.StatusPending && out.Status == portal.StatusActive {
			return s.afterDecision(ctx)(tx, a, out)
		}
		return nil
	})
	if err == nil {
		s.wakeMailer()
	}
	return out, err
}

// DirectoryRemove is a directory's DELETE: a deactivation that keeps the account, or, for
// a directory configured to purge, the removal of an account no longer active.
func (s *Service) DirectoryRemove(ctx context.Context, d portal.Directory, id string, ifMatch int64) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		a, err := visibleAccount(ctx, tx, d.Actor(), id)
		if err != nil {
			return err
		}
		if err := checkVersion(&Cmd{IfMatch: ifMatch}, "account", id, a.Version, a); err != nil {
			return err
		}
		op, err := s.opFor(ctx, tx, d.Actor(), a)
		if err != nil {
			return err
		}
		b, ev, purge, err := portal.RemoveFromDirectory(op, d, a)
		switch {
		case err != nil:
			return err
		case purge:
			invs, err := tx.Invitations(ctx, store.InvitationFilter{AccountID: a.ID})
			if err != nil {
				return err
			}
			for _, inv := range invs {
				if err := tx.DeleteInvitation(ctx, inv.ID); err != nil {
					return err
				}
			}
			if err := tx.DeleteAccount(ctx, a.ID); err != nil {
				return err
			}
			return audit(ctx, tx, ev)
		case ev.Action == "":
			return nil // already deactivated
		}
		return storeAccount(ctx, tx, op, a, &b, ev)
	})
}

// storeAccount writes an account changed by a transition with its audit events, and keeps
// the last-administrator guard's second line when it was an active system administrator.
func storeAccount(ctx context.Context, tx store.Tx, op portal.Op, before portal.Account, after *portal.Account, events ...portal.AuditEvent) error {
	if err := tx.PutAccount(ctx, after); err != nil {
		return err
	}
	for _, ev := range events {
		if err := audit(ctx, tx, ev); err != nil {
			return err
		}
	}
	if op.Roles.IsActiveSystemAdmin(before) {
		return keepAnAdmin(ctx, tx, op.ActiveSystemAdmins)
	}
	return nil
}

// DirectoryGroup is one of a directory's groups: a role (its members hold it) or an
// organisation (its members belong to it), as the directory is configured, with the
// members the directory can see.
type DirectoryGroup struct {
	ID, Name string
	Version  int64
	Members  []portal.Account
}

func roleGroup(r portal.Role) DirectoryGroup {
	return DirectoryGroup{ID: r.ID, Name: r.Name, Version: r.Version}
}

func orgGroup(o portal.Organization) DirectoryGroup {
	return DirectoryGroup{ID: o.ID, Name: o.Name, Version: o.Version}
}

func byOrganization(d portal.Directory) bool { return d.GroupsAs == portal.GroupsAsOrganizations }

// withMembers fills in the group's members: the accounts holding the role, or belonging to
// the organisation, that the directory can see.
func (s *Service) withMembers(ctx context.Context, r store.Reader, d portal.Directory, g DirectoryGroup) (DirectoryGroup, error) {
	f := store.AccountFilter{Role: g.ID}
	if byOrganization(d) {
		f = store.AccountFilter{OrganizationIDs: []string{g.ID}}
	}
	var err error
	g.Members, err = allAccounts(ctx, r, d, f)
	return g, err
}

// groups lists the directory's groups, without members.
func (s *Service) groups(ctx context.Context, r store.Reader, d portal.Directory) ([]DirectoryGroup, error) {
	var out []DirectoryGroup
	if byOrganization(d) {
		orgs, err := r.Organizations(ctx, store.OrgFilter{})
		for _, o := range orgs {
			if d.HasOrganizationGroup(o) {
				out = append(out, orgGroup(o))
			}
		}
		return out, err
	}
	roles, err := r.Roles(ctx)
	for _, role := range roles {
		if d.HasGroup(role) {
			out = append(out, roleGroup(role))
		}
	}
	return out, err
}

// DirectoryGroups lists the directory's groups, with their members when members.
func (s *Service) DirectoryGroups(ctx context.Context, d portal.Directory, members bool) ([]DirectoryGroup, error) {
	var out []DirectoryGroup
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if out, err = s.groups(ctx, r, d); err != nil || !members {
			return err
		}
		for i := range out {
			if out[i], err = s.withMembers(ctx, r, d, out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// group loads one of the directory's groups; any other role or organisation is answered
// as if it did not exist.
func (s *Service) group(ctx context.Context, r store.Reader, d portal.Directory, id string) (DirectoryGroup, error) {
	if byOrganization(d) {
		o, err := r.Organization(ctx, id)
		if err == nil && !d.HasOrganizationGroup(o) {
			err = portal.NotFound("group", id)
		}
		return orgGroup(o), err
	}
	role, err := r.Role(ctx, id)
	if err == nil && !d.HasGroup(role) {
		err = portal.NotFound("group", id)
	}
	return roleGroup(role), err
}

// DirectoryGroupByID returns one group, with its members.
func (s *Service) DirectoryGroupByID(ctx context.Context, d portal.Directory, id string) (DirectoryGroup, error) {
	var g DirectoryGroup
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if g, err = s.group(ctx, r, d, id); err != nil {
			return err
		}
		g, err = s.withMembers(ctx, r, d, g)
		return err
	})
	return g, err
}

// DirectoryCreateGroup makes what a directory's new group stands for: an additional role
// with no permission, which an administrator then shapes in Gatehouse, or an organisation
// (a directory of the whole portal only, as only system administrators add them). A group
// named as one the portal has is that one: the directory is told it exists, to match it.
func (s *Service) DirectoryCreateGroup(ctx context.Context, d portal.Directory, name string, members []string) (DirectoryGroup, error) {
	act := d.Actor()
	var g DirectoryGroup
	err := s.store.Update(ctx, func(tx store.Tx) error {
		have, err := s.groups(ctx, tx, d)
		if err != nil {
			return err
		}
		for _, h := range have {
			if strings.EqualFold(h.Name, strings.Join(strings.Fields(name), " ")) {
				return &portal.Error{Code: portal.ECONFLICT, Field: "displayName", Message: fmt.Sprintf(
					"The portal already has a group named %q. Match the group to it (by displayName) instead of creating another.", h.Name)}
			}
		}
		op := portal.Op{Now: s.clock.Now(), Actor: act}
		if byOrganization(d) {
			o, err := portal.NewOrganization(op, portal.Organization{ID: NewID("org"), Name: name})
			if err != nil {
				return err
			}
			if err := tx.PutOrganization(ctx, &o); err != nil {
				return err
			}
			if err := audit(ctx, tx, portal.AuditEvent{At: o.CreatedAt, ActorID: act.ID, ActorName: act.Name, Action: ActionCreateOrg,
				EntityType: api.EntityOrganization, EntityID: o.ID, OrganizationID: o.ID, After: jsonOf(o)}); err != nil {
				return err
			}
			g = orgGroup(o)
		} else {
			role, err := portal.DirectoryRole(act, d, "grp-"+strings.TrimPrefix(NewID("x"), "x_"), name)
			if err != nil {
				return err
			}
			role, ev, err := portal.PutRole(op, nil, role, 0)
			if err != nil {
				return err
			}
			if err := tx.PutRole(ctx, &role); err != nil {
				return err
			}
			ev.After = jsonOf(role)
			if err := audit(ctx, tx, ev); err != nil {
				return err
			}
			g = roleGroup(role)
		}
		if err := s.changeMembers(ctx, tx, d, g.ID, members, true); err != nil {
			return err
		}
		g, err = s.withMembers(ctx, tx, d, g)
		return err
	})
	return g, err
}

// GroupChange is what a directory changes of a group: its name, members added and removed,
// or (Replace not nil) the whole membership.
type GroupChange struct {
	Name    string
	Add     []string
	Remove  []string
	Replace []string
	// Resolve, when set, works out the change from the group as it is now, inside the
	// transaction (a PATCH); it overrides the fields above.
	Resolve func(g DirectoryGroup) (GroupChange, error)
}

// DirectoryChangeGroup renames a group's role or organisation, or changes its members,
// each account through the portal's rules (SetRoles: system roles by a directory of the
// whole portal only, the last system administrator kept; or MoveByDirectory).
func (s *Service) DirectoryChangeGroup(ctx context.Context, d portal.Directory, id string, ifMatch int64, c GroupChange) (DirectoryGroup, error) {
	var g DirectoryGroup
	err := s.store.Update(ctx, func(tx store.Tx) error {
		cur, err := s.group(ctx, tx, d, id)
		if err != nil {
			return err
		}
		if err := checkVersion(&Cmd{IfMatch: ifMatch}, "group", id, cur.Version, cur); err != nil {
			return err
		}
		if cur, err = s.withMembers(ctx, tx, d, cur); err != nil {
			return err
		}
		if c.Resolve != nil {
			if c, err = c.Resolve(cur); err != nil {
				return err
			}
		}
		if name := strings.TrimSpace(c.Name); name != "" && name != cur.Name {
			if err := s.renameGroup(ctx, tx, d, id, name); err != nil {
				return err
			}
		}
		add, remove := c.Add, c.Remove
		if c.Replace != nil {
			want := map[string]bool{}
			for _, m := range c.Replace {
				want[m] = true
			}
			add, remove = c.Replace, nil
			for _, a := range cur.Members {
				if !want[a.ID] {
					remove = append(remove, a.ID)
				}
			}
		}
		if err := s.changeMembers(ctx, tx, d, id, add, true); err != nil {
			return err
		}
		if err := s.changeMembers(ctx, tx, d, id, remove, false); err != nil {
			return err
		}
		if g, err = s.group(ctx, tx, d, id); err != nil {
			return err
		}
		g, err = s.withMembers(ctx, tx, d, g)
		return err
	})
	return g, err
}

// renameGroup renames the role or organisation behind a group, with the portal's rules.
func (s *Service) renameGroup(ctx context.Context, tx store.Tx, d portal.Directory, id, name string) error {
	op := portal.Op{Now: s.clock.Now(), Actor: d.Actor()}
	if byOrganization(d) {
		before, err := tx.Organization(ctx, id)
		if err != nil {
			return err
		}
		renamed := before
		renamed.Name = name
		after, ev, err := portal.UpdateOrganization(op, before, renamed)
		if err != nil {
			return err
		}
		if err := tx.PutOrganization(ctx, &after); err != nil {
			return err
		}
		return audit(ctx, tx, ev)
	}
	role, err := tx.Role(ctx, id)
	if err != nil {
		return err
	}
	holders, err := tx.RoleHolders(ctx, id)
	if err != nil {
		return err
	}
	renamed := role
	renamed.Name = name
	renamed, ev, err := portal.PutRole(op, &role, renamed, holders)
	if err != nil {
		return err
	}
	if err := tx.PutRole(ctx, &renamed); err != nil {
		return err
	}
	ev.After = jsonOf(renamed)
	return audit(ctx, tx, ev)
}

// changeMembers adds accounts to the group (member) or takes them out: gives or takes the
// role, or moves them into the organisation or out of it.
func (s *Service) changeMembers(ctx context.Context, tx store.Tx, d portal.Directory, groupID string, ids []string, member bool) error {
	act := d.Actor()
	for _, id := range ids {
		a, err := visibleAccount(ctx, tx, act, id)
		if err != nil {
			if portal.ErrorCode(err) == portal.ENOTFOUND {
				return portal.FieldErrorf("members", "There is no user %q the directory can see; it cannot be a member.", id)
			}
			return err
		}
		op, err := s.opFor(ctx, tx, act, a)
		if err != nil {
			return err
		}
		var b portal.Account
		var ev portal.AuditEvent
		switch {
		case byOrganization(d):
			to := groupID
			if !member {
				to = ""
			}
			if (member && a.OrganizationID == groupID) || (!member && a.OrganizationID != groupID) {
				continue
			}
			b, ev, err = portal.MoveByDirectory(op, a, to)
		default:
			core, additional := portal.DirectoryRoles(op.Roles, a, groupID, member)
			if core == a.CoreRole && slices.Equal(additional, a.AdditionalRoles) {
				continue
			}
			b, ev, err = portal.SetRoles(op, a, core, additional)
		}
		if err != nil {
			return err
		}
		if err := storeAccount(ctx, tx, op, a, &b, ev); err != nil {
			return err
		}
	}
	return nil
}

// DirectoryDeleteGroup deletes the role or organisation of a group, with the portal's
// rules: built-in roles stay, and so does a role someone holds or an organisation with
// people.
func (s *Service) DirectoryDeleteGroup(ctx context.Context, d portal.Directory, id string) error {
	// The group is looked up first, so that one out of the directory's reach is not found.
	if _, err := s.DirectoryGroupByID(ctx, d, id); err != nil {
		return err
	}
	cmd := &Cmd{Actor: d.Actor()}
	var err error
	if byOrganization(d) {
		_, err = s.DeleteOrganization(ctx, cmd, id)
	} else {
		_, err = s.DeleteRole(ctx, cmd, id)
	}
	return err
}
