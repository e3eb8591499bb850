package server

import (
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

func (s *Server) handleListContacts(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r, "organizationId", "email", "q", "after", "limit")
	cq := service.ContactQuery{OrganizationID: q.str("organizationId"), Email: q.str("email"), Query: q.str("q"), After: q.str("after"), Limit: q.int("limit")}
	if q.err != nil {
		return q.err
	}
	page, err := s.svc.ListContacts(r.Context(), rc.actor, cq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) handleGetContact(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	c, err := s.svc.GetContact(r.Context(), rc.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return respond(w, nil, http.StatusOK, c)
}

func (s *Server) handleCreateContact(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusCreated, true, func(cmd *service.Cmd, c portal.Contact) (portal.Contact, error) {
		return s.svc.CreateContact(r.Context(), cmd, c)
	})
}

func (s *Server) handleUpdateContact(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, c portal.Contact) (portal.Contact, error) {
		return s.svc.UpdateContact(r.Context(), cmd, r.PathValue("id"), c)
	})
}

func (s *Server) handleDeleteContact(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusNoContent, false, func(cmd *service.Cmd, _ empty) (struct{}, error) {
		return s.svc.DeleteContact(r.Context(), cmd, r.PathValue("id"))
	})
}

// handleAddUsers adds people to an organisation by e-mail address (and may invite them).
func (s *Server) handleAddUsers(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, req api.AddUsersRequest) (api.AddUsersResult, error) {
		return s.svc.AddUsers(r.Context(), cmd, req)
	})
}
