// Package session signs the administrator in to a remote portal server and keeps them
// signed in.
//
// The administrator signs in with their organisation's identity provider in the system
// browser (backend/sso); the verified ID token is traded at the portal server for an API
// session (POST /api/v1/session). The session token, and the provider's refresh token when
// offline access was granted, go to the OS keychain (backend/keychain) and nowhere else:
// the local database keeps only who is signed in to which server and until when. The
// backend/client that sync uses for a remote server comes from Manager.Client, which gives
// it the stored token and a transport that notices when the server stops accepting it (401).
// With a stored refresh token the Manager then renews the session silently — refresh at the
// provider, trade the new ID token at the server, keep both — and sends the refused request
// again; it also renews a session that ends within RenewAhead before it is refused. Without
// one, or when the renewal fails, it asks for a new sign-in (EventRequired) and the outbox
// waits, untouched, until there is one.
//
// The Manager knows nothing of the window: it reports through Host.Emit, and the desktop's
// app package binds its methods and forwards the events.
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/internal/wait"
	"gatehouse/backend/keychain"
	"gatehouse/backend/portal"
	"gatehouse/backend/sso"
)

// Connection modes, as Host.Server reports them.
const (
	ModeEmbedded = "embedded" // the portal server runs inside Gatehouse, on 127.0.0.1
	ModeRemote   = "remote"   // a portal server elsewhere
)

// Host is what the Manager needs from the desktop around it.
type Host interface {
	// Cache returns the open local database (an error while none is open).
	Cache() (*cache.DB, error)
	// Server returns the connection mode and, in ModeRemote, the portal server's address.
	Server() (mode, serverURL string, err error)
	// Emit tells the window about a change (one of the Event names below).
	Emit(event string, payload any)
	// SyncNow wakes the sync, so that changes waiting for a sign-in go out at once.
	SyncNow()
}

// Config holds the Manager's parts; every field has a default.
type Config struct {
	// Keychain keeps the session and refresh tokens; nil means keychain.NewSystem().
	Keychain keychain.Keychain
	// OpenURL opens the sign-in page in the system browser; nil means sso.SystemBrowser.
	OpenURL func(url string) error
	// Clock tells the time; nil is the system clock.
	Clock portal.Clock
	// Log receives what the administrator is not shown; nil discards it.
	Log *slog.Logger
	// ProviderClient talks to the identity provider; nil is sso's default (a 30-second
	// timeout over the default transport).
	ProviderClient *http.Client
}

// Events about sign-in (runtime.EventsOn(name, cb) in the window).
const (
	// EventURL carries a URLEvent as soon as a sign-in has its address, before the
	// browser is asked to open it: the Settings panel always shows it to copy.
	EventURL = "signin:url"
	// EventDone carries a Done when a started sign-in ends, however it ends.
	EventDone = "signin:done"
	// EventRequired carries a Required when the portal server stopped accepting
	// the session (it expired or was revoked): sign in again to resume sending changes.
	EventRequired = "signin:required"
	// EventState carries the new State after every sign-in, sign-out or end of
	// a session.
	EventState = "signin:state"
)

// Settings keys in the local database. Neither holds a secret.
const (
	settingSignIn = "signin.settings"
	// SettingSession holds a Stored: who is signed in to which server, until when.
	SettingSession = "signin.session"
)

// Timeouts of the calls a sign-in makes besides waiting for the browser.
const (
	serverCallTimeout   = 30 * time.Second
	keychainCallTimeout = 20 * time.Second
	// RefreshRetryDelay is how long a refresh token kept after an unreachable provider
	// waits before it is tried again, so that every sync does not knock on its door.
	RefreshRetryDelay = time.Minute
	// RenewAhead is how long before the session's end it is renewed, when a refresh token
	// is kept: the change in progress then never meets a refusal.
	RenewAhead = 5 * time.Minute
)

// Settings says where Gatehouse signs in. ServerURL is the portal server (empty in
// the local, embedded mode); the rest describe the organisation's identity provider.
type Settings struct {
	ServerURL string `json:"serverUrl"`
	Issuer    string `json:"issuer"`
	ClientID  string `json:"clientId"`
	// Scopes are asked for besides "openid", space-separated; empty means "email profile".
	// "offline_access" keeps a refresh token in the keychain.
	Scopes string `json:"scopes"`
}

// State is what the Settings panel and the status bar show about the sign-in.
type State struct {
	// Mode is "embedded" (no sign-in needed) or "remote".
	Mode      string `json:"mode"`
	ServerURL string `json:"serverUrl"`
	// SignedIn is true when this computer holds a session for ServerURL that has not
	// expired and that the server has not refused.
	SignedIn bool   `json:"signedIn"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	// ExpiresAt is when the session ends (null when not signed in).
	ExpiresAt *time.Time `json:"expiresAt"`
	// NeedsSignIn is true in remote mode without a usable session: sync cannot send
	// changes until someone signs in.
	NeedsSignIn bool `json:"needsSignIn"`
	// Message says why the last session ended, or what went wrong at the last sign-out.
	Message string `json:"message"`
	// InProgress is true while a sign-in waits for the browser; AuthURL is its address and
	// Test tells a test sign-in from a real one.
	InProgress bool   `json:"inProgress"`
	AuthURL    string `json:"authUrl"`
	Test       bool   `json:"test"`
}

// Start is the answer to BeginSignIn and TestSignIn.
type Start struct {
	// AuthURL is the identity provider's sign-in address; the browser was asked to open it.
	AuthURL string `json:"authUrl"`
	// BrowserOpened is false when no browser could be opened; BrowserError says so as a
	// sentence, and the person copies AuthURL into a browser instead.
	BrowserOpened bool   `json:"browserOpened"`
	BrowserError  string `json:"browserError"`
	Test          bool   `json:"test"`
}

// URLEvent is the payload of EventURL.
type URLEvent struct {
	AuthURL string `json:"authUrl"`
	Test    bool   `json:"test"`
	// BrowserError is set in a second event when the browser did not open.
	BrowserError string `json:"browserError,omitempty"`
}

// Failure says why a sign-in failed: Message is the sentence to show, Reason what the
// UI can switch on (sso reasons such as "provider_unreachable", "cancelled",
// "wrong_audience", "clock_skew", and "not_allowed", "server_refused",
// "server_unreachable", "server_error", "keychain").
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Field   string `json:"field,omitempty"`
}

// Done is the payload of EventDone.
type Done struct {
	OK   bool `json:"ok"`
	Test bool `json:"test"`
	// Email and Name are who signed in, as the portal server knows them.
	Email     string     `json:"email,omitempty"`
	Name      string     `json:"name,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	Error     *Failure   `json:"error,omitempty"`
}

