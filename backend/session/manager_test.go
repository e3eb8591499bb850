package session_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/keychain"
	"gatehouse/backend/portal"
	"gatehouse/backend/session"
	"gatehouse/backend/sso/ssotest"
)

// host is the desktop around the Manager, as small as the Host interface: a real cache
// file, a remote server address, and the events it was told of.
type host struct {
	db  *cache.DB
	url string

	mu     sync.Mutex
	events []string
	got    chan string
	syncs  int
}

func (h *host) Cache() (*cache.DB, error)       { return h.db, nil }
func (h *host) Server() (string, string, error) { return session.ModeRemote, h.url + "/", nil }
func (h *host) SyncNow()                        { h.mu.Lock(); h.syncs++; h.mu.Unlock() }
func (h *host) Emit(event string, payload any)  { h.record(event) }
func (h *host) record(event string) {
	h.mu.Lock()
	h.events = append(h.events, event)
	h.mu.Unlock()
	h.got <- event
}
func (h *host) wait(t *testing.T, event string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case got := <-h.got:
			if got == event {
				return
			}
		case <-deadline:
			t.Fatalf("no %q event within a minute; got %v", event, h.events)
		}
	}
}

func newManager(t *testing.T, e *env, login string, provider ...http.RoundTripper) (*session.Manager, *host, *keychain.Memory) {
	t.Helper()
	db, err := cache.Open(e.ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &host{db: db, url: e.url, got: make(chan string, 64)}
	kc := keychain.NewMemory()
	open := func(authURL string) error {
		go func() { _, _, _ = ssotest.NewBrowser().Open(authURL, login, false) }()
		return nil
	}
	cfg := session.Config{Keychain: kc, OpenURL: open}
	if len(provider) > 0 {
		cfg.ProviderClient = &http.Client{Timeout: 30 * time.Second, Transport: provider[0]}
	}
	m := session.New(h, cfg)
	t.Cleanup(m.Close)
	if err := m.SaveSettings(e.ctx, session.Settings{Issuer: e.op.Issuer, ClientID: ssotest.ClientID, Scopes: "email profile offline_access"}); err != nil {
		t.Fatal(err)
	}
	return m, h, kc
}

// The Manager alone: sign in through the browser, hand sync a client that works, notice the
// server ending the session, and sign out leaving nothing in the keychain.
func TestManagerSignInRefusalSignOut(t *testing.T) {
	e := newEnv(t)
	e.account(t, "ops@example.org", portal.StatusActive, portal.RoleAdministrator)
	m, h, kc := newManager(t, e, "ops@example.org")

	st, err := m.State(e.ctx)
	if err != nil || !st.NeedsSignIn || st.SignedIn || st.ServerURL != e.url {
		t.Fatalf("before signing in: %+v, %v", st, err)
	}
	start, err := m.Begin(false)
	if err != nil || !start.BrowserOpened || start.AuthURL == "" {
		t.Fatalf("Begin = %+v, %v", start, err)
	}
	h.wait(t, session.EventDone)
	st, err = m.State(e.ctx)
	if err != nil || !st.SignedIn || st.Email != "ops@example.org" || st.NeedsSignIn || st.ExpiresAt == nil {
		t.Fatalf("after signing in: %+v, %v", st, err)
	}
	if kc.Len() != 1 {
		t.Errorf("the keychain holds %d entries, want the one session", kc.Len())
	}
	// The session's address is the server's, whatever slash the connection gave.
	cl := m.Client(e.ctx, h.db, e.url+"/")
	if me, err := cl.Me(e.ctx); err != nil || me.Account == nil || me.Account.Email != "ops@example.org" {
		t.Fatalf("sync's client: %+v, %v", me, err)
	}
	if !m.SignedInTo(e.url) {
		t.Error("SignedInTo the server = false")
	}

	// The server ends the session and the refresh token is revoked with it: the next request
	// is refused, and the Manager asks for a sign-in instead of retrying for ever.
	tok := m.LiveToken()
	if err := client.New(e.url, tok).DeleteSession(e.ctx); err != nil {
		t.Fatal(err)
	}
	sec, err := kc.Load(e.ctx, keychain.Key{ServerURL: e.url, Account: "ops@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.Store(e.ctx, keychain.Key{ServerURL: e.url, Account: "ops@example.org"}, keychain.Secret{SessionToken: sec.SessionToken, Expiry: sec.Expiry}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Me(e.ctx); err == nil {
		t.Fatal("a request with the ended session went through")
	}
	h.wait(t, session.EventRequired)
	st, _ = m.State(e.ctx)
	if st.SignedIn || !st.NeedsSignIn || st.Message == "" || m.SignedInTo(e.url) {
		t.Errorf("after the refusal: %+v", st)
	}

	if _, err := m.SignOut(e.ctx); err != nil {
		t.Fatal(err)
	}
	if kc.Len() != 0 {
		t.Errorf("after signing out the keychain holds %d entries", kc.Len())
	}
}

// A sign-in that cannot start names the field to fix, before any browser opens.
func TestManagerBeginRefusesWrongSettings(t *testing.T) {
	e := newEnv(t)
	m, _, _ := newManager(t, e, "ops@example.org")
	if _, err := session.CheckSettings(session.Settings{ServerURL: "portal.example.org"}); field(err) != "serverUrl" {
		t.Errorf("CheckSettings of an address without a scheme: %v", err)
	}
	if err := m.SaveSettings(e.ctx, session.Settings{Issuer: "http://127.0.0.1:1", ClientID: ssotest.ClientID}); err != nil {
		t.Fatal(err)
	}
	_, err := m.Begin(false)
	if field(err) != "issuer" {
		t.Fatalf("Begin with an unreachable provider = %v, want an error on the issuer", err)
	}
	st, _ := m.State(e.ctx)
	if st.InProgress {
		t.Errorf("a sign-in that failed to start is still in progress: %+v", st)
	}
}

func field(err error) string {
	var pe *portal.Error
	if errors.As(err, &pe) {
		return pe.Field
	}
	return ""
}

// spendFirstRefresh is the provider's road as seen by a thief who copies the first ID token
// a renewal gets and trades it at the portal before the desktop does.
type spendFirstRefresh struct {
	base    http.RoundTripper
	server  string
	mu      sync.Mutex
	grants  int
	spentBy error
}

func (s *spendFirstRefresh) RoundTrip(r *http.Request) (*http.Response, error) {
	refresh := false
	if r.Method == http.MethodPost && r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		refresh = strings.Contains(string(body), "grant_type=refresh_token")
	}
	res, err := s.base.RoundTrip(r)
	if err != nil || !refresh {
		return res, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants++
	if s.grants == 1 {
		var tok struct {
			IDToken string `json:"id_token"`
		}
		_ = json.Unmarshal(body, &tok)
		_, s.spentBy = client.New(s.server, "").CreateSession(context.Background(), tok.IDToken)
	}
	return res, nil
}

// The portal takes an ID token once. When the token a renewal got was spent first (a copy
// traded by someone else, or a provider giving the token it gave a moment before), the
// Manager asks the provider for a new one instead of asking the person to sign in.
func TestManagerRenewsPastASpentIDToken(t *testing.T) {
	e := newEnv(t)
	e.account(t, "ops@example.org", portal.StatusActive, portal.RoleAdministrator)
	// The provider's answers pass the thief, who acts only on the first refresh.
	thief := &spendFirstRefresh{base: http.DefaultTransport, server: e.url}
	m, h, _ := newManager(t, e, "ops@example.org", thief)
	if _, err := m.Begin(false); err != nil {
		t.Fatal(err)
	}
	h.wait(t, session.EventDone)
	if !m.SignedInTo(e.url) {
		t.Fatal("not signed in")
	}
	cl := m.Client(e.ctx, h.db, e.url)

	// The server ends the session: the next request renews it.
	old := m.LiveToken()
	if err := client.New(e.url, old).DeleteSession(e.ctx); err != nil {
		t.Fatal(err)
	}
	if me, err := cl.Me(e.ctx); err != nil || me.Account == nil || me.Account.Email != "ops@example.org" {
		t.Fatalf("after the renewal: %+v, %v", me, err)
	}
	thief.mu.Lock()
	defer thief.mu.Unlock()
	// The thief's trade succeeds, or finds the token spent already: oidc-provider gives a
	// renewal in the sign-in's second the very token of the sign-in.
	if ce, _ := client.AsError(thief.spentBy); thief.spentBy != nil && (ce == nil || !portal.IsIDTokenSpent(ce.Code, ce.Field)) {
		t.Fatalf("the thief's trade: %v", thief.spentBy)
	}
	if thief.grants != 2 {
		t.Errorf("the provider was asked %d times for a refresh, want 2 (the spent token, then a new one)", thief.grants)
	}
	if tok := m.LiveToken(); tok == "" || tok == old {
		t.Errorf("the live session token is %q after the renewal", tok)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev == session.EventRequired {
			t.Error("the person was asked to sign in again")
		}
	}
}
