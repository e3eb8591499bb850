package desk

import (
	"context"
	"sort"
	"strings"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// OrgQuery selects organisations. Query matches any part of the name.
type OrgQuery struct {
	Query  string `json:"query"`
	Type   string `json:"type"` // "council", "pantry", ...
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"`
}

// OrgRow is one organisation in the list.
type OrgRow struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Type    string `json:"type"`
	Member  bool   `json:"member"`
	Users   int    `json:"users"`
	Admins  int    `json:"admins"`
	Pending bool   `json:"pending"` // a profile change waits for the server
}

// OrgPage is one page of organisations.
type OrgPage struct {
	Rows  []OrgRow `json:"rows"`
	Total int      `json:"total"`
}

// OrgProfile is an organisation's page: the profile with its three addresses, its users
// (administrators marked) and its organisation roles.
type OrgProfile struct {
	Organization portal.Organization `json:"organization"`
	Pending      bool                `json:"pending"`
	Users        []UserRow           `json:"users"`
	Roles        []RoleInfo          `json:"roles"`
}

// OrgResult is the answer to UpdateOrganisation.
type OrgResult struct {
	Change       QueuedChange        `json:"change"`
	Organization portal.Organization `json:"organization"`
}

// Organisations lists organisations by name, with how many accounts and organisation
// administrators each has.
func (a *Desk) Organisations(q OrgQuery) (OrgPage, error) {
	db, err := a.cache()
	if err != nil {
		return OrgPage{}, err
	}
	ctx := a.ctx()
	page, err := db.ListOrganizations(ctx, cache.OrganizationFilter{Query: q.Query, Type: q.Type, Limit: q.Limit, Offset: q.Offset})
	if err != nil {
		return OrgPage{}, err
	}
	out := OrgPage{Rows: make([]OrgRow, len(page.Rows)), Total: page.Total}
	if len(page.Rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(page.Rows))
	for i, o := range page.Rows {
		ids[i] = o.ID
	}
	counts, err := db.AccountsPerOrganization(ctx, ids)
	if err != nil {
		return OrgPage{}, err
	}
	for i, o := range page.Rows {
		pending, err := db.PendingFor(ctx, cache.EntityOrganization, o.ID)
		if err != nil {
			return OrgPage{}, err
		}
		n := counts[o.ID]
		out.Rows[i] = OrgRow{ID: o.ID, Name: o.Name, Phone: o.Phone, Type: o.Type, Member: o.Member,
			Users: n.Accounts, Admins: n.Admins, Pending: len(pending) > 0}
	}
	return out, nil
}

// Organisation returns one organisation's page: profile, users (administrators first,
// then by name) and organisation roles.
func (a *Desk) Organisation(id string) (OrgProfile, error) {
	db, err := a.cache()
	if err != nil {
		return OrgProfile{}, err
	}
	ctx := a.ctx()
	o, err := db.GetOrganization(ctx, id)
	if err != nil {
		return OrgProfile{}, err
	}
	pending, err := db.PendingFor(ctx, cache.EntityOrganization, id)
	if err != nil {
		return OrgProfile{}, err
	}
	users, err := db.ListAccounts(ctx, cache.AccountFilter{OrganizationID: id, Limit: 1000})
	if err != nil {
		return OrgProfile{}, err
	}
	p := OrgProfile{Organization: o, Pending: len(pending) > 0, Users: rows(users.Rows), Roles: []RoleInfo{}}
	sort.SliceStable(p.Users, func(i, j int) bool { return p.Users[i].OrgAdmin && !p.Users[j].OrgAdmin })
	roles, err := db.ListRoles(ctx, id)
	if err != nil {
		return OrgProfile{}, err
	}
	for _, r := range roles {
		if r.Scope == portal.ScopeOrganization {
			ri := roleInfo(r)
			pend, err := db.PendingFor(ctx, cache.EntityRole, r.ID)
			if err != nil {
				return OrgProfile{}, err
			}
			ri.Pending = len(pend) > 0
			p.Roles = append(p.Roles, ri)
		}
	}
	return p, nil
}

// RoleResult is the answer to a change to an organisation role: the queued change and the
// role as every screen now shows it (nil once deleted).
type RoleResult struct {
	Change QueuedChange `json:"change"`
	Role   *RoleInfo    `json:"role,omitempty"`
}

