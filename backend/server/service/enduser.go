package service

import (
	"context"
	"fmt"
	netmail "net/mail"
	"net/url"
	"slices"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// SignInResult is the outcome of an end user's sign-in. Refusal, when set, is why the
// account may not use the portal (pending, denied, deactivated...); Session is still set
// for a pending account, so that the person can request access.
type SignInResult struct {
	Account portal.Account
	Session string
	Refusal error
}

// SignInSSO signs an end user in with a verified SSO identity, signing them up on their
// first visit according to the portal's sign-up mode.
func (s *Service) SignInSSO(ctx context.Context, id portal.SSOIdentity, emailVerified bool) (SignInResult, error) {
	var res SignInResult
	err := s.store.Update(ctx, func(tx store.Tx) error {
		a, ok, err := findAccount(ctx, tx, id, emailVerified, s.trust)
		if err != nil {
			return err
		}
		if ok {
			if bound, changed := portal.BindIdentity(a, id); changed {
				a = bound
				if err := tx.PutAccount(ctx, &a); err != nil {
					return err
				}
			}
		} else {
			if !emailVerified {
				return portal.Errorf(portal.EFORBIDDEN, "Your identity provider did not confirm your e-mail address, so no account can be made for you. Ask your administrator.")
			}
			set, err := tx.Settings(ctx)
			if err != nil {
				return err
			}
			a, ev, err := portal.SignUp(s.clock.Now(), set.SignUpMode, id, NewID("acc"))
			if err != nil {
				return err
			}
			// Link the person to their contact when exactly one contact has the address.
			if cs, err := tx.Contacts(ctx, store.ContactFilter{Email: a.Email, Limit: 2}); err == nil && len(cs) == 1 {
				a.ContactID, a.OrganizationID = cs[0].ID, cs[0].OrganizationID
				ev.OrganizationID = a.OrganizationID
			}
			if err := tx.PutAccount(ctx, &a); err != nil {
				return err
			}
			ev.After = jsonOf(a)
			if err := audit(ctx, tx, ev); err != nil {
				return err
			}
			return s.finishSignIn(ctx, tx, a, &res)
		}
		return s.finishSignIn(ctx, tx, a, &res)
	})
	return res, err
}

// finishSignIn signs an account in or records why not; a pending person gets a session
// that only lets them request access.
func (s *Service) finishSignIn(ctx context.Context, tx store.Tx, a portal.Account, res *SignInResult) error {
	b, token, _, err := s.signIn(ctx, tx, a, SessionWeb)
	if code := portal.ErrorCode(err); code == portal.EFORBIDDEN || code == portal.ENOTFOUND {
		res.Account, res.Refusal = a, err
		if a.Status == portal.StatusPending {
			res.Session, _, err = s.issueSession(ctx, tx, a.ID, SessionWeb)
			return err
		}
		return nil
	} else if err != nil {
		return err
	}
	res.Account, res.Session = b, token
	return nil
}

// dummyHash keeps password checks for unknown addresses as slow as for known ones.
var dummyHash = HashPassword("gatehouse-timing-equaliser")

// SignInPassword signs an end user in with the e-mail and password set through an
// invitation.
func (s *Service) SignInPassword(ctx context.Context, email, password, addr string) (SignInResult, error) {
	wrong := portal.Errorf(portal.EUNAUTHORIZED, "The e-mail address or the password is wrong. Check both and try again.")
	keys := []throttleKey{{throttlePasswordAccount, portal.NormalizeEmail(email)}, {throttlePasswordAddress, addr}}
	if err := s.checkThrottles(ctx, keys...); err != nil {
		return SignInResult{}, err
	}
	// The hashes are read, then checked outside any transaction: an argon2 check holds
	// neither a database connection nor more than its share of the cores.
	type candidate struct{ id, hash string }
	var cands []candidate
	err := s.store.View(ctx, func(r store.Reader) error {
		accs, err := r.AccountsByEmail(ctx, email)
		if err != nil {
			return err
		}
		for _, a := range accs {
			if h, err := r.PasswordHash(ctx, a.ID); err == nil {
				cands = append(cands, candidate{a.ID, h})
			}
		}
		return nil
	})
	if err != nil {
		return SignInResult{}, err
	}
	id := ""
	if len(cands) == 0 {
		// As slow as a real check, so that the answer's time does not tell who has an account.
		if _, err := verifyPasswordBounded(ctx, password, dummyHash); err != nil {
			return SignInResult{}, err
		}
	}
	for _, c := range cands {
		ok, err := verifyPasswordBounded(ctx, password, c.hash)
		if err != nil {
			return SignInResult{}, err
		}
		if ok {
			id = c.id
			break
		}
	}
	if id == "" {
		if err := s.hitThrottles(ctx, keys...); err != nil {
			return SignInResult{}, err
		}
		return SignInResult{}, wrong
	}
	if err := s.clearThrottle(ctx, keys[0]); err != nil {
		return SignInResult{}, err
	}
	var res SignInResult
	err = s.store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.Account(ctx, id)
		if err != nil {
			return err
		}
		return s.finishSignIn(ctx, tx, a, &res)
	})
	return res, err
}

