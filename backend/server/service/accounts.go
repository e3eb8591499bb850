package service

import (
	"context"
	netmail "net/mail"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// AccountQuery selects accounts for ListAccounts.
type AccountQuery = api.AccountQuery

// ListAccounts lists the accounts the actor may see: everything for system
// administrators and approvers, their own organisation's for organisation administrators.
func (s *Service) ListAccounts(ctx context.Context, act portal.Actor, q AccountQuery) (api.Page[portal.Account], error) {
	var scope []string
	switch {
	case act.SystemAdmin || act.UserSetup:
	case act.OrgAdminOf != "":
		scope = []string{act.OrgAdminOf}
	default:
		return api.Page[portal.Account]{}, errNoAdminRights()
	}
	f := store.AccountFilter{OrganizationIDs: scope, Status: q.Status, Kind: q.Kind, Role: q.Role, Query: q.Query, After: q.After, Limit: pageSize(q.Limit)}
	if q.OrganizationID != "" {
		if scope != nil && scope[0] != q.OrganizationID {
			return api.Page[portal.Account]{}, act.CanAdminister(q.OrganizationID)
		}
		f.OrganizationIDs = []string{q.OrganizationID}
	}
	var page api.Page[portal.Account]
	err := s.store.View(ctx, func(r store.Reader) error {
		items, err := r.Accounts(ctx, f)
		page.Items = items
		if len(items) == f.Limit {
			page.Next = items[len(items)-1].ID
		}
		return err
	})
	return page, err
}

// GetAccount returns one account the actor may see.
func (s *Service) GetAccount(ctx context.Context, act portal.Actor, id string) (portal.Account, error) {
	if !act.MayReadAdmin() {
		return portal.Account{}, errNoAdminRights()
	}
	var a portal.Account
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		a, err = visibleAccount(ctx, r, act, id)
		return err
	})
	return a, err
}

// visibleAccount loads an account the actor may see. One they may not see is answered as
// if it did not exist, so that nobody can probe for the accounts of other organisations.
func visibleAccount(ctx context.Context, r store.Reader, act portal.Actor, id string) (portal.Account, error) {
	a, err := r.Account(ctx, id)
	if err != nil {
		return portal.Account{}, err
	}
	if !act.MaySee(a) {
		return portal.Account{}, portal.NotFound("account", id)
	}
	return a, nil
}

// accountCommand loads an account, checks the sender's version, applies a transition and
// stores the result with its audit event.
func (s *Service) accountCommand(ctx context.Context, cmd *Cmd, id string,
	apply func(tx store.Tx, op portal.Op, a portal.Account) (portal.Account, portal.AuditEvent, error),
	after func(tx store.Tx, before, a portal.Account) error,
) (portal.Account, error) {
	// Permission first: nothing about the account (its existence, version or record) is
	// told to a caller who may not act on accounts at all, or may not see this one.
	if !cmd.Actor.MayReadAdmin() {
		return portal.Account{}, errNoAdminRights()
	}
	return command(ctx, s, cmd, func(tx store.Tx) (portal.Account, error) {
		a, err := visibleAccount(ctx, tx, cmd.Actor, id)
		if err != nil {
			return portal.Account{}, err
		}
		op, err := s.opFor(ctx, tx, cmd.Actor, a)
		if err != nil {
			return portal.Account{}, err
		}
		// A refusal for who the caller is comes before the version check; the rest of the
		// transition's refusals (status, last administrator) after it, since a stale view
		// explains them.
		b, ev, err := apply(tx, op, a)
		if portal.ErrorCode(err) == portal.EFORBIDDEN {
			return portal.Account{}, err
		}
		if err := checkVersion(cmd, "account", a.ID, a.Version, a); err != nil {
			return portal.Account{}, err
		}
		if err != nil {
			return portal.Account{}, err
		}
		if err := storeAccount(ctx, tx, op, a, &b, ev); err != nil {
			return portal.Account{}, err
		}
		if after != nil {
			if err := after(tx, a, b); err != nil {
				return portal.Account{}, err
			}
		}
		return b, nil
	})
}

// afterDecision retires the account's approval links and e-mails the person.
func (s *Service) afterDecision(ctx context.Context) func(tx store.Tx, before, a portal.Account) error {
	return func(tx store.Tx, before, a portal.Account) error {
		if err := tx.UseApprovalTokens(ctx, a.ID, s.clock.Now()); err != nil {
			return err
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		to := netmail.Address{Name: a.Name, Address: a.Email}
		switch a.Status {
		case portal.StatusActive:
			return s.queueMail(ctx, tx, mail.KeyApproved, to, s.vars(ctx, tx, set, a))
		case portal.StatusDenied:
			if set.NotifyDenied {
				return s.queueMail(ctx, tx, mail.KeyDenied, to, s.vars(ctx, tx, set, a))
			}
		}
		return nil
	}
}

// rule adapts a portal rule on one account, which needs nothing else from the
// transaction, to accountCommand's step.
func rule(apply func(portal.Op, portal.Account) (portal.Account, portal.AuditEvent, error)) func(store.Tx, portal.Op, portal.Account) (portal.Account, portal.AuditEvent, error) {
	return func(_ store.Tx, op portal.Op, a portal.Account) (portal.Account, portal.AuditEvent, error) {
		return apply(op, a)
	}
}

// Approve activates a pending account and e-mails the person.
func (s *Service) Approve(ctx context.Context, cmd *Cmd, id string) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, rule(portal.Approve), s.afterDecision(ctx))
}

