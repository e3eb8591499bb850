package service

import (
	"context"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// Audit actions for changes that are not account transitions.
const (
	ActionCreateOrg      = portal.ActionCreateOrg
	ActionDeleteOrg      = portal.ActionDeleteOrg
	ActionCreateContact  = portal.ActionCreateContact
	ActionUpdateContact  = portal.ActionUpdateContact
	ActionDeleteContact  = portal.ActionDeleteContact
	ActionPutRole        = portal.ActionPutRole
	ActionDeleteRole     = portal.ActionDeleteRole
	ActionUpdateTemplate = portal.ActionUpdateTemplate
	ActionUpdateSettings = portal.ActionUpdateSettings
)

// ListOrganizations lists the organisations the actor may see.
func (s *Service) ListOrganizations(ctx context.Context, act portal.Actor, after string, limit int) (api.Page[portal.Organization], error) {
	f := store.OrgFilter{After: after, Limit: pageSize(limit)}
	switch {
	case act.SystemAdmin || act.UserSetup:
	case act.OrgAdminOf != "":
		f.IDs = []string{act.OrgAdminOf}
	default:
		return api.Page[portal.Organization]{}, errNoAdminRights()
	}
	var page api.Page[portal.Organization]
	err := s.store.View(ctx, func(r store.Reader) error {
		items, err := r.Organizations(ctx, f)
		page.Items = items
		if len(items) == f.Limit {
			page.Next = items[len(items)-1].ID
		}
		return err
	})
	return page, err
}

func mayReadOrg(act portal.Actor, id string) error {
	if act.SystemAdmin || act.UserSetup || act.Administers(id) {
		return nil
	}
	if !act.MayReadAdmin() {
		return errNoAdminRights()
	}
	return act.CanAdminister(id)
}

// GetOrganization returns one organisation the actor may see.
func (s *Service) GetOrganization(ctx context.Context, act portal.Actor, id string) (portal.Organization, error) {
	if err := mayReadOrg(act, id); err != nil {
		return portal.Organization{}, err
	}
	var o portal.Organization
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		o, err = r.Organization(ctx, id)
		return err
	})
	return o, err
}

// CreateOrganization adds an organisation; only system administrators may.
func (s *Service) CreateOrganization(ctx context.Context, cmd *Cmd, o portal.Organization) (portal.Organization, error) {
	return command(ctx, s, cmd, func(tx store.Tx) (portal.Organization, error) {
		o, err := portal.NewOrganization(portal.Op{Now: s.clock.Now(), Actor: cmd.Actor}, o)
		if err != nil {
			return portal.Organization{}, err
		}
		if o.ID == "" {
			o.ID = NewID("org")
		} else if _, err := tx.Organization(ctx, o.ID); err == nil {
			return portal.Organization{}, portal.Errorf(portal.ECONFLICT, "There is already an organisation %q. Change that organisation instead.", o.ID)
		}
		now := o.CreatedAt
		if err := tx.PutOrganization(ctx, &o); err != nil {
			return portal.Organization{}, err
		}
		return o, audit(ctx, tx, portal.AuditEvent{At: now, ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionCreateOrg,
			EntityType: api.EntityOrganization, EntityID: o.ID, OrganizationID: o.ID, After: jsonOf(o)})
	})
}

// UpdateOrganization replaces an organisation's profile through portal's rules.
func (s *Service) UpdateOrganization(ctx context.Context, cmd *Cmd, id string, o portal.Organization) (portal.Organization, error) {
	return command(ctx, s, cmd, func(tx store.Tx) (portal.Organization, error) {
		if err := cmd.Actor.CanAdminister(id); err != nil {
			return portal.Organization{}, err
		}
		before, err := tx.Organization(ctx, id)
		if err != nil {
			return portal.Organization{}, err
		}
		if err := checkVersion(cmd, "organisation", id, before.Version, before); err != nil {
			return portal.Organization{}, err
		}
		op, err := s.op(ctx, tx, cmd.Actor)
		if err != nil {
			return portal.Organization{}, err
		}
		after, ev, err := portal.UpdateOrganization(op, before, o)
		if err != nil {
			return portal.Organization{}, err
		}
		if err := tx.PutOrganization(ctx, &after); err != nil {
			return portal.Organization{}, err
		}
		return after, audit(ctx, tx, ev)
	})
}

// DeleteOrganization removes an organisation that no longer has contacts or accounts.
func (s *Service) DeleteOrganization(ctx context.Context, cmd *Cmd, id string) (struct{}, error) {
	return command(ctx, s, cmd, func(tx store.Tx) (struct{}, error) {
		if !cmd.Actor.SystemAdmin {
			return struct{}{}, portal.Errorf(portal.EFORBIDDEN, "Only a system administrator can delete organisations.")
		}
		o, err := tx.Organization(ctx, id)
		if err != nil {
			return struct{}{}, err
		}
		if err := checkVersion(cmd, "organisation", id, o.Version, o); err != nil {
			return struct{}{}, err
		}
		accs, err := tx.Accounts(ctx, store.AccountFilter{OrganizationIDs: []string{id}, Limit: 1})
		if err != nil {
			return struct{}{}, err
		}
		cons, err := tx.Contacts(ctx, store.ContactFilter{OrganizationIDs: []string{id}, Limit: 1})
		if err != nil {
			return struct{}{}, err
		}
		if len(accs) > 0 || len(cons) > 0 {
			return struct{}{}, portal.Errorf(portal.ECONFLICT, "%s still has contacts or accounts. Move or delete them first; the organisation was kept.", o.Name)
		}
		if err := tx.DeleteOrganization(ctx, id); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, audit(ctx, tx, portal.AuditEvent{At: s.clock.Now(), ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionDeleteOrg,
			EntityType: api.EntityOrganization, EntityID: id, OrganizationID: id, Before: jsonOf(o)})
	})
}
