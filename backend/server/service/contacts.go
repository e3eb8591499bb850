package service

import (
	"context"
	"fmt"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// ContactQuery selects contacts for ListContacts.
type ContactQuery struct {
	OrganizationID string
	Email          string
	Query          string
	After          string
	Limit          int
}

// ListContacts lists the contacts of the organisations the actor administers.
func (s *Service) ListContacts(ctx context.Context, act portal.Actor, q ContactQuery) (api.Page[portal.Contact], error) {
	scope, err := orgScope(act)
	if err != nil {
		return api.Page[portal.Contact]{}, err
	}
	f := store.ContactFilter{OrganizationIDs: scope, Email: q.Email, Query: q.Query, After: q.After, Limit: pageSize(q.Limit)}
	if q.OrganizationID != "" {
		if err := act.CanAdminister(q.OrganizationID); err != nil {
			return api.Page[portal.Contact]{}, err
		}
		f.OrganizationIDs = []string{q.OrganizationID}
	}
	var page api.Page[portal.Contact]
	err = s.store.View(ctx, func(r store.Reader) error {
		items, err := r.Contacts(ctx, f)
		page.Items = items
		if len(items) == f.Limit {
			page.Next = items[len(items)-1].ID
		}
		return err
	})
	return page, err
}

// GetContact returns one contact of an organisation the actor administers.
func (s *Service) GetContact(ctx context.Context, act portal.Actor, id string) (portal.Contact, error) {
	if err := act.CanManagePeople(); err != nil {
		return portal.Contact{}, err
	}
	var c portal.Contact
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		c, err = visibleContact(ctx, r, act, id)
		return err
	})
	return c, err
}

// visibleContact loads a contact of an organisation the actor administers; any other is
// answered as if it did not exist.
func visibleContact(ctx context.Context, r store.Reader, act portal.Actor, id string) (portal.Contact, error) {
	return administered(act, "contact", id, func(c portal.Contact) string { return c.OrganizationID })(r.Contact(ctx, id))
}

// administered passes on a record loaded by id when the actor administers its
// organisation, and answers for any other as if it did not exist, so that nobody can probe
// for the records of organisations they do not administer.
func administered[T any](act portal.Actor, what, id string, orgOf func(T) string) func(T, error) (T, error) {
	return func(v T, err error) (T, error) {
		var zero T
		if err != nil {
			return zero, err
		}
		if !act.Administers(orgOf(v)) {
			return zero, portal.NotFound(what, id)
		}
		return v, nil
	}
}

func (s *Service) checkOrgExists(ctx context.Context, r store.Reader, id string) error {
	if id == "" {
		return nil
	}
	if _, err := r.Organization(ctx, id); err != nil {
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			return portal.FieldErrorf("organizationId", "There is no organisation %q. Choose an existing organisation.", id)
		}
		return err
	}
	return nil
}

// CreateContact adds a contact to an organisation the actor administers.
func (s *Service) CreateContact(ctx context.Context, cmd *Cmd, c portal.Contact) (portal.Contact, error) {
	return command(ctx, s, cmd, func(tx store.Tx) (portal.Contact, error) {
		return s.createContact(ctx, tx, cmd, c)
	})
}

func (s *Service) createContact(ctx context.Context, tx store.Tx, cmd *Cmd, c portal.Contact) (portal.Contact, error) {
	c, err := portal.NewContact(portal.Op{Now: s.clock.Now(), Actor: cmd.Actor}, c)
	if err != nil {
		return portal.Contact{}, err
	}
	if err := s.checkOrgExists(ctx, tx, c.OrganizationID); err != nil {
		return portal.Contact{}, err
	}
	// An ID taken by a contact the caller may not see is answered as if it were free: the
	// contact is made under a new ID, which the answer carries. One the caller sees is
	// taken: a second create under it is refused, not merged.
	if c.ID != "" {
		if other, err := tx.Contact(ctx, c.ID); err == nil {
			if cmd.Actor.Administers(other.OrganizationID) {
				return portal.Contact{}, portal.Errorf(portal.ECONFLICT, "There is already a contact %q (%s). Change that contact instead.", c.ID, other.FullName)
			}
			c.ID = ""
		}
	}
	if c.ID == "" {
		c.ID = NewID("con")
	}
	if err := tx.PutContact(ctx, &c); err != nil {
		return portal.Contact{}, err
	}
	return c, audit(ctx, tx, portal.AuditEvent{At: c.CreatedAt, ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionCreateContact,
		EntityType: api.EntityContact, EntityID: c.ID, OrganizationID: c.OrganizationID, After: jsonOf(c)})
}

