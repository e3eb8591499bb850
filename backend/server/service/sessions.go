package service

import (
	"context"
	"fmt"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// Session kinds.
const (
	SessionAPI = "api" // admin clients, Authorization: Bearer
	SessionWeb = "web" // end-user pages, a cookie
)

// findAccount finds the account of an SSO identity: the one bound to its subject, or else
// (only when the provider vouches for the address) an unbound account with its e-mail.
func findAccount(ctx context.Context, r store.Reader, id portal.SSOIdentity, emailVerified bool, trust portal.IssuerTrust) (portal.Account, bool, error) {
	a, err := r.AccountBySubject(ctx, id.Source, id.Subject)
	if err == nil {
		return a, true, nil
	}
	if portal.ErrorCode(err) != portal.ENOTFOUND {
		return portal.Account{}, false, err
	}
	if !emailVerified || id.Email == "" {
		return portal.Account{}, false, nil
	}
	accs, err := r.AccountsByEmail(ctx, id.Email)
	if err != nil {
		return portal.Account{}, false, err
	}
	var found *portal.Account
	for i := range accs {
		if accs[i].Subject != "" {
			continue // bound to another identity
		}
		if found == nil || (found.Status != portal.StatusActive && accs[i].Status == portal.StatusActive) {
			found = &accs[i]
		}
	}
	if found == nil {
		return portal.Account{}, false, nil
	}
	if err := trust.MayLink(*found, id.Source); err != nil {
		return portal.Account{}, false, err
	}
	return *found, true, nil
}

// issueSession stores a new session for the account and returns its token.
func (s *Service) issueSession(ctx context.Context, tx store.Tx, accountID, kind string) (string, time.Time, error) {
	token, hash := portal.NewToken()
	ttl := s.apiTTL
	if kind == SessionWeb {
		// As long as the portal's setting says, within what the server's operator allows.
		set, err := tx.Settings(ctx)
		if err != nil {
			return "", time.Time{}, err
		}
		ttl = time.Duration(set.SessionHours) * time.Hour
		if s.webCap > 0 && ttl > s.webCap {
			ttl = s.webCap
		}
	}
	now := s.clock.Now()
	exp := now.Add(ttl)
	err := tx.CreateSession(ctx, store.Session{TokenHash: hash, AccountID: accountID, Kind: kind, CreatedAt: now, ExpiresAt: exp})
	return token, exp, err
}

// IssueSession creates a session for an account without signing in, for operators'
// tools and tests. It records no login.
func (s *Service) IssueSession(ctx context.Context, accountID, kind string) (string, error) {
	var token string
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Account(ctx, accountID); err != nil {
			return err
		}
		var err error
		token, _, err = s.issueSession(ctx, tx, accountID, kind)
		return err
	})
	return token, err
}

// signIn lets an account in through portal.SignIn, records the login and its audit event,
// and opens a session of the given kind.
func (s *Service) signIn(ctx context.Context, tx store.Tx, a portal.Account, kind string) (portal.Account, string, time.Time, error) {
	b, ev, err := portal.SignIn(s.clock.Now(), a)
	if err != nil {
		return a, "", time.Time{}, err
	}
	if err := tx.PutAccount(ctx, &b); err != nil {
		return a, "", time.Time{}, err
	}
	if err := audit(ctx, tx, ev); err != nil {
		return a, "", time.Time{}, err
	}
	token, exp, err := s.issueSession(ctx, tx, b.ID, kind)
	return b, token, exp, err
}

// CreateAPISession trades a verified SSO identity for an API session. The person must
// already have an active account; nobody is signed up through the admin API.
func (s *Service) CreateAPISession(ctx context.Context, id portal.SSOIdentity, emailVerified bool, use IDTokenUse) (api.Session, error) {
	var out api.Session
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if use.KeyHash == "" {
			return fmt.Errorf("create an API session: the ID token's use key is missing")
		}
		// An ID token buys one session. A client whose answer was lost, or whose provider
		// renewed with the very token it gave a moment before, asks the provider for a new
		// one (the desktop does, on portal.IsIDTokenSpent).
		if first, fresh, err := tx.UseIDToken(ctx, use.KeyHash, use.Expires, s.clock.Now()); err != nil {
			return err
		} else if !fresh {
			return portal.IDTokenSpent(first)
		}
		a, ok, err := findAccount(ctx, tx, id, emailVerified, s.trust)
		if err != nil {
			return err
		}
		if !ok {
			return portal.Errorf(portal.EFORBIDDEN, "%s has no account on this portal. Ask a system administrator to invite you or to add your SSO identity.", orDefault(id.Email, "This identity"))
		}
		if bound, changed := portal.BindIdentity(a, id); changed {
			a = bound
			if err := tx.PutAccount(ctx, &a); err != nil {
				return err
			}
		}
		b, token, exp, err := s.signIn(ctx, tx, a, SessionAPI)
		if err != nil {
			return err
		}
		roles, err := tx.Roles(ctx)
		if err != nil {
			return err
		}
		out = api.Session{Token: token, ExpiresAt: exp, Account: b, Actor: portal.ActorFor(b, portal.NewRoles(roles...))}
		return nil
	})
	return out, err
}

// IDTokenUse is how a traded ID token is remembered: a hash of what identifies it, kept
// until it expires.
type IDTokenUse struct {
	KeyHash string
	Expires time.Time
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Authenticate checks a session token of the given kind and returns its session.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (store.Session, error) {
	var sess store.Session
	// One read: no snapshot needed (Store.Read), as on every request.
	err := s.store.Read(ctx, func(r store.Reader) error {
		var err error
		sess, err = r.Session(ctx, portal.HashToken(token))
		return err
	})
	switch {
	case err != nil:
		return sess, err
	case sess.Kind != kind:
		return sess, portal.Errorf(portal.EUNAUTHORIZED, "This token is not an API session token. Sign in again.")
	case !sess.RevokedAt.IsZero():
		return sess, portal.Errorf(portal.EUNAUTHORIZED, "You signed out of this session. Sign in again.")
	case !s.clock.Now().Before(sess.ExpiresAt):
		return sess, portal.Errorf(portal.EUNAUTHORIZED, "Your session expired at %s. Sign in again.", sess.ExpiresAt.Format(time.RFC3339))
	}
	return sess, nil
}

// RevokeSession ends a session.
func (s *Service) RevokeSession(ctx context.Context, token string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		return tx.RevokeSession(ctx, portal.HashToken(token), s.clock.Now())
	})
}

// Prune deletes expired sessions, sign-in states, approval links and idempotency keys
// older than keep.
func (s *Service) Prune(ctx context.Context, keep time.Duration) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		return tx.PruneBefore(ctx, s.clock.Now().Add(-keep))
	})
}
