package server

import (
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

// singleContactPath is the route a bulk contact item stands for (see
// singleInvitationPath).
const singleContactPath = "/api/v1/contacts"

// handleBulkContacts creates up to api.MaxBulkContacts contacts in one transaction, each
// item a command of its own with its own Idempotency-Key: what an import's apply sends,
// so that thousands of rows are a few requests, not thousands.
func (s *Server) handleBulkContacts(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req api.BulkContactsRequest
	if err := decodeJSON(body, &req, true); err != nil {
		return err
	}
	items := make([]service.BulkContact, len(req.Items))
	for i, it := range req.Items {
		cmd, err := contactItemCmd(rc.actor, it)
		items[i] = service.BulkContact{Cmd: cmd, Contact: it.Contact, Refused: err}
	}
	res, err := s.svc.CreateContactsBulk(r.Context(), rc.actor, items)
	if err != nil {
		return err
	}
	return respond(w, nil, http.StatusOK, res)
}

// contactItemCmd builds the command of one bulk item as newCmd builds the command of a
// single POST /api/v1/contacts carrying the same contact and Idempotency-Key.
func contactItemCmd(act portal.Actor, it api.BulkContactItem) (*service.Cmd, error) {
	return bulkItemCmd(act, singleContactPath, it.IdempotencyKey, 0, it.Contact)
}
