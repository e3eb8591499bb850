package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

const (
	stateCookie = "gh_oidc_state"
	ssoTimeout  = 10 * time.Minute
)

// ssoClient signs end users in with the authorization code flow, PKCE (S256), state
// bound to the browser by a cookie, and a nonce checked against the ID token.
type ssoClient struct {
	cfg       SSOConfig
	verifiers *verifiers
	mu        sync.Mutex
	provider  *oidc.Provider
}

func (c *ssoClient) oauth(ctx context.Context, baseURL string) (*oauth2.Config, error) {
	c.mu.Lock()
	p := c.provider
	c.mu.Unlock()
	if p == nil {
		var err error
		if p, err = c.verifiers.provider(ctx, c.cfg.Issuer); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.provider = p
		c.mu.Unlock()
	}
	ep := p.Endpoint()
	if c.cfg.ClientSecret == "" {
		// A public client: without this, x/oauth2 first tries Basic auth with an empty secret.
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	scopes := append([]string{oidc.ScopeOpenID}, c.cfg.Scopes...)
	if len(c.cfg.Scopes) == 0 {
		scopes = append(scopes, "email", "profile")
	}
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: ep, RedirectURL: baseURL + "/auth/callback", Scopes: scopes}, nil
}

// startSSO sends the browser to the identity provider. invitationHash, when set, makes
// the sign-in bind that invitation.
func (s *Server) startSSO(w http.ResponseWriter, r *http.Request, invitationHash string) error {
	if s.sso == nil {
		return portal.Errorf(portal.ENOTFOUND, "Signing in with your organisation's account is not set up on this portal.")
	}
	conf, err := s.sso.oauth(r.Context(), s.BaseURL())
	if err != nil {
		return err
	}
	state, _ := portal.NewToken()
	nonce, _ := portal.NewToken()
	verifier := oauth2.GenerateVerifier()
	now := s.clock.Now()
	if err := s.svc.SaveOIDCState(r.Context(), store.OIDCState{
		StateHash: portal.HashToken(state), Nonce: nonce, Verifier: verifier, InvitationHash: invitationHash,
		CreatedAt: now, ExpiresAt: now.Add(ssoTimeout),
	}, s.clientAddr(r)); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/auth/callback", MaxAge: int(ssoTimeout / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
	return nil
}

// handleLogin starts an SSO sign-in.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	return s.startSSO(w, r, "")
}

// handleCallback finishes an SSO sign-in: state, code exchange with the PKCE verifier, ID
// token verification (go-oidc: issuer, audience, signature, expiry) and the nonce.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return portal.Errorf(portal.ENOTFOUND, "Signing in with your organisation's account is not set up on this portal.")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		// Anyone can send a person to this address with any words in it: the page says only
		// fixed sentences, chosen by the standard error code (RFC 6749 4.1.2.1, OpenID
		// Connect Core 3.1.2.6); the provider's own text goes to the log.
		s.log.Info("sign-in refused by the identity provider", "error", e, "description", q.Get("error_description"))
		return portal.Errorf(portal.EUNAUTHORIZED, "%s Try again, or ask your administrator.", providerRefusal(e))
	}
	state := q.Get("state")
	c, err := r.Cookie(stateCookie)
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		return portal.Errorf(portal.EUNAUTHORIZED, "This sign-in was not started in this browser, or it took too long. Start signing in again.")
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/auth/callback", MaxAge: -1, HttpOnly: true, Secure: s.secure})
	st, err := s.svc.TakeOIDCState(r.Context(), portal.HashToken(state))
	if err != nil {
		return err
	}
	conf, err := s.sso.oauth(r.Context(), s.BaseURL())
	if err != nil {
		return err
	}
	ctx := oidc.ClientContext(r.Context(), s.cfg.HTTPClient)
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return portal.Errorf(portal.EUNAUTHORIZED, "Your identity provider refused to complete the sign-in (%v). Start signing in again.", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return portal.Errorf(portal.EUNAUTHORIZED, "Your identity provider sent no ID token. Ask your administrator to check that the client uses the openid scope.")
	}
	ver, err := s.verifiers.verifier(r.Context(), s.sso.cfg.Issuer, s.sso.cfg.ClientID)
	if err != nil {
		return err
	}
	idt, err := ver.Verify(r.Context(), raw)
	if err != nil {
		return portal.Errorf(portal.EUNAUTHORIZED, "The sign-in answer was refused: %v. Start signing in again.", err)
	}
	var nc idClaims
	if err := idt.Claims(&nc); err != nil || subtle.ConstantTimeCompare([]byte(nc.Nonce), []byte(st.Nonce)) != 1 {
		return errNonce()
	}
	id, verified, err := identityOf(idt)
	if err != nil {
		return err
	}
	return s.finishWebSignIn(w, r, id, verified, st.InvitationHash)
}

// finishWebSignIn signs the person in (or binds their invitation), sets the session
// cookie and shows their account page. It is the part of the SSO callback after the ID
// token has been verified.
func (s *Server) finishWebSignIn(w http.ResponseWriter, r *http.Request, id portal.SSOIdentity, verified bool, invitationHash string) error {
	var err error
	var session string
	if invitationHash != "" {
		res, e := s.svc.AcceptWithSSO(r.Context(), invitationHash, id, verified)
		session, err = res.Session, e
	} else {
		res, e := s.svc.SignInSSO(r.Context(), id, verified)
		session, err = res.Session, e
		if err == nil && res.Refusal != nil && session == "" {
			return s.renderRefusal(w, r, res.Account, res.Refusal)
		}
	}
	if err != nil {
		return err
	}
	s.setSession(w, session)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

// providerRefusal says in a fixed sentence why the identity provider did not sign the
// person in, by its error code.
func providerRefusal(code string) string {
	switch code {
	case "access_denied":
		return "Your identity provider did not sign you in: the sign-in was cancelled or refused."
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return "Your identity provider needs you to sign in or agree first."
	case "temporarily_unavailable", "server_error":
		return "Your identity provider could not sign you in just now."
	default:
		return "Your identity provider did not sign you in."
	}
}
