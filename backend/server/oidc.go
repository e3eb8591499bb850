package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/service"
)

// TrustedIssuer is an OpenID Provider whose ID tokens the admin API accepts, and the
// audiences (client IDs) a token must be issued to.
type TrustedIssuer struct {
	Issuer    string
	Audiences []string
}

// idClaims are the ID-token claims Gatehouse reads.
type idClaims struct {
	Email             string `json:"email"`
	EmailVerified     any    `json:"email_verified"` // some providers send "true"
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
	Nonce             string `json:"nonce"`
	JTI               string `json:"jti"`
	AZP               string `json:"azp"`
}

func (c idClaims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// sourceOf is how an issuer is shown as an account's source and stored with its subject:
// the issuer URL without its scheme, so realms on one host stay apart.
func sourceOf(issuer string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimRight(s, "/")
}

// verifiers verifies ID tokens of several issuers with go-oidc, discovering each issuer
// on first use.
type verifiers struct {
	client *http.Client
	clock  portal.Clock
	mu     sync.Mutex
	cache  map[string]*oidc.IDTokenVerifier
}

func newVerifiers(client *http.Client, clock portal.Clock) *verifiers {
	return &verifiers{client: client, clock: clock, cache: map[string]*oidc.IDTokenVerifier{}}
}

// provider discovers issuer (once it succeeds). An issuer configured with a trailing
// slash its provider does not write (or without one it does) is taken as the provider
// writes it: the two are the same provider, and go-oidc compares them exactly.
func (v *verifiers) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, v.client), issuer)
	if err != nil && strings.Contains(err.Error(), "did not match") {
		other := issuer + "/"
		if strings.HasSuffix(issuer, "/") {
			other = strings.TrimRight(issuer, "/")
		}
		if q, qerr := oidc.NewProvider(oidc.ClientContext(ctx, v.client), other); qerr == nil {
			p, err = q, nil
		}
	}
	if err != nil {
		return nil, portal.Errorf(portal.EUNAUTHORIZED, "The identity provider %s could not be reached to check the token (%v). Try again later, or ask the administrator to check the server's issuer settings.", issuer, err)
	}
	return p, nil
}

func (v *verifiers) verifier(ctx context.Context, issuer, clientID string) (*oidc.IDTokenVerifier, error) {
	key := issuer + "\x00" + clientID
	v.mu.Lock()
	ver := v.cache[key]
	v.mu.Unlock()
	if ver != nil {
		return ver, nil
	}
	p, err := v.provider(ctx, issuer)
	if err != nil {
		return nil, err
	}
	ver = p.VerifierContext(oidc.ClientContext(context.Background(), v.client), &oidc.Config{
		ClientID: clientID, SkipClientIDCheck: clientID == "", Now: v.clock.Now,
	})
	v.mu.Lock()
	v.cache[key] = ver
	v.mu.Unlock()
	return ver, nil
}

// unverifiedIssuer reads the iss claim to pick the verifier; nothing else is trusted
// before go-oidc has checked the signature.
func unverifiedIssuer(raw string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", portal.FieldErrorf("idToken", "The ID token is not a JWT (it should have three parts separated by dots).")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", portal.FieldErrorf("idToken", "The ID token's payload is not base64url-encoded.")
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Iss == "" {
		return "", portal.FieldErrorf("idToken", "The ID token does not say who issued it (no iss claim).")
	}
	return c.Iss, nil
}

