package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

// singleInvitationPath is the route a bulk item stands for: each item is hashed as if it
// had been sent there on its own, so that an item and a single request with the same
// Idempotency-Key and the same fields replay each other.
const singleInvitationPath = "/api/v1/invitations"

// handleBulkInvitations creates up to api.MaxBulkInvitations invitations in one
// transaction, each item a command of its own (see api.BulkInvitationItem). The
// request's own Idempotency-Key header is not used: every item carries its key, and a
// repeated request replays item by item.
func (s *Server) handleBulkInvitations(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req api.BulkInvitationsRequest
	if err := decodeJSON(body, &req, true); err != nil {
		return err
	}
	items := make([]service.BulkInvite, len(req.Items))
	for i, it := range req.Items {
		cmd, err := itemCmd(rc.actor, it)
		items[i] = service.BulkInvite{Cmd: cmd, Req: it.CreateInvitationRequest, Refused: err}
	}
	res, err := s.svc.InviteBulk(r.Context(), rc.actor, items)
	if err != nil {
		return err
	}
	return respond(w, nil, http.StatusOK, res)
}

// itemCmd builds the command of one bulk item as newCmd builds the command of a single
// POST /api/v1/invitations carrying the same body, Idempotency-Key and If-Match.
func itemCmd(act portal.Actor, it api.BulkInvitationItem) (*service.Cmd, error) {
	if it.IfMatch < 0 {
		return &service.Cmd{Actor: act, IdempotencyKey: it.IdempotencyKey}, portal.FieldErrorf("ifMatch", "ifMatch must be the contact's version as its ETag gives it, such as 3.")
	}
	return bulkItemCmd(act, singleInvitationPath, it.IdempotencyKey, it.IfMatch, it.CreateInvitationRequest)
}

// bulkItemCmd is the command of one item of a bulk request: hashed as a single POST to
// path with body, key and ifMatch would be (newCmd), so that the two replay each other.
func bulkItemCmd(act portal.Actor, path, key string, ifMatch int64, body any) (*service.Cmd, error) {
	cmd := &service.Cmd{Actor: act, IdempotencyKey: key, IfMatch: ifMatch}
	if err := checkIdempotencyKey(key); err != nil {
		return cmd, err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return cmd, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%d\n", http.MethodPost, path, "", ifMatch)
	h.Write(b)
	cmd.RequestHash = hex.EncodeToString(h.Sum(nil))
	return cmd, nil
}
