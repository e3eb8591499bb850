package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// BulkInvite is one item of InviteBulk: a command and its request, exactly as Invite
// takes them. Cmd.Actor must be the caller of InviteBulk; Cmd.Replayed is set when the
// item's answer was a stored one.
type BulkInvite struct {
	Cmd *Cmd
	Req api.CreateInvitationRequest
	// Refused, when set, is the item's outcome: its command could not be built (a bad
	// Idempotency-Key). It must be a *portal.Error.
	Refused error
}

// InviteBulk invites many contacts in one transaction, each item as Invite would: its
// own idempotency key (a repeated item replays its stored answer, without the link),
// If-Match, authorisation, audit event and change-feed entries. One item's refusal is
// that item's outcome and undoes only its own writes; an error of the database fails
// the whole call, which then changed nothing.
func (s *Service) InviteBulk(ctx context.Context, act portal.Actor, items []BulkInvite) (api.BulkInvitationsResult, error) {
	if _, err := orgScope(act); err != nil {
		return api.BulkInvitationsResult{}, err
	}
	switch {
	case len(items) == 0:
		return api.BulkInvitationsResult{}, portal.FieldErrorf("items", "Give at least one invitation to create.")
	case len(items) > api.MaxBulkInvitations:
		return api.BulkInvitationsResult{}, portal.FieldErrorf("items", "Create at most %d invitations per request; this one has %d. Split it into smaller requests.",
			api.MaxBulkInvitations, len(items))
	}
	early := make([]error, len(items))
	for i, it := range items {
		if it.Cmd == nil || it.Cmd.Actor.ID != act.ID {
			return api.BulkInvitationsResult{}, fmt.Errorf("bulk invitation item %d is not a command of the caller", i)
		}
		var err error
		if it.Refused != nil {
			early[i] = it.Refused
		} else if _, err = portal.InvitationTTLDays(it.Req.ExpiresInDays); err != nil {
			early[i] = err
		} else if it.Req.ContactID == "" {
			early[i] = portal.FieldErrorf("contactId", "Choose the contact to invite.")
		}
	}
	var res api.BulkInvitationsResult
	created, send := false, false
	err := s.store.Update(ctx, func(tx store.Tx) error {
		res = api.BulkInvitationsResult{Items: make([]api.BulkInvitationOutcome, len(items))}
		created, send = false, false
		op, err := s.op(ctx, tx, act)
		if err != nil {
			return err
		}
		if err := tx.ReadAhead(ctx, readAhead(act, items, early)); err != nil {
			return err
		}
		for i, it := range items {
			o := &res.Items[i]
			o.Index, o.ContactID = i, it.Req.ContactID
			it.Cmd.Replayed = false
			err := early[i]
			var r api.InvitationResult
			if err == nil {
				err = tx.Savepoint(ctx, func() error {
					var err error
					r, err = runCommand(ctx, s, tx, it.Cmd, func(tx store.Tx) (api.InvitationResult, error) {
						return s.inviteContact(ctx, tx, it.Cmd, op, it.Req)
					})
					return err
				})
			}
			if err != nil {
				ae, ok := itemError(i, err)
				if !ok {
					return fmt.Errorf("invitation %d of %d (contact %s): %w", i+1, len(items), it.Req.ContactID, err)
				}
				o.Error = ae
				o.Email = s.contactEmail(ctx, tx, act, it.Req.ContactID)
				res.Failed++
				continue
			}
			o.Result, o.Email, o.Replayed = &r, r.Invitation.Email, it.Cmd.Replayed
			if o.Replayed {
				res.Replayed++
			} else {
				res.Created++
				created, send = true, send || it.Req.Send
			}
		}
		return nil
	})
	if err != nil {
		return api.BulkInvitationsResult{}, err
	}
	if created && send {
		s.wakeMailer()
	}
	return res, nil
}

// readAhead names what the items will read: their contacts, those contacts' accounts
// and the items' idempotency keys.
func readAhead(act portal.Actor, items []BulkInvite, early []error) store.ReadAhead {
	ra := store.ReadAhead{ActorID: act.ID}
	for i, it := range items {
		if early[i] != nil {
			continue
		}
		ra.ContactIDs = append(ra.ContactIDs, it.Req.ContactID)
		if it.Cmd.IdempotencyKey != "" {
			ra.IdempotencyKeys = append(ra.IdempotencyKeys, it.Cmd.IdempotencyKey)
		}
	}
	return ra
}

// itemError turns an item's refusal into its coded answer, with the field named inside
// the request ("items[3].contactId"). It reports false for an error that is not a
// refusal (the database failed): that must fail the whole request.
func itemError(i int, err error) (*api.Error, bool) {
	prefix := fmt.Sprintf("items[%d]", i)
	var stale *StaleError
	if errors.As(err, &stale) {
		return &api.Error{Code: portal.ECONFLICT, Field: prefix + ".ifMatch", Message: stale.Error(), Current: jsonOf(stale.Current)}, true
	}
	var pe *portal.Error
	if !errors.As(err, &pe) || pe.Code == portal.EINTERNAL || pe.Code == "" {
		return nil, false
	}
	field := prefix
	switch {
	case pe.Field == api.HeaderIdempotencyKey:
		field += ".idempotencyKey"
	case pe.Field != "":
		field += "." + pe.Field
	}
	return &api.Error{Code: pe.Code, Field: field, Message: pe.Message}, true
}

// contactEmail is the address of a refused item's contact, to name the row, when the
// caller may see the contact.
func (s *Service) contactEmail(ctx context.Context, tx store.Tx, act portal.Actor, id string) string {
	if strings.TrimSpace(id) == "" {
		return ""
	}
	c, err := tx.Contact(ctx, id)
	if err != nil || !act.Administers(c.OrganizationID) {
		return ""
	}
	return c.Email
}
