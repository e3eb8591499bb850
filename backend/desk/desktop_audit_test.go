package desk

import (
	"slices"
	"testing"

	"gatehouse/backend/portal"
)

// Work done on the desktop alone reaches the portal's audit log under the administrator's
// name: queued while the work is done (nothing is sent until the sync), then recorded by
// the portal with the time it was done, and brought back with the log.
func TestDesktopWorkIsAudited(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	if _, err := a.SaveLocalAdmin(LocalAdmin{Name: "Ann Reed", Email: "ann.reed@example.org"}); err != nil {
		t.Fatal(err)
	}
	a.manual()
	s := reviewedImport(t, a) // a fix, an exclusion and a merge
	if _, err := a.ApplyImport(s.ID); err != nil {
		t.Fatal(err)
	}
	res, err := a.FormBatch(FormBatchRequest{ImportSessionID: s.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CancelBatch(res.Batch.ID); err != nil {
		t.Fatal(err)
	}
	if log := a.auditOf(t, ""); len(log) != 0 {
		t.Fatalf("recorded before the sync: %v", log)
	}
	a.syncNow()

	log := a.auditOf(t, "import")
	want := []string{portal.ActionImportFix, portal.ActionImportExclude, portal.ActionImportMerge, portal.ActionImportApply}
	if got := actionsOf(log); !slices.Equal(got, want) {
		t.Fatalf("import work in the log: %v, want %v", got, want)
	}
	for _, e := range log {
		if e.ActorName != "Ann Reed" || e.ActorID != "local:ann.reed@example.org" || e.EntityID != s.ID || e.After["name"] != "members.xlsx" || !e.At.Equal(t0) {
			t.Errorf("%s: by %s (%s) on %s %v at %v", e.Action, e.ActorName, e.ActorID, e.EntityID, e.After, e.At)
		}
	}
	if e := log[1]; e.Reason != "No address; ask the council" {
		t.Errorf("the exclusion's reason: %q", e.Reason)
	}
	batches := a.auditOf(t, "batch")
	if got := actionsOf(batches); !slices.Equal(got, []string{portal.ActionBatchForm, portal.ActionBatchCancel}) {
		t.Fatalf("batch work in the log: %v", got)
	}
	if b := batches[0]; b.EntityID != res.Batch.ID || b.After["name"] != res.Batch.Name || b.ActorName != "Ann Reed" {
		t.Errorf("the batch formed: %+v", b)
	}
}

// auditOf lists the cached audit log of one entity type (all when empty), oldest first.
func (a *testApp) auditOf(t *testing.T, entityType string) []AuditEntry {
	t.Helper()
	page, err := a.AuditLog(AuditQuery{EntityType: entityType, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []AuditEntry
	for _, e := range slices.Backward(page.Rows) {
		if e.EntityType == "import" || e.EntityType == "batch" {
			out = append(out, e)
		}
	}
	return out
}

func actionsOf(es []AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}
