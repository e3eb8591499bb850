package server

import (
	"net/http"

	"gatehouse/backend/server/service"
)

// handleChanges serves the change feed: GET /api/v1/changes?after=<seq>&limit=<n>&entities=a,b
func (s *Server) handleChanges(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r, "after", "limit", "entities")
	cq := service.ChangesQuery{After: q.int64("after"), Limit: q.int("limit"), Entities: q.list("entities")}
	if q.err != nil {
		return q.err
	}
	page, err := s.svc.Changes(r.Context(), rc.actor, cq)
	if err != nil {
		return err
	}
	writeChangesPage(w, page)
	return nil
}
