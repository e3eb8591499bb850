package sso

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Flow is one sign-in waiting for the browser to come back to its loopback listener.
// Begin starts it; Wait finishes it; Close abandons it. After Wait or Close the listener
// is closed, so nothing can be delivered to it any more.
type Flow struct {
	c           *Client
	authURL     string
	redirectURI string
	host        string // the Host header a browser sends for redirectURI
	state       string
	nonce       string
	verifier    string

	ctx    context.Context // ends at the timeout, on Close, or when Begin's ctx ends
	cancel context.CancelCauseFunc

	ln       net.Listener
	srv      *http.Server
	shutdown chan struct{} // closed once the server has stopped

	claimed atomic.Bool      // set by the one request that carries the right state
	outcome chan flowOutcome // buffered: the claiming request's verdict
	stray   atomic.Int64     // requests answered with an error while waiting

	endOnce  sync.Once
	stopOnce sync.Once
	mu       sync.Mutex
	res      *Result
	err      error
}

type flowOutcome struct {
	res *Result
	err error
}

var errClosed = errors.New("sign-in closed by Gatehouse")

// Begin opens the loopback listener (127.0.0.1, or [::1] when IPv4 loopback is
// unavailable), and prepares the authorization URL with PKCE, state and nonce. Nothing is
// opened in a browser yet: show AuthURL to the person (so they can copy it if no browser
// opens), open it, then call Wait.
//
// The flow ends at Config.Timeout after Begin, when ctx ends, or on Close.
func (c *Client) Begin(ctx context.Context) (*Flow, error) {
	return c.begin(ctx, "")
}

// begin is Begin with a redirect URI override, which only tests use: they show that the
// provider refuses a redirect URI it has not registered.
func (c *Client) begin(ctx context.Context, redirectOverride string) (*Flow, error) {
	ln, err := c.listenLoopback()
	if err != nil {
		return nil, err
	}
	f := &Flow{
		c:        c,
		ln:       ln,
		host:     ln.Addr().String(),
		state:    randomString(),
		nonce:    randomString(),
		verifier: oauth2.GenerateVerifier(),
		outcome:  make(chan flowOutcome, 1),
		shutdown: make(chan struct{}),
	}
	f.redirectURI = "http://" + f.host + callbackPath
	if redirectOverride != "" {
		f.redirectURI = redirectOverride
	}
	opts := []oauth2.AuthCodeOption{
		oauth2.S256ChallengeOption(f.verifier),
		oauth2.SetAuthURLParam("nonce", f.nonce),
	}
	if c.offline() {
		// OpenID Connect Core §11: offline_access is ignored unless consent is asked for.
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "consent"))
	}
	f.authURL = c.oauthConfig(f.redirectURI).AuthCodeURL(f.state, opts...)

	tctx, cancelTimeout := context.WithTimeoutCause(ctx, c.cfg.Timeout, errTimeout)
	f.ctx, f.cancel = context.WithCancelCause(tctx)
	context.AfterFunc(f.ctx, cancelTimeout)

	f.srv = &http.Server{
		Handler:           f,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    16 << 10,
		// A half-open connection (a browser's preconnect) must not hold the flow open.
		IdleTimeout: 5 * time.Second,
	}
	// Every answer closes its connection: a one-shot listener has nothing to gain from
	// keep-alive, and a kept connection would still reach the flow after it ended, until
	// the shutdown that follows got to it.
	f.srv.SetKeepAlivesEnabled(false)
	go func() {
		f.srv.Serve(ln)
	}()
	// The listener closes as soon as the flow ends, however it ends.
	context.AfterFunc(f.ctx, f.stop)
	return f, nil
}

var errTimeout = errors.New("sign-in timed out")

func (c *Client) listenLoopback() (net.Listener, error) {
	ln, err4 := c.listen("tcp4", "127.0.0.1:0")
	if err4 == nil {
		return ln, nil
	}
	ln, err6 := c.listen("tcp6", "[::1]:0")
	if err6 == nil {
		return ln, nil
	}
	return nil, newError(ReasonListen, errors.Join(err4, err6), "Gatehouse could not open a port on this computer (127.0.0.1 or ::1) for the browser to return to after sign-in. Check that security software does not block local connections, then try again.")
}

