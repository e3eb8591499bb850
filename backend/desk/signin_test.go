package desk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/keychain"
	"gatehouse/backend/poll"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server"
	"gatehouse/backend/server/servertest"
	"gatehouse/backend/server/store"
	"gatehouse/backend/session"
	"gatehouse/backend/sso/ssotest"
)

// The sign-in tests run the whole chain with real parts: panva/oidc-provider (certified),
// started by backend/sso/ssotest, the real portal server on 127.0.0.1, the App with an
// in-memory keychain, and ssotest's headless browser playing the system browser.

// adminEmail is the portal's first system administrator. The portal trusts the provider
// for ssotest.ClientID; ssotest.OtherClientID is registered at the provider only.
const adminEmail = "admin@example.org"

// startPortal runs the portal server trusting issuer for ssotest.ClientID, with adminEmail as
// its first system administrator, and returns it with its address.
func startPortal(t *testing.T, issuer string, mods ...func(*server.Config)) (*server.Server, string) {
	t.Helper()
	ctx := context.Background()
	cfg := server.Config{
		Addr:           "127.0.0.1:0",
		DBPath:         filepath.Join(t.TempDir(), "portal.db"),
		TrustedIssuers: []server.TrustedIssuer{{Issuer: issuer, Audiences: []string{ssotest.ClientID}}},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv := servertest.New(t, cfg)
	if _, _, err := srv.Service().BootstrapAdmin(ctx, adminEmail, ""); err != nil {
		t.Fatal(err)
	}
	u, err := srv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return srv, u
}

// browser plays the system browser: on open it signs in as login at the provider's
// devInteractions pages (or presses "abort" when cancel), then delivers the redirect to
// Gatehouse's loopback callback. Its outcome arrives on done.
type browser struct {
	mu     sync.Mutex
	login  string
	cancel bool
	opened []string
	done   chan error
	// instead, when set, replaces opening the browser (a test of what happens without one).
	instead func(authURL string) error
}

func newBrowser(login string) *browser { return &browser{login: login, done: make(chan error, 4)} }

func (b *browser) set(login string, cancel bool) {
	b.mu.Lock()
	b.login, b.cancel = login, cancel
	b.mu.Unlock()
}

func (b *browser) open(authURL string) error {
	b.mu.Lock()
	login, cancel, instead := b.login, b.cancel, b.instead
	b.opened = append(b.opened, authURL)
	b.mu.Unlock()
	if instead != nil {
		return instead(authURL)
	}
	go func() {
		// The outcome is in signin:done, so the callback page itself is not looked at here.
		_, _, err := ssotest.NewBrowser().Open(authURL, login, cancel)
		b.done <- err
	}()
	return nil
}

// signinEvents records the sign-in events the App sends the window.
type signinEvents struct {
	mu  sync.Mutex
	got []Event
	ch  chan Event
	// logFile is the App's log, shown when an awaited event does not come.
	logFile string
}

func recordSignIn(t *testing.T, rt *HeadlessRuntime) *signinEvents {
	ev := &signinEvents{ch: make(chan Event, 256)}
	t.Cleanup(rt.Subscribe(func(e Event) {
		if !strings.HasPrefix(e.Name, "signin:") {
			return
		}
		ev.mu.Lock()
		ev.got = append(ev.got, e)
		ev.mu.Unlock()
		ev.ch <- e
	}))
	return ev
}

// next waits for the next event called name, skipping others.
func (ev *signinEvents) next(t *testing.T, name string) any {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case e := <-ev.ch:
			if e.Name == name {
				return e.Data[0]
			}
		case <-timeout:
			log, _ := os.ReadFile(ev.logFile)
			t.Fatalf("no %q event within 60 s; got %v; the App's log:\n%s", name, ev.names(), log)
		}
	}
}

func (ev *signinEvents) names() []string {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var out []string
	for _, e := range ev.got {
		out = append(out, e.Name)
	}
	return out
}

func (ev *signinEvents) done(t *testing.T) session.Done {
	t.Helper()
	d, ok := ev.next(t, EventSignInDone).(session.Done)
	if !ok {
		t.Fatalf("signin:done carried %T", d)
	}
	return d
}

type signInEnv struct {
	idp     *ssotest.Provider
	issuer  string
	srv     *server.Server
	url     string
	kc      *keychain.Memory
	gate    *gatedKeychain // kc as the App sees it
	browser *browser
	app     *Desk
	rt      *HeadlessRuntime
	ev      *signinEvents
	dir     string
	logs    string // the App's log file, outside its data folder
	t       *testing.T
}

