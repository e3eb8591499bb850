package server

import (
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/service"
)

func (s *Server) handleListOrganizations(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r, "after", "limit")
	after, limit := q.str("after"), q.int("limit")
	if q.err != nil {
		return q.err
	}
	page, err := s.svc.ListOrganizations(r.Context(), rc.actor, after, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) handleGetOrganization(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	o, err := s.svc.GetOrganization(r.Context(), rc.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return respond(w, nil, http.StatusOK, o)
}

func (s *Server) handleCreateOrganization(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusCreated, true, func(cmd *service.Cmd, o portal.Organization) (portal.Organization, error) {
		return s.svc.CreateOrganization(r.Context(), cmd, o)
	})
}

func (s *Server) handleUpdateOrganization(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, o portal.Organization) (portal.Organization, error) {
		return s.svc.UpdateOrganization(r.Context(), cmd, r.PathValue("id"), o)
	})
}

func (s *Server) handleDeleteOrganization(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusNoContent, false, func(cmd *service.Cmd, _ empty) (struct{}, error) {
		return s.svc.DeleteOrganization(r.Context(), cmd, r.PathValue("id"))
	})
}
