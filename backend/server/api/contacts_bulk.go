package api

import "gatehouse/backend/portal"

// MaxBulkContacts is the most contacts one bulk request may create, for the same reason
// as MaxBulkInvitations.
const MaxBulkContacts = 500

// BulkContactItem is one contact of a bulk request: the body of a single
// POST /api/v1/contacts with its Idempotency-Key as a field. An item and a single request
// with the same key and the same contact are the same command: either replays the other.
type BulkContactItem struct {
	portal.Contact
	IdempotencyKey string `json:"idempotencyKey"`
}

// BulkContactsRequest is the body of POST /api/v1/contacts/bulk.
type BulkContactsRequest struct {
	Items []BulkContactItem `json:"items"`
}

// BulkContactOutcome is what became of one item, at the item's index: the contact as the
// single request would have answered it, or its Error (Field names the item's field, such
// as "items[3].email").
type BulkContactOutcome struct {
	Index    int             `json:"index"`
	Replayed bool            `json:"replayed,omitempty"`
	Contact  *portal.Contact `json:"contact,omitempty"`
	Error    *Error          `json:"error,omitempty"`
}

// BulkContactsResult answers a bulk request, one outcome per item in request order. The
// items that succeeded were committed together; the ones that failed changed nothing.
type BulkContactsResult struct {
	Items    []BulkContactOutcome `json:"items"`
	Created  int                  `json:"created"`
	Replayed int                  `json:"replayed"`
	Failed   int                  `json:"failed"`
}
