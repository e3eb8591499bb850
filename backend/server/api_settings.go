package server

import (
	"net/http"

	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

func (s *Server) handleGetSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	set, err := s.svc.GetSettings(r.Context(), rc.actor)
	if err != nil {
		return err
	}
	return respond(w, nil, http.StatusOK, set)
}

func (s *Server) handleUpdateSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, set api.Settings) (api.Settings, error) {
		return s.svc.UpdateSettings(r.Context(), cmd, set)
	})
}