// Deny refuses a pending account with a reason; it goes to the recycle bin.
func (s *Service) Deny(ctx context.Context, cmd *Cmd, id, reason string) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, func(_ store.Tx, op portal.Op, a portal.Account) (portal.Account, portal.AuditEvent, error) {
		return portal.Deny(op, a, reason)
	}, s.afterDecision(ctx))
}

// ApproveInstead activates a denied account.
func (s *Service) ApproveInstead(ctx context.Context, cmd *Cmd, id string) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, rule(portal.ApproveInstead), s.afterDecision(ctx))
}

// Restore takes a denied account out of the recycle bin as an active account.
func (s *Service) Restore(ctx context.Context, cmd *Cmd, id string) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, rule(portal.Restore), s.afterDecision(ctx))
}

// Deactivate suspends an active account.
func (s *Service) Deactivate(ctx context.Context, cmd *Cmd, id string) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, rule(portal.Deactivate), nil)
}

// Reactivate lets a deactivated account sign in again.
func (s *Service) Reactivate(ctx context.Context, cmd *Cmd, id string) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, rule(portal.Reactivate), nil)
}

// Promote turns an active client into a staff user with roles.
func (s *Service) Promote(ctx context.Context, cmd *Cmd, id string, req api.PromoteRequest) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, func(_ store.Tx, op portal.Op, a portal.Account) (portal.Account, portal.AuditEvent, error) {
		return portal.Promote(op, a, req.CoreRole, req.AdditionalRoles, req.DeleteClientRecord)
	}, nil)
}

// SetRoles replaces an account's roles.
func (s *Service) SetRoles(ctx context.Context, cmd *Cmd, id string, req api.SetRolesRequest) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, func(_ store.Tx, op portal.Op, a portal.Account) (portal.Account, portal.AuditEvent, error) {
		return portal.SetRoles(op, a, req.CoreRole, req.AdditionalRoles)
	}, nil)
}

// SetOrgAdmin makes an account an administrator of its organisation, or takes it away.
func (s *Service) SetOrgAdmin(ctx context.Context, cmd *Cmd, id string, admin bool) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, func(_ store.Tx, op portal.Op, a portal.Account) (portal.Account, portal.AuditEvent, error) {
		return portal.SetOrgAdmin(op, a, admin)
	}, nil)
}

// CompleteRegistration marks a ghost account's registration as finished.
func (s *Service) CompleteRegistration(ctx context.Context, cmd *Cmd, id string) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, rule(portal.CompleteRegistration), nil)
}

// DeleteClientRecord drops the client record a staff user kept at promotion.
func (s *Service) DeleteClientRecord(ctx context.Context, cmd *Cmd, id string) (portal.Account, error) {
	return s.accountCommand(ctx, cmd, id, rule(portal.DeleteClientRecord), nil)
}

// Purge removes a denied account for good, with its invitations; the audit trail stays.
func (s *Service) Purge(ctx context.Context, cmd *Cmd, id string) (struct{}, error) {
	// Only system administrators purge: the others are refused before the account is read,
	// so a stale If-Match cannot make the server show it to them.
	if err := cmd.Actor.CanSystem(); err != nil {
		return struct{}{}, err
	}
	return command(ctx, s, cmd, func(tx store.Tx) (struct{}, error) {
		a, err := tx.Account(ctx, id)
		if err != nil {
			return struct{}{}, err
		}
		op, err := s.op(ctx, tx, cmd.Actor)
		if err != nil {
			return struct{}{}, err
		}
		ev, err := portal.Purge(op, a)
		if verr := checkVersion(cmd, "account", a.ID, a.Version, a); verr != nil {
			return struct{}{}, verr
		}
		if err != nil {
			return struct{}{}, err
		}
		invs, err := tx.Invitations(ctx, store.InvitationFilter{AccountID: a.ID})
		if err != nil {
			return struct{}{}, err
		}
		for _, inv := range invs {
			if err := tx.DeleteInvitation(ctx, inv.ID); err != nil {
				return struct{}{}, err
			}
		}
		if err := tx.DeleteAccount(ctx, a.ID); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, audit(ctx, tx, ev)
	})
}
