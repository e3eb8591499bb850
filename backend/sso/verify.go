package sso

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// Result is a completed, verified sign-in. Its tokens are secrets: they are left out of
// JSON and of every fmt verb, so logging a Result never leaks them.
type Result struct {
	// RawIDToken is the verified ID token, to trade at the portal server for a session.
	RawIDToken string `json:"-"`
	// RefreshToken is set when offline_access was granted; keep it in the keychain only.
	RefreshToken string `json:"-"`
	// Claims are who signed in, from the verified ID token.
	Claims Claims `json:"claims"`
	// Expiry is when the ID token expires.
	Expiry time.Time `json:"expiry"`
}

// Claims are the verified ID token claims Gatehouse uses.
type Claims struct {
	Subject       string    `json:"sub"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"emailVerified"`
	Name          string    `json:"name"`
	Issuer        string    `json:"iss"`
	Audience      []string  `json:"aud"`
	Expiry        time.Time `json:"exp"`
	IssuedAt      time.Time `json:"iat"`
}

// Format prints a Result without its tokens, whatever the verb.
func (r Result) Format(f fmt.State, verb rune) {
	io.WriteString(f, r.String())
}

func (r Result) String() string {
	return fmt.Sprintf("sso.Result{Subject:%q Email:%q Issuer:%q Expiry:%s IDToken:%s RefreshToken:%s}",
		r.Claims.Subject, r.Claims.Email, r.Claims.Issuer, r.Expiry.Format(time.RFC3339), redacted(r.RawIDToken), redacted(r.RefreshToken))
}

func (r Result) GoString() string { return r.String() }

func redacted(s string) string {
	if s == "" {
		return "none"
	}
	return "[redacted]"
}

// tokenClaims is the ID token payload as it arrives. email_verified is sometimes sent as
// a string ("true") by providers, so it is decoded loosely.
type tokenClaims struct {
	Issuer        string          `json:"iss"`
	Subject       string          `json:"sub"`
	Audience      audience        `json:"aud"`
	AuthorizedBy  string          `json:"azp"`
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Name          string          `json:"name"`
	Nonce         string          `json:"nonce"`
	Expiry        *json.Number    `json:"exp"`
	IssuedAt      *json.Number    `json:"iat"`
	NotBefore     *json.Number    `json:"nbf"`
}

type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

func numTime(n *json.Number) time.Time {
	if n == nil {
		return time.Time{}
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}
	}
	return time.Unix(int64(f), 0).UTC()
}

// result verifies the ID token in tok and builds the Result. wantNonce is checked when
// checkNonce is set (every browser sign-in; not a refresh, which has no nonce of its own).
func (c *Client) result(ctx context.Context, tok *oauth2.Token, wantNonce string, checkNonce bool) (*Result, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, newError(ReasonInvalidToken, nil, "The identity provider finished the sign-in but sent no ID token. Ask its administrator to allow the \"openid\" scope for Gatehouse's client.")
	}
	cl, err := c.verifyIDToken(ctx, raw, wantNonce, checkNonce, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	return &Result{RawIDToken: raw, RefreshToken: tok.RefreshToken, Claims: cl, Expiry: cl.Expiry}, nil
}