// WebAccount returns the account of an end-user session.
func (s *Service) WebAccount(ctx context.Context, token string) (portal.Account, error) {
	sess, err := s.Authenticate(ctx, token, SessionWeb)
	if err != nil {
		return portal.Account{}, err
	}
	var a portal.Account
	err = s.store.View(ctx, func(r store.Reader) error {
		a, err = r.Account(ctx, sess.AccountID)
		return err
	})
	return a, err
}

// PageText renders a page template (heading and body) for an account.
func (s *Service) PageText(ctx context.Context, key string, a *portal.Account, extra map[string]string) (heading, body string, segments []mail.Segment, err error) {
	err = s.store.View(ctx, func(r store.Reader) error {
		set, err := r.Settings(ctx)
		if err != nil {
			return err
		}
		t, err := s.template(ctx, r, key)
		if err != nil {
			return err
		}
		vars := map[string]string{mail.VarProductName: set.ProductName, mail.VarSignInURL: s.LinkBase() + "/"}
		if a != nil {
			vars = s.vars(ctx, r, set, *a)
		}
		for k, v := range extra {
			vars[k] = v
		}
		heading, body = mail.Render(t.Subject, vars), t.Body
		segments = mail.RenderSegments(t.Body, vars)
		return nil
	})
	return heading, body, segments, err
}

// AccessSentence says what the account is, with its roles by name, for its holder.
func (s *Service) AccessSentence(ctx context.Context, a portal.Account) (string, error) {
	var out string
	err := s.store.View(ctx, func(r store.Reader) error {
		rs, err := r.Roles(ctx)
		if err != nil {
			return err
		}
		out = portal.NewRoles(rs...).AccessSentence(a)
		return nil
	})
	return out, err
}

// ProductName is the portal's name from the settings.
func (s *Service) ProductName(ctx context.Context) string {
	set, err := s.settings(ctx)
	if err != nil {
		return "Gatehouse"
	}
	return set.ProductName
}

// recipient is one approver to e-mail.
type recipient struct {
	accountID string
	addr      netmail.Address
}

func (s *Service) approvers(ctx context.Context, r store.Reader, set api.Settings, a portal.Account) ([]recipient, error) {
	var out []recipient
	if len(set.ApproverEmails) > 0 {
		for _, e := range set.ApproverEmails {
			out = append(out, recipient{addr: netmail.Address{Address: e}})
		}
		return out, nil
	}
	accs, err := r.AccountsWithPermission(ctx, portal.PermUserSetup, portal.PermSystemAdmin)
	if err != nil {
		return nil, err
	}
	roles, err := r.Roles(ctx)
	if err != nil {
		return nil, err
	}
	rs := portal.NewRoles(roles...)
	for _, x := range accs {
		if x.ID != a.ID && x.Email != "" && portal.ActorFor(x, rs).MayDecide(a) {
			out = append(out, recipient{accountID: x.ID, addr: netmail.Address{Name: x.Name, Address: x.Email}})
		}
	}
	return out, nil
}

