package service

import (
	"context"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

// ListRoles lists the system roles and the organisation roles the actor may see.
func (s *Service) ListRoles(ctx context.Context, act portal.Actor) ([]portal.Role, error) {
	if !act.MayReadAdmin() {
		return nil, errNoAdminRights()
	}
	var out []portal.Role
	err := s.store.View(ctx, func(r store.Reader) error {
		all, err := r.Roles(ctx)
		for _, role := range all {
			if act.MayReadRole(role) {
				out = append(out, role)
			}
		}
		return err
	})
	return out, err
}

// PutRole creates or replaces a role.
func (s *Service) PutRole(ctx context.Context, cmd *Cmd, id string, role portal.Role) (portal.Role, error) {
	role.ID = id
	if !cmd.Actor.MayReadAdmin() {
		return portal.Role{}, errNoAdminRights()
	}
	return command(ctx, s, cmd, func(tx store.Tx) (portal.Role, error) {
		var before *portal.Role
		holders := 0
		switch cur, err := tx.Role(ctx, id); {
		case err == nil && !cmd.Actor.MayReadRole(cur):
			// Another organisation's role: its ID is taken, and nothing more is said.
			return portal.Role{}, portal.Errorf(portal.ECONFLICT, "The role ID %q is taken. Choose another ID.", id)
		case err == nil:
			before = &cur
			if holders, err = tx.RoleHolders(ctx, id); err != nil {
				return portal.Role{}, err
			}
		case portal.ErrorCode(err) != portal.ENOTFOUND:
			return portal.Role{}, err
		}
		role, ev, err := portal.PutRole(portal.Op{Now: s.clock.Now(), Actor: cmd.Actor}, before, role, holders)
		if portal.ErrorCode(err) == portal.EFORBIDDEN {
			return portal.Role{}, err
		}
		if before != nil {
			if err := checkVersion(cmd, "role", id, before.Version, *before); err != nil {
				return portal.Role{}, err
			}
		}
		if err != nil {
			return portal.Role{}, err
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
		ev.After = jsonOf(role)
		return role, audit(ctx, tx, ev)
	})
}

// DeleteRole removes a role nobody holds. Built-in roles stay.
func (s *Service) DeleteRole(ctx context.Context, cmd *Cmd, id string) (struct{}, error) {
	if !cmd.Actor.MayReadAdmin() {
		return struct{}{}, errNoAdminRights()
	}
	return command(ctx, s, cmd, func(tx store.Tx) (struct{}, error) {
		role, err := tx.Role(ctx, id)
		if err != nil {
			return struct{}{}, err
		}
		if !cmd.Actor.MayReadRole(role) {
			return struct{}{}, portal.NotFound("role", id)
		}
		n, err := tx.RoleHolders(ctx, id)
		if err != nil {
			return struct{}{}, err
		}
		ev, err := portal.DeleteRole(portal.Op{Now: s.clock.Now(), Actor: cmd.Actor}, role, n)
		if portal.ErrorCode(err) == portal.EFORBIDDEN {
			return struct{}{}, err
		}
		if verr := checkVersion(cmd, "role", id, role.Version, role); verr != nil {
			return struct{}{}, verr
		}
		if err != nil {
			return struct{}{}, err
		}
		if err := tx.DeleteRole(ctx, id); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, audit(ctx, tx, ev)
	})
}