// verifyIDToken checks raw with go-oidc (signature against the provider's published keys,
// algorithm allow-list, issuer, audience, expiry) and then what go-oidc leaves to the
// caller: the nonce, an issue time in the future, the authorised party and at_hash.
func (c *Client) verifyIDToken(ctx context.Context, raw, wantNonce string, checkNonce bool, accessToken string) (Claims, error) {
	if _, err := jose.ParseSignedCompact(raw, c.algs); err != nil {
		if alg := headerAlg(raw); alg != "" && !slices.Contains(c.algs, jose.SignatureAlgorithm(alg)) {
			return Claims{}, newError(ReasonInvalidToken, err, "The ID token is signed with %q, which Gatehouse does not accept (it accepts %s). The answer may have been forged; do not sign in on this network, and tell the identity provider's administrator.", sanitize(alg), algList(c.algs))
		}
		return Claims{}, newError(ReasonInvalidToken, err, "The identity provider sent an ID token Gatehouse cannot read. Try again; if it keeps happening, tell the provider's administrator.")
	}
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return Claims{}, c.explain(ctx, raw, err)
	}
	var tc tokenClaims
	if err := idt.Claims(&tc); err != nil {
		return Claims{}, newError(ReasonInvalidToken, err, "The ID token's claims could not be read. Tell the identity provider's administrator.")
	}
	now := c.clock.Now()
	switch {
	case checkNonce && (tc.Nonce == "" || subtle.ConstantTimeCompare([]byte(tc.Nonce), []byte(wantNonce)) != 1):
		return Claims{}, newError(ReasonNonceMismatch, nil, "The ID token belongs to a different sign-in than the one Gatehouse started (nonce mismatch). Nothing was signed in. Start the sign-in again; if this repeats, someone may be interfering with it.")
	case !idt.IssuedAt.IsZero() && idt.IssuedAt.After(now.Add(clockLeeway)):
		return Claims{}, newError(ReasonClockSkew, nil, "The ID token was issued at %s, which is in the future by this computer's clock (%s). Check this computer's date, time and time zone, then sign in again.", stamp(idt.IssuedAt), stamp(now))
	case len(idt.Audience) > 1 && tc.AuthorizedBy == "":
		return Claims{}, newError(ReasonWrongAudience, nil, "The ID token names several applications and not which one asked for it. Check the client ID in Settings, or ask the identity provider's administrator.")
	case tc.AuthorizedBy != "" && tc.AuthorizedBy != c.cfg.ClientID:
		return Claims{}, newError(ReasonWrongAudience, nil, "The ID token was issued to the application %q, not to Gatehouse (%q). Check the client ID in Settings.", sanitize(tc.AuthorizedBy), c.cfg.ClientID)
	case idt.Subject == "":
		return Claims{}, newError(ReasonInvalidToken, nil, "The ID token does not say who signed in (no subject). Tell the identity provider's administrator.")
	}
	if accessToken != "" && idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(accessToken); err != nil {
			return Claims{}, newError(ReasonInvalidToken, err, "The identity provider's answer does not hang together (the access token does not match the ID token). Start the sign-in again.")
		}
	}
	return Claims{
		Subject: idt.Subject, Email: tc.Email, EmailVerified: truthy(tc.EmailVerified), Name: tc.Name,
		Issuer: idt.Issuer, Audience: idt.Audience, Expiry: idt.Expiry.UTC(), IssuedAt: idt.IssuedAt.UTC(),
	}, nil
}

// explain turns a go-oidc verification failure into a reason and a sentence. go-oidc's
// errors are plain strings, so the claims are read again — but only from a payload whose
// signature checked out against the provider's keys, so a forged token can only ever be
// reported as forged.
func (c *Client) explain(ctx context.Context, raw string, verr error) error {
	payload, err := c.keys.VerifySignature(ctx, raw)
	if err != nil {
		if isNetError(err) {
			return newError(ReasonProviderUnreachable, err, "Gatehouse could not fetch the identity provider's signing keys to check the sign-in. Check the network connection and try again.")
		}
		return newError(ReasonInvalidToken, verr, "The ID token's signature does not match any key the identity provider publishes. The answer may have been forged; nothing was signed in. Try again, and tell the provider's administrator if it repeats.")
	}
	var tc tokenClaims
	if err := json.Unmarshal(payload, &tc); err != nil {
		return newError(ReasonInvalidToken, verr, "The ID token's claims could not be read. Tell the identity provider's administrator.")
	}
	now := c.clock.Now()
	var expired *oidc.TokenExpiredError
	switch {
	case tc.Issuer != c.cfg.Issuer:
		return newError(ReasonWrongIssuer, verr, "The ID token was issued by %q, not by the identity provider in Settings (%q). Nothing was signed in. Check the issuer in Settings; if it is right, someone may be interfering with the sign-in.", sanitize(tc.Issuer), c.cfg.Issuer)
	case !slices.Contains([]string(tc.Audience), c.cfg.ClientID):
		return newError(ReasonWrongAudience, verr, "The ID token was made for another application (%s), not for Gatehouse's client ID %q. Check the client ID in Settings.", sanitize(strings.Join(tc.Audience, ", ")), c.cfg.ClientID)
	case errors.As(verr, &expired):
		return newError(ReasonClockSkew, verr, "The ID token expired at %s, but this computer's clock says %s. If this computer's date, time or time zone is wrong, correct it; then sign in again.", stamp(expired.Expiry), stamp(now))
	case tc.NotBefore != nil && numTime(tc.NotBefore).After(now):
		return newError(ReasonClockSkew, verr, "The ID token is valid only from %s, but this computer's clock says %s. Check this computer's date, time and time zone, then sign in again.", stamp(numTime(tc.NotBefore)), stamp(now))
	}
	return newError(ReasonInvalidToken, verr, "The ID token did not pass verification. Try again; if it keeps happening, tell the identity provider's administrator.")
}

func stamp(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04:05 MST") }

func algList(algs []jose.SignatureAlgorithm) string {
	s := make([]string, len(algs))
	for i, a := range algs {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// headerAlg reads the alg of a compact JWS without trusting anything else in it.
func headerAlg(raw string) string {
	head, _, ok := strings.Cut(raw, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Alg
}

func truthy(raw json.RawMessage) bool {
	s := strings.Trim(string(raw), `"`)
	return s == "true"
}
