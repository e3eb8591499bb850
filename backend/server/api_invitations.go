package server

import (
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

func (s *Server) handleListInvitations(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r, "organizationId", "accountId", "status", "after", "limit")
	iq := service.InvitationQuery{
		OrganizationID: q.str("organizationId"), AccountID: q.str("accountId"),
		Status: portal.InvitationStatus(q.oneOf("status", "pending", "accepted", "expired", "revoked")),
		After:  q.str("after"), Limit: q.int("limit"),
	}
	if q.err != nil {
		return q.err
	}
	page, err := s.svc.ListInvitations(r.Context(), rc.actor, iq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) handleGetInvitation(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	inv, err := s.svc.GetInvitation(r.Context(), rc.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return respond(w, nil, http.StatusOK, inv)
}

func (s *Server) handleCreateInvitation(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusCreated, true, func(cmd *service.Cmd, req api.CreateInvitationRequest) (api.InvitationResult, error) {
		return s.svc.Invite(r.Context(), cmd, req)
	})
}

func (s *Server) handleResendInvitation(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, false, func(cmd *service.Cmd, req api.ResendInvitationRequest) (api.InvitationResult, error) {
		return s.svc.Resend(r.Context(), cmd, r.PathValue("id"), req)
	})
}

func (s *Server) handleRevokeInvitation(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, false, func(cmd *service.Cmd, _ empty) (portal.Invitation, error) {
		return s.svc.Revoke(r.Context(), cmd, r.PathValue("id"))
	})
}
