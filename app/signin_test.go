package app

import (
	"bytes"
	"context"
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
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/keychain"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/store"
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
func startPortal(t *testing.T, issuer string) (*server.Server, string) {
	t.Helper()
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{
		Addr:           "127.0.0.1:0",
		DBPath:         filepath.Join(t.TempDir(), "portal.db"),
		TrustedIssuers: []server.TrustedIssuer{{Issuer: issuer, Audiences: []string{ssotest.ClientID}}},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Service().BootstrapAdmin(ctx, adminEmail, ""); err != nil {
		t.Fatal(err)
	}
	u, err := srv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
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
}

func newBrowser(login string) *browser { return &browser{login: login, done: make(chan error, 4)} }

func (b *browser) set(login string, cancel bool) {
	b.mu.Lock()
	b.login, b.cancel = login, cancel
	b.mu.Unlock()
}

func (b *browser) open(authURL string) error {
	b.mu.Lock()
	login, cancel := b.login, b.cancel
	b.opened = append(b.opened, authURL)
	b.mu.Unlock()
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
			t.Fatalf("no %q event within 60 s; got %v", name, ev.names())
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

func (ev *signinEvents) done(t *testing.T) SignInDone {
	t.Helper()
	d, ok := ev.next(t, EventSignInDone).(SignInDone)
	if !ok {
		t.Fatalf("signin:done carried %T", d)
	}
	return d
}

type signInEnv struct {
	issuer  string
	srv     *server.Server
	url     string
	kc      *keychain.Memory
	browser *browser
	app     *App
	rt      *HeadlessRuntime
	ev      *signinEvents
	dir     string
	logs    string // the App's log file, outside its data folder
	t       *testing.T
}

func newSignInEnv(t *testing.T, clock portal.Clock) *signInEnv {
	t.Helper()
	e := &signInEnv{
		issuer: ssotest.Start(t).Issuer, kc: keychain.NewMemory(), browser: newBrowser(adminEmail),
		dir: t.TempDir(), logs: filepath.Join(t.TempDir(), "gatehouse.log"), t: t,
	}
	e.srv, e.url = startPortal(t, e.issuer)
	e.rt = NewHeadlessRuntime()
	e.ev = recordSignIn(t, e.rt)
	// A file, not a buffer: the App logs from its own goroutines while the test reads.
	logFile, err := os.Create(e.logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.app = New(Config{
		DatabasePath: filepath.Join(e.dir, "gatehouse.db"), Logger: logger, Clock: clock,
		Keychain: e.kc, OpenURL: e.browser.open,
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
	got, err := e.app.SaveSignInSettings(SignInSettings{ServerURL: e.url + "/", Issuer: " " + e.issuer, ClientID: clientID})
	if err != nil {
		t.Fatalf("SaveSignInSettings: %v", err)
	}
	want := SignInSettings{ServerURL: e.url, Issuer: e.issuer, ClientID: clientID}
	if got != want {
		t.Fatalf("SaveSignInSettings = %+v, want %+v", got, want)
	}
}

// signIn runs BeginSignIn to its end and returns the outcome.
func (e *signInEnv) signIn(t *testing.T) SignInDone {
	t.Helper()
	start, err := e.app.BeginSignIn()
	if err != nil {
		t.Fatalf("BeginSignIn: %v", err)
	}
	u, ok := e.ev.next(t, EventSignInURL).(SignInURL)
	if !ok || u.AuthURL != start.AuthURL || !start.BrowserOpened {
		t.Fatalf("signin:url = %+v, BeginSignIn = %+v", u, start)
	}
	done := e.ev.done(t)
	if err := <-e.browser.done; err != nil {
		t.Fatalf("the browser: %v", err)
	}
	return done
}

func (e *signInEnv) state(t *testing.T) SessionState {
	t.Helper()
	st, err := e.app.SessionState()
	if err != nil {
		t.Fatalf("SessionState: %v", err)
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
				if _, err := e.app.SaveSignInSettings(SignInSettings{ServerURL: e.url, Issuer: tc.issuer(e), ClientID: clientID}); err != nil {
					t.Fatal(err)
				}
			}
			e.browser.set(tc.login, tc.cancel)
			var d SignInError
			start, err := e.app.BeginSignIn()
			if tc.begin {
				if err == nil {
					t.Fatalf("BeginSignIn = %+v, want an error", start)
				}
				p := Payload(err)
				d = SignInError{Code: p.Code, Message: p.Message, Field: p.Field}
				var f *signInFailure
				if errors.As(err, &f) {
					d.Reason = f.d.Reason
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
	e.app.auth.open = func(u string) error { opened <- u; return errors.New("no browser here") }
	start, err := e.app.BeginSignIn()
	if err != nil {
		t.Fatal(err)
	}
	if start.BrowserOpened || start.BrowserError == "" || <-opened != start.AuthURL {
		t.Errorf("BeginSignIn without a browser = %+v", start)
	}
	// The address is sent twice: at once, and again with the browser's failure.
	if u := e.ev.next(t, EventSignInURL).(SignInURL); u.AuthURL != start.AuthURL || u.BrowserError != "" {
		t.Errorf("first signin:url = %+v", u)
	}
	if u := e.ev.next(t, EventSignInURL).(SignInURL); u.BrowserError == "" {
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

	// The session ends at the server (expired, or ended elsewhere) while the administrator
	// works on.
	oldToken := e.token(t)
	if err := client.New(e.url, oldToken).DeleteSession(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Approve(pending.ID); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	req, ok := e.ev.next(t, EventSignInRequired).(SignInRequired)
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
	// Further syncs do not ask again, and the change waits.
	if _, err := e.app.SyncNow(); err != nil {
		t.Fatal(err)
	}
	changes, err := e.app.PendingChanges()
	if err != nil || len(changes) != 1 || changes[0].Command != "approve" {
		t.Fatalf("PendingChanges = %+v, %v", changes, err)
	}
	if got := serverAccount(t, e, pending.ID); got.Status != portal.StatusPending {
		t.Fatalf("the server has %s already", got.Status)
	}
	if n := strings.Count(strings.Join(e.ev.names(), " "), EventSignInRequired); n != 1 {
		t.Errorf("signin:required sent %d times, want once", n)
	}

	// Signing in again sends the change.
	if d := e.signIn(t); !d.OK {
		t.Fatalf("sign-in again: %+v", d.Error)
	}
	if e.token(t) == oldToken {
		t.Fatal("the new sign-in kept the old token")
	}
	deadline := time.Now().Add(60 * time.Second)
	for serverAccount(t, e, pending.ID).Status != portal.StatusActive {
		if time.Now().After(deadline) {
			changes, _ := e.app.PendingChanges()
			t.Fatalf("the approval never reached the server; pending: %+v", changes)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		changes, err := e.app.PendingChanges()
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sent change is still pending: %+v", changes)
		}
		time.Sleep(50 * time.Millisecond)
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
