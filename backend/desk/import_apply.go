package desk

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// EventImportApply carries an ImportApplyProgress after each chunk of rows an apply queued.
const EventImportApply = "import:apply"

// ImportApplyProgress is the payload of EventImportApply.
type ImportApplyProgress struct {
	ID    string `json:"id"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// ApplyImport turns the reviewed rows into the portal's organisations and contacts, as the
// preview said: each row's change goes to the outbox like any other admin change, so it
// works offline and reaches the portal when it can. Progress arrives as "import:apply".
// Applying again (after a cancel, a crash, or a second click) resumes and never queues a
// row twice. The answer counts what happened to the rows.
func (a *Desk) ApplyImport(id string) (imports.ApplySummary, error) {
	im, q, err := a.applyParts()
	if err != nil {
		return imports.ApplySummary{}, err
	}
	ctx, cancel := context.WithCancel(a.ctx())
	defer cancel()
	im.mu.Lock()
	if im.applying[id] != nil {
		im.mu.Unlock()
		return imports.ApplySummary{}, portal.Errorf(portal.ECONFLICT, "This import is being applied already; wait for it to finish.")
	}
	im.applying[id] = cancel
	im.mu.Unlock()
	defer func() {
		im.mu.Lock()
		delete(im.applying, id)
		im.mu.Unlock()
	}()
	sum, err := im.store.Apply(ctx, id, q, func(p imports.ApplyProgress) {
		a.rt.Emit(EventImportApply, ImportApplyProgress{ID: id, Done: p.Done, Total: p.Total})
	})
	if err != nil {
		return imports.ApplySummary{}, err
	}
	a.recordImportWork(ctx, im.store, id, portal.ActionImportApply, "", map[string]any{"queued": sum.Queued, "created": sum.Created,
		"updated": sum.Updated, "skipped": sum.Skipped, "refused": sum.Refused, "complete": sum.Complete})
	return sum, nil
}

// CancelApplyImport stops an apply in progress after the chunk it is queuing. What was
// queued stays queued; ApplyImport resumes with the rest.
func (a *Desk) CancelApplyImport(id string) {
	im := a.imports
	im.mu.Lock()
	defer im.mu.Unlock()
	if cancel := im.applying[id]; cancel != nil {
		cancel()
	}
}

// ImportApplyResults counts what applying the import did so far, row by row, with the
// rows the portal has received since brought up to date.
func (a *Desk) ImportApplyResults(id string) (imports.ApplySummary, error) {
	im, q, err := a.applyParts()
	if err != nil {
		return imports.ApplySummary{}, err
	}
	return im.store.ApplyResults(a.ctx(), id, q)
}

// applyParts are what applying an import needs: the import store and the outbox.
func (a *Desk) applyParts() (*importer, replica.ImportQueue, error) {
	im, err := a.importer(a.ctx())
	if err != nil {
		return nil, replica.ImportQueue{}, err
	}
	eng, _, err := a.engine()
	if err != nil {
		return nil, replica.ImportQueue{}, err
	}
	return im, eng.ImportQueue(), nil
}

// ExportImportResults asks where to save and writes the sheet as it was read with three
// columns added — Result, Reason, Gatehouse id — so the source system can be corrected. It
// returns the saved file, or "" when the dialog was cancelled.
func (a *Desk) ExportImportResults(id string) (string, error) {
	ctx := a.ctx()
	im, q, err := a.applyParts()
	if err != nil {
		return "", err
	}
	ss, err := im.store.Get(ctx, id)
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(ss.FileName, filepath.Ext(ss.FileName))
	return a.saveWorkbook("Save the result of the import", ss, base+" - result.xlsx", func(f *os.File) error {
		return im.store.ExportResults(ctx, id, q, f)
	})
}

// linkApplied links a batch's rows formed from an applied import to the contacts the
// portal now has, after sending what waits in the outbox (the contacts the import queued
// among it), so that a batch formed before the import was applied can invite them.
func (a *Desk) linkApplied(ctx context.Context, c *connection, st *batch.Store, batchID string) error {
	im, err := a.importer(ctx)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.eng.Push(pctx); err != nil {
		a.log.Info("send the waiting changes before a batch", "err", err)
	}
	n, err := batch.LinkApplied(ctx, st, im.store, c.eng.ImportQueue(), batchID)
	if n > 0 {
		a.log.Info("linked batch rows to the contacts their import created", "batch", batchID, "rows", n)
	}
	return err
}
