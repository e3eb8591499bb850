package desk

import (
	"context"

	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// ClientCandidate is an account found by e-mail for the Promote dialog, to verify before
// promoting. Promotable says whether it can be promoted now; Blocker says why not, in the
// portal's words.
type ClientCandidate struct {
	User       UserRow         `json:"user"`
	Contact    *portal.Contact `json:"contact"`
	Promotable bool            `json:"promotable"`
	Blocker    string          `json:"blocker"`
}

// RoleInfo is one role of the catalogue.
type RoleInfo struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Scope          string   `json:"scope"` // system|organization
	OrganizationID string   `json:"organizationId"`
	Core           bool     `json:"core"`
	Permissions    []string `json:"permissions"`
	Version        int64    `json:"version"`
	// Pending is true while a change to the role waits for the server.
	Pending bool `json:"pending"`
}

// RoleCatalog is every role: the core roles (one per staff user), the additional system
// roles, and the organisation roles by organisation ID.
type RoleCatalog struct {
	Core           []RoleInfo            `json:"core"`
	Additional     []RoleInfo            `json:"additional"`
	ByOrganization map[string][]RoleInfo `json:"byOrganization"`
}

func roleInfo(r portal.Role) RoleInfo {
	perms := make([]string, len(r.Permissions))
	for i, p := range r.Permissions {
		perms[i] = string(p)
	}
	return RoleInfo{ID: r.ID, Name: r.Name, Scope: string(r.Scope), OrganizationID: r.OrganizationID, Core: r.Core, Permissions: perms, Version: r.Version}
}

// FindClientByEmail finds the accounts with this e-mail address (any case), so the
// administrator can verify the record before promoting it.
func (a *Desk) FindClientByEmail(email string) ([]ClientCandidate, error) {
	addr, err := portal.ParseEmail(email)
	if err != nil {
		return nil, err
	}
	eng, db, err := a.engine()
	if err != nil {
		return nil, err
	}
	ctx := a.ctx()
	accs, err := db.AccountsByEmail(ctx, addr)
	if err != nil {
		return nil, err
	}
	if len(accs) == 0 {
		return nil, &portal.Error{Code: portal.ENOTFOUND, Field: "email",
			Message: "No account uses " + addr + ". Check the address; a new staff member must first sign in once as a client and complete the registration form."}
	}
	op, err := a.promoteCheck(ctx, eng)
	if err != nil {
		return nil, err
	}
	out := make([]ClientCandidate, 0, len(accs))
	for _, acc := range accs {
		row, _, err := userByID(ctx, db, acc.ID)
		if err != nil {
			return nil, err
		}
		c := ClientCandidate{User: row}
		if acc.ContactID != "" {
			if ct, err := db.GetContact(ctx, acc.ContactID); err == nil {
				c.Contact = &ct
			}
		}
		if err := op(acc); err != nil {
			c.Blocker = portal.ErrorMessage(err)
		} else {
			c.Promotable = true
		}
		out = append(out, c)
	}
	return out, nil
}

// promoteCheck returns a dry run of portal.Promote: whether an account could be promoted
// by this administrator now, with some core role.
func (a *Desk) promoteCheck(ctx context.Context, eng *replica.Engine) (func(portal.Account) error, error) {
	act, err := eng.Actor(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := eng.Cache().RoleCatalog(ctx)
	if err != nil {
		return nil, err
	}
	core := ""
	for id, r := range roles {
		if r.Core && (core == "" || id < core) {
			core = id
		}
	}
	op := portal.Op{Now: a.cfg.Clock.Now(), Actor: act, Roles: roles}
	return func(acc portal.Account) error {
		_, _, err := portal.Promote(op, acc, core, nil, false)
		return err
	}, nil
}

// Roles returns the role catalogue.
func (a *Desk) Roles() (RoleCatalog, error) {
	db, err := a.cache()
	if err != nil {
		return RoleCatalog{}, err
	}
	rs, err := db.ListRoles(a.ctx(), "")
	if err != nil {
		return RoleCatalog{}, err
	}
	cat := RoleCatalog{Core: []RoleInfo{}, Additional: []RoleInfo{}, ByOrganization: map[string][]RoleInfo{}}
	for _, r := range rs {
		switch {
		case r.Scope == portal.ScopeOrganization:
			cat.ByOrganization[r.OrganizationID] = append(cat.ByOrganization[r.OrganizationID], roleInfo(r))
		case r.Core:
			cat.Core = append(cat.Core, roleInfo(r))
		default:
			cat.Additional = append(cat.Additional, roleInfo(r))
		}
	}
	return cat, nil
}

// Promote turns an active client into a staff user with one core role and any additional
// roles (system roles, or roles of the person's organisation), deleting the leftover
// client record if asked.
func (a *Desk) Promote(id string, coreRole string, additionalRoles []string, deleteClientRecord bool) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) {
		return c.Promote(ctx, id, coreRole, additionalRoles, deleteClientRecord)
	})
}
