package desk

import (
	"context"
	"sort"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// Last-login filter values of UserQuery.LastLogin, relative to now.
const (
	LastLoginAny      = ""
	LastLoginWithin7  = "within7d"
	LastLoginWithin30 = "within30d"
	LastLoginWithin90 = "within90d"
	LastLoginOlder90  = "older90d" // logged in, but not in the last 90 days
	LastLoginNever    = "never"
	// LastLoginWithinDays and LastLoginOlderDays take the number of days from
	// UserQuery.LastLoginDays: logged in during the last N days, or logged in but not
	// during the last N days.
	LastLoginWithinDays = "withinDays"
	LastLoginOlderDays  = "olderDays"
)

// maxLastLoginDays bounds UserQuery.LastLoginDays: a hundred years is "ever".
const maxLastLoginDays = 36500

// UserQuery selects accounts for the Users table. Zero fields do not filter.
type UserQuery struct {
	// Query is search-as-you-type over name, e-mail and organisation name.
	Query          string   `json:"query"`
	Status         []string `json:"status"` // any of pending|active|denied|invited|deactivated
	Kind           string   `json:"kind"`   // client|staff
	Role           string   `json:"role"`   // a role ID, core or additional
	OrganizationID string   `json:"organizationId"`
	OrgAdmin       *bool    `json:"orgAdmin"`
	LastLogin      string   `json:"lastLogin"` // see the LastLogin* values
	// LastLoginDays is N for LastLoginWithinDays and LastLoginOlderDays.
	LastLoginDays int    `json:"lastLoginDays"`
	Ghost         bool   `json:"ghost"` // unfinished registrations only
	PendingOnly   bool   `json:"pendingOnly"`
	Offset        int    `json:"offset"`
	Limit         int    `json:"limit"` // default 100, at most 1000
	Sort          string `json:"sort"`  // name|email|status|organization|lastLogin
	Desc          bool   `json:"desc"`
}

// UserPage is one page of the Users table and how many accounts match in all. Capped
// means a search matched more than Total and the rows are not sorted; type more to narrow.
type UserPage struct {
	Rows   []UserRow `json:"rows"`
	Total  int       `json:"total"`
	Capped bool      `json:"capped"`
}

// UserDetail is the detail drawer: the account as shown, the server's copy while a change
// waits, the waiting changes, the contact, invitations and the audit history.
type UserDetail struct {
	User        UserRow             `json:"user"`
	Server      *UserRow            `json:"server"`
	Pending     []PendingChangeInfo `json:"pending"`
	Contact     *portal.Contact     `json:"contact"`
	Invitations []InvitationRow     `json:"invitations"`
	History     []AuditEntry        `json:"history"`
	// Actions are what the administrator may do to this person now, each allowed or
	// refused with the reason, from the same policy the server enforces (portal.AccountActions).
	// An action that does not apply to the account is not listed.
	Actions []portal.ActionCheck `json:"actions"`
}

// PendingChangeInfo is one change to a record that the server does not have yet.
type PendingChangeInfo struct {
	ID       int64     `json:"id"`
	Command  string    `json:"command"`
	State    string    `json:"state"` // queued|sending|failed|conflict
	Message  string    `json:"message"`
	QueuedAt time.Time `json:"queuedAt"`
}

// InvitationRow is one invitation of an account.
type InvitationRow struct {
	ID         string     `json:"id"`
	Email      string     `json:"email"`
	Status     string     `json:"status"` // pending|accepted|expired|revoked, as of now
	Roles      []string   `json:"roles"`
	BatchID    string     `json:"batchId"`
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	AcceptedAt *time.Time `json:"acceptedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

// SearchUsers returns one page of the Users table.
func (a *Desk) SearchUsers(q UserQuery) (UserPage, error) {
	db, err := a.cache()
	if err != nil {
		return UserPage{}, err
	}
	f := cache.AccountFilter{
		Query: q.Query, Kind: portal.Kind(q.Kind), Role: q.Role, OrganizationID: q.OrganizationID,
		OrgAdmin: q.OrgAdmin, Ghost: q.Ghost, PendingChanges: q.PendingOnly,
		Limit: q.Limit, Offset: q.Offset, Sort: cache.AccountSort(q.Sort), Desc: q.Desc,
	}
	for _, s := range q.Status {
		f.Status = append(f.Status, portal.Status(s))
	}
	now := a.cfg.Clock.Now()
	switch q.LastLogin {
	case LastLoginAny:
	case LastLoginWithin7:
		f.LastLoginAfter = now.Add(-7 * 24 * time.Hour)
	case LastLoginWithin30:
		f.LastLoginAfter = now.Add(-30 * 24 * time.Hour)
	case LastLoginWithin90:
		f.LastLoginAfter = now.Add(-90 * 24 * time.Hour)
	case LastLoginOlder90:
		f.LastLoginBefore = now.Add(-90 * 24 * time.Hour)
	case LastLoginNever:
		f.NeverLoggedIn = true
	case LastLoginWithinDays, LastLoginOlderDays:
		if q.LastLoginDays < 1 || q.LastLoginDays > maxLastLoginDays {
			return UserPage{}, portal.FieldErrorf("lastLoginDays", "Enter a number of days from 1 to %d for the last-login filter.", maxLastLoginDays)
		}
		// Whole days back from now by the injected clock, so the filter and the "3 days ago"
		// beside each row agree.
		bound := now.AddDate(0, 0, -q.LastLoginDays)
		if q.LastLogin == LastLoginWithinDays {
			f.LastLoginAfter = bound
		} else {
			f.LastLoginBefore = bound
		}
	default:
		return UserPage{}, portal.FieldErrorf("lastLogin", "Unknown last-login filter %q: choose within the last N days, more than N days ago, or never.", q.LastLogin)
	}
	page, err := db.ListAccounts(a.ctx(), f)
	if err != nil {
		return UserPage{}, err
	}
	return UserPage{Rows: rows(page.Rows), Total: page.Total, Capped: page.Capped}, nil
}

func rows(rs []cache.AccountRow) []UserRow {
	out := make([]UserRow, len(rs))
	for i, r := range rs {
		out[i] = userRow(r.Account, r.OrganizationName, r.PendingChanges, r.Conflict)
	}
	return out
}

// historyLimit bounds the audit history in the detail drawer.
const historyLimit = 200

// GetUser returns the detail drawer of one account.
func (a *Desk) GetUser(id string) (UserDetail, error) {
	db, err := a.cache()
	if err != nil {
		return UserDetail{}, err
	}
	ctx := a.ctx()
	row, v, err := userByID(ctx, db, id)
	if err != nil {
		return UserDetail{}, err
	}
	d := UserDetail{User: row, Pending: []PendingChangeInfo{}, Invitations: []InvitationRow{}, History: []AuditEntry{}}
	if v.Overlaid() && v.Server != nil {
		s := userRow(*v.Server, orgName(ctx, db, v.Server.OrganizationID), 0, false)
		d.Server = &s
	}
	for _, c := range v.Pending {
		d.Pending = append(d.Pending, PendingChangeInfo{ID: c.ID, Command: c.Name, State: string(c.State), Message: c.LastError, QueuedAt: c.CreatedAt})
	}
	if v.Account.ContactID != "" {
		if c, err := db.GetContact(ctx, v.Account.ContactID); err == nil {
			d.Contact = &c
		} else if portal.ErrorCode(err) != portal.ENOTFOUND {
			return UserDetail{}, err
		}
	}
	invs, err := db.ListInvitations(ctx, cache.InvitationFilter{AccountID: id, Limit: 100})
	if err != nil {
		return UserDetail{}, err
	}
	now := a.cfg.Clock.Now()
	for _, inv := range invs.Rows {
		d.Invitations = append(d.Invitations, invitationRow(inv, now))
	}
	if d.Actions, err = a.accountActions(ctx, v.Account, pendingInvitation(invs.Rows, now)); err != nil {
		return UserDetail{}, err
	}
	// The account's own events and those of its invitations, newest first.
	evs, err := db.ListAuditEvents(ctx, cache.AuditFilter{EntityType: cache.EntityAccount, EntityID: id, Limit: historyLimit})
	if err != nil {
		return UserDetail{}, err
	}
	all := evs.Rows
	for _, inv := range invs.Rows {
		ie, err := db.ListAuditEvents(ctx, cache.AuditFilter{EntityType: cache.EntityInvitation, EntityID: inv.ID, Limit: historyLimit})
		if err != nil {
			return UserDetail{}, err
		}
		all = append(all, ie.Rows...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].At.Equal(all[j].At) {
			return all[i].At.After(all[j].At)
		}
		return all[i].ID > all[j].ID
	})
	for i, ev := range all {
		if i == historyLimit {
			break
		}
		d.History = append(d.History, auditEntry(ev))
	}
	return d, nil
}

// accountActions asks the sync engine's policy what may be done to acc.
func (a *Desk) accountActions(ctx context.Context, acc portal.Account, inv *portal.Invitation) ([]portal.ActionCheck, error) {
	c, err := a.current()
	if err != nil {
		return nil, err
	}
	acts, err := c.eng.AccountActions(ctx, acc, inv)
	if acts == nil {
		acts = []portal.ActionCheck{}
	}
	return acts, err
}

func invitationRow(inv portal.Invitation, now time.Time) InvitationRow {
	roles := inv.Roles
	if roles == nil {
		roles = []string{}
	}
	return InvitationRow{ID: inv.ID, Email: inv.Email, Status: string(inv.StatusAt(now)), Roles: roles, BatchID: inv.BatchID,
		CreatedBy: inv.CreatedBy, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt, AcceptedAt: inv.AcceptedAt, RevokedAt: inv.RevokedAt}
}

// Ghosts lists the unfinished client registrations, by name.
func (a *Desk) Ghosts() ([]UserRow, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	page, err := db.GhostAccounts(a.ctx(), 1000, 0)
	if err != nil {
		return nil, err
	}
	return rows(page.Rows), nil
}

// DeactivateUser suspends an active account.
func (a *Desk) DeactivateUser(id string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) { return c.Deactivate(ctx, id) })
}

// DeleteClientRecord drops the client record a staff user kept at promotion; they stay a
// staff user with their roles.
func (a *Desk) DeleteClientRecord(id string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) {
		return c.DeleteClientRecord(ctx, id)
	})
}

// ResendUserInvitation sends the invited person a new link; the old one stops working.
// expiresInDays is how long the new link stays valid (0: the portal's usual lifetime,
// at most its longest): a new link with a new expiry is how an invitation's expiry changes.
func (a *Desk) ResendUserInvitation(id string, expiresInDays int) (ActionResult, error) {
	if expiresInDays < 0 {
		return ActionResult{}, portal.FieldErrorf("expiresInDays", "Choose how many days the new link stays valid.")
	}
	return a.invitationAction(id, func(ctx context.Context, c *replica.Commands, inv string) (replica.Queued, error) {
		return c.Resend(ctx, inv, expiresInDays)
	})
}

// RevokeUserInvitation withdraws the invited person's link.
func (a *Desk) RevokeUserInvitation(id string) (ActionResult, error) {
	return a.invitationAction(id, func(ctx context.Context, c *replica.Commands, inv string) (replica.Queued, error) {
		return c.Revoke(ctx, inv)
	})
}

// invitationAction runs an action on the pending invitation of account id.
func (a *Desk) invitationAction(id string, run func(ctx context.Context, c *replica.Commands, invitationID string) (replica.Queued, error)) (ActionResult, error) {
	db, err := a.cache()
	if err != nil {
		return ActionResult{}, err
	}
	ctx := a.ctx()
	invs, err := db.ListInvitations(ctx, cache.InvitationFilter{AccountID: id, Limit: 100})
	if err != nil {
		return ActionResult{}, err
	}
	inv := pendingInvitation(invs.Rows, a.cfg.Clock.Now())
	if inv == nil {
		return ActionResult{}, portal.Errorf(portal.ECONFLICT, "This person has no invitation waiting to be accepted. Invite them again instead.")
	}
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) { return run(ctx, c, inv.ID) })
}

// pendingInvitation is the invitation among invs that can still be accepted, nil if none.
func pendingInvitation(invs []portal.Invitation, now time.Time) *portal.Invitation {
	for i := range invs {
		if invs[i].StatusAt(now) == portal.InvitationPending {
			return &invs[i]
		}
	}
	return nil
}

// ReactivateUser lets a deactivated account sign in again.
func (a *Desk) ReactivateUser(id string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) { return c.Reactivate(ctx, id) })
}

// SetOrgAdmin makes an account an administrator of its organisation, or takes it away.
func (a *Desk) SetOrgAdmin(id string, admin bool) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) {
		return c.SetOrgAdmin(ctx, id, admin)
	})
}

// SetUserRoles replaces an account's core role and additional roles.
func (a *Desk) SetUserRoles(id string, coreRole string, additionalRoles []string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) {
		return c.SetRoles(ctx, id, coreRole, additionalRoles)
	})
}

// CompleteRegistration marks a ghost account's registration as finished.
func (a *Desk) CompleteRegistration(id string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) {
		return c.CompleteRegistration(ctx, id)
	})
}

// DeactivateUsers deactivates each selected account.
func (a *Desk) DeactivateUsers(ids []string) (BulkResult, error) {
	return a.bulk(ids, nil, nil, func(ctx context.Context, c *replica.Commands, keys []string) (replica.BulkResult, error) {
		return c.DeactivateMany(ctx, keys)
	})
}

// ReactivateUsers reactivates each selected account.
func (a *Desk) ReactivateUsers(ids []string) (BulkResult, error) {
	return a.bulk(ids, nil, nil, func(ctx context.Context, c *replica.Commands, keys []string) (replica.BulkResult, error) {
		return c.ReactivateMany(ctx, keys)
	})
}

// SetUsersRoles gives each selected account the same roles.
func (a *Desk) SetUsersRoles(ids []string, coreRole string, additionalRoles []string) (BulkResult, error) {
	return a.bulk(ids, nil, nil, func(ctx context.Context, c *replica.Commands, keys []string) (replica.BulkResult, error) {
		return c.SetRolesMany(ctx, keys, coreRole, additionalRoles)
	})
}

// ResendInvitations sends each selected (invited) account a new invitation link; the old
// link stops working. An account with no invitation is left out with the reason.
func (a *Desk) ResendInvitations(ids []string) (BulkResult, error) {
	db, err := a.cache()
	if err != nil {
		return BulkResult{}, err
	}
	ctx := a.ctx()
	refused := map[string]replica.Refusal{}
	invitationOf := map[string]string{}
	for _, id := range ids {
		invs, err := db.ListInvitations(ctx, cache.InvitationFilter{AccountID: id, Limit: 1})
		if err != nil {
			return BulkResult{}, err
		}
		if len(invs.Rows) == 0 {
			name := id
			if acc, err := db.GetAccount(ctx, id); err == nil {
				name = acc.Name
			}
			refused[id] = replica.Refusal{EntityID: id, Code: portal.ECONFLICT, Message: name + " has never been invited, so there is no invitation to resend. Invite them instead."}
			continue
		}
		invitationOf[id] = invs.Rows[0].ID // the newest
	}
	return a.bulk(ids, refused, invitationOf, func(ctx context.Context, c *replica.Commands, keys []string) (replica.BulkResult, error) {
		return c.ResendMany(ctx, keys, 0)
	})
}
