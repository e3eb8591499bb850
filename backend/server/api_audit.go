package server

import (
	"net/http"

	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

// handleListAudit serves the audit log, newest first, filtered by the query.
func (s *Server) handleListAudit(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r, "organizationId", "entityType", "entityId", "actorId", "action", "since", "until", "before", "limit")
	aq := service.AuditQuery{
		OrganizationID: q.str("organizationId"), EntityType: q.str("entityType"), EntityID: q.str("entityId"),
		ActorID: q.str("actorId"), Action: q.str("action"), Since: q.time("since"), Until: q.time("until"),
		Before: q.int64("before"), Limit: q.int("limit"),
	}
	if q.err != nil {
		return q.err
	}
	page, err := s.svc.ListAudit(r.Context(), rc.actor, aq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// handleRecordDesktopEvents records a desktop's own work in the audit log, under the caller.
func (s *Server) handleRecordDesktopEvents(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return command(s, w, r, rc, http.StatusOK, true, func(cmd *service.Cmd, req api.DesktopEventsRequest) (api.DesktopEventsResult, error) {
		return s.svc.RecordDesktopEvents(r.Context(), cmd, req)
	})
}

// handleListMail lists the portal's outgoing mail, without bodies (system administrators).
func (s *Server) handleListMail(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r, "status", "limit")
	status, limit := q.str("status"), q.int("limit")
	if q.err != nil {
		return q.err
	}
	items, err := s.svc.MailList(r.Context(), rc.actor, status, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items)
	return nil
}

// handleRetryMail sends a waiting or failed message again.
func (s *Server) handleRetryMail(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	it, err := s.svc.RetryMail(r.Context(), rc.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}
