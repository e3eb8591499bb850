package client

import (
	"context"
	"net/http"

	"gatehouse/backend/server/api"
)

// Wire types of the bulk invitation command, re-exported for callers.
type (
	BulkInvitation         = api.BulkInvitationItem
	BulkInvitationOutcome  = api.BulkInvitationOutcome
	BulkInvitationsResult  = api.BulkInvitationsResult
	BulkInvitationsRequest = api.BulkInvitationsRequest
)

// MaxBulkInvitations is the most items InviteBulk may send at once.
const MaxBulkInvitations = api.MaxBulkInvitations

// InviteBulk creates many invitations with one request, in one transaction on the
// server. Each item is a command of its own: give every item its IdempotencyKey (and
// IfMatch, the contact's version, if wanted); sending an item again with the same key
// and fields replays its answer without the link, exactly as Invite does, whether it was
// first sent here or through Invite. The answer has one outcome per item, in order; use
// ItemError for a refused item's error. An error return means the request as a whole
// failed (nothing was created by it, or it may have been and must be asked again with
// the same keys).
func (c *Client) InviteBulk(ctx context.Context, items []BulkInvitation) (BulkInvitationsResult, error) {
	return call[BulkInvitationsResult](ctx, c, http.MethodPost, "/api/v1/invitations/bulk", nil, nil, BulkInvitationsRequest{Items: items})
}

// ItemError returns a refused item's error as an *Error (with the HTTP status the single
// request would have had), or nil when the item succeeded.
func ItemError(o BulkInvitationOutcome) error { return outcomeError(o.Error) }

// outcomeError is a bulk item's coded refusal as the *Error its single request would
// have returned; nil for none.
func outcomeError(e *api.Error) error {
	if e == nil {
		return nil
	}
	return &Error{Status: api.Status(e.Code, e.Current != nil), Code: e.Code, Message: e.Message, Field: e.Field, Current: e.Current}
}
