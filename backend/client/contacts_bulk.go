package client

import (
	"context"
	"net/http"

	"gatehouse/backend/server/api"
)

// Wire types of the bulk contact command, re-exported for callers.
type (
	BulkContact         = api.BulkContactItem
	BulkContactOutcome  = api.BulkContactOutcome
	BulkContactsResult  = api.BulkContactsResult
	BulkContactsRequest = api.BulkContactsRequest
)

// MaxBulkContacts is the most items CreateContactsBulk may send at once.
const MaxBulkContacts = api.MaxBulkContacts

// CreateContactsBulk creates many contacts with one request, in one transaction on the
// server, each item a command of its own with its IdempotencyKey (sending it again replays
// its answer, whether it was first sent here or through CreateContact). The answer has one
// outcome per item, in order; use ContactItemError for a refused item's error. An error
// return means the request as a whole failed and may be sent again with the same keys.
func (c *Client) CreateContactsBulk(ctx context.Context, items []BulkContact) (BulkContactsResult, error) {
	return call[BulkContactsResult](ctx, c, http.MethodPost, "/api/v1/contacts/bulk", nil, nil, BulkContactsRequest{Items: items})
}

// ContactItemError returns a refused item's error as an *Error (with the HTTP status the
// single request would have had), or nil when the item succeeded.
func ContactItemError(o BulkContactOutcome) error { return outcomeError(o.Error) }
