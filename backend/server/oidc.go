package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"

	"gatehouse/backend/portal"
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

// provider discovers issuer (once it succeeds).
func (v *verifiers) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, v.client), issuer)
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
// (by go-oidc) and audience.
func (v *verifiers) verifyForAPI(ctx context.Context, trusted []TrustedIssuer, raw string) (portal.SSOIdentity, bool, error) {
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return portal.SSOIdentity{}, false, err
	}
	i := slices.IndexFunc(trusted, func(t TrustedIssuer) bool { return strings.TrimRight(t.Issuer, "/") == strings.TrimRight(iss, "/") })
	if i < 0 {
		return portal.SSOIdentity{}, false, portal.Errorf(portal.EUNAUTHORIZED, "The ID token was issued by %s, which this portal does not trust. Sign in with your organisation's identity provider, or ask the administrator to add this issuer.", iss)
	}
	ver, err := v.verifier(ctx, trusted[i].Issuer, "")
	if err != nil {
		return portal.SSOIdentity{}, false, err
	}
	tok, err := ver.Verify(ctx, raw)
	if err != nil {
		return portal.SSOIdentity{}, false, portal.Errorf(portal.EUNAUTHORIZED, "The ID token was refused: %s. Sign in again.", strings.TrimPrefix(err.Error(), "oidc: "))
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(trusted[i].Audiences, a) }) {
		return portal.SSOIdentity{}, false, portal.Errorf(portal.EUNAUTHORIZED, "The ID token was issued to %s, not to this portal (it accepts %s). Sign in through the Gatehouse app, or ask the administrator to add this client ID.", strings.Join(tok.Audience, ", "), strings.Join(trusted[i].Audiences, ", "))
	}
	return identityOf(tok)
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
