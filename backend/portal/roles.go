package portal

import (
	"slices"
	"strings"
)

// Permission is something a role lets its holders do.
type Permission string

const (
	// PermSystemAdmin grants everything: a system administrator.
	PermSystemAdmin Permission = "system_admin"
	// PermUserSetup lets a staff user decide pending sign-ins (approve, deny).
	PermUserSetup Permission = "user_setup"
)

// RoleScope says whether a role is the system's or subordinate to one organisation.
type RoleScope string

const (
	ScopeSystem       RoleScope = "system"
	ScopeOrganization RoleScope = "organization"
)

// Role is a named set of permissions. Core roles define a staff user's job (an account has
// at most one); the others are additional. Organisation roles belong to one organisation
// and can only be held by that organisation's people.
type Role struct {
	ID             string       `json:"id"`
	Name           string       `json:"name"`
	Scope          RoleScope    `json:"scope"`
	OrganizationID string       `json:"organizationId"`
	Core           bool         `json:"core"`
	Permissions    []Permission `json:"permissions"`
	Version        int64        `json:"version"`
}

// Has reports whether the role grants p.
func (r Role) Has(p Permission) bool { return slices.Contains(r.Permissions, p) }

// Built-in role IDs, present in every portal.
const (
	RoleAdministrator = "administrator"
	RoleStaff         = "staff"
	RoleVolunteer     = "volunteer"
	RoleUserSetup     = "user-setup"
	RoleReports       = "reports"
)

// DefaultRoles returns the roles every new portal starts with.
func DefaultRoles() []Role {
	return []Role{
		{ID: RoleAdministrator, Name: "System administrator", Scope: ScopeSystem, Core: true, Permissions: []Permission{PermSystemAdmin, PermUserSetup}},
		{ID: RoleStaff, Name: "Staff", Scope: ScopeSystem, Core: true},
		{ID: RoleVolunteer, Name: "Volunteer", Scope: ScopeSystem, Core: true},
		{ID: RoleUserSetup, Name: "User setup", Scope: ScopeSystem, Permissions: []Permission{PermUserSetup}},
		{ID: RoleReports, Name: "Reports", Scope: ScopeSystem},
	}
}

// Roles is the portal's role catalogue, by ID.
type Roles map[string]Role

// NewRoles indexes rs by ID.
func NewRoles(rs ...Role) Roles {
	m := make(Roles, len(rs))
	for _, r := range rs {
		m[r.ID] = r
	}
	return m
}

// Grants reports whether any of a's roles grants p.
func (rs Roles) Grants(a Account, p Permission) bool {
	for _, id := range a.RoleIDs() {
		if r, ok := rs[id]; ok && r.Has(p) {
			return true
		}
	}
	return false
}

// IsActiveSystemAdmin reports whether a is an active account with the system-admin
// permission: one of the people the last-admin guard protects.
func (rs Roles) IsActiveSystemAdmin(a Account) bool {
	return a.Status == StatusActive && rs.Grants(a, PermSystemAdmin)
}

// ValidateRole checks a role definition before it is stored.
func ValidateRole(r Role) error {
	switch {
	case r.ID == "":
		return FieldErrorf("id", "The role needs an ID.")
	case r.Name == "":
		return FieldErrorf("name", "Give the role a name.")
	case r.Scope != ScopeSystem && r.Scope != ScopeOrganization:
		return FieldErrorf("scope", "A role is either a system role or an organisation role.")
	case r.Scope == ScopeOrganization && r.OrganizationID == "":
		return FieldErrorf("organizationId", "Choose the organisation this role belongs to.")
	case r.Scope == ScopeOrganization && r.Core:
		return FieldErrorf("core", "Organisation roles are additional roles; only system roles can be core roles.")
	case r.Scope == ScopeOrganization && (r.Has(PermSystemAdmin) || r.Has(PermUserSetup)):
		return FieldErrorf("permissions", "An organisation role cannot grant system administration or user setup.")
	}
	return nil
}

// PutRole decides creating (before nil) or changing a role: who may edit it, that it is
// well formed, and that a role people hold (holders of before) does not move to another
// scope or organisation. The caller checks that the organisation exists.
func PutRole(op Op, before *Role, r Role, holders int) (Role, AuditEvent, error) {
	if r.Permissions == nil {
		r.Permissions = []Permission{}
	}
	if err := op.Actor.CanEditRole(r); err != nil {
		return Role{}, AuditEvent{}, err
	}
	if err := CheckRoleID(r.ID); err != nil {
		return Role{}, AuditEvent{}, err
	}
	if err := ValidateRole(r); err != nil {
		return Role{}, AuditEvent{}, err
	}
	r.Version = 0
	ev := AuditEvent{At: op.Now, ActorID: op.Actor.ID, ActorName: op.Actor.Name, Action: ActionPutRole,
		EntityType: "role", EntityID: r.ID, OrganizationID: r.OrganizationID}
	if before != nil {
		if err := op.Actor.CanEditRole(*before); err != nil {
			return Role{}, AuditEvent{}, err
		}
		if (before.Scope != r.Scope || before.OrganizationID != r.OrganizationID) && holders > 0 {
			return Role{}, AuditEvent{}, Errorf(ECONFLICT, "%d accounts hold the role %q, so it cannot move to another scope or organisation. Create a new role instead.", holders, before.Name)
		}
		r.Version = before.Version
		ev.Before = mustJSON(before)
	}
	ev.After = mustJSON(r)
	return r, ev, nil
}

// DeleteRole decides removing role r, which holders accounts hold: only an unheld role
// that is not built in, by someone who may edit it.
func DeleteRole(op Op, r Role, holders int) (AuditEvent, error) {
	if err := op.Actor.CanEditRole(r); err != nil {
		return AuditEvent{}, err
	}
	if BuiltInRole(r.ID) {
		return AuditEvent{}, Errorf(ECONFLICT, "%q is one of the portal's built-in roles and cannot be deleted.", r.Name)
	}
	if holders > 0 {
		return AuditEvent{}, Errorf(ECONFLICT, "%d accounts still hold the role %q. Take it away from them first.", holders, r.Name)
	}
	return AuditEvent{At: op.Now, ActorID: op.Actor.ID, ActorName: op.Actor.Name, Action: ActionDeleteRole,
		EntityType: "role", EntityID: r.ID, OrganizationID: r.OrganizationID, Before: mustJSON(r)}, nil
}

// BuiltInRole reports whether id is one of the roles every portal starts with.
func BuiltInRole(id string) bool {
	return slices.ContainsFunc(DefaultRoles(), func(r Role) bool { return r.ID == id })
}

// AccessSentence says what an account is, as its holder reads it on the portal: the kind of
// account with its roles by name, and whether it administers its organisation.
func (rs Roles) AccessSentence(a Account) string {
	var names []string
	for _, id := range a.RoleIDs() {
		if r, ok := rs[id]; ok && r.Name != "" {
			names = append(names, r.Name)
		} else {
			names = append(names, id)
		}
	}
	kind := "a client"
	if a.Kind == KindStaff {
		kind = "a staff user"
	}
	s := "You are " + kind
	switch len(names) {
	case 0:
	case 1:
		s += " with the role " + names[0]
	default:
		s += " with the roles " + strings.Join(names, ", ")
	}
	s += "."
	if a.OrgAdmin {
		s += " You administer your organisation's people."
	}
	return s
}
