package server

import (
	"net/http"

	"gatehouse/backend/server/api"
)

// Directories (SCIM) an administrator connects: each gets a token, shown once.

func (s *Server) handleListDirectoryTokens(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	list, err := s.svc.ListDirectoryTokens(r.Context(), rc.actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// handleCreateDirectoryToken is not an idempotent command: its answer holds the token,
// which the server must not keep (a retry makes a second token; the first can be revoked).
func (s *Server) handleCreateDirectoryToken(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req api.DirectoryTokenRequest
	if err := decodeJSON(body, &req, true); err != nil {
		return err
	}
	tok, err := s.svc.CreateDirectoryToken(r.Context(), rc.actor, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tok)
	return nil
}

func (s *Server) handleRevokeDirectoryToken(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	tok, err := s.svc.RevokeDirectoryToken(r.Context(), rc.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tok)
	return nil
}
