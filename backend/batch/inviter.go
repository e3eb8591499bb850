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
	days := expiresInDays(req.ExpiresIn)
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
	if err != nil {
		return InviteResult{}, classifyClientError(ctx, err)
	}
	return inviteResult(req, &res)
}

// BulkInviter is an Inviter that can also create many invitations in one call. The engine
// uses it, when the inviter has it, for every chunk of new invitations (reminders, which
// replace an invitation, still go one at a time through Invite).
type BulkInviter interface {
	Inviter
	// InviteBulk creates the invitations of reqs (none with Replaces set), each with the
	// guarantees of Invite, and returns one outcome per request, in order: the result, or
	// that request's error as Invite would have returned it. An error return is about the
	// call as a whole: every request is then to be asked again as it is, same keys (a
	// *TemporaryError), or the call cannot be made (ErrBulkUnsupported: ask one by one).
	InviteBulk(ctx context.Context, reqs []InviteRequest) ([]BulkOutcome, error)
}

// BulkOutcome is one request's outcome of InviteBulk.
type BulkOutcome struct {
	Result InviteResult
	Err    error
}

// ErrBulkUnsupported says that the portal server has no bulk invitation endpoint (an
// older version): invitations must be created one at a time.
var ErrBulkUnsupported = errors.New("the portal server cannot create invitations in bulk; creating them one at a time")

var _ BulkInviter = ClientInviter{}

// InviteBulk creates the invitations with one request per client.MaxBulkInvitations,
// without letting the server e-mail them, and returns their one-time links. A request
// replayed (its answer was lost in a crash) answers *LinkWithheldError, as Invite does.
func (ci ClientInviter) InviteBulk(ctx context.Context, reqs []InviteRequest) ([]BulkOutcome, error) {
	out := make([]BulkOutcome, len(reqs))
	var items []client.BulkInvitation
	var at []int // index in reqs of each item
	for i, req := range reqs {
		switch {
		case req.Replaces != "":
			return nil, fmt.Errorf("bulk invitation %d replaces invitation %s; replacements are sent one at a time", i, req.Replaces)
		case req.IdempotencyKey == "":
			out[i].Err = portal.FieldErrorf("idempotencyKey", "An invitation needs an idempotency key.")
			continue
		case req.ContactID == "":
			out[i].Err = portal.Errorf(portal.ECONFLICT, "%s is not a contact on the portal yet; apply the import first.", req.Email)
			continue
		}
		items = append(items, client.BulkInvitation{
			CreateInvitationRequest: client.CreateInvitation{ContactID: req.ContactID, Roles: req.Roles, ExpiresInDays: expiresInDays(req.ExpiresIn), BatchID: req.BatchID},
			IdempotencyKey:          req.IdempotencyKey,
		})
		at = append(at, i)
	}
	for lo := 0; lo < len(items); lo += client.MaxBulkInvitations {
		hi := min(lo+client.MaxBulkInvitations, len(items))
		res, err := ci.Client.InviteBulk(ctx, items[lo:hi])
		if err != nil {
			if ce, ok := client.AsError(err); ok && (ce.Status == http.StatusNotFound || ce.Status == http.StatusMethodNotAllowed) {
				return nil, fmt.Errorf("%w: %v", ErrBulkUnsupported, err)
			}
			return nil, classifyClientError(ctx, err)
		}
		if len(res.Items) != hi-lo {
			return nil, &TemporaryError{Err: fmt.Errorf("the portal server answered %d of %d invitations; asking again", len(res.Items), hi-lo)}
		}
		for k, o := range res.Items {
			i := at[lo+k]
			if o.Index != k {
				return nil, &TemporaryError{Err: fmt.Errorf("the portal server answered the invitations out of order; asking again")}
			}
			if err := client.ItemError(o); err != nil {
				out[i].Err = classifyClientError(ctx, err)
				continue
			}
			out[i].Result, out[i].Err = inviteResult(reqs[i], o.Result)
		}
	}
	return out, nil
}

// inviteResult turns the server's answer for one invitation into the engine's.
func inviteResult(req InviteRequest, res *client.InvitationResult) (InviteResult, error) {
	switch {
	case res == nil:
		return InviteResult{}, fmt.Errorf("the portal server answered nothing for the invitation of %s; resend it from the invitations list", req.Email)
	case res.URL == "" && res.LinkWithheld && res.Invitation.ID != "":
		return InviteResult{}, &LinkWithheldError{InvitationID: res.Invitation.ID, Email: req.Email}
	case res.URL == "":
		return InviteResult{}, fmt.Errorf("the portal server created the invitation for %s but returned no link; resend it from the invitations list", req.Email)
	}
	return InviteResult{InvitationID: res.Invitation.ID, URL: res.URL, ExpiresAt: res.Invitation.ExpiresAt}, nil
}

// expiresInDays is a link lifetime in whole days, rounded up (0: the portal's default).
func expiresInDays(d time.Duration) int {
	return int((d + 24*time.Hour - 1) / (24 * time.Hour))
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
