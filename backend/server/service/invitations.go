package service

import (
	"context"
	netmail "net/mail"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// InvitationURL is the one-time link for a token.
func (s *Service) InvitationURL(token string) string { return s.LinkBase() + "/invite/" + token }

// invite creates the invited account of a contact and its invitation.
func (s *Service) invite(ctx context.Context, tx store.Tx, op portal.Op, c portal.Contact, roles []string, ttl time.Duration, batchID string, send bool) (api.InvitationResult, error) {
	var acc *portal.Account
	var sameEmail []portal.Account
	switch a, err := tx.AccountByContact(ctx, c.ID); {
	case err == nil:
		acc = &a
	case portal.ErrorCode(err) != portal.ENOTFOUND:
		return api.InvitationResult{}, err
	case c.Email != "":
		if sameEmail, err = tx.AccountsByEmail(ctx, c.Email); err != nil {
			return api.InvitationResult{}, err
		}
	}
	b, inv, ev, err := portal.InviteContact(op, c, acc, sameEmail, NewID("acc"), NewID("inv"), ttl, roles)
	if err != nil {
		return api.InvitationResult{}, err
	}
	inv.BatchID = batchID
	token, hash := portal.NewToken()
	if err := tx.PutAccount(ctx, &b); err != nil {
		return api.InvitationResult{}, err
	}
	if err := tx.PutInvitation(ctx, &inv, hash); err != nil {
		return api.InvitationResult{}, err
	}
	if err := audit(ctx, tx, ev); err != nil {
		return api.InvitationResult{}, err
	}
	return s.invitationResult(ctx, tx, op, b, inv, nil, token, send)
}

func (s *Service) invitationResult(ctx context.Context, tx store.Tx, op portal.Op, a portal.Account, inv portal.Invitation, revoked *portal.Invitation, token string, send bool) (api.InvitationResult, error) {
	res := api.InvitationResult{Invitation: inv, Account: a, Revoked: revoked}
	if !send {
		res.Token, res.URL = token, s.InvitationURL(token)
		return res, nil
	}
	set, err := tx.Settings(ctx)
	if err != nil {
		return res, err
	}
	vars := s.vars(ctx, tx, set, a)
	vars[mail.VarInvitationURL] = s.InvitationURL(token)
	vars[mail.VarExpiresAt] = inv.ExpiresAt.Format("2 January 2006 15:04 MST")
	vars[mail.VarInvitedBy] = op.Actor.PersonName()
	if err := s.queueMail(ctx, tx, mail.KeyInvitation, netmail.Address{Name: a.Name, Address: a.Email}, vars); err != nil {
		return res, err
	}
	res.Queued = true
	return res, nil
}

// InvitationQuery selects invitations for ListInvitations.
type InvitationQuery struct {
	OrganizationID string
	AccountID      string
	Status         portal.InvitationStatus
	After          string
	Limit          int
}

// ListInvitations lists the invitations of the organisations the actor administers.
func (s *Service) ListInvitations(ctx context.Context, act portal.Actor, q InvitationQuery) (api.Page[portal.Invitation], error) {
	scope, err := orgScope(act)
	if err != nil {
		return api.Page[portal.Invitation]{}, err
	}
	f := store.InvitationFilter{OrganizationIDs: scope, AccountID: q.AccountID, Status: q.Status, After: q.After, Limit: pageSize(q.Limit)}
	if q.OrganizationID != "" {
		if err := act.CanAdminister(q.OrganizationID); err != nil {
			return api.Page[portal.Invitation]{}, err
		}
		f.OrganizationIDs = []string{q.OrganizationID}
	}
	var page api.Page[portal.Invitation]
	err = s.store.View(ctx, func(r store.Reader) error {
		items, err := r.Invitations(ctx, f)
		page.Items = items
		if len(items) == f.Limit {
			page.Next = items[len(items)-1].ID
		}
		return err
	})
	return page, err
}

// GetInvitation returns one invitation of an organisation the actor administers.
func (s *Service) GetInvitation(ctx context.Context, act portal.Actor, id string) (portal.Invitation, error) {
	if err := act.CanManagePeople(); err != nil {
		return portal.Invitation{}, err
	}
	var inv portal.Invitation
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		inv, err = visibleInvitation(ctx, r, act, id)
		return err
	})
	return inv, err
}

// visibleInvitation loads an invitation of an organisation the actor administers; any
// other is answered as if it did not exist.
func visibleInvitation(ctx context.Context, r store.Reader, act portal.Actor, id string) (portal.Invitation, error) {
	return administered(act, "invitation", id, func(inv portal.Invitation) string { return inv.OrganizationID })(r.Invitation(ctx, id))
}

// Invite invites the person of a contact.
func (s *Service) Invite(ctx context.Context, cmd *Cmd, req api.CreateInvitationRequest) (api.InvitationResult, error) {
	if _, err := portal.InvitationTTLDays(req.ExpiresInDays); err != nil {
		return api.InvitationResult{}, err
	}
	if err := cmd.Actor.CanManagePeople(); err != nil {
		return api.InvitationResult{}, err
	}
	if req.ContactID == "" {
		return api.InvitationResult{}, portal.FieldErrorf("contactId", "Choose the contact to invite.")
	}
	return command(ctx, s, cmd, func(tx store.Tx) (api.InvitationResult, error) {
		op, err := s.op(ctx, tx, cmd.Actor)
		if err != nil {
			return api.InvitationResult{}, err
		}
		return s.inviteContact(ctx, tx, cmd, op, req)
	})
}

