package server

import (
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/service"
)

func (s *Server) handleListRoles(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	roles, err := s.svc.ListRoles(r.Context(), rc.actor)
	if err != nil {
		return err
	}
	if roles == nil {
		roles = []portal.Role{}
	}
	writeJSON(w, http.StatusOK, roles)
	return nil
}

func (s *Server) handlePutRole(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, role portal.Role) (portal.Role, error) {
		return s.svc.PutRole(r.Context(), cmd, r.PathValue("id"), role)
	})
}

func (s *Server) handleDeleteRole(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusNoContent, false, func(cmd *service.Cmd, _ empty) (struct{}, error) {
		return s.svc.DeleteRole(r.Context(), cmd, r.PathValue("id"))
	})
}