// RequestAccess e-mails every approver (or the configured addresses) that a pending
// person asks for access, at most once per the configured interval.
func (s *Service) RequestAccess(ctx context.Context, accountID, addr string) (portal.Account, error) {
	// Each account asks once per interval (portal.RequestAccess); one address asking for
	// many accounts (each a new sign-up) is held back too, so the approvers' inboxes are not
	// the target.
	key := throttleKey{throttleRequestAddress, addr}
	if err := s.checkThrottles(ctx, key); err != nil {
		return portal.Account{}, err
	}
	if err := s.hitThrottles(ctx, key); err != nil {
		return portal.Account{}, err
	}
	var out portal.Account
	err := s.store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.Account(ctx, accountID)
		if err != nil {
			return err
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		b, ev, err := portal.RequestAccess(now, a, time.Duration(set.RequestAccessIntervalMinutes)*time.Minute)
		if err != nil {
			return err
		}
		rcpts, err := s.approvers(ctx, tx, set, a)
		if err != nil {
			return err
		}
		if len(rcpts) == 0 {
			return portal.Errorf(portal.ECONFLICT, "This portal has no approver to send your request to yet. Contact the organisation that runs it by other means.")
		}
		if err := tx.PutAccount(ctx, &b); err != nil {
			return err
		}
		if err := audit(ctx, tx, ev); err != nil {
			return err
		}
		req := portal.AccessRequest{ID: NewID("req"), AccountID: a.ID, RequestedAt: now}
		for _, rc := range rcpts {
			token, hash := portal.NewToken()
			if err := tx.PutApprovalToken(ctx, store.ApprovalToken{TokenHash: hash, AccountID: a.ID, ApproverID: rc.accountID, ApproverEmail: rc.addr.Address, CreatedAt: now, ExpiresAt: now.Add(s.linkTTL)}); err != nil {
				return err
			}
			vars := s.vars(ctx, tx, set, b)
			vars[mail.VarApproveURL] = s.ApprovalURL("approve", token)
			vars[mail.VarDenyURL] = s.ApprovalURL("deny", token)
			if err := s.queueMail(ctx, tx, mail.KeyAccessRequest, rc.addr, vars); err != nil {
				return err
			}
			req.NotifiedTo = append(req.NotifiedTo, rc.addr.Address)
		}
		out = b
		return tx.AddAccessRequest(ctx, req)
	})
	if err == nil {
		s.wakeMailer()
	}
	return out, err
}

// ApprovalURL is an approver's link to a decision page.
func (s *Service) ApprovalURL(decision, token string) string {
	return s.LinkBase() + "/approvals/" + decision + "?token=" + url.QueryEscape(token)
}

// ApprovalView is what an approval link shows.
type ApprovalView struct {
	Account  portal.Account
	Approver string
}

func (s *Service) checkLink(t store.ApprovalToken) error {
	if !t.UsedAt.IsZero() {
		return portal.Errorf(portal.ECONFLICT, "This approval link was already used: the request has been decided. Open the portal's administration to see or change the decision.")
	}
	if !s.clock.Now().Before(t.ExpiresAt) {
		return portal.Errorf(portal.ECONFLICT, "This approval link expired on %s. Decide the request in the portal's administration instead.", t.ExpiresAt.Format("2 January 2006"))
	}
	return nil
}

func (s *Service) linkActor(ctx context.Context, r store.Reader, t store.ApprovalToken) (portal.Actor, error) {
	if t.ApproverID == "" {
		set, err := r.Settings(ctx)
		if err != nil {
			return portal.Actor{}, err
		}
		if !slices.Contains(set.ApproverEmails, t.ApproverEmail) {
			return portal.Actor{}, portal.Errorf(portal.EFORBIDDEN, "%s is no longer one of this portal's approvers, so this link no longer works.", t.ApproverEmail)
		}
		return portal.Actor{ID: "approver:" + t.ApproverEmail, Name: t.ApproverEmail, UserSetup: true}, nil
	}
	acc, err := r.Account(ctx, t.ApproverID)
	if err != nil {
		return portal.Actor{}, portal.Errorf(portal.EFORBIDDEN, "The approver this link was sent to no longer has an account here.")
	}
	roles, err := r.Roles(ctx)
	if err != nil {
		return portal.Actor{}, err
	}
	return portal.ActorFor(acc, portal.NewRoles(roles...)), nil
}

