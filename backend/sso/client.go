// Package sso signs an administrator in with their organisation's OpenID Provider the way
// RFC 8252 asks native apps to: in the system browser, with the authorization-code flow,
// PKCE (S256), state and nonce, and a one-shot loopback redirect on 127.0.0.1. It returns a
// verified ID token, which the app trades at the portal server for an API session.
//
// Use:
//
//	c, err := sso.NewClient(ctx, sso.Config{Issuer: iss, ClientID: id})
//	flow, err := c.Begin(ctx)          // listener bound, URL ready
//	show(flow.AuthURL())                // always: the person can copy it
//	err = sso.SystemBrowser(flow.AuthURL()) // may fail; the URL is on screen anyway
//	res, err := flow.Wait(ctx)          // verified ID token
//
// or Login, which does the same in one call.
package sso

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/pkg/browser"
	"golang.org/x/oauth2"

	"gatehouse/backend/portal"
)

// Defaults.
const (
	// DefaultTimeout is how long a sign-in waits for the browser to come back: long enough
	// for a password reset or a second factor on the phone.
	DefaultTimeout = 10 * time.Minute
	// clockLeeway is how far in the future a token's issue time may be before the
	// difference is blamed on this computer's clock.
	clockLeeway  = 5 * time.Minute
	callbackPath = "/callback"
)

// DefaultScopes are asked for when Config.Scopes is empty: who the person is and their
// e-mail address, which the portal server matches to an account.
var DefaultScopes = []string{oidc.ScopeOpenID, "email", "profile"}

// allowedAlgs are the ID token signature algorithms Gatehouse accepts: asymmetric only.
// "none" and the HS* family are never accepted, whatever the provider advertises: a public
// client has no secret to check an HMAC with, and an HMAC "signed" with the provider's
// public key is a classic forgery.
var allowedAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

// Config says which provider to sign in with.
type Config struct {
	// Issuer is the provider's issuer URL exactly as its discovery document states it.
	Issuer string
	// ClientID is Gatehouse's public (native) client registered at the provider.
	ClientID string
	// Scopes to ask for; "openid" is always included. Empty means DefaultScopes. Asking for
	// "offline_access" also asks for consent, as OpenID Connect requires for refresh tokens.
	Scopes []string
	// Timeout bounds one sign-in from Begin to the browser's return. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// HTTPClient talks to the provider. Nil means a client with a 30-second timeout.
	HTTPClient *http.Client
	// Clock checks token lifetimes. Nil means portal.SystemClock.
	Clock portal.Clock
}

// Opener opens a URL in the system browser.
type Opener func(url string) error

// SystemBrowser opens url in the default browser (xdg-open, open, or the Windows shell).
func SystemBrowser(url string) error { return browser.OpenURL(url) }

// Client signs people in with one provider. It is safe for concurrent use; each sign-in
// is its own Flow.
type Client struct {
	cfg      Config
	hc       *http.Client
	clock    portal.Clock
	scopes   []string
	endpoint oauth2.Endpoint
	keys     *oidc.RemoteKeySet
	verifier *oidc.IDTokenVerifier
	algs     []jose.SignatureAlgorithm
	// issRequired is set when the provider promises an "iss" in every authorization
	// response (RFC 9207), so a response without one is a mix-up attempt.
	issRequired bool
	// listen opens the loopback listener; tests replace it to exercise the IPv6 fallback.
	listen func(network, address string) (net.Listener, error)
}

// discovery is the part of the provider metadata Gatehouse relies on beyond go-oidc's.
type discovery struct {
	AuthURL             string   `json:"authorization_endpoint"`
	TokenURL            string   `json:"token_endpoint"`
	JWKSURL             string   `json:"jwks_uri"`
	ResponseTypes       []string `json:"response_types_supported"`
	CodeChallenge       []string `json:"code_challenge_methods_supported"`
	IDTokenAlgs         []string `json:"id_token_signing_alg_values_supported"`
	IssParameterSupport bool     `json:"authorization_response_iss_parameter_supported"`
}

