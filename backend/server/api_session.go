package server

import (
	"net/http"
	"strings"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
)

// handleCreateSession trades an ID token from a trusted issuer for an API session.
func (s *Server) handleCreateSession(w http.ResponseWriter, r *http.Request, _ *reqCtx) error {
	if s.cfg.Embedded {
		return portal.Errorf(portal.EFORBIDDEN, "This embedded portal has no sign-in: use the token it was started with.")
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req api.SessionRequest
	if err := decodeJSON(body, &req, true); err != nil {
		return err
	}
	if strings.TrimSpace(req.IDToken) == "" {
		return portal.FieldErrorf("idToken", "Send the ID token from your identity provider in \"idToken\".")
	}
	if len(s.cfg.TrustedIssuers) == 0 {
		return portal.Errorf(portal.EUNAUTHORIZED, "This portal trusts no identity provider yet, so nobody can sign in to its API. Start the server with --trusted-issuer.")
	}
	id, verified, use, err := s.verifiers.verifyForAPI(r.Context(), s.cfg.TrustedIssuers, req.IDToken)
	if err != nil {
		return err
	}
	sess, err := s.svc.CreateAPISession(r.Context(), id, verified, use)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sess)
	return nil
}

// handleDeleteSession signs out: the session token stops working at once.
func (s *Server) handleDeleteSession(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if s.cfg.Embedded {
		return portal.Errorf(portal.EFORBIDDEN, "The embedded portal's token lasts as long as the portal runs; stop the portal to end it.")
	}
	if err := s.svc.RevokeSession(r.Context(), rc.token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleMe describes the caller.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	writeJSON(w, http.StatusOK, api.Me{Actor: rc.actor, Account: rc.account, Embedded: s.cfg.Embedded})
	return nil
}