// Required is the payload of EventRequired.
type Required struct {
	ServerURL string `json:"serverUrl"`
	Email     string `json:"email"`
	Message   string `json:"message"`
}

// Stored is who is signed in to which server, kept in the local database so the
// keychain entry can be found again after a restart. It never holds a token.
type Stored struct {
	ServerURL  string    `json:"serverUrl"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	Issuer     string    `json:"issuer"`
	ExpiresAt  time.Time `json:"expiresAt"`
	SignedInAt time.Time `json:"signedInAt"`
}

func (s Stored) key() keychain.Key {
	return keychain.Key{ServerURL: s.ServerURL, Account: s.Email}
}

// Manager holds the sign-in state of one desktop: who is signed in to which server, the
// session token in use, the sign-in waiting for the browser and the renewal under way.
type Manager struct {
	host Host
	kc   keychain.Keychain
	open func(string) error
	wall portal.Clock
	log  *slog.Logger
	idp  *http.Client // the identity provider's road; nil: sso's default

	mu      sync.Mutex
	loaded  bool
	session *Stored        // nil: nobody signed in on this computer
	token   string         // the session token in use; "" when there is none or it was refused
	ended   string         // why the last session ended, for State.Message
	live    *client.Client // the client remoteClient gave sync; its token follows the session
	flow    *pendingSignIn
	nextID  uint64
	closed  bool
	wg      sync.WaitGroup
	// db is the cache the live client was made with: renewal runs on sync's goroutines,
	// whose callers may hold the desktop's lock, so it does not look the cache up.
	db *cache.DB
	// renewing is the silent renewal in progress, shared by every request its token was
	// refused for.
	renewing *renewal
	// retryRefreshAt is when a refresh token kept after a failed renewal (the provider or
	// the server could not be reached) may be tried again; zero when none is kept.
	retryRefreshAt time.Time
	// hasRefresh says the keychain holds a refresh token for the session in use, so it can
	// be renewed ahead of its end; earlyRetryAt holds such a renewal back after one failed
	// for want of the provider or the server.
	hasRefresh   bool
	earlyRetryAt time.Time
	// life ends at Close; renewals run under it, not under the request
	// that noticed the refusal, so one cancelled request does not abandon the others.
	life context.Context
	stop context.CancelFunc

	// kcMu orders the writes of the session's keychain entry (sign-in, renewal, end of a
	// session, sign-out), so that a renewal never overwrites what a newer sign-in stored
	// nor revives an entry a sign-out deleted.
	kcMu sync.Mutex
}

// renewal is one silent renewal of a refused session token.
type renewal struct {
	old string
	// early is a renewal ahead of the session's end: old still works, so a failure
	// changes nothing for the administrator.
	early bool
	done  chan struct{}
	// token is the new session token once done; "" when the renewal failed.
	token string
}

// pendingSignIn is one sign-in waiting for the browser.
type pendingSignIn struct {
	id        uint64
	test      bool
	serverURL string
	issuer    string
	authURL   string
	ctx       context.Context
	cancel    context.CancelFunc
	flow      *sso.Flow // nil until the listener is open
}

// New returns the Manager of one desktop. Close it when the desktop shuts down.
func New(host Host, cfg Config) *Manager {
	if cfg.Keychain == nil {
		cfg.Keychain = keychain.NewSystem()
	}
	if cfg.OpenURL == nil {
		cfg.OpenURL = sso.SystemBrowser
	}
	if cfg.Clock == nil {
		cfg.Clock = portal.SystemClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	life, stop := context.WithCancel(context.Background())
	return &Manager{host: host, kc: cfg.Keychain, open: cfg.OpenURL, wall: cfg.Clock, log: cfg.Log, idp: cfg.ProviderClient, life: life, stop: stop}
}

func (s *Manager) now() time.Time { return s.wall.Now() }

// LiveToken is the session token on the client Client last returned ("" when it has none):
// what sync sends, for diagnostics and tests.
func (s *Manager) LiveToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		return ""
	}
	return s.live.Token()
}

// server returns the connection mode and the remote server's address, normalised.
func (s *Manager) server() (mode, serverURL string, err error) {
	mode, serverURL, err = s.host.Server()
	if err != nil || mode != ModeRemote {
		return mode, "", err
	}
	return mode, NormaliseServerURL(serverURL), nil
}

// Close abandons a sign-in still waiting for the browser and waits for every renewal and
// sign-in to finish.
func (s *Manager) Close() {
	s.mu.Lock()
	s.closed = true
	p := s.flow
	s.flow = nil
	s.mu.Unlock()
	if p != nil {
		p.cancel()
	}
	s.stop()
	s.wg.Wait()
	s.mu.Lock()
	if s.live != nil {
		s.live.CloseIdleConnections()
	}
	s.mu.Unlock()
}

// NormaliseServerURL trims spaces and trailing slashes, so one server has one address.
func NormaliseServerURL(raw string) string { return strings.TrimRight(strings.TrimSpace(raw), "/") }

func (s *Manager) clock() portal.Clock {
	if db, err := s.host.Cache(); err == nil {
		return db.Clock()
	}
	return portal.SystemClock{}
}

// loadLocked reads the stored session, and its token from the keychain, once. db is nil
// when the cache is not open: nothing is loaded then, and the next call tries again.
func (s *Manager) loadLocked(ctx context.Context, db *cache.DB) {
	if s.loaded || db == nil {
		return
	}
	s.loaded = true
	var st Stored
	ok, err := db.GetSetting(ctx, SettingSession, &st)
	if err != nil {
		s.log.Error("read the stored sign-in", "err", err)
		s.ended = "Gatehouse could not read who was signed in on this computer. Sign in again."
		return
	}
	if !ok || st.ServerURL == "" || st.Email == "" {
		return
	}
	s.session = &st
	kctx, cancel := context.WithTimeout(ctx, keychainCallTimeout)
	defer cancel()
	sec, err := s.kc.Load(kctx, st.key())
	switch {
	case errors.Is(err, keychain.ErrNotFound):
		s.ended = fmt.Sprintf("The sign-in of %s is no longer in this computer's keychain. Sign in again.", st.Email)
	case err != nil:
		s.log.Error("read the session from the keychain", "server", st.ServerURL, "err", err)
		s.ended = portal.ErrorMessage(err)
	default:
		s.token = sec.SessionToken
		s.hasRefresh = sec.RefreshToken != ""
		if s.token == "" && sec.RefreshToken != "" {
			// Kept after a renewal the provider could not be reached for: try it again.
			s.retryRefreshAt = s.now()
			s.ended = fmt.Sprintf("The portal server at %s no longer accepts the sign-in of %s (it expired or was ended). Sign in again; your changes are kept and sent once you have.", st.ServerURL, st.Email)
		}
	}
}

// Client returns the client sync uses for the remote portal server at serverURL: it
// carries the stored session token for that server, if any, and its transport renews the
// session or reports its end when the server answers 401 to that token. db is the open
// cache (passed in, not looked up, so that the caller may hold the desktop's lock).
func (s *Manager) Client(ctx context.Context, db *cache.DB, serverURL string) *client.Client {
	serverURL = NormaliseServerURL(serverURL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked(ctx, db)
	token := ""
	if s.session != nil && s.session.ServerURL == serverURL {
		token = s.token
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	hc := &http.Client{Timeout: 60 * time.Second, Transport: s.Transport(base)}
	cl := client.New(serverURL, token, client.WithHTTPClient(hc))
	if s.live != nil {
		s.live.CloseIdleConnections() // its transport is dropped with it
	}
	s.live = cl
	if db != nil {
		s.db = db
	}
	return cl
}

// SignedInTo reports, from memory only (it runs on sync's goroutines), whether a session
// for serverURL is held and has not been refused or expired.
func (s *Manager) SignedInTo(serverURL string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session != nil && s.token != "" && s.session.ServerURL == NormaliseServerURL(serverURL) && now.Before(s.session.ExpiresAt)
}

// sessionWatch notices the portal server refusing the session token. It renews the
// session silently with the stored refresh token when it can, and sends the refused request
// again with the new token: the server refuses before it handles anything, so the request
// reaches it once, and sync never sees the refusal. Only when the renewal fails does the
// 401 reach sync, as it did before renewal existed.
type sessionWatch struct {
	base http.RoundTripper
	s    *Manager
}

// Transport wraps base so that requests carrying this Manager's session token renew it
// ahead of its end, and a refusal (401) renews it silently or ends it.
func (s *Manager) Transport(base http.RoundTripper) http.RoundTripper {
	return &sessionWatch{base: base, s: s}
}

// CloseIdleConnections closes the base transport's idle connections (http.Client asks
// its transport for this).
func (w *sessionWatch) CloseIdleConnections() {
	if c, ok := w.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (w *sessionWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		w.s.renewEarly(tok)
	}
	resp, err := w.base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// Without a token ("" here) the session has ended; a refresh token kept for a later
	// try may still bring it back.
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	fresh := w.s.renew(r.Context(), tok)
	if fresh == "" || fresh == tok {
		return resp, err
	}
	retry := r.Clone(r.Context())
	if r.Body != nil && r.Body != http.NoBody {
		if r.GetBody == nil {
			return resp, err // cannot be sent twice; sync sends it again itself
		}
		body, berr := r.GetBody()
		if berr != nil {
			return resp, err
		}
		retry.Body = body
	}
	retry.Header.Set("Authorization", "Bearer "+fresh)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp, err = w.base.RoundTrip(retry)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		// Refused at once: no second renewal in a row, the session simply ends.
		w.s.refused(fresh)
	}
	return resp, err
}

// renew returns a session token to send again the request refused with old: a new one
// from a silent renewal (started here, or shared with the renewal already under way for
// old), the one in use when old was replaced meanwhile, or "" when there is none and the
// session has ended.
func (s *Manager) renew(ctx context.Context, old string) string {
	s.mu.Lock()
	r := s.renewing
	switch {
	case r != nil && r.old == old:
		// Someone else's request was refused first: wait for that renewal.
	case s.session == nil || s.closed:
		s.mu.Unlock()
		return ""
	case old != s.token:
		// Replaced already (or the session ended): the current token, if any, is the answer.
		cur := s.token
		s.mu.Unlock()
		return cur
	case old == "" && (s.retryRefreshAt.IsZero() || s.now().Before(s.retryRefreshAt)):
		// Signed out: nothing to try, or not yet.
		s.mu.Unlock()
		return ""
	default:
		r = &renewal{old: old, done: make(chan struct{})}
		s.startRenewal(r)
	}
	s.mu.Unlock()
	select {
	case <-r.done:
		return r.token
	case <-ctx.Done():
		return ""
	}
}

// renewEarly starts renewing the session in the background when it ends within
// RenewAhead and a refresh token is kept. The request that noticed goes on with tok, which
// still works; the renewed token replaces it on the client as soon as it is there.
func (s *Manager) renewEarly(tok string) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok == "" || tok != s.token || s.session == nil || s.closed || !s.hasRefresh || s.renewing != nil ||
		now.Before(s.session.ExpiresAt.Add(-RenewAhead)) || now.Before(s.earlyRetryAt) {
		return
	}
	s.startRenewal(&renewal{old: tok, early: true, done: make(chan struct{})})
}

// startRenewal makes r the renewal under way and runs it in the background, on a copy of
// the session as it is now. The caller holds s.mu.
func (s *Manager) startRenewal(r *renewal) {
	s.renewing = r
	st, db := *s.session, s.db
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runRenewal(r, st, db)
	}()
}

// renewFailure says why a silent renewal did not work; keepRefresh is set when the
// stored refresh token may still be good (the provider or the server could not be
// reached), so that the next sign-in attempt can use it.
type renewFailure struct {
	reason      string
	err         error
	keepRefresh bool
}

// runRenewal renews the session st, whose token r.old the server refused (or which ends
// soon, for an early renewal), and hands the outcome to the requests waiting on r. It never holds s.mu while talking to the keychain,
// the provider or the server.
func (s *Manager) runRenewal(r *renewal, st Stored, db *cache.DB) {
	ctx, cancel := context.WithTimeout(s.life, 2*serverCallTimeout+2*keychainCallTimeout)
	defer cancel()
	fresh, fail := s.renewSession(ctx, r, st, db)
	if fail == nil {
		s.mu.Lock()
		s.renewing = nil
		r.token = fresh
		var next *Stored
		if s.session != nil && s.token == fresh {
			cp := *s.session
			next = &cp
		}
		s.mu.Unlock()
		// Logged before the waiting requests go on, so that whoever sees them through sees
		// the renewal in the log too.
		s.log.Info("renewed the session with the stored refresh token", "server", st.ServerURL, "account", st.Email, "ahead", r.early)
		close(r.done)
		if next != nil {
			if err := db.SetSetting(ctx, SettingSession, *next); err != nil {
				s.log.Error("remember until when the renewed session lasts", "err", err)
			}
		}
		if r.early {
			// The old session still works at the server; nothing uses it any more.
			s.endTestSession(st.ServerURL, r.old)
		}
		// The retried requests go on meanwhile; the changes that wait for a retry (after a
		// later try with a kept refresh token, say) go now.
		s.resumeWaitingChanges(ctx, db)
		s.emitState()
		return
	}
	if r.early {
		s.log.Warn("could not renew the session ahead of its end; it stays in use until then", "server", st.ServerURL, "account", st.Email,
			"reason", fail.reason, "err", fail.err)
		s.mu.Lock()
		s.renewing = nil
		if fail.keepRefresh {
			s.earlyRetryAt = s.now().Add(RefreshRetryDelay)
		} else {
			s.hasRefresh = false // a refusal when the session ends tries once more, then asks
		}
		s.mu.Unlock()
		close(r.done)
		return
	}
	s.log.Warn("could not renew the session silently; sign-in required", "server", st.ServerURL, "account", st.Email,
		"reason", fail.reason, "keepRefreshToken", fail.keepRefresh, "err", fail.err)
	if r.old == "" {
		// A later try with a kept refresh token: the administrator was told already.
		s.mu.Lock()
		s.renewing = nil
		s.retryRefreshAt = time.Time{}
		if fail.keepRefresh {
			s.retryRefreshAt = s.now().Add(RefreshRetryDelay)
		}
		s.mu.Unlock()
		close(r.done)
		if !fail.keepRefresh {
			s.kcMu.Lock()
			if s.current("", st) {
				if err := s.kc.Delete(ctx, st.key()); err != nil {
					s.log.Error("forget the refused refresh token in the keychain", "err", err)
				}
			}
			s.kcMu.Unlock()
		}
		return
	}
	// Waiting requests first get their 401 back: emitting the events below may need
	// locks that their callers hold.
	end := s.endSession(r.old, fail.keepRefresh)
	s.mu.Lock()
	s.renewing = nil
	s.mu.Unlock()
	close(r.done)
	if end != nil {
		end()
	}
}

// renewSession refreshes at the provider, trades the new ID token at the server, and
// keeps the new session and the rotated refresh token, exactly as a sign-in would.
func (s *Manager) renewSession(ctx context.Context, r *renewal, st Stored, db *cache.DB) (string, *renewFailure) {
	if db == nil {
		return "", &renewFailure{reason: "no_database", err: errors.New("the local database is not open")}
	}
	kctx, kcancel := context.WithTimeout(ctx, keychainCallTimeout)
	sec, err := s.kc.Load(kctx, st.key())
	kcancel()
	if err != nil {
		return "", &renewFailure{reason: "keychain", err: err}
	}
	if sec.RefreshToken == "" {
		return "", &renewFailure{reason: "no_refresh_token", err: errors.New("the sign-in was made without offline access")}
	}
	var set Settings
	if _, err := db.GetSetting(ctx, settingSignIn, &set); err != nil {
		return "", &renewFailure{reason: "settings", err: err, keepRefresh: true}
	}
	if set.Issuer != st.Issuer {
		// The refresh token belongs to the provider that issued it, not to the one now in
		// Settings.
		return "", &renewFailure{reason: "issuer_changed", err: fmt.Errorf("signed in with %s, settings name %s", st.Issuer, set.Issuer)}
	}
	pctx, pcancel := context.WithTimeout(ctx, serverCallTimeout)
	defer pcancel()
	c, err := sso.NewClient(pctx, sso.Config{Issuer: set.Issuer, ClientID: set.ClientID, Scopes: strings.Fields(set.Scopes), Clock: db.Clock(), HTTPClient: s.idp})
	if err != nil {
		return "", &renewFailure{reason: string(sso.ReasonOf(err)), err: err, keepRefresh: sso.ReasonOf(err) == sso.ReasonProviderUnreachable}
	}
	refresh := sec.RefreshToken
	var sess client.Session
	for try := 1; ; try++ {
		res, err := c.Refresh(pctx, refresh)
		if err != nil {
			return "", &renewFailure{reason: string(sso.ReasonOf(err)), err: err, keepRefresh: sso.ReasonOf(err) == sso.ReasonProviderUnreachable}
		}
		if res.RefreshToken != "" && res.RefreshToken != refresh {
			// The provider rotated it: the old one is dead from now on, so the new one is
			// kept before anything else can fail.
			refresh = res.RefreshToken
			if err := s.storeSecretIf(ctx, r.old, st, keychain.Secret{SessionToken: r.old, RefreshToken: refresh, Expiry: st.ExpiresAt}); err != nil {
				return "", &renewFailure{reason: "keychain", err: err}
			}
		} // else not rotated: the old one stays good
		sess, err = s.trade(ctx, st.ServerURL, res.RawIDToken)
		ce, reachable := client.AsError(err)
		if err != nil && reachable && portal.IsIDTokenSpent(ce.Code, ce.Field) && try < spentTokenTries {
			// The server takes an ID token once. A provider stamps its tokens to the
			// second and may give a renewal in the same second the very token it gave the
			// sign-in, and a lost answer leaves a token spent: a later second's token is new.
			s.log.Info("the ID token was already used; asking the provider for a new one", "try", try)
			if werr := wait.Sleep(pctx, time.Until(time.Now().Truncate(time.Second).Add(time.Second+50*time.Millisecond))); werr != nil {
				return "", &renewFailure{reason: "cancelled", err: werr, keepRefresh: true}
			}
			continue
		}
		if err != nil {
			return "", &renewFailure{reason: describeServerError(errors.Unwrap(err), st.ServerURL, st.Email).Reason, err: err, keepRefresh: !reachable}
		}
		break
	}
	if !strings.EqualFold(sess.Account.Email, st.Email) {
		s.endTestSession(st.ServerURL, sess.Token)
		return "", &renewFailure{reason: "other_account", err: fmt.Errorf("the provider's sign-in now belongs to %s", sess.Account.Email)}
	}
	next := st
	next.Name, next.ExpiresAt = sess.Account.Name, sess.ExpiresAt.UTC()
	if err := s.keepRenewed(ctx, r.old, next, keychain.Secret{SessionToken: sess.Token, RefreshToken: refresh, Expiry: sess.ExpiresAt}); err != nil {
		s.endTestSession(st.ServerURL, sess.Token) // nothing would remember it
		return "", &renewFailure{reason: "keychain", err: err}
	}
	return sess.Token, nil
}

// spentTokenTries is how many ID tokens a renewal trades before it gives up on a server
// that calls each one already used.
const spentTokenTries = 3

// errSessionReplaced is a renewal overtaken by a sign-in or a sign-out.
var errSessionReplaced = errors.New("the session was replaced or ended while it was being renewed")

// storeSecretIf stores sec for st while old is still the session token in use.
func (s *Manager) storeSecretIf(ctx context.Context, old string, st Stored, sec keychain.Secret) error {
	s.kcMu.Lock()
	defer s.kcMu.Unlock()
	_, err := s.storeIfCurrent(ctx, old, st, sec)
	return err
}

// storeIfCurrent stores sec for st, as storeSecret does, while old is still the session
// token in use. The caller holds kcMu.
func (s *Manager) storeIfCurrent(ctx context.Context, old string, st Stored, sec keychain.Secret) (keychain.Secret, error) {
	if !s.current(old, st) {
		return sec, errSessionReplaced
	}
	return s.storeSecret(ctx, st.key(), sec)
}

// storeSecret stores sec, without the refresh token when the keychain cannot hold both,
// and returns what it stored.
func (s *Manager) storeSecret(ctx context.Context, key keychain.Key, sec keychain.Secret) (keychain.Secret, error) {
	kctx, cancel := context.WithTimeout(ctx, keychainCallTimeout)
	defer cancel()
	err := s.kc.Store(kctx, key, sec)
	if err != nil && sec.RefreshToken != "" && portal.ErrorCode(err) == portal.EINVALID {
		// Too large for the keychain (Windows holds 2,560 bytes): the session alone is
		// what sync needs, so keep that and do without the refresh token.
		s.log.Warn("the refresh token does not fit in the keychain; keeping the session only", "err", err)
		sec.RefreshToken = ""
		err = s.kc.Store(kctx, key, sec)
	}
	return sec, err
}

func (s *Manager) current(old string, st Stored) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session != nil && s.session.key() == st.key() && s.token == old
}

// keepRenewed stores the renewed session in the keychain and puts its token on the live
// client, unless a sign-in or sign-out came first. The local database learns of it after
// the waiting requests are let go (runRenewal): their callers may be using it.
func (s *Manager) keepRenewed(ctx context.Context, old string, st Stored, sec keychain.Secret) error {
	s.kcMu.Lock()
	defer s.kcMu.Unlock()
	sec, err := s.storeIfCurrent(ctx, old, st, sec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.session, s.token, s.ended, s.retryRefreshAt = &st, sec.SessionToken, "", time.Time{}
	// Not again within RenewAhead, even if this clock runs so far ahead of the server's
	// that the new session looks as good as ended already.
	s.hasRefresh, s.earlyRetryAt = sec.RefreshToken != "", s.now().Add(RenewAhead)
	if s.live != nil && s.live.BaseURL() == st.ServerURL {
		s.live.SetToken(sec.SessionToken)
	}
	s.mu.Unlock()
	return nil
}

// refused ends the session whose token the server answered 401 to, without trying to
// renew it.
func (s *Manager) refused(token string) {
	if end := s.endSession(token, false); end != nil {
		s.wg.Add(1)
		// Off the request's goroutine: sync is in the middle of a request, and whoever
		// started it may hold locks that describing the state needs.
		go func() {
			defer s.wg.Done()
			end()
		}()
	}
}

// endSession ends the session whose token is token, as the server refused it and it could
// not be renewed. A stale token (one replaced by a newer sign-in while its request was on
// the way) is ignored, and so is every refusal after the first: the token is taken off the
// client at once. It returns what remains to be done off the request's goroutine (nil
// when nothing): forget the session in the keychain — keeping the refresh token when
// keepRefresh — and tell the window.
func (s *Manager) endSession(token string, keepRefresh bool) func() {
	s.mu.Lock()
	if token != s.token || s.session == nil {
		s.mu.Unlock()
		return nil
	}
	st := *s.session
	s.token = ""
	s.ended = fmt.Sprintf("The portal server at %s no longer accepts the sign-in of %s (it expired or was ended). Sign in again; your changes are kept and sent once you have.", st.ServerURL, st.Email)
	if s.live != nil && s.live.BaseURL() == st.ServerURL {
		s.live.SetToken("")
	}
	msg := s.ended
	s.retryRefreshAt, s.hasRefresh = time.Time{}, false
	if keepRefresh {
		s.retryRefreshAt = s.now().Add(RefreshRetryDelay)
	}
	s.mu.Unlock()
	s.log.Warn("the portal server refused the session; sign-in required", "server", st.ServerURL, "account", st.Email)

	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), keychainCallTimeout)
		defer cancel()
		s.kcMu.Lock()
		if s.current("", st) {
			// The dead session token has no use any more. The refresh token goes with it,
			// since the next sign-in brings a new one, unless the provider could not be
			// asked: then it stays for the next try.
			var err error
			if keepRefresh {
				err = s.keepRefreshOnly(ctx, st)
			} else {
				err = s.kc.Delete(ctx, st.key())
			}
			if err != nil {
				s.log.Error("forget the refused session in the keychain", "err", err)
			}
		}
		s.kcMu.Unlock()
		s.host.Emit(EventRequired, Required{ServerURL: st.ServerURL, Email: st.Email, Message: msg})
		s.emitState()
	}
}

// keepRefreshOnly leaves only the refresh token in st's keychain entry.
func (s *Manager) keepRefreshOnly(ctx context.Context, st Stored) error {
	sec, err := s.kc.Load(ctx, st.key())
	if err != nil {
		return err
	}
	if sec.RefreshToken == "" {
		return s.kc.Delete(ctx, st.key())
	}
	return s.kc.Store(ctx, st.key(), keychain.Secret{RefreshToken: sec.RefreshToken})
}

func (s *Manager) emitState() {
	st, err := s.State(context.Background())
	if err != nil {
		s.log.Error("describe the sign-in state", "err", err)
		return
	}
	s.host.Emit(EventState, st)
}

// ---- settings ----

// Settings returns the portal server and identity provider Gatehouse signs in with.
func (s *Manager) Settings(ctx context.Context) (Settings, error) {
	db, err := s.host.Cache()
	if err != nil {
		return Settings{}, err
	}
	var set Settings
	if _, err := db.GetSetting(ctx, settingSignIn, &set); err != nil {
		return Settings{}, err
	}
	_, set.ServerURL, err = s.server()
	if err != nil {
		return Settings{}, err
	}
	return set, nil
}

// SaveSettings stores the identity provider's settings. The server address is not kept
// here: the desktop's connection keeps it, and switches to it before calling this.
func (s *Manager) SaveSettings(ctx context.Context, set Settings) error {
	db, err := s.host.Cache()
	if err != nil {
		return err
	}
	set.ServerURL = ""
	if err := db.SetSetting(ctx, settingSignIn, set); err != nil {
		return portal.Errorf(portal.EINTERNAL, "Gatehouse could not save the sign-in settings in its local database (%v). Check that the disk is not full, then try again.", err)
	}
	return nil
}

// InsecureHTTPAllowed reports whether this desktop was started to allow plain-HTTP portal
// servers and identity providers off this computer (GATEHOUSE_INSECURE_HTTP=1): a test
// setup's choice, never the default.
func InsecureHTTPAllowed() bool { return os.Getenv("GATEHOUSE_INSECURE_HTTP") == "1" }

// CheckSettings trims set and says, field by field, what is wrong with it.
func CheckSettings(set Settings) (Settings, error) {
	set.ServerURL = NormaliseServerURL(set.ServerURL)
	set.Issuer = strings.TrimSpace(set.Issuer)
	set.ClientID = strings.TrimSpace(set.ClientID)
	set.Scopes = strings.Join(strings.Fields(set.Scopes), " ")
	if set.ServerURL != "" {
		u, err := url.Parse(set.ServerURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
			return set, portal.FieldErrorf("serverUrl", "%q is not a portal server address. Enter it like https://portal.example.org.", set.ServerURL)
		}
		if err := portal.RequireHTTPS("serverUrl", u, InsecureHTTPAllowed()); err != nil {
			return set, err
		}
	}
	if set.Issuer != "" {
		u, err := url.Parse(set.Issuer)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return set, portal.FieldErrorf("issuer", "%q is not an identity provider address. Enter the issuer URL like https://login.example.org.", set.Issuer)
		}
		if err := portal.RequireHTTPS("issuer", u, InsecureHTTPAllowed()); err != nil {
			return set, err
		}
	}
	if strings.ContainsAny(set.ClientID, " \t\r\n") {
		return set, portal.FieldErrorf("clientId", "A client ID has no spaces. Copy it exactly as your identity provider's administrator gave it.")
	}
	return set, nil
}

// ---- the flow ----

var errCancelledInApp = portal.Errorf(portal.EUNAUTHORIZED, "Sign-in was cancelled in Gatehouse.")

// Begin starts signing in (test: only to check the settings end to end; the session it
// gets is ended at once and the current one kept). It opens the identity provider's page
// in the system browser and returns its address at once (also sent as EventURL, so it can be
// copied if no browser opens); the outcome arrives as EventDone. Starting again abandons a
// sign-in still waiting.
func (s *Manager) Begin(test bool) (Start, error) {
	mode, serverURL, err := s.server()
	if err != nil {
		return Start{}, err
	}
	if mode != ModeRemote || serverURL == "" {
		return Start{}, portal.FieldErrorf("serverUrl", "Signing in is for a portal server. Enter the server's address in Settings and save it first; the local portal on this computer needs no sign-in.")
	}
	return s.begin(test, serverURL)
}

// BeginAt starts signing in to the portal server at serverURL, which need not be the one
// in use yet: going live signs in first and switches only once the server accepted the
// sign-in. The outcome arrives as EventDone, as for Begin.
func (s *Manager) BeginAt(serverURL string) (Start, error) {
	serverURL = NormaliseServerURL(serverURL)
	if serverURL == "" {
		return Start{}, portal.FieldErrorf("serverUrl", "Enter the portal server's address.")
	}
	return s.begin(false, serverURL)
}

func (s *Manager) begin(test bool, serverURL string) (Start, error) {
	db, err := s.host.Cache()
	if err != nil {
		return Start{}, err
	}
	ctx := context.Background()
	var set Settings
	if _, err := db.GetSetting(ctx, settingSignIn, &set); err != nil {
		return Start{}, err
	}

	p := &pendingSignIn{test: test, serverURL: serverURL, issuer: set.Issuer}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		p.cancel()
		return Start{}, portal.Errorf(portal.EINTERNAL, "Gatehouse is closing; sign in after it starts again.")
	}
	old := s.flow
	s.nextID++
	p.id = s.nextID
	s.flow = p
	s.mu.Unlock()
	if old != nil {
		old.cancel() // superseded: its goroutine ends without reporting
	}

	fail := func(err error) (Start, error) {
		s.mu.Lock()
		if s.flow == p {
			s.flow = nil
		}
		s.mu.Unlock()
		p.cancel()
		return Start{}, &BeginError{Failure: describeSignInError(err, set, serverURL, ""), cause: err}
	}
	// The provider's discovery happens here, so a wrong issuer or an unreachable provider
	// is the answer to the click, not an event later. The flow's context (not the call's)
	// is given: the provider's keys are fetched with it when the browser comes back.
	c, err := sso.NewClient(p.ctx, sso.Config{Issuer: set.Issuer, ClientID: set.ClientID, Scopes: strings.Fields(set.Scopes), Clock: s.clock(), HTTPClient: s.idp})
	if err != nil {
		return fail(err)
	}
	f, err := c.Begin(p.ctx)
	if err != nil {
		return fail(err)
	}
	s.mu.Lock()
	if s.flow != p { // cancelled or superseded during discovery
		s.mu.Unlock()
		f.Close()
		return fail(errCancelledInApp)
	}
	p.flow, p.authURL = f, f.AuthURL()
	s.wg.Add(1)
	s.mu.Unlock()
	go s.finish(p, set)

	start := Start{AuthURL: p.authURL, Test: test, BrowserOpened: true}
	s.host.Emit(EventURL, URLEvent{AuthURL: p.authURL, Test: test})
	if err := s.open(p.authURL); err != nil {
		s.log.Warn("the system browser did not open; the sign-in address is shown to copy", "err", err)
		start.BrowserOpened = false
		start.BrowserError = "Gatehouse could not open your web browser. Copy the sign-in address shown here into a browser on this computer; the sign-in continues there."
		s.host.Emit(EventURL, URLEvent{AuthURL: p.authURL, Test: test, BrowserError: start.BrowserError})
	}
	s.emitState()
	return start, nil
}

// finish waits for the browser, trades the ID token for a session and keeps it (or, for a
// test, ends it), then reports the outcome.
func (s *Manager) finish(p *pendingSignIn, set Settings) {
	defer s.wg.Done()
	defer p.cancel()
	done := Done{Test: p.test}
	var email string
	res, err := p.flow.Wait(p.ctx)
	if err == nil {
		email = res.Claims.Email
		var sess client.Session
		sess, err = s.trade(p.ctx, p.serverURL, res.RawIDToken)
		if err == nil {
			email = sess.Account.Email
			if p.test {
				s.endTestSession(p.serverURL, sess.Token)
			} else {
				err = s.keep(p, res, sess, set)
			}
		}
		if err == nil {
			exp := sess.ExpiresAt.UTC()
			done = Done{OK: true, Test: p.test, Email: sess.Account.Email, Name: sess.Account.Name, ExpiresAt: &exp}
		}
	}
	s.mu.Lock()
	current := s.flow == p
	if current {
		s.flow = nil
	}
	s.mu.Unlock()
	if !current && err != nil {
		return // superseded by a newer sign-in or Gatehouse is closing: nobody waits for this one
	}
	if err != nil {
		d := describeSignInError(err, set, p.serverURL, email)
		done.Error = &d
		s.log.Info("sign-in failed", "reason", d.Reason, "test", p.test, "err", err)
	} else {
		s.log.Info("signed in", "server", p.serverURL, "account", done.Email, "test", p.test)
	}
	s.host.Emit(EventDone, done)
	s.emitState()
}

// trade exchanges the verified ID token for an API session at the portal server.
func (s *Manager) trade(ctx context.Context, serverURL, idToken string) (client.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, serverCallTimeout)
	defer cancel()
	sess, err := client.New(serverURL, "").CreateSession(ctx, idToken)
	if err != nil {
		return sess, &serverError{err: err}
	}
	return sess, nil
}

// serverError marks a failure of the portal server's side of the sign-in.
type serverError struct{ err error }

func (e *serverError) Error() string { return "portal server session: " + e.err.Error() }
func (e *serverError) Unwrap() error { return e.err }

// endTestSession ends the session a test sign-in got: the test proved the server accepts
// the account, and the session in use stays the one signed in before.
func (s *Manager) endTestSession(serverURL, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), serverCallTimeout)
	defer cancel()
	if err := client.New(serverURL, token).DeleteSession(ctx); err != nil {
		s.log.Warn("end the test sign-in's session at the portal server", "err", err)
	}
}

// keepError marks a failure to keep the session on this computer.
type keepError struct{ err error }

func (e *keepError) Error() string { return "keep the session: " + e.err.Error() }
func (e *keepError) Unwrap() error { return e.err }

// keep stores the new session in the keychain (and who it belongs to in the local
// database), hands its token to sync's client, and lets the waiting changes go.
func (s *Manager) keep(p *pendingSignIn, res *sso.Result, sess client.Session, set Settings) error {
	ctx, cancel := context.WithTimeout(context.Background(), keychainCallTimeout)
	defer cancel()
	db, err := s.host.Cache()
	if err != nil {
		return err
	}
	st := Stored{
		ServerURL: p.serverURL, Email: sess.Account.Email, Name: sess.Account.Name, Issuer: set.Issuer,
		ExpiresAt: sess.ExpiresAt.UTC(), SignedInAt: s.clock().Now().UTC(),
	}
	sec := keychain.Secret{SessionToken: sess.Token, RefreshToken: res.RefreshToken, Expiry: sess.ExpiresAt}
	s.kcMu.Lock()
	sec, err = s.storeSecret(ctx, st.key(), sec)
	if err != nil {
		s.kcMu.Unlock()
		s.endTestSession(p.serverURL, sess.Token) // nothing would remember it
		return &keepError{err}
	}

	s.mu.Lock()
	s.loadLocked(ctx, db)
	old := s.session
	oldToken := s.token
	s.session, s.token, s.ended, s.retryRefreshAt = &st, sess.Token, "", time.Time{}
	s.hasRefresh, s.earlyRetryAt = sec.RefreshToken != "", time.Time{}
	if s.live != nil && s.live.BaseURL() == p.serverURL {
		s.live.SetToken(sess.Token)
	}
	s.mu.Unlock()
	s.kcMu.Unlock()

	if err := db.SetSetting(ctx, SettingSession, st); err != nil {
		s.log.Error("remember who is signed in", "err", err)
	}
	// Signing in as someone else (or to another server) replaces the earlier sign-in.
	if old != nil && old.key() != st.key() {
		if oldToken != "" {
			s.endTestSession(old.ServerURL, oldToken)
		}
		if err := s.kc.Delete(ctx, old.key()); err != nil {
			s.log.Warn("forget the earlier sign-in in the keychain", "err", err)
		}
	}
	s.resumeWaitingChanges(ctx, db)
	return nil
}

// resumeWaitingChanges makes the changes that wait for a retry (those refused while the
// session was gone among them) due now, and wakes sync, so they go out right after the
// sign-in instead of at the end of their back-off.
func (s *Manager) resumeWaitingChanges(ctx context.Context, db *cache.DB) {
	waiting, err := db.ListOutbox(ctx, cache.OutboxFailed)
	if err != nil {
		s.log.Error("list the changes waiting for the server", "err", err)
	}
	for _, c := range waiting {
		if c.NextAttemptAt == nil { // given up: the administrator decides
			continue
		}
		if err := db.Retry(ctx, c.ID); err != nil {
			s.log.Warn("make a waiting change due", "id", c.ID, "err", err)
		}
	}
	s.host.SyncNow()
}

// Cancel abandons the sign-in waiting for the browser, if any.
func (s *Manager) Cancel() {
	s.mu.Lock()
	p := s.flow
	s.mu.Unlock()
	if p != nil {
		p.cancel() // finish reports "cancelled in Gatehouse" and clears s.flow
	}
}

// ForgetOtherServers signs out of a server that is no longer the one in use.
func (s *Manager) ForgetOtherServers(ctx context.Context, serverURL string) {
	db, _ := s.host.Cache()
	s.mu.Lock()
	s.loadLocked(ctx, db)
	old := s.session
	s.mu.Unlock()
	if old != nil && old.ServerURL != serverURL {
		if _, err := s.SignOut(ctx); err != nil {
			s.log.Warn("sign out of the previous server", "err", err)
		}
	}
}

// SignOut ends the session at the portal server and forgets it on this computer. Signing
// out when not signed in is not an error.
func (s *Manager) SignOut(ctx context.Context) (State, error) {
	s.Cancel()
	db, err := s.host.Cache()
	if err != nil {
		return State{}, err
	}
	s.mu.Lock()
	s.loadLocked(ctx, db)
	st, token := s.session, s.token
	s.session, s.token, s.ended, s.retryRefreshAt, s.hasRefresh = nil, "", "", time.Time{}, false
	if s.live != nil {
		s.live.SetToken("")
	}
	s.mu.Unlock()
	if st == nil {
		return s.State(ctx)
	}
	var note string
	if token != "" {
		sctx, cancel := context.WithTimeout(ctx, serverCallTimeout)
		err := client.New(st.ServerURL, token).DeleteSession(sctx)
		cancel()
		if ce, ok := client.AsError(err); err != nil && !(ok && ce.Status == http.StatusUnauthorized) {
			s.log.Warn("end the session at the portal server", "err", err)
			note = fmt.Sprintf("Signed out on this computer. The portal server at %s could not be told (%s); the session there ends by itself at %s.",
				st.ServerURL, shortReason(err), st.ExpiresAt.Local().Format("2 Jan 2006 15:04"))
		}
	}
	kctx, cancel := context.WithTimeout(ctx, keychainCallTimeout)
	defer cancel()
	s.kcMu.Lock()
	err = s.kc.Delete(kctx, st.key())
	s.kcMu.Unlock()
	if err != nil {
		// Put the session back: it is still in the keychain, so it is still signed in.
		s.mu.Lock()
		if s.session == nil {
			s.session, s.token = st, token
		}
		s.mu.Unlock()
		return State{}, fmt.Errorf("forget the sign-in in the keychain: %w", err)
	}
	if err := db.DeleteSetting(ctx, SettingSession); err != nil {
		s.log.Error("forget who was signed in", "err", err)
	}
	s.mu.Lock()
	s.ended = note
	s.mu.Unlock()
	s.log.Info("signed out", "server", st.ServerURL, "account", st.Email)
	s.emitState()
	return s.State(ctx)
}

func shortReason(err error) string {
	if _, ok := client.AsError(err); ok {
		return portal.ErrorMessage(err)
	}
	return "it did not answer"
}

// State says whether, as whom and until when this computer is signed in.
func (s *Manager) State(ctx context.Context) (State, error) {
	mode, serverURL, err := s.server()
	if err != nil {
		return State{}, err
	}
	db, _ := s.host.Cache()
	now := s.clock().Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked(ctx, db)
	out := State{Mode: mode, ServerURL: serverURL, Message: s.ended}
	if sess := s.session; sess != nil && sess.ServerURL == serverURL && mode == ModeRemote {
		out.Email, out.Name = sess.Email, sess.Name
		if s.token != "" {
			if now.Before(sess.ExpiresAt) {
				exp := sess.ExpiresAt
				out.SignedIn, out.ExpiresAt = true, &exp
			} else if out.Message == "" {
				out.Message = fmt.Sprintf("The sign-in of %s ended at %s. Sign in again.", sess.Email, sess.ExpiresAt.Local().Format("2 Jan 2006 15:04"))
			}
		}
	}
	out.NeedsSignIn = mode == ModeRemote && !out.SignedIn
	if p := s.flow; p != nil && p.flow != nil {
		out.InProgress, out.AuthURL, out.Test = true, p.authURL, p.test
	}
	return out, nil
}

// ---- error sentences ----

// BeginError is a sign-in that failed before the browser was opened: the frontend gets
// its sentence (as a portal.Error), the log its cause, and the caller its Reason.
type BeginError struct {
	Failure Failure
	cause   error
}

func (f *BeginError) Error() string { return f.Failure.Reason + ": " + f.cause.Error() }

func (f *BeginError) Unwrap() []error {
	return []error{&portal.Error{Code: f.Failure.Code, Message: f.Failure.Message, Field: f.Failure.Field}, f.cause}
}

// describeSignInError turns a failed sign-in into the sentence the administrator reads,
// chosen by what failed.
func describeSignInError(err error, set Settings, serverURL, email string) Failure {
	var se *serverError
	if errors.As(err, &se) {
		return describeServerError(se.err, serverURL, email)
	}
	var ke *keepError
	if errors.As(err, &ke) {
		return Failure{Code: portal.EINTERNAL, Reason: "keychain", Message: "You signed in, but Gatehouse could not keep the sign-in in this computer's keychain: " +
			portal.ErrorMessage(ke.err) + " Nothing was kept; sign in again once the keychain works."}
	}
	reason := sso.ReasonOf(err)
	d := Failure{Code: portal.ErrorCode(err), Message: portal.ErrorMessage(err), Reason: string(reason)}
	var pe *portal.Error
	if errors.As(err, &pe) {
		d.Field = pe.Field
	}
	switch reason {
	case sso.ReasonProviderUnreachable:
		d.Message = fmt.Sprintf("Gatehouse could not reach the identity provider at %s. Check the issuer address in Settings and this computer's network connection, then try again.", set.Issuer)
		d.Field = "issuer"
	case sso.ReasonCancelled:
		d.Message = "You cancelled the sign-in at the identity provider (or did not allow Gatehouse to use your account). Nothing was changed; choose Sign in again when you are ready."
	case sso.ReasonAborted:
		d.Message = "Sign-in was cancelled in Gatehouse."
	case sso.ReasonWrongAudience:
		d.Message = fmt.Sprintf("The identity provider issued the sign-in to another application, not to the client ID in Settings (%s). Check the client ID with the identity provider's administrator.", set.ClientID)
		d.Field = "clientId"
	case sso.ReasonClockSkew:
		d.Message = "This computer's clock does not agree with the identity provider's: the sign-in it issued is not valid by this clock. Set the date, time and time zone correctly (automatic time is best), then sign in again."
	case "":
		if pe == nil {
			d.Code, d.Reason = portal.EINTERNAL, "internal"
			d.Message = "The sign-in failed inside Gatehouse. Try again; if it keeps happening, send the log file to your support contact."
		}
	}
	if d.Code == "" {
		d.Code = portal.EUNAUTHORIZED
	}
	return d
}

func describeServerError(err error, serverURL, email string) Failure {
	who := "Your account"
	if email != "" {
		who = email
	}
	ce, ok := client.AsError(err)
	switch {
	case !ok:
		return Failure{Code: portal.EINVALID, Field: "serverUrl", Reason: "server_unreachable", Message: fmt.Sprintf(
			"The identity provider signed you in, but Gatehouse could not reach the portal server at %s to start a session. Check the server address in Settings and the network connection, then try again.", serverURL)}
	case ce.Status == http.StatusForbidden:
		return Failure{Code: portal.EFORBIDDEN, Reason: "not_allowed", Message: fmt.Sprintf(
			"%s is not allowed to administer the portal at %s. The portal server said: %s Or sign in with another account.",
			who, serverURL, sentenceEnd(ce.Message))}
	case ce.Status == http.StatusUnauthorized:
		return Failure{Code: portal.EUNAUTHORIZED, Reason: "server_refused", Message: fmt.Sprintf(
			"The portal server at %s did not accept the sign-in from this identity provider and client ID. It said: %s Check that the issuer and client ID in Settings are the ones the portal trusts.",
			serverURL, sentenceEnd(ce.Message))}
	}
	return Failure{Code: portal.EINTERNAL, Reason: "server_error", Message: fmt.Sprintf(
		"The portal server at %s could not start a session (HTTP %d). It said: %s Try again later.", serverURL, ce.Status, sentenceEnd(ce.Message))}
}

// sentenceEnd trims s and ends it with a full stop, to quote the server inside a sentence.
func sentenceEnd(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}