func newSignInEnv(t *testing.T, clock portal.Clock, portalMods ...func(*server.Config)) *signInEnv {
	t.Helper()
	e := &signInEnv{
		idp: ssotest.Start(t), kc: keychain.NewMemory(), browser: newBrowser(adminEmail),
		dir: t.TempDir(), logs: filepath.Join(t.TempDir(), "gatehouse.log"), t: t,
	}
	e.issuer = e.idp.Issuer
	e.gate = &gatedKeychain{Memory: e.kc}
	e.srv, e.url = startPortal(t, e.issuer, portalMods...)
	e.rt = NewHeadlessRuntime()
	e.ev = recordSignIn(t, e.rt)
	e.ev.logFile = e.logs
	// A file, not a buffer: the App logs from its own goroutines while the test reads.
	logFile, err := os.Create(e.logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.app = New(Config{
		DatabasePath: filepath.Join(e.dir, "gatehouse.db"), Logger: logger, Clock: clock,
		Keychain: e.gate, OpenURL: e.browser.open,
	}, e.rt)
	e.app.Startup(context.Background())
	t.Cleanup(func() { e.app.Shutdown(context.Background()) })
	// One sync with the embedded portal the App starts with, before the tests switch to
	// the remote one. Without any request served, stopping the embedded portal right after
	// its start trips the race detector on backend/server's Start/Shutdown (reported).
	if _, err := e.app.SyncNow(); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *signInEnv) configure(t *testing.T, clientID string) {
	t.Helper()
	got, err := e.app.SaveSignInSettings(session.Settings{ServerURL: e.url + "/", Issuer: " " + e.issuer, ClientID: clientID})
	if err != nil {
		t.Fatalf("SaveSignInSettings: %v", err)
	}
	want := session.Settings{ServerURL: e.url, Issuer: e.issuer, ClientID: clientID}
	if got != want {
		t.Fatalf("SaveSignInSettings = %+v, want %+v", got, want)
	}
}

// signIn runs BeginSignIn to its end and returns the outcome.
func (e *signInEnv) signIn(t *testing.T) session.Done {
	t.Helper()
	start, err := e.app.BeginSignIn()
	if err != nil {
		t.Fatalf("BeginSignIn: %v", err)
	}
	u, ok := e.ev.next(t, EventSignInURL).(session.URLEvent)
	if !ok || u.AuthURL != start.AuthURL || !start.BrowserOpened {
		t.Fatalf("signin:url = %+v, BeginSignIn = %+v", u, start)
	}
	done := e.ev.done(t)
	if err := <-e.browser.done; err != nil {
		t.Fatalf("the browser: %v", err)
	}
	return done
}

func (e *signInEnv) state(t *testing.T) session.State {
	t.Helper()
	st, err := e.app.SessionState()
	if err != nil {
		t.Fatalf("session.State: %v", err)
	}
	return st
}

func (e *signInEnv) token(t *testing.T) string {
	t.Helper()
	sec, err := e.kc.Load(context.Background(), keychain.Key{ServerURL: e.url, Account: adminEmail})
	if err != nil {
		t.Fatalf("the keychain has no session: %v", err)
	}
	return sec.SessionToken
}

// assertNotOnDisk checks that no file in the App's data folder, nor the log, holds secret.
func (e *signInEnv) assertNotOnDisk(t *testing.T, secret string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.dir, "*"))
	if len(files) == 0 {
		t.Fatal("the App wrote no files at all")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the session token", filepath.Base(f))
		}
	}
	if logs, err := os.ReadFile(e.logs); err != nil {
		t.Fatal(err)
	} else if bytes.Contains(logs, []byte(secret)) {
		t.Error("the log holds the session token")
	}
}

func TestSignInAndOut(t *testing.T) {
	e := newSignInEnv(t, nil)
	e.configure(t, ssotest.ClientID)
	st := e.state(t)
	if st.Mode != ModeRemote || st.ServerURL != e.url || st.SignedIn || !st.NeedsSignIn {
		t.Fatalf("before sign-in: %+v", st)
	}
	if !e.app.needsSignIn(context.Background()) {
		t.Error("needsSignIn is false before sign-in")
	}
	if sst, err := e.app.SyncStatus(); err != nil || !sst.NeedsSignIn {
		t.Errorf("SyncStatus before sign-in = %+v, %v; want NeedsSignIn", sst, err)
	}

	done := e.signIn(t)
	if !done.OK || done.Email != adminEmail || done.Test || done.ExpiresAt == nil || done.Error != nil {
		t.Fatalf("signin:done = %+v", done)
	}
	st = e.state(t)
	if !st.SignedIn || st.NeedsSignIn || st.Email != adminEmail || st.ExpiresAt == nil || !st.ExpiresAt.Equal(*done.ExpiresAt) || st.InProgress {
		t.Fatalf("after sign-in: %+v", st)
	}
	if e.kc.Len() != 1 {
		t.Fatalf("keychain holds %d secrets, want 1", e.kc.Len())
	}
	token := e.token(t)
	me, err := client.New(e.url, token).Me(context.Background())
	if err != nil || me.Account == nil || me.Account.Email != adminEmail || !me.Actor.SystemAdmin {
		t.Fatalf("the stored session at the server: %+v, %v", me, err)
	}
	// Sync now works with the session.
	sst, err := e.app.SyncNow()
	if err != nil || sst.LastError != "" || !sst.Online || sst.NeedsSignIn {
		t.Fatalf("SyncNow after sign-in = %+v, %v", sst, err)
	}
	e.assertNotOnDisk(t, token)

	// A restart finds the session again: from the keychain, by who the database says is
	// signed in.
	again := New(Config{DatabasePath: filepath.Join(e.dir, "gatehouse.db"), Keychain: e.kc}, NewHeadlessRuntime())
	e.app.Shutdown(context.Background())
	again.Startup(context.Background())
	st2, err := again.SessionState()
	if err != nil || !st2.SignedIn || st2.Email != adminEmail {
		t.Fatalf("after a restart: %+v, %v", st2, err)
	}
	if sst, err := again.SyncNow(); err != nil || sst.LastError != "" {
		t.Fatalf("SyncNow after a restart = %+v, %v", sst, err)
	}
	again.Shutdown(context.Background())
	e.app = New(Config{DatabasePath: filepath.Join(e.dir, "gatehouse.db"), Keychain: e.kc, OpenURL: e.browser.open}, e.rt)
	e.app.Startup(context.Background())

	st, err = e.app.SignOut()
	if err != nil || st.SignedIn || !st.NeedsSignIn || st.Email != "" || st.Message != "" {
		t.Fatalf("SignOut = %+v, %v", st, err)
	}
	if e.kc.Len() != 0 {
		t.Errorf("keychain holds %d secrets after sign-out", e.kc.Len())
	}
	_, err = client.New(e.url, token).Me(context.Background())
	if ce, ok := client.AsError(err); !ok || ce.Status != http.StatusUnauthorized {
		t.Errorf("the session at the server after sign-out: %v, want 401", err)
	}
	if st, err := e.app.SignOut(); err != nil || st.SignedIn {
		t.Errorf("signing out twice: %+v, %v", st, err)
	}
}