// NewClient checks cfg and fetches the provider's OpenID discovery document.
func NewClient(ctx context.Context, cfg Config) (*Client, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, clock: cfg.Clock, listen: net.Listen}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if c.clock == nil {
		c.clock = portal.SystemClock{}
	}
	c.scopes = scopesFor(cfg.Scopes)

	octx := oidc.ClientContext(ctx, c.hc)
	p, err := oidc.NewProvider(octx, cfg.Issuer)
	if err != nil {
		return nil, discoveryError(ctx, cfg.Issuer, err)
	}
	var d discovery
	if err := p.Claims(&d); err != nil {
		return nil, newError(ReasonDiscoveryFailed, err, "The identity provider at %s sent discovery metadata Gatehouse cannot read. Check the issuer URL in Settings.", cfg.Issuer)
	}
	if err := checkDiscovery(cfg.Issuer, d); err != nil {
		return nil, err
	}
	c.endpoint = oauth2.Endpoint{AuthURL: d.AuthURL, TokenURL: d.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	c.issRequired = d.IssParameterSupport

	algs := allowedAlgs
	if len(d.IDTokenAlgs) > 0 {
		algs = slices.DeleteFunc(slices.Clone(d.IDTokenAlgs), func(a string) bool { return !slices.Contains(allowedAlgs, a) })
		if len(algs) == 0 {
			return nil, newError(ReasonDiscoveryFailed, nil, "The identity provider at %s signs ID tokens only with %s, which Gatehouse does not accept. Ask its administrator to allow RS256 or ES256 for Gatehouse's client.", cfg.Issuer, strings.Join(d.IDTokenAlgs, ", "))
		}
	}
	for _, a := range algs {
		c.algs = append(c.algs, jose.SignatureAlgorithm(a))
	}
	c.keys = oidc.NewRemoteKeySet(octx, d.JWKSURL)
	c.verifier = oidc.NewVerifier(cfg.Issuer, c.keys, &oidc.Config{
		ClientID:             cfg.ClientID,
		SupportedSigningAlgs: algs,
		Now:                  c.clock.Now,
	})
	return c, nil
}

// Issuer returns the provider's issuer URL.
func (c *Client) Issuer() string { return c.cfg.Issuer }

// ClientID returns Gatehouse's client ID at the provider.
func (c *Client) ClientID() string { return c.cfg.ClientID }

func checkConfig(cfg *Config) error {
	cfg.Issuer = strings.TrimSpace(cfg.Issuer)
	cfg.ClientID = strings.TrimSpace(cfg.ClientID)
	if cfg.Issuer == "" {
		return fieldError("issuer", nil, "Enter the issuer URL of your organisation's identity provider, for example https://login.example.org.")
	}
	if err := checkURL(cfg.Issuer); err != nil {
		return fieldError("issuer", err, "The issuer %q is not usable: %s", cfg.Issuer, err.Error())
	}
	if cfg.ClientID == "" {
		return fieldError("clientId", nil, "Enter the client ID that your identity provider's administrator registered for Gatehouse.")
	}
	if cfg.Timeout < 0 {
		return fieldError("timeout", nil, "The sign-in timeout cannot be negative.")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	return nil
}

// checkURL accepts https URLs, and plain http only to this computer, where nothing
// travels over a network.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("it must be a full URL such as https://login.example.org")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("it must not contain ? or #")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("it must start with https:// (plain http is allowed only for a provider on this computer)")
	}
	return errors.New("it must start with https://")
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func scopesFor(want []string) []string {
	if len(want) == 0 {
		want = DefaultScopes
	}
	out := []string{oidc.ScopeOpenID}
	for _, s := range want {
		for _, f := range strings.Fields(s) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func checkDiscovery(issuer string, d discovery) error {
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", d.AuthURL}, {"token_endpoint", d.TokenURL}, {"jwks_uri", d.JWKSURL},
	} {
		if e.url == "" {
			return newError(ReasonDiscoveryFailed, nil, "The identity provider at %s does not publish its %s. It may not support OpenID Connect sign-in for apps; ask its administrator.", issuer, e.name)
		}
		if err := checkURL(e.url); err != nil {
			return newError(ReasonDiscoveryFailed, err, "The identity provider at %s publishes an unsafe %s (%s): %s. Ask its administrator.", issuer, e.name, e.url, err.Error())
		}
	}
	if len(d.ResponseTypes) > 0 && !slices.Contains(d.ResponseTypes, "code") {
		return newError(ReasonDiscoveryFailed, nil, "The identity provider at %s does not offer the authorization-code flow Gatehouse needs. Ask its administrator.", issuer)
	}
	if len(d.CodeChallenge) > 0 && !slices.Contains(d.CodeChallenge, "S256") {
		return newError(ReasonDiscoveryFailed, nil, "The identity provider at %s does not support PKCE with S256, which Gatehouse requires. Ask its administrator.", issuer)
	}
	return nil
}

func discoveryError(ctx context.Context, issuer string, err error) error {
	var mismatch *oidc.IssuerMismatchError
	switch {
	case errors.As(err, &mismatch):
		return newError(ReasonDiscoveryIssuerMismatch, err, "The identity provider at %s calls itself %q. Enter exactly %q as the issuer in Settings; if you did not expect that name, ask the provider's administrator before signing in.", issuer, mismatch.Discovered, mismatch.Discovered)
	case ctx.Err() != nil:
		return newError(ReasonAborted, err, "Sign-in was stopped before the identity provider answered.")
	case isNetError(err):
		return newError(ReasonProviderUnreachable, err, "Gatehouse could not reach the identity provider at %s. Check the issuer URL in Settings and this computer's network connection, then try again.", issuer)
	}
	return newError(ReasonDiscoveryFailed, err, "The identity provider at %s did not return OpenID Connect discovery metadata. Check the issuer URL in Settings: it is usually the address shown as \"issuer\" in the provider's /.well-known/openid-configuration.", issuer)
}

func isNetError(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne)
}