// inviteContact is Invite inside its transaction, shared with InviteBulk so that both
// check and write exactly the same.
func (s *Service) inviteContact(ctx context.Context, tx store.Tx, cmd *Cmd, op portal.Op, req api.CreateInvitationRequest) (api.InvitationResult, error) {
	ttl, err := invitationTTL(ctx, tx, req.ExpiresInDays)
	if err != nil {
		return api.InvitationResult{}, err
	}
	c, err := visibleContact(ctx, tx, cmd.Actor, req.ContactID)
	if err != nil {
		return api.InvitationResult{}, err
	}
	if err := checkVersion(cmd, "contact", c.ID, c.Version, c); err != nil {
		return api.InvitationResult{}, err
	}
	return s.invite(ctx, tx, op, c, req.Roles, ttl, req.BatchID, req.Send)
}

// Resend replaces an invitation with a new one; the old link stops working.
func (s *Service) Resend(ctx context.Context, cmd *Cmd, id string, req api.ResendInvitationRequest) (api.InvitationResult, error) {
	if _, err := portal.InvitationTTLDays(req.ExpiresInDays); err != nil {
		return api.InvitationResult{}, err
	}
	if err := cmd.Actor.CanManagePeople(); err != nil {
		return api.InvitationResult{}, err
	}
	return command(ctx, s, cmd, func(tx store.Tx) (api.InvitationResult, error) {
		old, err := visibleInvitation(ctx, tx, cmd.Actor, id)
		if err != nil {
			return api.InvitationResult{}, err
		}
		a, err := tx.Account(ctx, old.AccountID)
		if err != nil {
			return api.InvitationResult{}, err
		}
		op, err := s.op(ctx, tx, cmd.Actor)
		if err != nil {
			return api.InvitationResult{}, err
		}
		ttl, err := invitationTTL(ctx, tx, req.ExpiresInDays)
		if err != nil {
			return api.InvitationResult{}, err
		}
		revoked, fresh, ev, err := portal.Resend(op, a, old, NewID("inv"), ttl)
		if portal.ErrorCode(err) == portal.EFORBIDDEN {
			return api.InvitationResult{}, err
		}
		if verr := checkVersion(cmd, "invitation", id, old.Version, old); verr != nil {
			return api.InvitationResult{}, verr
		}
		if err != nil {
			return api.InvitationResult{}, err
		}
		if revoked.Status != old.Status {
			if err := tx.PutInvitation(ctx, &revoked, ""); err != nil {
				return api.InvitationResult{}, err
			}
		}
		token, hash := portal.NewToken()
		if err := tx.PutInvitation(ctx, &fresh, hash); err != nil {
			return api.InvitationResult{}, err
		}
		if err := audit(ctx, tx, ev); err != nil {
			return api.InvitationResult{}, err
		}
		return s.invitationResult(ctx, tx, op, a, fresh, &revoked, token, req.Send)
	})
}

// Revoke kills a pending invitation link.
func (s *Service) Revoke(ctx context.Context, cmd *Cmd, id string) (portal.Invitation, error) {
	if err := cmd.Actor.CanManagePeople(); err != nil {
		return portal.Invitation{}, err
	}
	return command(ctx, s, cmd, func(tx store.Tx) (portal.Invitation, error) {
		inv, err := visibleInvitation(ctx, tx, cmd.Actor, id)
		if err != nil {
			return portal.Invitation{}, err
		}
		if err := checkVersion(cmd, "invitation", id, inv.Version, inv); err != nil {
			return portal.Invitation{}, err
		}
		op, err := s.op(ctx, tx, cmd.Actor)
		if err != nil {
			return portal.Invitation{}, err
		}
		b, ev, err := portal.Revoke(op, inv)
		if err != nil {
			return portal.Invitation{}, err
		}
		if err := tx.PutInvitation(ctx, &b, ""); err != nil {
			return portal.Invitation{}, err
		}
		return b, audit(ctx, tx, ev)
	})
}

// ExpireInvitations writes down that pending invitations past their expiry have expired,
// so that followers of the change feed see it. It returns how many it marked.
func (s *Service) ExpireInvitations(ctx context.Context) (int, error) {
	n := 0
	err := s.store.Update(ctx, func(tx store.Tx) error {
		now := s.clock.Now()
		invs, err := tx.Invitations(ctx, store.InvitationFilter{ExpiredBy: now, Limit: 1000})
		if err != nil {
			return err
		}
		for _, inv := range invs {
			b, ev, err := portal.Expire(now, inv)
			if err != nil {
				return err
			}
			if err := tx.PutInvitation(ctx, &b, ""); err != nil {
				return err
			}
			if err := audit(ctx, tx, ev); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