func TestTestSignInKeepsNothing(t *testing.T) {
	e := newSignInEnv(t, nil)
	e.configure(t, ssotest.ClientID)
	start, err := e.app.TestSignIn()
	if err != nil || !start.Test {
		t.Fatalf("TestSignIn = %+v, %v", start, err)
	}
	done := e.ev.done(t)
	if err := <-e.browser.done; err != nil {
		t.Fatal(err)
	}
	if !done.OK || !done.Test || done.Email != adminEmail {
		t.Fatalf("signin:done = %+v", done)
	}
	if st := e.state(t); st.SignedIn || !st.NeedsSignIn {
		t.Errorf("a test sign-in signed in: %+v", st)
	}
	if e.kc.Len() != 0 {
		t.Errorf("a test sign-in stored %d secrets", e.kc.Len())
	}
}

func TestSignInFailures(t *testing.T) {
	cases := []struct {
		name     string
		login    string
		cancel   bool
		clientID string
		issuer   func(e *signInEnv) string // nil: the provider
		clock    portal.Clock
		// begin: BeginSignIn itself fails; otherwise signin:done reports the failure.
		begin      bool
		code       string
		reason     string
		field      string
		sentence   string
		browserErr bool
	}{
		{name: "account not allowed on this portal", login: "stranger@example.org", code: portal.EFORBIDDEN, reason: "not_allowed",
			sentence: "stranger@example.org is not allowed to administer the portal at"},
		{name: "user cancelled at the provider", login: adminEmail, cancel: true, code: portal.EUNAUTHORIZED, reason: "cancelled",
			sentence: "You cancelled the sign-in at the identity provider"},
		{name: "client ID the portal does not trust", login: adminEmail, clientID: ssotest.OtherClientID, code: portal.EUNAUTHORIZED, reason: "server_refused",
			sentence: "did not accept the sign-in from this identity provider"},
		{name: "clock two hours fast", login: adminEmail, clock: offsetClock(2 * time.Hour), code: portal.EUNAUTHORIZED, reason: "clock_skew",
			sentence: "This computer's clock does not agree with the identity provider's"},
		{name: "provider unreachable", begin: true, issuer: func(e *signInEnv) string { return fmt.Sprintf("http://127.0.0.1:%d", ssotest.FreePort(e.t)) },
			code: portal.EINVALID, field: "issuer", reason: "provider_unreachable", sentence: "Gatehouse could not reach the identity provider at http://127.0.0.1:"},
		{name: "issuer is not an identity provider", begin: true, issuer: func(e *signInEnv) string { return e.url },
			code: portal.EINVALID, field: "issuer", reason: "discovery_failed", sentence: "did not return OpenID Connect discovery metadata"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSignInEnv(t, tc.clock)
			clientID := tc.clientID
			if clientID == "" {
				clientID = ssotest.ClientID
			}
			e.configure(t, clientID)
			if tc.issuer != nil {
				if _, err := e.app.SaveSignInSettings(session.Settings{ServerURL: e.url, Issuer: tc.issuer(e), ClientID: clientID}); err != nil {
					t.Fatal(err)
				}
			}
			e.browser.set(tc.login, tc.cancel)
			var d session.Failure
			start, err := e.app.BeginSignIn()
			if tc.begin {
				if err == nil {
					t.Fatalf("BeginSignIn = %+v, want an error", start)
				}
				p := payloadOf(err)
				d = session.Failure{Code: p.Code, Message: p.Message, Field: p.Field}
				var f *session.BeginError
				if errors.As(err, &f) {
					d.Reason = f.Failure.Reason
				}
			} else {
				if err != nil {
					t.Fatalf("BeginSignIn: %v", err)
				}
				done := e.ev.done(t)
				if berr := <-e.browser.done; berr != nil {
					t.Fatalf("the browser: %v", berr)
				}
				if done.OK || done.Error == nil {
					t.Fatalf("signin:done = %+v, want a failure", done)
				}
				d = *done.Error
			}
			if d.Reason != tc.reason {
				t.Errorf("reason %q, want %q", d.Reason, tc.reason)
			}
			if d.Code != tc.code || d.Field != tc.field || !strings.Contains(d.Message, tc.sentence) {
				t.Errorf("error = %+v\nwant code %q field %q and a sentence containing %q", d, tc.code, tc.field, tc.sentence)
			}
			if st := e.state(t); st.SignedIn || !st.NeedsSignIn || st.InProgress {
				t.Errorf("after a failed sign-in: %+v", st)
			}
			if e.kc.Len() != 0 {
				t.Errorf("a failed sign-in stored %d secrets", e.kc.Len())
			}
			t.Logf("%s → %s: %s", tc.name, firstNonEmpty(d.Reason, d.Code), d.Message)
		})
	}
}

