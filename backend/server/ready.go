package server

import (
	"context"
	"net/http"
	"time"
)

// readiness is what a store can tell about itself beyond store.Store: the SQL store says
// whether its schema is the one this build migrates to.
type readiness interface {
	Ready(ctx context.Context) error
}

// handleReady answers /readyz: 200 when the database answers within two seconds and its
// schema is current, 503 with the reason otherwise.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var err error
	if rd, ok := s.store.(readiness); ok {
		err = rd.Ready(ctx)
	}
	if err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
