package api

// MaxBulkInvitations is the most invitations one bulk request may create. It keeps one
// request's transaction short enough not to hold up the portal's other writers.
const MaxBulkInvitations = 500

// BulkInvitationItem is one invitation of a bulk request. It is the body of a single
// POST /api/v1/invitations with that command's headers as fields: IdempotencyKey and
// IfMatch (the contact's version) mean what the Idempotency-Key and If-Match headers mean
// there, per item. An item and a single request with the same key and the same fields are
// the same command: either replays the other.
type BulkInvitationItem struct {
	CreateInvitationRequest
	IdempotencyKey string `json:"idempotencyKey"`
	IfMatch        int64  `json:"ifMatch,omitempty"`
}

// BulkInvitationsRequest is the body of POST /api/v1/invitations/bulk.
type BulkInvitationsRequest struct {
	Items []BulkInvitationItem `json:"items"`
}

// BulkInvitationOutcome is what became of one item, at the item's index: Result as the
// single request would have answered it (with the one-time link when it was created now,
// LinkWithheld when Replayed), or Error, coded as the single request's error would have
// been (Field names the item's field, such as "items[3].contactId").
type BulkInvitationOutcome struct {
	Index     int               `json:"index"`
	ContactID string            `json:"contactId"`
	Email     string            `json:"email,omitempty"`
	Replayed  bool              `json:"replayed,omitempty"`
	Result    *InvitationResult `json:"result,omitempty"`
	Error     *Error            `json:"error,omitempty"`
}

// BulkInvitationsResult answers a bulk request, one outcome per item in request order.
// The items that succeeded were committed together; the ones that failed changed nothing
// and may be sent again.
type BulkInvitationsResult struct {
	Items    []BulkInvitationOutcome `json:"items"`
	Created  int                     `json:"created"`
	Replayed int                     `json:"replayed"`
	Failed   int                     `json:"failed"`
}