func TestCancelSignIn(t *testing.T) {
	e := newSignInEnv(t, nil)
	e.configure(t, ssotest.ClientID)
	opened := make(chan string, 1)
	e.browser.mu.Lock()
	e.browser.instead = func(u string) error { opened <- u; return errors.New("no browser here") }
	e.browser.mu.Unlock()
	start, err := e.app.BeginSignIn()
	if err != nil {
		t.Fatal(err)
	}
	if start.BrowserOpened || start.BrowserError == "" || <-opened != start.AuthURL {
		t.Errorf("BeginSignIn without a browser = %+v", start)
	}
	// The address is sent twice: at once, and again with the browser's failure.
	if u := e.ev.next(t, EventSignInURL).(session.URLEvent); u.AuthURL != start.AuthURL || u.BrowserError != "" {
		t.Errorf("first signin:url = %+v", u)
	}
	if u := e.ev.next(t, EventSignInURL).(session.URLEvent); u.BrowserError == "" {
		t.Errorf("second signin:url = %+v", u)
	}
	if st := e.state(t); !st.InProgress || st.AuthURL != start.AuthURL {
		t.Errorf("while waiting: %+v", st)
	}
	st, err := e.app.CancelSignIn()
	if err != nil {
		t.Fatal(err)
	}
	done := e.ev.done(t)
	if done.OK || done.Error == nil || done.Error.Reason != "aborted" || done.Error.Message != "Sign-in was cancelled in Gatehouse." {
		t.Errorf("signin:done after cancel = %+v", done)
	}
	if st = e.state(t); st.InProgress || st.SignedIn {
		t.Errorf("after cancel: %+v", st)
	}
	// The loopback listener is closed: the browser cannot come back any more.
	redirect, _ := url.Parse(start.AuthURL)
	cb := redirect.Query().Get("redirect_uri")
	if _, err := http.Get(cb + "?state=x&code=y"); err == nil {
		t.Errorf("the callback %s still answers after cancel", cb)
	}
}

