package desk

import (
	"context"

	"gatehouse/backend/batch"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
)

// Work done on the desktop alone is recorded in the portal's audit log (through the outbox,
// so offline too), under the administrator who did it. The work itself is done and stored
// already: a report that cannot be queued is logged, never a reason to undo the work.

func (a *Desk) recordWork(action, entityID, name, reason string, details map[string]any) {
	eng, _, err := a.engine()
	if err != nil {
		a.log.Warn("record desktop work in the audit log", "action", action, "err", err)
		return
	}
	if _, err := eng.Commands().RecordDesktopWork(a.ctx(), portal.DesktopEvent{Action: action, EntityID: entityID, Name: name,
		Reason: reason, Details: details}); err != nil {
		a.log.Warn("record desktop work in the audit log", "action", action, "err", err)
	}
}

// recordImportWork records work on an import session, named by its file.
func (a *Desk) recordImportWork(ctx context.Context, st *imports.Store, id, action, reason string, details map[string]any) {
	name := id
	if s, err := st.Get(ctx, id); err == nil {
		name = s.FileName
	}
	a.recordWork(action, id, name, reason, details)
}

// recordBatchWork records work on a batch, named as the batch list names it.
func (a *Desk) recordBatchWork(b batch.Batch, action, reason string, details map[string]any) {
	if details == nil {
		details = map[string]any{}
	}
	details["kind"], details["total"] = string(b.Kind), b.Counts.Total
	a.recordWork(action, b.ID, b.Name, reason, details)
}

// recordBatchByID is recordBatchWork for a batch known by its ID.
func (a *Desk) recordBatchByID(id, action, reason string, details map[string]any) {
	st, err := a.batchStore()
	if err != nil {
		return
	}
	if b, err := st.Get(a.ctx(), id); err == nil {
		a.recordBatchWork(b, action, reason, details)
	}
}