// ApprovalLink returns what an approval link is about, without deciding anything: mail
// scanners open links, so only the confirming POST acts.
func (s *Service) ApprovalLink(ctx context.Context, token string) (ApprovalView, error) {
	var v ApprovalView
	err := s.store.View(ctx, func(r store.Reader) error {
		t, err := r.ApprovalToken(ctx, portal.HashToken(token))
		if err != nil {
			return err
		}
		if err := s.checkLink(t); err != nil {
			return err
		}
		act, err := s.linkActor(ctx, r, t)
		if err != nil {
			return err
		}
		if v.Account, err = r.Account(ctx, t.AccountID); err != nil {
			return err
		}
		if !act.MayDecide(v.Account) {
			return portal.Errorf(portal.EFORBIDDEN, "You no longer have the user-setup permission, so you cannot decide this request.")
		}
		v.Approver = act.Name
		return nil
	})
	return v, err
}

// DecideByLink approves or denies the request an approval link is about. The link works
// once: any decision retires every link of that request.
func (s *Service) DecideByLink(ctx context.Context, token string, approve bool, reason string) (portal.Account, error) {
	var out portal.Account
	err := s.store.Update(ctx, func(tx store.Tx) error {
		t, err := tx.ApprovalToken(ctx, portal.HashToken(token))
		if err != nil {
			return err
		}
		if err := s.checkLink(t); err != nil {
			return err
		}
		act, err := s.linkActor(ctx, tx, t)
		if err != nil {
			return err
		}
		a, err := tx.Account(ctx, t.AccountID)
		if err != nil {
			return err
		}
		op, err := s.opFor(ctx, tx, act, a)
		if err != nil {
			return err
		}
		var b portal.Account
		var ev portal.AuditEvent
		if approve {
			b, ev, err = portal.Approve(op, a)
		} else {
			b, ev, err = portal.Deny(op, a, reason)
		}
		if err != nil {
			return err
		}
		if err := tx.PutAccount(ctx, &b); err != nil {
			return err
		}
		if err := audit(ctx, tx, ev); err != nil {
			return err
		}
		out = b
		return s.afterDecision(ctx)(tx, a, b)
	})
	if err == nil {
		s.wakeMailer()
	}
	return out, err
}

// InvitationFrom is InvitationForToken for a link opened from addr: links that are not one
// (guesses), too many from one address, are refused for a while.
func (s *Service) InvitationFrom(ctx context.Context, token, addr string) (portal.Invitation, portal.Account, error) {
	key := throttleKey{throttleInviteAddress, addr}
	if err := s.checkThrottles(ctx, key); err != nil {
		return portal.Invitation{}, portal.Account{}, err
	}
	inv, a, err := s.InvitationForToken(ctx, token)
	if code := portal.ErrorCode(err); code == portal.ENOTFOUND || code == portal.EUNAUTHORIZED {
		if herr := s.hitThrottles(ctx, key); herr != nil {
			return inv, a, herr
		}
	}
	return inv, a, err
}

// InvitationForToken returns the invitation of a one-time link if it can still be used.
func (s *Service) InvitationForToken(ctx context.Context, token string) (portal.Invitation, portal.Account, error) {
	var inv portal.Invitation
	var a portal.Account
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if inv, err = r.InvitationByTokenHash(ctx, portal.HashToken(token)); err != nil {
			return err
		}
		if a, err = r.Account(ctx, inv.AccountID); err != nil {
			return err
		}
		_, _, _, err = portal.Accept(s.clock.Now(), a, inv)
		return err
	})
	return inv, a, err
}

// accept activates the account of an invitation, applies bindTo to it, signs the person
// in and opens a web session.
func (s *Service) accept(ctx context.Context, tx store.Tx, tokenHash string, bindTo func(a *portal.Account) error) (SignInResult, error) {
	inv, err := tx.InvitationByTokenHash(ctx, tokenHash)
	if err != nil {
		return SignInResult{}, err
	}
	a, err := tx.Account(ctx, inv.AccountID)
	if err != nil {
		return SignInResult{}, err
	}
	now := s.clock.Now()
	b, done, ev, err := portal.Accept(now, a, inv)
	if err != nil {
		return SignInResult{}, err
	}
	if err := bindTo(&b); err != nil {
		return SignInResult{}, err
	}
	if err := tx.PutInvitation(ctx, &done, ""); err != nil {
		return SignInResult{}, err
	}
	ev.After = jsonOf(b)
	if err := audit(ctx, tx, ev); err != nil {
		return SignInResult{}, err
	}
	var res SignInResult
	return res, s.finishSignIn(ctx, tx, b, &res)
}