// oauthConfig is the public client's configuration for one redirect URI.
func (c *Client) oauthConfig(redirectURI string) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, Endpoint: c.endpoint, RedirectURL: redirectURI, Scopes: c.scopes}
}

func (c *Client) offline() bool { return slices.Contains(c.scopes, "offline_access") }

// Refresh uses a refresh token (from an earlier sign-in with offline_access) to get a new
// verified ID token without the browser. Providers rotate refresh tokens: store the
// returned one in place of the old.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Result, error) {
	if refreshToken == "" {
		return nil, newError(ReasonCodeRejected, nil, "There is no stored refresh token. Sign in again.")
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.hc)
	src := c.oauthConfig("").TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		return nil, c.tokenEndpointError(ctx, err, "refresh")
	}
	return c.result(ctx, tok, "", false)
}

func (c *Client) tokenEndpointError(ctx context.Context, err error, what string) error {
	var re *oauth2.RetrieveError
	switch {
	case ctx.Err() != nil:
		return newError(ReasonAborted, err, "Sign-in was stopped while Gatehouse was talking to the identity provider.")
	case errors.As(err, &re) && re.ErrorCode == "invalid_grant" && what == "refresh":
		return newError(ReasonCodeRejected, errors.New(re.ErrorCode+": "+re.ErrorDescription), "The identity provider no longer accepts the stored sign-in (it expired or was revoked). Sign in again.")
	case errors.As(err, &re) && re.ErrorCode == "invalid_grant":
		return newError(ReasonCodeRejected, errors.New(re.ErrorCode+": "+re.ErrorDescription), "The identity provider refused to complete the sign-in: the one-time code was already used, had expired, or did not match this sign-in. Start the sign-in again.")
	case errors.As(err, &re):
		return newError(ReasonProviderError, fmt.Errorf("token endpoint: %s %s: %s", re.Response.Status, re.ErrorCode, re.ErrorDescription), "The identity provider refused to issue a token (%s). Check the client ID in Settings, or ask the provider's administrator whether Gatehouse is registered as a public (native) client with PKCE.", sanitize(firstNonEmpty(re.ErrorCode, re.Response.Status)))
	case isNetError(err):
		return newError(ReasonProviderUnreachable, err, "Gatehouse could not reach the identity provider's token endpoint to finish the sign-in. Check the network connection and try again.")
	}
	return newError(ReasonProviderError, err, "The identity provider sent an answer Gatehouse could not read while finishing the sign-in. Try again; if it keeps happening, ask the provider's administrator.")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// sanitize makes provider-supplied text safe and short enough to put in a sentence.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return strings.TrimSpace(s)
}