// BulkContact is one item of CreateContactsBulk: its command (actor, key, request hash)
// and contact, or why it was refused before reaching the store.
type BulkContact struct {
	Cmd     *Cmd
	Contact portal.Contact
	Refused error
}

// CreateContactsBulk creates many contacts in one transaction, each item a command of its
// own (replayed by its idempotency key like a single CreateContact). A refused item
// changes nothing and does not stop the others.
func (s *Service) CreateContactsBulk(ctx context.Context, act portal.Actor, items []BulkContact) (api.BulkContactsResult, error) {
	if err := act.CanManagePeople(); err != nil {
		return api.BulkContactsResult{}, err
	}
	switch {
	case len(items) == 0:
		return api.BulkContactsResult{}, portal.FieldErrorf("items", "Give at least one contact to create.")
	case len(items) > api.MaxBulkContacts:
		return api.BulkContactsResult{}, portal.FieldErrorf("items", "Create at most %d contacts per request; this one has %d. Split it into smaller requests.",
			api.MaxBulkContacts, len(items))
	}
	var res api.BulkContactsResult
	err := s.store.Update(ctx, func(tx store.Tx) error {
		res = api.BulkContactsResult{Items: make([]api.BulkContactOutcome, len(items))}
		for i, it := range items {
			if it.Cmd == nil || it.Cmd.Actor.ID != act.ID {
				return fmt.Errorf("bulk contact item %d is not a command of the caller", i)
			}
			o := &res.Items[i]
			o.Index = i
			it.Cmd.Replayed = false
			err := it.Refused
			var c portal.Contact
			if err == nil {
				err = tx.Savepoint(ctx, func() error {
					var err error
					c, err = runCommand(ctx, s, tx, it.Cmd, func(tx store.Tx) (portal.Contact, error) {
						return s.createContact(ctx, tx, it.Cmd, it.Contact)
					})
					return err
				})
			}
			if err != nil {
				ae, ok := itemError(i, err)
				if !ok {
					return fmt.Errorf("contact %d of %d (%s): %w", i+1, len(items), it.Contact.Email, err)
				}
				o.Error = ae
				res.Failed++
				continue
			}
			o.Contact, o.Replayed = &c, it.Cmd.Replayed
			if o.Replayed {
				res.Replayed++
			} else {
				res.Created++
			}
		}
		return nil
	})
	if err != nil {
		return api.BulkContactsResult{}, err
	}
	return res, nil
}

// UpdateContact replaces a contact.
func (s *Service) UpdateContact(ctx context.Context, cmd *Cmd, id string, c portal.Contact) (portal.Contact, error) {
	if err := cmd.Actor.CanManagePeople(); err != nil {
		return portal.Contact{}, err
	}
	return command(ctx, s, cmd, func(tx store.Tx) (portal.Contact, error) {
		before, err := visibleContact(ctx, tx, cmd.Actor, id)
		if err != nil {
			return portal.Contact{}, err
		}
		if err := checkVersion(cmd, "contact", id, before.Version, before); err != nil {
			return portal.Contact{}, err
		}
		c, err := portal.ChangeContact(portal.Op{Now: s.clock.Now(), Actor: cmd.Actor}, before, c)
		if err != nil {
			return portal.Contact{}, err
		}
		if err := s.checkOrgExists(ctx, tx, c.OrganizationID); err != nil {
			return portal.Contact{}, err
		}
		if err := tx.PutContact(ctx, &c); err != nil {
			return portal.Contact{}, err
		}
		return c, audit(ctx, tx, portal.AuditEvent{At: c.UpdatedAt, ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionUpdateContact,
			EntityType: api.EntityContact, EntityID: c.ID, OrganizationID: c.OrganizationID, Before: jsonOf(before), After: jsonOf(c)})
	})
}