// AcceptWithPassword uses a one-time invitation link to set the person's password.
func (s *Service) AcceptWithPassword(ctx context.Context, token, password, addr string) (SignInResult, error) {
	if err := CheckPassword(password); err != nil {
		return SignInResult{}, err
	}
	if _, _, err := s.InvitationFrom(ctx, token, addr); err != nil {
		return SignInResult{}, err
	}
	hash := HashPassword(password) // slow on purpose: outside the write transaction
	var res SignInResult
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		res, err = s.accept(ctx, tx, portal.HashToken(token), func(a *portal.Account) error {
			return tx.SetPasswordHash(ctx, a.ID, hash, s.clock.Now())
		})
		return err
	})
	return res, err
}

// AcceptWithSSO uses a one-time invitation link, identified by its hash, to bind the
// person's SSO identity to their account: only an identity whose provider confirmed the
// invited address.
func (s *Service) AcceptWithSSO(ctx context.Context, tokenHash string, id portal.SSOIdentity, emailVerified bool) (SignInResult, error) {
	var res SignInResult
	err := s.store.Update(ctx, func(tx store.Tx) error {
		inv, err := tx.InvitationByTokenHash(ctx, tokenHash)
		if err != nil {
			return err
		}
		if err := portal.CheckInvitationIdentity(inv, id.Email, emailVerified); err != nil {
			return err
		}
		res, err = s.accept(ctx, tx, tokenHash, func(a *portal.Account) error {
			if other, err := tx.AccountBySubject(ctx, id.Source, id.Subject); err == nil && other.ID != a.ID {
				return portal.Errorf(portal.ECONFLICT, "This SSO identity already belongs to another account on this portal (%s). Sign in with it directly, or use the invitation with a password.", other.Email)
			}
			a.Subject, a.Source = id.Subject, id.Source
			return nil
		})
		return err
	})
	return res, err
}

// CompleteOwnRegistration lets a client who signed up through SSO finish registering.
func (s *Service) CompleteOwnRegistration(ctx context.Context, accountID, name string) (portal.Account, error) {
	var out portal.Account
	err := s.store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.Account(ctx, accountID)
		if err != nil {
			return err
		}
		if name != "" {
			a.Name = name
		}
		b, ev, err := portal.CompleteRegistration(portal.Op{Now: s.clock.Now(), Actor: portal.SelfActor(a)}, a)
		if err != nil {
			return err
		}
		if err := tx.PutAccount(ctx, &b); err != nil {
			return err
		}
		out = b
		return audit(ctx, tx, ev)
	})
	return out, err
}

// SaveOIDCState remembers an end-user sign-in in flight, started from addr: each start is
// counted against the address, and a flood is refused before it fills the table.
func (s *Service) SaveOIDCState(ctx context.Context, st store.OIDCState, addr string) error {
	key := throttleKey{throttleLoginAddress, addr}
	if err := s.checkThrottles(ctx, key); err != nil {
		return err
	}
	if err := s.hitThrottles(ctx, key); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error { return tx.PutOIDCState(ctx, st) })
}

// TakeOIDCState returns and forgets a sign-in in flight: each state is good once.
func (s *Service) TakeOIDCState(ctx context.Context, stateHash string) (store.OIDCState, error) {
	var st store.OIDCState
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if st, err = tx.OIDCState(ctx, stateHash); err != nil {
			return err
		}
		if err := tx.DeleteOIDCState(ctx, stateHash); err != nil {
			return err
		}
		if !s.clock.Now().Before(st.ExpiresAt) {
			return fmt.Errorf("%w", portal.Errorf(portal.EUNAUTHORIZED, "The sign-in took too long. Start signing in again."))
		}
		return nil
	})
	return st, err
}
