package server

import (
	"context"
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

func (s *Server) handleListAccounts(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r, "organizationId", "status", "kind", "role", "q", "after", "limit")
	aq := service.AccountQuery{
		OrganizationID: q.str("organizationId"),
		Status:         portal.Status(q.oneOf("status", "pending", "active", "denied", "invited", "deactivated")),
		Kind:           portal.Kind(q.oneOf("kind", "client", "staff")),
		Role:           q.str("role"), Query: q.str("q"), After: q.str("after"), Limit: q.int("limit"),
	}
	if q.err != nil {
		return q.err
	}
	page, err := s.svc.ListAccounts(r.Context(), rc.actor, aq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) handleGetAccount(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	a, err := s.svc.GetAccount(r.Context(), rc.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return respond(w, nil, http.StatusOK, a)
}

// accountAction serves a command on one account that takes no body (approve, deactivate
// …): the route table names the service's method, and nothing else is written per command.
func (s *Server) accountAction(do func(*service.Service, context.Context, *service.Cmd, string) (portal.Account, error)) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
		return command(s, w, r, rc, http.StatusOK, false, func(cmd *service.Cmd, _ empty) (portal.Account, error) {
			return do(s.svc, r.Context(), cmd, r.PathValue("id"))
		})
	}
}

func (s *Server) handleDeny(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, req api.DenyRequest) (portal.Account, error) {
		return s.svc.Deny(r.Context(), cmd, r.PathValue("id"), req.Reason)
	})
}

func (s *Server) handlePurge(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusNoContent, false, func(cmd *service.Cmd, _ empty) (struct{}, error) {
		return s.svc.Purge(r.Context(), cmd, r.PathValue("id"))
	})
}

func (s *Server) handlePromote(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, req api.PromoteRequest) (portal.Account, error) {
		return s.svc.Promote(r.Context(), cmd, r.PathValue("id"), req)
	})
}

func (s *Server) handleSetRoles(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, req api.SetRolesRequest) (portal.Account, error) {
		return s.svc.SetRoles(r.Context(), cmd, r.PathValue("id"), req)
	})
}

func (s *Server) handleSetOrgAdmin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, req api.SetOrgAdminRequest) (portal.Account, error) {
		return s.svc.SetOrgAdmin(r.Context(), cmd, r.PathValue("id"), req.Admin)
	})
}
