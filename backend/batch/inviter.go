package batch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// InviteRequest asks the portal for one person's invitation.
type InviteRequest struct {
	ContactID      string
	AccountID      string
	OrganizationID string
	Email          string
	Name           string
	Roles          []string
	// IdempotencyKey is stored with the recipient before the first call: asking again
	// with it never makes a second invitation.
	IdempotencyKey string
	// ExpiresIn is the link's lifetime; 0 means the portal's default.
	ExpiresIn time.Duration
	// BatchID is recorded with the invitation on the server.
	BatchID string
	// Replaces, for a reminder, is the invitation to replace: its link stops working and
	// the person gets a new one.
	Replaces string
}

// InviteResult is the invitation made, with its one-time link.
type InviteResult struct {
	InvitationID string
	URL          string
	ExpiresAt    time.Time
}

// Inviter creates invitations on the portal. Implementations must be idempotent by
// IdempotencyKey and must never leave a person with two live invitations. When a repeated
// call finds the invitation made but cannot return its link, they answer
// *LinkWithheldError.
type Inviter interface {
	Invite(ctx context.Context, req InviteRequest) (InviteResult, error)
}

// TemporaryError marks an inviter failure worth retrying later as it is (the server could
// not be reached, or answered 5xx): the engine waits and asks again with the same key.
type TemporaryError struct{ Err error }

func (e *TemporaryError) Error() string { return e.Err.Error() }
func (e *TemporaryError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is a TemporaryError.
func IsTemporary(err error) bool {
	var t *TemporaryError
	return errors.As(err, &t)
}

// ClientInviter creates invitations through the portal server's admin API.
type ClientInviter struct {
	Client *client.Client
}

var _ Inviter = ClientInviter{}

// LinkWithheldError says that the invitation already exists — the call repeated one whose
// answer was lost in a crash — and that the server, which keeps only a hash of each link,
// cannot give its link again. The engine records InvitationID and asks again with
// Replaces set to it (under a key derived from it): the old link dies and the person gets
// a new one, still holding exactly one live invitation.
type LinkWithheldError struct {
	InvitationID string
	Email        string
}

func (e *LinkWithheldError) Error() string {
	return fmt.Sprintf("the invitation for %s (%s) was already created and its link is not kept; it must be replaced to get a new link", e.Email, e.InvitationID)
}

// Invite creates the invitation, or with Replaces resends it, without letting the server
// e-mail it, and returns the one-time link. A replayed call answers *LinkWithheldError.
func (ci ClientInviter) Invite(ctx context.Context, req InviteRequest) (InviteResult, error) {
	if req.IdempotencyKey == "" {
		return InviteResult{}, portal.FieldErrorf("idempotencyKey", "An invitation needs an idempotency key.")
	}
	days := int((req.ExpiresIn + 24*time.Hour - 1) / (24 * time.Hour))
	var res client.InvitationResult
	var err error
	if req.Replaces != "" {
		res, err = ci.Client.ResendInvitation(ctx, req.Replaces, client.ResendInvitation{ExpiresInDays: days}, &client.Cmd{IdempotencyKey: req.IdempotencyKey})
	} else {
		if req.ContactID == "" {
			return InviteResult{}, portal.Errorf(portal.ECONFLICT, "%s is not a contact on the portal yet; apply the import first.", req.Email)
		}
		res, err = ci.Client.Invite(ctx, client.CreateInvitation{ContactID: req.ContactID, Roles: req.Roles, ExpiresInDays: days, BatchID: req.BatchID},
			&client.Cmd{IdempotencyKey: req.IdempotencyKey})
	}
	switch {
	case err != nil:
		return InviteResult{}, classifyClientError(ctx, err)
	case res.URL == "" && res.LinkWithheld && res.Invitation.ID != "":
		return InviteResult{}, &LinkWithheldError{InvitationID: res.Invitation.ID, Email: req.Email}
	case res.URL == "":
		return InviteResult{}, fmt.Errorf("the portal server created the invitation for %s but returned no link; resend it from the invitations list", req.Email)
	}
	return InviteResult{InvitationID: res.Invitation.ID, URL: res.URL, ExpiresAt: res.Invitation.ExpiresAt}, nil
}

// classifyClientError marks what is worth retrying: no answer, or a server in trouble.
func classifyClientError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	ce, ok := client.AsError(err)
	if !ok {
		return &TemporaryError{Err: err} // no answer: network, server down
	}
	switch {
	case ce.Status >= 500, ce.Status == http.StatusTooManyRequests, ce.Status == http.StatusRequestTimeout:
		return &TemporaryError{Err: err}
	}
	return err
}