// CreateOrgRole adds an organisation role (an additional role only that organisation's
// people can hold). Organisation administrators may do this for their own organisation.
func (a *Desk) CreateOrgRole(orgID, name string) (RoleResult, error) {
	if strings.TrimSpace(orgID) == "" {
		return RoleResult{}, portal.FieldErrorf("organizationId", "Choose the organisation the role belongs to.")
	}
	return a.roleAction(func(ctx context.Context, db *cache.DB, c *replica.Commands) (replica.Queued, error) {
		if _, err := db.GetOrganization(ctx, orgID); err != nil {
			return replica.Queued{}, err
		}
		return c.CreateRole(ctx, portal.Role{Name: strings.TrimSpace(name), Scope: portal.ScopeOrganization, OrganizationID: orgID})
	})
}

// RenameOrgRole renames an organisation role. version is the role's version as loaded: if
// it changed since, the rename is refused so nothing newer is overwritten (0 skips the
// check).
func (a *Desk) RenameOrgRole(roleID, name string, version int64) (RoleResult, error) {
	return a.roleAction(func(ctx context.Context, db *cache.DB, c *replica.Commands) (replica.Queued, error) {
		r, err := orgRole(ctx, db, roleID)
		if err != nil {
			return replica.Queued{}, err
		}
		if version != 0 && version != r.Version {
			return replica.Queued{}, portal.Errorf(portal.ECONFLICT, "The role %q was changed by someone else after you opened it. Reload it, then make your change again.", r.Name)
		}
		r.Name = strings.TrimSpace(name)
		return c.UpdateRole(ctx, r)
	})
}

// DeleteOrgRole removes an organisation role nobody holds.
func (a *Desk) DeleteOrgRole(roleID string) (RoleResult, error) {
	return a.roleAction(func(ctx context.Context, db *cache.DB, c *replica.Commands) (replica.Queued, error) {
		if _, err := orgRole(ctx, db, roleID); err != nil {
			return replica.Queued{}, err
		}
		return c.DeleteRole(ctx, roleID)
	})
}

// orgRole reads an organisation role from the cache; system roles are not managed here.
func orgRole(ctx context.Context, db *cache.DB, id string) (portal.Role, error) {
	if strings.TrimSpace(id) == "" {
		return portal.Role{}, portal.FieldErrorf("id", "Choose a role first.")
	}
	rs, err := db.RoleCatalog(ctx)
	if err != nil {
		return portal.Role{}, err
	}
	r, ok := rs[id]
	if !ok {
		return portal.Role{}, portal.Errorf(portal.ENOTFOUND, "This role is no longer there; someone may have deleted it. Reload the organisation.")
	}
	if r.Scope != portal.ScopeOrganization {
		return portal.Role{}, portal.Errorf(portal.EINVALID, "%q is a system role; system roles are not managed from an organisation's page.", r.Name)
	}
	return r, nil
}

// roleAction queues one role command and answers with the role as now shown.
func (a *Desk) roleAction(run func(ctx context.Context, db *cache.DB, c *replica.Commands) (replica.Queued, error)) (RoleResult, error) {
	eng, db, err := a.engine()
	if err != nil {
		return RoleResult{}, err
	}
	ctx := a.ctx()
	q, err := run(ctx, db, eng.Commands())
	if err != nil {
		return RoleResult{}, err
	}
	res := RoleResult{Change: queuedChange(q)}
	rs, err := db.RoleCatalog(ctx)
	if err != nil {
		return RoleResult{}, err
	}
	if r, ok := rs[q.EntityID]; ok {
		ri := roleInfo(r)
		ri.Pending = true
		res.Role = &ri
	}
	return res, nil
}

// UpdateOrganisation saves an organisation's profile (name, phone, addresses; type and
// membership for system administrators). Send the whole profile as loaded: if it changed
// since (the Version differs), the save is refused so nothing newer is overwritten.
func (a *Desk) UpdateOrganisation(org portal.Organization) (OrgResult, error) {
	if org.ID == "" {
		return OrgResult{}, portal.FieldErrorf("id", "Choose the organisation to save.")
	}
	eng, db, err := a.engine()
	if err != nil {
		return OrgResult{}, err
	}
	ctx := a.ctx()
	cur, err := db.GetOrganization(ctx, org.ID)
	if err != nil {
		return OrgResult{}, err
	}
	if org.Version != 0 && org.Version != cur.Version {
		return OrgResult{}, portal.Errorf(portal.ECONFLICT, "%s was changed by someone else after you opened it. Reload it, then make your change again.", cur.Name)
	}
	q, err := eng.Commands().UpdateOrganization(ctx, org)
	if err != nil {
		return OrgResult{}, err
	}
	now, err := db.GetOrganization(ctx, org.ID)
	if err != nil {
		return OrgResult{}, err
	}
	return OrgResult{Change: queuedChange(q), Organization: now}, nil
}