func randomString() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a guessable state or nonce
		// would make the sign-in forgeable.
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// AuthURL is the address to open in the browser. Show it to the person as well: if no
// browser opens, they can copy it.
func (f *Flow) AuthURL() string { return f.authURL }

// RedirectURI is where the browser comes back to: http://127.0.0.1:PORT/callback.
func (f *Flow) RedirectURI() string { return f.redirectURI }

// Rejected counts the requests the listener turned away while waiting (stray favicon
// fetches, forged or stale callbacks). Useful in a log line.
func (f *Flow) Rejected() int64 { return f.stray.Load() }

// Wait blocks until the browser comes back and the ID token is verified, the timeout
// passes, ctx ends or Close is called. Calling it again returns the same result.
func (f *Flow) Wait(ctx context.Context) (*Result, error) {
	var o flowOutcome
	select {
	case o = <-f.outcome:
	case <-f.ctx.Done():
		select {
		case o = <-f.outcome: // finished just as the flow ended: keep the verdict
		default:
			o.err = f.endError(context.Cause(f.ctx))
		}
	case <-ctx.Done():
		o.err = newError(ReasonAborted, ctx.Err(), "Sign-in was cancelled in Gatehouse.")
	}
	return f.end(o)
}

// Close abandons the flow: the listener closes and Wait returns an "aborted" error.
func (f *Flow) Close() error {
	f.cancel(errClosed)
	f.stop()
	<-f.shutdown
	return nil
}

func (f *Flow) end(o flowOutcome) (*Result, error) {
	f.endOnce.Do(func() {
		f.mu.Lock()
		f.res, f.err = o.res, o.err
		f.mu.Unlock()
		f.cancel(errClosed)
		// Closed before Wait returns: a replay of the callback finds no listener.
		f.stop()
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.res, f.err
}

func humanDuration(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "1 minute"
	case d > time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	case d >= time.Second:
		return d.Round(time.Second).String()
	}
	return d.String()
}

func (f *Flow) endError(cause error) error {
	switch cause {
	case errTimeout:
		return newError(ReasonTimeout, cause, "Nobody finished signing in within %s. Start the sign-in again; if the browser did not open, copy the sign-in link from Gatehouse into it.", humanDuration(f.c.cfg.Timeout))
	case errClosed:
		return newError(ReasonAborted, cause, "Sign-in was cancelled in Gatehouse.")
	}
	return newError(ReasonAborted, cause, "Sign-in was cancelled in Gatehouse.")
}

// stop closes the listener at once (so nothing more can be delivered) and lets the
// request in flight finish writing its page.
func (f *Flow) stop() {
	f.stopOnce.Do(func() {
		f.ln.Close()
		go func() {
			defer close(f.shutdown)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if f.srv.Shutdown(ctx) != nil {
				f.srv.Close()
			}
		}()
	})
}

// ServeHTTP is the loopback callback. Only a GET of /callback with this listener's own
// Host header and this flow's state ends the flow; anything else is answered with an
// error page and the flow keeps waiting, so a stray request (a favicon fetch, a page
// from another site trying its luck, a stale tab) cannot end or hijack the sign-in.
func (f *Flow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")

	// The Host check stops DNS rebinding: a web page whose name resolves to 127.0.0.1
	// reaches this port but sends its own name.
	if r.Host != f.host {
		f.reject(w, http.StatusBadRequest, "This address is not the one Gatehouse is listening on.")
		return
	}
	if r.URL.Path != callbackPath {
		f.reject(w, http.StatusNotFound, "There is nothing here. Gatehouse only waits for the sign-in to come back.")
		return
	}
	if r.Method != http.MethodGet {
		h.Set("Allow", http.MethodGet)
		f.reject(w, http.StatusMethodNotAllowed, "Gatehouse expects the sign-in to come back as an ordinary link.")
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(q["state"]) != 1 || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.state)) != 1 {
		f.reject(w, http.StatusBadRequest, "This sign-in link does not belong to the sign-in Gatehouse is waiting for. Go back to Gatehouse and use the sign-in it opened.")
		return
	}
	if f.ctx.Err() != nil || !f.claimed.CompareAndSwap(false, true) {
		f.reject(w, http.StatusBadRequest, "This sign-in has already ended in Gatehouse. You can close this tab; start a new sign-in from Gatehouse if you need one.")
		return
	}
	res, err := f.complete(q)
	f.outcome <- flowOutcome{res, err}
	if err != nil {
		renderPage(w, http.StatusBadRequest, pageFailed, errorSentence(err))
		return
	}
	renderPage(w, http.StatusOK, pageSignedIn, "")
}

