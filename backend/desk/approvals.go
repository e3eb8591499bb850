package desk

import (
	"context"
	"sort"
	"strings"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// queueLimit bounds the approval queue and the recycle bin; neither grows that long in
// practice, and the Users table pages through anything larger.
const queueLimit = 1000

func (a *Desk) byStatus(s portal.Status) ([]UserRow, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	ctx := a.ctx()
	page, err := db.ListAccounts(ctx, cache.AccountFilter{Status: []portal.Status{s}, Limit: queueLimit})
	if err != nil {
		return nil, err
	}
	out := rows(page.Rows)
	accs := make([]portal.Account, len(page.Rows))
	for i, r := range page.Rows {
		accs[i] = r.Account
	}
	c, err := a.current()
	if err != nil {
		return nil, err
	}
	acts, err := c.eng.AccountActionsMany(ctx, accs, nil)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for i := range out {
		out[i].Actions = acts[i]
		out[i].DecidedByName = decidedByName(ctx, db, out[i].DecidedBy, names)
	}
	return out, nil
}

// decidedByName puts who decided into words: "approver:ann@example.org" was an approver's
// e-mailed link; Gatehouse itself (the local portal's administrator before they give a name)
// by its name, as the audit log says it; an account ID is that administrator, by name (or
// address) from the local copy; anything else is shown as it is.
func decidedByName(ctx context.Context, db *cache.DB, by string, seen map[string]string) string {
	if email, ok := strings.CutPrefix(by, "approver:"); ok {
		return email
	}
	if sys := portal.SystemActor(); by == sys.ID {
		return sys.Name
	}
	if n, ok := seen[by]; ok {
		return n
	}
	n := by
	if acc, err := db.GetAccount(ctx, by); err == nil {
		n = acc.Name
		if n == "" {
			n = acc.Email
		}
	}
	seen[by] = n
	return n
}

// PendingQueue lists the people waiting for approval: those who requested access first
// (earliest request first), then the others by when they signed in. Source is the account
// source (SSO domain); CreatedAt is when they signed in.
func (a *Desk) PendingQueue() ([]UserRow, error) {
	rs, err := a.byStatus(portal.StatusPending)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rs, func(i, j int) bool {
		x, y := rs[i], rs[j]
		if x.AccessRequested != y.AccessRequested {
			return x.AccessRequested
		}
		if x.AccessRequested && !x.AccessRequestedAt.Equal(*y.AccessRequestedAt) {
			return x.AccessRequestedAt.Before(*y.AccessRequestedAt)
		}
		return x.CreatedAt.Before(y.CreatedAt)
	})
	return rs, nil
}

// Approve lets a pending person in.
func (a *Desk) Approve(id string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) { return c.Approve(ctx, id) })
}

// Deny refuses a pending person; the reason is required and kept in the audit log. The
// account goes to the recycle bin.
func (a *Desk) Deny(id string, reason string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) { return c.Deny(ctx, id, reason) })
}

// ApproveInstead lets in a person who was denied.
func (a *Desk) ApproveInstead(id string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) {
		return c.ApproveInstead(ctx, id)
	})
}

// ApproveMany approves each selected pending person.
func (a *Desk) ApproveMany(ids []string) (BulkResult, error) {
	return a.bulk(ids, nil, nil, func(ctx context.Context, c *replica.Commands, keys []string) (replica.BulkResult, error) {
		return c.ApproveMany(ctx, keys)
	})
}

// DenyMany denies each selected pending person with the same reason.
func (a *Desk) DenyMany(ids []string, reason string) (BulkResult, error) {
	return a.bulk(ids, nil, nil, func(ctx context.Context, c *replica.Commands, keys []string) (replica.BulkResult, error) {
		return c.DenyMany(ctx, keys, reason)
	})
}

// RecycleBin lists the denied accounts, most recently decided first.
func (a *Desk) RecycleBin() ([]UserRow, error) {
	rs, err := a.byStatus(portal.StatusDenied)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rs, func(i, j int) bool {
		x, y := rs[i].DecidedAt, rs[j].DecidedAt
		switch {
		case x == nil || y == nil:
			return x != nil
		default:
			return x.After(*y)
		}
	})
	return rs, nil
}

// Restore takes a denied account out of the recycle bin as an active account.
func (a *Desk) Restore(id string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) { return c.Restore(ctx, id) })
}

// Purge removes a denied account for good (system administrators only); the audit trail
// stays. The result has no user: the account is gone from every screen.
func (a *Desk) Purge(id string) (ActionResult, error) {
	return a.accountAction(id, func(ctx context.Context, c *replica.Commands) (replica.Queued, error) { return c.Purge(ctx, id) })
}

// UndoResult is the answer to UndoDecision.
type UndoResult struct {
	// Undone is true when the decision was withdrawn before the portal had it: nothing
	// happened, nobody was told.
	Undone bool `json:"undone"`
	// Reverse names the action that takes the decision back now that the portal has it:
	// "deactivate" after an approval, "approveInstead" after a denial.
	Reverse string `json:"reverse,omitempty"`
	// Message says what happened, or what the reverse action would do, in a sentence.
	Message string `json:"message"`
}

// UndoDecision takes back an approval or denial made a moment ago (changeID is its queued
// change). While the change waits in the outbox it is withdrawn; once the portal has it,
// the answer names the action that reverses it, for the administrator to confirm.
func (a *Desk) UndoDecision(changeID int64) (UndoResult, error) {
	eng, db, err := a.engine()
	if err != nil {
		return UndoResult{}, err
	}
	ctx := a.ctx()
	cmd, err := db.GetCommand(ctx, changeID)
	if err != nil {
		return UndoResult{}, err
	}
	if cmd.Name != replica.CmdApprove && cmd.Name != replica.CmdDeny {
		return UndoResult{}, portal.FieldErrorf("id", "Only an approval or a denial can be undone here; other changes are under Changes in the status bar.")
	}
	name := cmd.EntityID
	if acc, err := db.GetAccount(ctx, cmd.EntityID); err == nil {
		name = acc.Name
		if name == "" {
			name = acc.Email
		}
	}
	verb := map[string]string{replica.CmdApprove: "approval", replica.CmdDeny: "denial"}[cmd.Name]
	switch cmd.State {
	case cache.OutboxQueued, cache.OutboxFailed, cache.OutboxConflict:
		if err := eng.Discard(ctx, changeID); err != nil {
			return UndoResult{}, err
		}
		return UndoResult{Undone: true, Message: "The " + verb + " of " + name + " was withdrawn before the portal had it: nothing changed and nobody was told."}, nil
	case cache.OutboxSending:
		return UndoResult{}, portal.Errorf(portal.ECONFLICT, "The %s of %s is reaching the portal right now. Try Undo again in a moment.", verb, name)
	}
	if cmd.Name == replica.CmdApprove {
		return UndoResult{Reverse: "deactivate", Message: "The portal already has the approval: " + name + " can sign in, and may have been told by e-mail. Deactivate " + name + "'s account to take it back?"}, nil
	}
	return UndoResult{Reverse: "approveInstead", Message: "The portal already has the denial of " + name + ". Approve " + name + " instead?"}, nil
}
