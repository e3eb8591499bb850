package service

import (
	"context"
	"slices"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

// ListRoles lists the system roles and the organisation roles the actor may see.
func (s *Service) ListRoles(ctx context.Context, act portal.Actor) ([]portal.Role, error) {
	if !readable(act) {
		return nil, errNoAdminRights()
	}
	var out []portal.Role
	err := s.store.View(ctx, func(r store.Reader) error {
		all, err := r.Roles(ctx)
		for _, role := range all {
			if mayReadRole(act, role) {
				out = append(out, role)
			}
		}
		return err
	})
	return out, err
}

func mayReadRole(act portal.Actor, r portal.Role) bool {
	return r.Scope == portal.ScopeSystem || act.SystemAdmin || act.UserSetup || act.Administers(r.OrganizationID)
}

// mayEditRole: system roles are the system administrators'; organisation roles also their
// organisation's administrators'.
func mayEditRole(act portal.Actor, r portal.Role) error {
	if r.Scope == portal.ScopeOrganization {
		return act.CanAdminister(r.OrganizationID)
	}
	if !act.SystemAdmin {
		return portal.Errorf(portal.EFORBIDDEN, "Only a system administrator can change system roles.")
	}
	return nil
}

func builtIn(id string) bool {
	return slices.ContainsFunc(portal.DefaultRoles(), func(r portal.Role) bool { return r.ID == id })
}

// PutRole creates or replaces a role.
func (s *Service) PutRole(ctx context.Context, cmd *Cmd, id string, role portal.Role) (portal.Role, error) {
	role.ID = id
	return command(ctx, s, cmd, func(tx store.Tx) (portal.Role, error) {
		if err := mayEditRole(cmd.Actor, role); err != nil {
			return portal.Role{}, err
		}
		if err := portal.ValidateRole(role); err != nil {
			return portal.Role{}, err
		}
		before, err := tx.Role(ctx, id)
		exists := err == nil
		if err != nil && portal.ErrorCode(err) != portal.ENOTFOUND {
			return portal.Role{}, err
		}
		role.Version = 0
		if exists {
			if err := mayEditRole(cmd.Actor, before); err != nil {
				return portal.Role{}, err
			}
			if err := checkVersion(cmd, "role", id, before.Version, before); err != nil {
				return portal.Role{}, err
			}
			role.Version = before.Version
			if before.Scope != role.Scope || before.OrganizationID != role.OrganizationID {
				if n, err := tx.RoleHolders(ctx, id); err != nil {
					return portal.Role{}, err
				} else if n > 0 {
					return portal.Role{}, portal.Errorf(portal.ECONFLICT, "%d accounts hold the role %q, so it cannot move to another scope or organisation. Create a new role instead.", n, before.Name)
				}
			}
		}
		if err := s.checkOrgExists(ctx, tx, role.OrganizationID); err != nil {
			return portal.Role{}, err
		}
		admins, err := tx.CountActiveSystemAdmins(ctx)
		if err != nil {
			return portal.Role{}, err
		}
		if err := tx.PutRole(ctx, &role); err != nil {
			return portal.Role{}, err
		}
		if err := keepAnAdmin(ctx, tx, admins); err != nil {
			return portal.Role{}, err
		}
		ev := portal.AuditEvent{At: s.clock.Now(), ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionPutRole,
			EntityType: "role", EntityID: id, OrganizationID: role.OrganizationID, After: jsonOf(role)}
		if exists {
			ev.Before = jsonOf(before)
		}
		return role, audit(ctx, tx, ev)
	})
}

// DeleteRole removes a role nobody holds. Built-in roles stay.
func (s *Service) DeleteRole(ctx context.Context, cmd *Cmd, id string) (struct{}, error) {
	return command(ctx, s, cmd, func(tx store.Tx) (struct{}, error) {
		role, err := tx.Role(ctx, id)
		if err != nil {
			return struct{}{}, err
		}
		if err := mayEditRole(cmd.Actor, role); err != nil {
			return struct{}{}, err
		}
		if err := checkVersion(cmd, "role", id, role.Version, role); err != nil {
			return struct{}{}, err
		}
		if builtIn(id) {
			return struct{}{}, portal.Errorf(portal.ECONFLICT, "%q is one of the portal's built-in roles and cannot be deleted.", role.Name)
		}
		if n, err := tx.RoleHolders(ctx, id); err != nil {
			return struct{}{}, err
		} else if n > 0 {
			return struct{}{}, portal.Errorf(portal.ECONFLICT, "%d accounts still hold the role %q. Take it away from them first.", n, role.Name)
		}
		if err := tx.DeleteRole(ctx, id); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, audit(ctx, tx, portal.AuditEvent{At: s.clock.Now(), ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionDeleteRole,
			EntityType: "role", EntityID: id, OrganizationID: role.OrganizationID, Before: jsonOf(role)})
	})
}
