package replica

import (
	"context"

	"gatehouse/backend/cache"
	"gatehouse/backend/imports"
)

// ImportQueue is the outbox as an import's apply sees it (imports.Queuer): each row's
// change is checked with the portal's rules and queued like any other admin change.
type ImportQueue struct{ e *Engine }

// ImportQueue returns the engine's outbox for applying imports.
func (e *Engine) ImportQueue() ImportQueue { return ImportQueue{e: e} }

// Queue queues the changes in one transaction and says by key which were refused.
func (q ImportQueue) Queue(ctx context.Context, changes []imports.ApplyChange) (map[string]imports.ApplyOutcome, error) {
	res, err := q.e.Commands().Queue(ctx, changes)
	if err != nil {
		return nil, err
	}
	out := make(map[string]imports.ApplyOutcome, len(changes))
	for _, r := range res.Refused {
		out[r.Key] = imports.ApplyOutcome{Refused: true, Reason: r.Message}
	}
	for _, k := range res.Queued {
		out[k.IdempotencyKey] = imports.ApplyOutcome{}
	}
	return out, nil
}

// States says where the changes with these keys stand in the outbox.
func (q ImportQueue) States(ctx context.Context, keys []string) (map[string]imports.ChangeState, error) {
	cmds, err := q.e.db.OutboxByKey(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]imports.ChangeState, len(cmds))
	for k, c := range cmds {
		st := imports.ChangeState{Known: true, Update: c.Name == CmdUpdateContact, RecordID: c.EntityID, Reason: c.LastError}
		switch {
		case c.State == cache.OutboxSent:
			st.Sent = true
		case c.State == cache.OutboxConflict, c.State == cache.OutboxFailed && c.NextAttemptAt == nil:
			st.Refused = true
		}
		out[k] = st
	}
	return out, nil
}

// Exists reports whether the contact is in the local copy of the portal.
func (q ImportQueue) Exists(ctx context.Context, contactID string) bool {
	_, err := q.e.db.GetContact(ctx, contactID)
	return err == nil
}
