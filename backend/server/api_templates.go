package server

import (
	"net/http"

	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

func (s *Server) handleListTemplates(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ts, err := s.svc.ListTemplates(r.Context(), rc.actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

func (s *Server) handleGetTemplate(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	t, err := s.svc.GetTemplate(r.Context(), rc.actor, r.PathValue("key"))
	if err != nil {
		return err
	}
	return respond(w, nil, http.StatusOK, t)
}

func (s *Server) handleUpdateTemplate(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, u api.TemplateUpdate) (api.Template, error) {
		return s.svc.UpdateTemplate(r.Context(), cmd, r.PathValue("key"), u)
	})
}