func TestSessionEndsDuringSync(t *testing.T) {
	e := newSignInEnv(t, nil)
	e.configure(t, ssotest.ClientID)
	if d := e.signIn(t); !d.OK {
		t.Fatalf("sign-in: %+v", d.Error)
	}
	ctx := context.Background()

	// Someone waits for approval on the portal; sync brings them into the local copy.
	pending := e.queuePending(t)

	// The session ends at the server (expired, or ended elsewhere) while the administrator
	// works on.
	oldToken := e.token(t)
	if err := client.New(e.url, oldToken).DeleteSession(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Approve(pending.ID); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	req, ok := e.ev.next(t, EventSignInRequired).(session.Required)
	if !ok || req.Email != adminEmail || req.ServerURL != e.url || !strings.Contains(req.Message, "Sign in again") {
		t.Fatalf("signin:required = %+v", req)
	}
	st := e.state(t)
	if st.SignedIn || !st.NeedsSignIn || st.Email != adminEmail || st.Message != req.Message {
		t.Errorf("after the server refused the session: %+v", st)
	}
	if e.kc.Len() != 0 {
		t.Errorf("the refused session is still in the keychain")
	}
	e.assertChangeWaits(t, pending.ID)

	// Signing in again sends the change.
	if d := e.signIn(t); !d.OK {
		t.Fatalf("sign-in again: %+v", d.Error)
	}
	if e.token(t) == oldToken {
		t.Fatal("the new sign-in kept the old token")
	}
	e.waitSent(t, pending.ID)
}

// assertChangeWaits checks what follows a refused session: further syncs do not ask
// again, and the queued approval of id waits, unsent.
func (e *signInEnv) assertChangeWaits(t *testing.T, id string) {
	t.Helper()
	if _, err := e.app.SyncNow(); err != nil {
		t.Fatal(err)
	}
	changes, err := e.app.PendingChanges()
	if err != nil || len(changes) != 1 || changes[0].Command != "approve" {
		t.Fatalf("PendingChanges = %+v, %v", changes, err)
	}
	if got := serverAccount(t, e, id); got.Status != portal.StatusPending {
		t.Fatalf("the server has %s already", got.Status)
	}
	if n := strings.Count(strings.Join(e.ev.names(), " "), EventSignInRequired); n != 1 {
		t.Errorf("signin:required sent %d times, want once", n)
	}
}

func serverAccount(t *testing.T, e *signInEnv, id string) portal.Account {
	t.Helper()
	var a portal.Account
	err := e.srv.Store().View(context.Background(), func(tx store.Reader) error {
		var err error
		a, err = tx.Account(context.Background(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type offsetClock time.Duration

func (o offsetClock) Now() time.Time { return time.Now().Add(time.Duration(o)) }

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// ---- silent renewal with the stored refresh token ----

// gatedKeychain is the in-memory keychain with a gate a test can close: while it is
// closed, Load waits. The renewal reads the refresh token with Load, so a closed gate holds
// a renewal at its start while the test lines up more refused requests.
type gatedKeychain struct {
	*keychain.Memory
	mu      sync.Mutex
	gate    chan struct{}
	waiting atomic.Int32 // Loads that found the gate closed
}

func (g *gatedKeychain) Load(ctx context.Context, k keychain.Key) (keychain.Secret, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		g.waiting.Add(1)
		select {
		case <-gate:
		case <-ctx.Done():
			return keychain.Secret{}, ctx.Err()
		}
	}
	return g.Memory.Load(ctx, k)
}

func (g *gatedKeychain) hold(gate chan struct{}) {
	g.mu.Lock()
	g.gate = gate
	g.mu.Unlock()
}

// configureOffline saves settings that ask the provider for offline access, so that the
// sign-in leaves a refresh token in the keychain.
func (e *signInEnv) configureOffline(t *testing.T) {
	t.Helper()
	set := session.Settings{ServerURL: e.url, Issuer: e.issuer, ClientID: ssotest.ClientID, Scopes: "email profile offline_access"}
	got, err := e.app.SaveSignInSettings(set)
	if err != nil || got != set {
		t.Fatalf("SaveSignInSettings = %+v, %v; want %+v", got, err, set)
	}
}

func (e *signInEnv) secret(t *testing.T) keychain.Secret {
	t.Helper()
	sec, err := e.kc.Load(context.Background(), keychain.Key{ServerURL: e.url, Account: adminEmail})
	if err != nil {
		t.Fatalf("the keychain has no sign-in: %v", err)
	}
	return sec
}

// signInOffline signs in with offline access and returns what the keychain then holds.
func (e *signInEnv) signInOffline(t *testing.T) keychain.Secret {
	t.Helper()
	e.configureOffline(t)
	if d := e.signIn(t); !d.OK {
		t.Fatalf("sign-in: %+v", d.Error)
	}
	sec := e.secret(t)
	if sec.SessionToken == "" || sec.RefreshToken == "" {
		t.Fatalf("after a sign-in with offline access the keychain holds %v; want a session and a refresh token", sec)
	}
	return sec
}

// queuePending puts someone waiting for approval on the portal and syncs them in.
func (e *signInEnv) queuePending(t *testing.T) portal.Account {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	pending := portal.Account{
		ID: "acc_pat", Email: "pat@example.org", Name: "Pat", Status: portal.StatusPending, Kind: portal.KindClient,
		AdditionalRoles: []string{}, CreatedAt: now, UpdatedAt: now, Source: "example.org",
	}
	if err := e.srv.Store().Update(ctx, func(tx store.Tx) error { return tx.PutAccount(ctx, &pending) }); err != nil {
		t.Fatal(err)
	}
	if st, err := e.app.SyncNow(); err != nil || st.LastError != "" {
		t.Fatalf("SyncNow = %+v, %v", st, err)
	}
	return pending
}

// endServerSession ends the session token at the portal server, as an expiry or a
// sign-out elsewhere does.
func (e *signInEnv) endServerSession(t *testing.T, token string) {
	t.Helper()
	if err := client.New(e.url, token).DeleteSession(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// waitSent waits until the server has approved id and nothing waits in the outbox.
func (e *signInEnv) waitSent(t *testing.T, id string) {
	t.Helper()
	var changes []replica.Change
	if !poll.Until(60*time.Second, func() bool {
		var err error
		if changes, err = e.app.PendingChanges(); err != nil {
			t.Fatal(err)
		}
		return serverAccount(t, e, id).Status == portal.StatusActive && len(changes) == 0
	}) {
		t.Fatalf("the approval did not reach the server; pending: %+v; events: %v", changes, e.ev.names())
	}
}

// audits counts the server's audit events of action about entityID.
func (e *signInEnv) audits(t *testing.T, action, entityID string) int {
	t.Helper()
	var evs []portal.AuditEvent
	err := e.srv.Store().View(context.Background(), func(tx store.Reader) error {
		var err error
		evs, err = tx.AuditEvents(context.Background(), store.AuditFilter{Action: action, EntityID: entityID, Limit: 1000})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func (e *signInEnv) adminID(t *testing.T, token string) string {
	t.Helper()
	me, err := client.New(e.url, token).Me(context.Background())
	if err != nil || me.Account == nil {
		t.Fatalf("Me: %+v, %v", me, err)
	}
	return me.Account.ID
}

func (e *signInEnv) logText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(e.logs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// revokeAtProvider revokes token at the provider's revocation endpoint (RFC 7009), as the
// provider's administrator ending the grant does.
func (e *signInEnv) revokeAtProvider(t *testing.T, token string) {
	t.Helper()
	resp, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Revocation string `json:"revocation_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if err != nil || d.Revocation == "" {
		t.Fatalf("the provider publishes no revocation endpoint: %v", err)
	}
	resp, err = http.PostForm(d.Revocation, url.Values{"token": {token}, "token_type_hint": {"refresh_token"}, "client_id": {ssotest.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation answered %s: %s", resp.Status, body)
	}
}

func TestSessionRenewedSilently(t *testing.T) {
	e := newSignInEnv(t, nil)
	before := e.signInOffline(t)
	admin := e.adminID(t, before.SessionToken)
	signIns := e.audits(t, portal.ActionSignIn, admin)
	pending := e.queuePending(t)

	e.endServerSession(t, before.SessionToken)
	if _, err := e.app.Approve(pending.ID); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	e.waitSent(t, pending.ID)

	after := e.secret(t)
	if after.SessionToken == "" || after.SessionToken == before.SessionToken {
		t.Errorf("the keychain's session token was not renewed")
	}
	if after.RefreshToken == "" || after.RefreshToken == before.RefreshToken {
		t.Errorf("the keychain's refresh token was not replaced by the rotated one")
	}
	if got := e.app.auth.LiveToken(); got != after.SessionToken {
		t.Errorf("sync's client does not carry the renewed session")
	}
	if _, err := client.New(e.url, after.SessionToken).Me(context.Background()); err != nil {
		t.Errorf("the renewed session at the server: %v", err)
	}
	if n := e.audits(t, portal.ActionApprove, pending.ID); n != 1 {
		t.Errorf("the server approved %d times, want once", n)
	}
	if n := e.audits(t, portal.ActionSignIn, admin) - signIns; n != 1 {
		t.Errorf("%d sessions were started at the server for the renewal, want 1", n)
	}
	st := e.state(t)
	if !st.SignedIn || st.NeedsSignIn || st.Message != "" || st.ExpiresAt == nil {
		t.Errorf("after the renewal: %+v", st)
	}
	if sst, err := e.app.SyncNow(); err != nil || sst.LastError != "" || sst.NeedsSignIn || sst.Failed != 0 {
		t.Errorf("SyncNow after the renewal = %+v, %v", sst, err)
	}
	if strings.Contains(strings.Join(e.ev.names(), " "), EventSignInRequired) {
		t.Errorf("a silent renewal asked for a sign-in: %v", e.ev.names())
	}
	if !strings.Contains(e.logText(t), "renewed the session") {
		t.Error("the log does not say the session was renewed")
	}
	for _, secret := range []string{before.RefreshToken, after.RefreshToken, after.SessionToken} {
		e.assertNotOnDisk(t, secret)
	}
	// The local database knows until when the renewed session lasts, for a restart.
	db, err := e.app.cache()
	if err != nil {
		t.Fatal(err)
	}
	var stored session.Stored
	if ok, err := db.GetSetting(context.Background(), session.SettingSession, &stored); err != nil || !ok || st.ExpiresAt == nil || !stored.ExpiresAt.Equal(*st.ExpiresAt) {
		t.Errorf("the stored sign-in = %+v, %v; want it to end at %v", stored, err, st.ExpiresAt)
	}
}

// When the renewal cannot work, the App does what it did before renewal existed: it asks
// for a sign-in, and the change waits for it.
func TestRenewalFails(t *testing.T) {
	cases := []struct {
		name string
		// breakIt makes the renewal fail after the session ended at the server.
		breakIt func(t *testing.T, e *signInEnv, sec keychain.Secret, admin string)
		reason  string
		// keepRefresh: the refresh token stays in the keychain for a later try.
		keepRefresh bool
		// again: a browser sign-in afterwards sends the waiting change.
		again bool
	}{
		{name: "refresh token revoked at the provider", reason: "code_rejected", again: true,
			breakIt: func(t *testing.T, e *signInEnv, sec keychain.Secret, admin string) {
				e.revokeAtProvider(t, sec.RefreshToken)
			}},
		{name: "administrator deactivated on the server", reason: "not_allowed",
			breakIt: func(t *testing.T, e *signInEnv, sec keychain.Secret, admin string) {
				ctx := context.Background()
				err := e.srv.Store().Update(ctx, func(tx store.Tx) error {
					a, err := tx.Account(ctx, admin)
					if err != nil {
						return err
					}
					a.Status = portal.StatusDeactivated
					return tx.PutAccount(ctx, &a)
				})
				if err != nil {
					t.Fatal(err)
				}
			}},
		{name: "provider unreachable", reason: "provider_unreachable", keepRefresh: true,
			breakIt: func(t *testing.T, e *signInEnv, sec keychain.Secret, admin string) { e.idp.Stop() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSignInEnv(t, nil)
			before := e.signInOffline(t)
			pending := e.queuePending(t)
			admin := e.adminID(t, before.SessionToken)
			e.endServerSession(t, before.SessionToken)
			tc.breakIt(t, e, before, admin)
			if _, err := e.app.Approve(pending.ID); err != nil {
				t.Fatalf("Approve: %v", err)
			}
			req, ok := e.ev.next(t, EventSignInRequired).(session.Required)
			if !ok || req.Email != adminEmail || req.ServerURL != e.url || !strings.Contains(req.Message, "Sign in again") {
				t.Fatalf("signin:required = %+v", req)
			}
			if st := e.state(t); st.SignedIn || !st.NeedsSignIn || st.Message != req.Message {
				t.Errorf("after the failed renewal: %+v", st)
			}
			// The keychain is forgotten once signin:required is sent.
			if tc.keepRefresh {
				sec := e.secret(t)
				if sec.SessionToken != "" || sec.RefreshToken != before.RefreshToken {
					t.Errorf("the keychain holds %v; want only the refresh token, kept for a later try", sec)
				}
			} else if e.kc.Len() != 0 {
				t.Errorf("the keychain still holds %d secrets", e.kc.Len())
			}
			logs := e.logText(t)
			if !strings.Contains(logs, "could not renew the session silently") || !strings.Contains(logs, "reason="+tc.reason) {
				t.Errorf("the log does not give the reason %q:\n%s", tc.reason, logs)
			}
			for _, secret := range []string{before.RefreshToken, before.SessionToken} {
				e.assertNotOnDisk(t, secret)
			}
			e.assertChangeWaits(t, pending.ID)
			if !tc.again {
				return
			}
			if d := e.signIn(t); !d.OK {
				t.Fatalf("sign-in again: %+v", d.Error)
			}
			e.waitSent(t, pending.ID)
			if n := e.audits(t, portal.ActionApprove, pending.ID); n != 1 {
				t.Errorf("the server approved %d times, want once", n)
			}
		})
	}
}

// Requests refused together share one renewal: the provider is asked once (a second
// refresh with the rotated-out token would end the grant at oidc-provider), the server
// starts one session, and every request goes through with it.
func TestConcurrentRefusalsRenewOnce(t *testing.T) {
	e := newSignInEnv(t, nil)
	before := e.signInOffline(t)
	admin := e.adminID(t, before.SessionToken)
	signIns := e.audits(t, portal.ActionSignIn, admin)
	e.endServerSession(t, before.SessionToken)

	// Hold the renewal at its start until every request has been refused.
	const n = 8
	gate := make(chan struct{})
	e.gate.hold(gate)
	var refused atomic.Int32
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusUnauthorized && refused.Add(1) == n {
			close(gate)
		}
		return resp, err
	})
	cl := client.New(e.url, before.SessionToken, client.WithHTTPClient(&http.Client{Transport: e.app.auth.Transport(base)}))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			me, err := cl.Me(context.Background())
			if err == nil && (me.Account == nil || me.Account.Email != adminEmail) {
				err = fmt.Errorf("Me answered for %+v", me.Account)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	e.gate.hold(nil)
	for err := range errs {
		if err != nil {
			t.Errorf("a refused request did not go through after the renewal: %v", err)
		}
	}
	if got := refused.Load(); got < n {
		t.Errorf("%d requests were refused, want at least %d", got, n)
	}
	if got := e.audits(t, portal.ActionSignIn, admin) - signIns; got != 1 {
		t.Errorf("%d sessions were started at the server, want 1", got)
	}
	if got := strings.Count(e.logText(t), "renewed the session"); got != 1 {
		t.Errorf("the log tells of %d renewals, want 1", got)
	}
	after := e.secret(t)
	if after.SessionToken == before.SessionToken || after.RefreshToken == before.RefreshToken {
		t.Error("the keychain does not hold the renewed session and the rotated refresh token")
	}
	if strings.Contains(strings.Join(e.ev.names(), " "), EventSignInRequired) {
		t.Errorf("the renewal asked for a sign-in: %v", e.ev.names())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// shiftClock is this computer's clock, moved on by the test.
type shiftClock struct{ by atomic.Int64 }

func (c *shiftClock) Now() time.Time { return time.Now().Add(time.Duration(c.by.Load())) }

// A session close to its end is renewed before the server refuses it: the request that
// notices goes on with the old token, the renewed one replaces it, and the old session is
// ended at the server.
func TestSessionRenewedAheadOfItsEnd(t *testing.T) {
	clock := &shiftClock{}
	e := newSignInEnv(t, clock, func(c *server.Config) { c.APISessionTTL = 20 * time.Minute })
	before := e.signInOffline(t)
	st := e.state(t)
	if st.ExpiresAt == nil {
		t.Fatalf("signed in without an end: %+v", st)
	}
	end := *st.ExpiresAt
	// Later by this computer's clock: the session has less than session.RenewAhead left.
	clock.by.Store(int64(time.Until(end.Add(-session.RenewAhead / 2))))
	if sst, err := e.app.SyncNow(); err != nil || sst.LastError != "" {
		t.Fatalf("SyncNow = %+v, %v", sst, err)
	}
	var after keychain.Secret
	if !poll.Until(60*time.Second, func() bool { after = e.secret(t); return after.SessionToken != before.SessionToken }) {
		t.Fatalf("the session was not renewed ahead of its end; log:\n%s", e.logText(t))
	}
	if after.RefreshToken == "" || after.RefreshToken == before.RefreshToken {
		t.Error("the keychain does not hold the rotated refresh token")
	}
	var err error
	if !poll.Until(60*time.Second, func() bool {
		_, err = client.New(e.url, before.SessionToken).Me(context.Background())
		ce, ok := client.AsError(err)
		return ok && ce.Status == http.StatusUnauthorized
	}) {
		t.Fatalf("the replaced session still works at the server: %v", err)
	}
	if _, err := client.New(e.url, after.SessionToken).Me(context.Background()); err != nil {
		t.Errorf("the renewed session at the server: %v", err)
	}
	if sst, err := e.app.SyncNow(); err != nil || sst.LastError != "" || sst.NeedsSignIn {
		t.Errorf("SyncNow with the renewed session = %+v, %v", sst, err)
	}
	if st := e.state(t); !st.SignedIn || st.ExpiresAt == nil || !st.ExpiresAt.After(end) {
		t.Errorf("after the early renewal: %+v; want it to end after %v", st, end)
	}
	if strings.Contains(strings.Join(e.ev.names(), " "), EventSignInRequired) {
		t.Errorf("an early renewal asked for a sign-in: %v", e.ev.names())
	}
	if got := strings.Count(e.logText(t), "renewed the session"); got != 1 {
		t.Errorf("the log tells of %d renewals, want 1", got)
	}
}

// A refresh token kept because the provider could not be reached is tried again later, not
// on every sync; when the provider then refuses it, it is forgotten without asking for a
// sign-in a second time, and the change waits for the browser sign-in.
func TestKeptRefreshTokenTriedLater(t *testing.T) {
	clock := &shiftClock{}
	e := newSignInEnv(t, clock)
	before := e.signInOffline(t)
	pending := e.queuePending(t)
	e.endServerSession(t, before.SessionToken)
	e.idp.Stop()
	if _, err := e.app.Approve(pending.ID); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	e.ev.next(t, EventSignInRequired)
	if sec := e.secret(t); sec.SessionToken != "" || sec.RefreshToken != before.RefreshToken {
		t.Fatalf("the keychain holds %v; want only the refresh token", sec)
	}
	tries := func() int { return strings.Count(e.logText(t), "could not renew the session silently") }
	if n := tries(); n != 1 {
		t.Fatalf("%d renewals failed, want 1", n)
	}

	// The provider is back at the same address, but it lost its grants while it was down.
	u, err := url.Parse(e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	var port int
	if _, err := fmt.Sscanf(u.Port(), "%d", &port); err != nil {
		t.Fatal(err)
	}
	if p := ssotest.StartOn(t, port); p.Issuer != e.issuer {
		t.Fatalf("the provider came back as %s, want %s", p.Issuer, e.issuer)
	}
	// Within session.RefreshRetryDelay nothing is tried.
	if _, err := e.app.SyncNow(); err != nil {
		t.Fatal(err)
	}
	if n := tries(); n != 1 {
		t.Errorf("the kept refresh token was tried again at once (%d failures)", n)
	}
	clock.by.Store(int64(session.RefreshRetryDelay + time.Second))
	if _, err := e.app.SyncNow(); err != nil {
		t.Fatal(err)
	}
	if !poll.Until(60*time.Second, func() bool { return e.kc.Len() == 0 }) {
		t.Fatalf("the refused refresh token is still kept; log:\n%s", e.logText(t))
	}
	if n := tries(); n != 2 {
		t.Errorf("%d renewals failed, want 2", n)
	}
	if !strings.Contains(e.logText(t), "reason=code_rejected") {
		t.Error("the log does not say the provider refused the kept refresh token")
	}
	if n := strings.Count(strings.Join(e.ev.names(), " "), EventSignInRequired); n != 1 {
		t.Errorf("signin:required sent %d times, want once", n)
	}
	if got := serverAccount(t, e, pending.ID); got.Status != portal.StatusPending {
		t.Fatalf("the server has %s already", got.Status)
	}
	if d := e.signIn(t); !d.OK {
		t.Fatalf("sign-in again: %+v", d.Error)
	}
	e.waitSent(t, pending.ID)
}

// A refresh token kept because the server could not be reached works later: the provider
// rotated it during the failed renewal, the rotated one was kept, and once the server is
// back the next try renews the session without a browser, and the waiting change goes.
func TestKeptRefreshTokenWorksLater(t *testing.T) {
	clock := &shiftClock{}
	var dbPath string
	e := newSignInEnv(t, clock, func(c *server.Config) { dbPath = c.DBPath })
	before := e.signInOffline(t)
	pending := e.queuePending(t)
	// The renewal waits at its start while the portal server goes away. The gate closes
	// before the session ends: a background pull that meets the refusal first must not
	// renew the session before the test holds renewals.
	gate := make(chan struct{})
	e.gate.hold(gate)
	e.endServerSession(t, before.SessionToken)

	if _, err := e.app.Approve(pending.ID); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if !poll.Until(60*time.Second, func() bool { return e.gate.waiting.Load() != 0 }) {
		t.Fatal("no renewal started after the server refused the session")
	}
	addr := strings.TrimPrefix(e.url, "http://")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	e.gate.hold(nil)
	close(gate)
	e.ev.next(t, EventSignInRequired)
	kept := e.secret(t)
	if kept.SessionToken != "" || kept.RefreshToken == "" || kept.RefreshToken == before.RefreshToken {
		t.Fatalf("the keychain holds %v; want only the refresh token the provider rotated to", kept)
	}
	if !strings.Contains(e.logText(t), "keepRefreshToken=true") {
		t.Fatalf("the log does not say the refresh token was kept:\n%s", e.logText(t))
	}

	// The server comes back at the same address with its data.
	p := servertest.Start(t, server.Config{
		Addr: addr, DBPath: dbPath,
		TrustedIssuers: []server.TrustedIssuer{{Issuer: e.issuer, Audiences: []string{ssotest.ClientID}}},
	})
	if p.URL != e.url {
		t.Fatalf("the server came back at %s, want %s", p.URL, e.url)
	}
	e.srv = p.Server

	clock.by.Store(int64(session.RefreshRetryDelay + time.Second))
	if _, err := e.app.SyncNow(); err != nil {
		t.Fatal(err)
	}
	e.waitSent(t, pending.ID)
	after := e.secret(t)
	if after.SessionToken == "" || after.RefreshToken == "" || after.RefreshToken == kept.RefreshToken {
		t.Errorf("after the later renewal the keychain holds %v; want a session and a newly rotated refresh token", after)
	}
	if st := e.state(t); !st.SignedIn {
		t.Errorf("after the later renewal: %+v", st)
	}
	if got := strings.Count(e.logText(t), "renewed the session"); got != 1 {
		t.Errorf("the log tells of %d renewals, want 1", got)
	}
	if n := strings.Count(strings.Join(e.ev.names(), " "), EventSignInRequired); n != 1 {
		t.Errorf("signin:required sent %d times, want once", n)
	}
	e.browser.mu.Lock()
	opened := len(e.browser.opened)
	e.browser.mu.Unlock()
	if opened != 1 {
		t.Errorf("the browser was opened %d times, want once (the first sign-in)", opened)
	}
}