// verifyForAPI checks an ID token against the trusted issuers: issuer, signature, expiry
// (by go-oidc), audience and authorised party; use says how to remember that it was spent.
func (v *verifiers) verifyForAPI(ctx context.Context, trusted []TrustedIssuer, raw string) (portal.SSOIdentity, bool, service.IDTokenUse, error) {
	none := service.IDTokenUse{}
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return portal.SSOIdentity{}, false, none, err
	}
	i := slices.IndexFunc(trusted, func(t TrustedIssuer) bool { return strings.TrimRight(t.Issuer, "/") == strings.TrimRight(iss, "/") })
	if i < 0 {
		return portal.SSOIdentity{}, false, none, portal.Errorf(portal.EUNAUTHORIZED, "The ID token was issued by %s, which this portal does not trust. Sign in with your organisation's identity provider, or ask the administrator to add this issuer.", iss)
	}
	ver, err := v.verifier(ctx, trusted[i].Issuer, "")
	if err != nil {
		return portal.SSOIdentity{}, false, none, err
	}
	tok, err := ver.Verify(ctx, raw)
	if err != nil {
		return portal.SSOIdentity{}, false, none, portal.Errorf(portal.EUNAUTHORIZED, "The ID token was refused: %s. Sign in again.", strings.TrimPrefix(err.Error(), "oidc: "))
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(trusted[i].Audiences, a) }) {
		return portal.SSOIdentity{}, false, none, portal.Errorf(portal.EUNAUTHORIZED, "The ID token was issued to %s, not to this portal (it accepts %s). Sign in through the Gatehouse app, or ask the administrator to add this client ID.", strings.Join(tok.Audience, ", "), strings.Join(trusted[i].Audiences, ", "))
	}
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		return portal.SSOIdentity{}, false, none, portal.Errorf(portal.EUNAUTHORIZED, "The ID token's claims could not be read: %v.", err)
	}
	// OpenID Connect Core 3.1.3.7: a token for several audiences names the party it was
	// issued to (azp), which must be one of this portal's clients.
	if len(tok.Audience) > 1 && !slices.Contains(trusted[i].Audiences, c.AZP) {
		return portal.SSOIdentity{}, false, none, portal.Errorf(portal.EUNAUTHORIZED, "The ID token names several audiences but was not issued to this portal's client (azp %q). Sign in through the Gatehouse app.", c.AZP)
	}
	id, verified, err := identityOf(tok)
	// One session per token: it is known by issuer, subject and its jti, or, without one,
	// by the token itself (a renewal's token differs from the sign-in's in its times,
	// its access-token hash or its signature), hashed.
	once := c.JTI
	if once == "" {
		sum := sha256.Sum256([]byte(raw))
		once = "raw:" + hex.EncodeToString(sum[:])
	}
	sum := sha256.Sum256([]byte(tok.Issuer + "\x00" + tok.Subject + "\x00" + once))
	return id, verified, service.IDTokenUse{KeyHash: hex.EncodeToString(sum[:]), Expires: tok.Expiry}, err
}

func identityOf(tok *oidc.IDToken) (portal.SSOIdentity, bool, error) {
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		return portal.SSOIdentity{}, false, portal.Errorf(portal.EUNAUTHORIZED, "The ID token's claims could not be read: %v.", err)
	}
	name := c.Name
	if name == "" {
		name = c.PreferredUsername
	}
	return portal.SSOIdentity{Email: c.Email, Name: name, Subject: tok.Subject, Source: sourceOf(tok.Issuer)}, c.verified(), nil
}

// errNonce is returned when an ID token's nonce is not the one this sign-in sent; go-oidc
// leaves that check to its callers.
func errNonce() error {
	return portal.Errorf(portal.EUNAUTHORIZED, "The sign-in answer does not belong to this sign-in (nonce mismatch). Start signing in again.")
}

// CheckIssuers asks each configured identity provider for its discovery document, as the
// server starts: a provider that answers with another issuer than the one configured (not
// only a trailing slash apart) is a mistake every sign-in would meet, so it stops the
// server with the reason. One that cannot be reached now is only reported: it may be back
// before anyone signs in.
func (s *Server) CheckIssuers(ctx context.Context) (unreachable []error, err error) {
	var issuers []string
	for _, t := range s.cfg.TrustedIssuers {
		issuers = append(issuers, t.Issuer)
	}
	if s.cfg.SSO != nil {
		issuers = append(issuers, s.cfg.SSO.Issuer)
	}
	for _, iss := range issuers {
		doc, derr := discover(ctx, s.cfg.HTTPClient, iss)
		var answered *discoveryAnswer
		if errors.As(derr, &answered) {
			return unreachable, fmt.Errorf("identity provider %s: %w; is this the issuer URL?", iss, derr)
		}
		if derr != nil {
			unreachable = append(unreachable, fmt.Errorf("identity provider %s: %w", iss, derr))
			continue
		}
		if strings.TrimRight(doc.Issuer, "/") != strings.TrimRight(iss, "/") {
			return unreachable, fmt.Errorf("identity provider %s calls itself %q in its discovery document: configure the issuer exactly as %q", iss, doc.Issuer, doc.Issuer)
		}
		if doc.JWKSURI == "" || doc.AuthorizationEndpoint == "" {
			return unreachable, fmt.Errorf("identity provider %s: its discovery document lacks jwks_uri or authorization_endpoint; is this the issuer URL?", iss)
		}
	}
	return unreachable, nil
}

type discoveryDoc struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
}

func discover(ctx context.Context, hc *http.Client, issuer string) (discoveryDoc, error) {
	var doc discoveryDoc
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return doc, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return doc, err
	}
	defer res.Body.Close()
	if res.StatusCode >= 500 {
		return doc, fmt.Errorf("its discovery document answered %s", res.Status) // down for now
	}
	if res.StatusCode != http.StatusOK {
		return doc, &discoveryAnswer{fmt.Sprintf("its discovery document answered %s", res.Status)}
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&doc); err != nil {
		return doc, &discoveryAnswer{fmt.Sprintf("its discovery document is not JSON (%v)", err)}
	}
	return doc, nil
}

// discoveryAnswer is a provider's definite answer that it has no such issuer.
type discoveryAnswer struct{ msg string }

func (e *discoveryAnswer) Error() string { return e.msg }