func (f *Flow) reject(w http.ResponseWriter, status int, msg string) {
	f.stray.Add(1)
	renderPage(w, status, pageStray, msg)
}

// complete handles the one response that carried the right state: it checks who sent it
// (RFC 9207), whether the person said no, and otherwise redeems and verifies the code.
func (f *Flow) complete(q url.Values) (*Result, error) {
	for _, p := range []string{"code", "error", "iss"} {
		if len(q[p]) > 1 {
			return nil, newError(ReasonProviderError, nil, "The identity provider's answer repeats the %q parameter, which is not allowed. Start the sign-in again.", p)
		}
	}
	iss := q.Get("iss")
	switch {
	case iss != "" && iss != f.c.cfg.Issuer:
		return nil, newError(ReasonWrongIssuer, nil, "The sign-in came back from %q, not from the identity provider in Settings (%q). Nothing was signed in. Someone may be interfering with the sign-in; try again and tell your IT contact if it repeats.", sanitize(iss), f.c.cfg.Issuer)
	case iss == "" && f.c.issRequired:
		return nil, newError(ReasonWrongIssuer, nil, "The sign-in came back without naming the identity provider, although %s always names itself. Nothing was signed in. Start the sign-in again.", f.c.cfg.Issuer)
	}
	if e := q.Get("error"); e != "" {
		desc := sanitize(q.Get("error_description"))
		if e == "access_denied" {
			return nil, newError(ReasonCancelled, fmt.Errorf("access_denied: %s", desc), "You cancelled the sign-in (or declined access) at the identity provider. Nothing was changed; sign in again when you are ready.")
		}
		msg := sanitize(e)
		if desc != "" {
			msg += ": " + desc
		}
		return nil, newError(ReasonProviderError, nil, "The identity provider did not sign you in (%s). If this is unexpected, ask its administrator whether your account may use Gatehouse.", msg)
	}
	code := q.Get("code")
	if code == "" {
		return nil, newError(ReasonMissingCode, nil, "The identity provider came back without an authorization code, so the sign-in cannot finish. Start it again; if this repeats, ask the provider's administrator whether Gatehouse's client may use the authorization-code flow.")
	}
	return f.c.redeem(f.ctx, code, f.verifier, f.redirectURI, f.nonce)
}

// redeem exchanges an authorization code (with its PKCE verifier) and verifies the ID
// token against the nonce.
func (c *Client) redeem(ctx context.Context, code, verifier, redirectURI, nonce string) (*Result, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.hc)
	tok, err := c.oauthConfig(redirectURI).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, c.tokenEndpointError(ctx, err, "code")
	}
	return c.result(ctx, tok, nonce, true)
}

// Login runs a whole sign-in: Begin, show the URL, open the browser, Wait. show (may be
// nil) is called with the URL and the opener's error before waiting: a browser that fails
// to open does not end the sign-in, the person can copy the URL. open nil means
// SystemBrowser.
func (c *Client) Login(ctx context.Context, open Opener, show func(authURL string, openErr error)) (*Result, error) {
	f, err := c.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if open == nil {
		open = SystemBrowser
	}
	openErr := open(f.AuthURL())
	if openErr != nil {
		openErr = fmt.Errorf("the browser did not open (%w); copy the sign-in link into a browser", openErr)
	}
	if show != nil {
		show(f.AuthURL(), openErr)
	}
	return f.Wait(ctx)
}

func errorSentence(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.public.Message
	}
	return "Something went wrong. Return to Gatehouse and try again."
}