// DeleteContact removes a contact that has no account.
func (s *Service) DeleteContact(ctx context.Context, cmd *Cmd, id string) (struct{}, error) {
	if err := cmd.Actor.CanManagePeople(); err != nil {
		return struct{}{}, err
	}
	return command(ctx, s, cmd, func(tx store.Tx) (struct{}, error) {
		c, err := visibleContact(ctx, tx, cmd.Actor, id)
		if err != nil {
			return struct{}{}, err
		}
		if err := checkVersion(cmd, "contact", id, c.Version, c); err != nil {
			return struct{}{}, err
		}
		if a, err := tx.AccountByContact(ctx, id); err == nil {
			return struct{}{}, portal.Errorf(portal.ECONFLICT, "%s has a portal account (%s). Deactivate or purge the account instead; the contact was kept.", c.FullName, a.Status)
		} else if portal.ErrorCode(err) != portal.ENOTFOUND {
			return struct{}{}, err
		}
		if err := tx.DeleteContact(ctx, id); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, audit(ctx, tx, portal.AuditEvent{At: s.clock.Now(), ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionDeleteContact,
			EntityType: api.EntityContact, EntityID: id, OrganizationID: c.OrganizationID, Before: jsonOf(c)})
	})
}

// AddUsers adds people to an organisation by e-mail: each address is matched to a contact
// of the organisation or becomes a new contact named after the address, and with
// req.Invite each is invited. Every address is checked before anything is written.
func (s *Service) AddUsers(ctx context.Context, cmd *Cmd, req api.AddUsersRequest) (api.AddUsersResult, error) {
	emails, _, err := portal.CheckAddUsers(cmd.Actor, req.OrganizationID, req.Emails, req.ExpiresInDays)
	if err != nil {
		return api.AddUsersResult{}, err
	}
	return command(ctx, s, cmd, func(tx store.Tx) (api.AddUsersResult, error) {
		if err := s.checkOrgExists(ctx, tx, req.OrganizationID); err != nil {
			return api.AddUsersResult{}, err
		}
		ttl, err := invitationTTL(ctx, tx, req.ExpiresInDays)
		if err != nil {
			return api.AddUsersResult{}, err
		}
		op, err := s.op(ctx, tx, cmd.Actor)
		if err != nil {
			return api.AddUsersResult{}, err
		}
		res := api.AddUsersResult{Users: make([]api.AddedUser, 0, len(emails))}
		for _, addr := range emails {
			u := api.AddedUser{Email: addr}
			cs, err := tx.Contacts(ctx, store.ContactFilter{OrganizationIDs: []string{req.OrganizationID}, Email: addr, Limit: 1})
			if err != nil {
				return api.AddUsersResult{}, err
			}
			if len(cs) > 0 {
				u.Contact = cs[0]
			} else {
				now := s.clock.Now()
				c := portal.Contact{ID: NewID("con"), OrganizationID: req.OrganizationID, Email: addr, FullName: portal.NameFromEmail(addr), CreatedAt: now, UpdatedAt: now}
				if err := tx.PutContact(ctx, &c); err != nil {
					return api.AddUsersResult{}, err
				}
				if err := audit(ctx, tx, portal.AuditEvent{At: now, ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionCreateContact,
					EntityType: api.EntityContact, EntityID: c.ID, OrganizationID: c.OrganizationID, After: jsonOf(c)}); err != nil {
					return api.AddUsersResult{}, err
				}
				u.Contact, u.ContactCreated = c, true
			}
			if req.Invite {
				inv, err := s.invite(ctx, tx, op, u.Contact, req.Roles, ttl, "", req.Send)
				switch code := portal.ErrorCode(err); {
				case err == nil:
					u.Invitation = &inv
				case code == portal.ECONFLICT:
					u.Skipped = portal.ErrorMessage(err)
				default:
					return api.AddUsersResult{}, err
				}
			}
			res.Users = append(res.Users, u)
		}
		return res, nil
	})
}
