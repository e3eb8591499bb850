// The session tests sign in end to end: oidc-provider → backend/sso (loopback, PKCE,
// verification) → the portal server's POST /api/v1/session through backend/client → the
// keychain → sign-out, first with the parts alone (this file), then through the Manager
// (manager_test.go), without the desktop App.
package session_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/keychain"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/servertest"
	"gatehouse/backend/server/store"
	"gatehouse/backend/sso"
	"gatehouse/backend/sso/ssotest"
)

type env struct {
	op  *ssotest.Provider
	srv *server.Server
	url string
	ctx context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{op: ssotest.Start(t), ctx: ctx}
	p := servertest.Start(t, server.Config{
		TrustedIssuers: []server.TrustedIssuer{{Issuer: e.op.Issuer, Audiences: []string{ssotest.ClientID}}},
	})
	e.url, e.srv = p.URL, p.Server
	return e
}

// account stores an account for email on the portal, as an administrator would have
// created it (no SSO subject bound yet).
func (e *env) account(t *testing.T, email string, status portal.Status, core string) portal.Account {
	t.Helper()
	now := time.Now().UTC()
	a := portal.Account{
		ID: "acc_" + strings.Split(email, "@")[0], Email: email, Name: portal.NameFromEmail(email),
		Status: status, Kind: portal.KindStaff, CoreRole: core, AdditionalRoles: []string{},
		RegistrationComplete: true, CreatedAt: now, UpdatedAt: now, Source: "invitation",
	}
	err := e.srv.Store().Update(e.ctx, func(tx store.Tx) error { return tx.PutAccount(e.ctx, &a) })
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signIn runs Gatehouse's SSO sign-in as login, with the headless browser as the system
// browser.
func (e *env) signIn(t *testing.T, clientID, login string) *sso.Result {
	t.Helper()
	c, err := sso.NewClient(e.ctx, sso.Config{Issuer: e.op.Issuer, ClientID: clientID, Scopes: []string{"openid", "email", "profile", "offline_access"}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	browserErr := make(chan error, 1)
	open := func(authURL string) error {
		go func() {
			cb, err := ssotest.NewBrowser().SignIn(authURL, login, false)
			if err == nil {
				_, _, err = ssotest.Deliver(t, http.MethodGet, cb, "")
			}
			browserErr <- err
		}()
		return nil
	}
	res, err := c.Login(e.ctx, open, nil)
	if err != nil {
		t.Fatalf("SSO sign-in as %s: %v", login, err)
	}
	if err := <-browserErr; err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSessionFromSSO(t *testing.T) {
	e := newEnv(t)
	e.account(t, "admin@example.org", portal.StatusActive, portal.RoleAdministrator)
	kc := keychain.NewMemory()

	// Sign in, trade the ID token for a session, keep it in the keychain.
	res := e.signIn(t, ssotest.ClientID, "admin@example.org")
	api := client.New(e.url, "")
	sess, err := api.CreateSession(e.ctx, res.RawIDToken)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if sess.Token == "" || !sess.Actor.SystemAdmin || sess.Account.Email != "admin@example.org" {
		t.Fatalf("session = actor %+v, account %q", sess.Actor, sess.Account.Email)
	}
	key := keychain.Key{ServerURL: e.url, Account: res.Claims.Email}
	if err := kc.Store(e.ctx, key, keychain.Secret{SessionToken: sess.Token, RefreshToken: res.RefreshToken, Expiry: sess.ExpiresAt}); err != nil {
		t.Fatalf("keychain Store: %v", err)
	}

	// Next start of the app: the session comes back from the keychain and works.
	stored, err := kc.Load(e.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	later := client.New(e.url, stored.SessionToken)
	me, err := later.Me(e.ctx)
	if err != nil {
		t.Fatalf("Me with the stored session: %v", err)
	}
	if me.Account == nil || me.Account.Email != "admin@example.org" || !me.Actor.SystemAdmin {
		t.Errorf("Me = %+v", me)
	}
	if me.Account.Subject != res.Claims.Subject || me.Account.LastLoginAt == nil {
		t.Errorf("the account was not bound to the SSO subject or the login not recorded: %+v", me.Account)
	}

	// Sign out: the server forgets the session, the keychain forgets the secret.
	if err := later.DeleteSession(e.ctx); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if err := kc.Delete(e.ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Load(e.ctx, key); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("keychain after sign-out: %v", err)
	}
	_, err = client.New(e.url, stored.SessionToken).Me(e.ctx)
	if ce, ok := client.AsError(err); !ok || ce.Status != http.StatusUnauthorized {
		t.Errorf("old session after sign-out: %v, want 401", err)
	}
}

func TestSessionRefused(t *testing.T) {
	e := newEnv(t)
	e.account(t, "waiting@example.org", portal.StatusPending, portal.RoleStaff)
	cases := []struct {
		name, clientID, login string
		status                int
		says                  string
	}{
		{"account not on this portal", ssotest.ClientID, "stranger@example.org", http.StatusForbidden, "has no account on this portal"},
		{"account waiting for approval", ssotest.ClientID, "waiting@example.org", http.StatusForbidden, "not authorized"},
		{"token issued to another application", ssotest.OtherClientID, "stranger@example.org", http.StatusUnauthorized, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.signIn(t, tc.clientID, tc.login)
			_, err := client.New(e.url, "").CreateSession(e.ctx, res.RawIDToken)
			ce, ok := client.AsError(err)
			if !ok || ce.Status != tc.status {
				t.Fatalf("CreateSession = %v, want HTTP %d", err, tc.status)
			}
			msg := portal.ErrorMessage(err)
			if !strings.Contains(msg, tc.says) || strings.HasPrefix(msg, "Something went wrong") {
				t.Errorf("message %q, want a clear sentence containing %q", msg, tc.says)
			}
			t.Logf("%s: %d %s: %s", tc.name, ce.Status, ce.Code, msg)
		})
	}
}
