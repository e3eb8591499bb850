package desk

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
)

// reviewedImport reads the import tests' list into an App and reviews it as an
// administrator would: organisation column mapped, the display-name address fixed, the
// row without an address excluded, the duplicate merged. Rows 3, 9 and 11 are then clean;
// the rest are skipped for their findings or left out.
func reviewedImport(t *testing.T, a *testApp) ImportSessionInfo {
	t.Helper()
	file := writeImportXLSX(t, a.dir, "members.xlsx")
	s, err := a.StartImport(file, ImportOptions{DayFirst: true, AsOf: "2024-06-15"})
	if err != nil {
		t.Fatal(err)
	}
	m := mappingOf(s)
	m.Columns["organization"] = colBody
	if s, err = a.SetImportMapping(s.ID, m); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FixImportCell(s.ID, rowInvalid, colEmail, "jo@hinton.gov.uk"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExcludeImportRows(s.ID, []int{rowMissing}, true, "No address; ask the council"); err != nil {
		t.Fatal(err)
	}
	if s, err = a.MergeImportRows(s.ID, rowDupKeep, []int{rowDup}); err != nil {
		t.Fatal(err)
	}
	return s
}

// Applying an import: exactly what the preview said, through the outbox (shown at once,
// sent on sync), never twice, and told row by row in the result file.
func TestApplyImport(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	a.manual()
	ctx := context.Background()
	s := reviewedImport(t, a)

	p, err := a.ImportPreview(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Create != 3 || p.Update != 0 || len(p.NewOrganizations) != 3 {
		t.Fatalf("preview: create %d update %d skip %d, new organisations %v", p.Create, p.Update, p.Skip, p.NewOrganizations)
	}

	sum, err := a.ApplyImport(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Queued != 3 || sum.Skipped != len(importRows)-3 || sum.NotYet != 0 || !sum.Complete || !sum.WaitingForServer {
		t.Fatalf("after applying offline: %+v", sum)
	}
	if ev := a.events.named(EventImportApply); len(ev) == 0 || ev[len(ev)-1].Data[0].(ImportApplyProgress).Done != len(importRows) {
		t.Fatalf("progress events: %+v", ev)
	}
	// The new contacts and organisations show at once, before the portal has them.
	im, err := a.importer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	results, err := im.store.Results(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	created := map[int]string{}
	for _, r := range results {
		if r.Result == imports.ResultQueued {
			created[r.Row] = r.RecordID
		}
	}
	if len(created) != 3 || created[rowDupKeep] == "" || created[rowInvalid] == "" || created[11] == "" {
		t.Fatalf("queued rows: %v", created)
	}
	_, db, _ := a.engine()
	jo, err := db.GetContact(ctx, created[rowInvalid])
	if err != nil || jo.Email != "jo@hinton.gov.uk" || jo.FullName != "Jo Kent" || jo.OrganizationID == "" {
		t.Fatalf("Jo's contact in the local copy: %+v, %v", jo, err)
	}
	org, err := db.GetOrganization(ctx, jo.OrganizationID)
	if err != nil || org.Name != "Hinton PC" {
		t.Fatalf("Jo's new organisation: %+v, %v", org, err)
	}
	// Nothing can change the rows any more, and a second apply queues nothing.
	if _, err := a.FixImportCell(s.ID, 11, colEmail, "x@example.org"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("a fix after applying: %v", err)
	}
	pending := func() int {
		st, err := a.SyncStatus()
		if err != nil {
			t.Fatal(err)
		}
		return st.Pending
	}
	// What waits: 3 organisations and 3 contacts, and the audit log's record of the fix, the
	// exclusion, the merge and the apply (desktop work goes to the portal's log too).
	before := pending()
	if before != 6+4 {
		t.Errorf("%d changes wait for the portal, want 10 (3 organisations, 3 contacts, 4 records of desktop work)", before)
	}
	// Applying again queues no record twice; only its own report joins the queue.
	if again, err := a.ApplyImport(s.ID); err != nil || again.Queued != 3 || pending() != before+1 {
		t.Fatalf("applying twice: %+v, %v; %d changes wait", again, err, pending())
	}

	// Sync: the portal creates each once, and the rows say so.
	a.syncNow()
	sum, err = a.ImportApplyResults(s.ID)
	if err != nil || sum.Created != 3 || sum.Queued != 0 || sum.WaitingForServer {
		t.Fatalf("after the sync: %+v, %v", sum, err)
	}
	page, err := a.other().Contacts(ctx, client.ContactQuery{ListOptions: client.ListOptions{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	byEmail := map[string]int{}
	for _, c := range page.Items {
		byEmail[c.Email]++
	}
	for _, e := range []string{"ann@acton.gov.uk", "jo@hinton.gov.uk", "gus@grange.gov.uk"} {
		if byEmail[e] != 1 {
			t.Errorf("the portal has %d contacts for %s, want 1", byEmail[e], e)
		}
	}
	srvJo, err := a.other().Contact(ctx, created[rowInvalid])
	if err != nil || srvJo.OrganizationID != jo.OrganizationID {
		t.Errorf("Jo on the portal: %+v, %v", srvJo, err)
	}

	// The result file: the sheet as read, with Result, Reason and Gatehouse id.
	dest := filepath.Join(a.dir, "members - result.xlsx")
	a.rt.(*HeadlessRuntime).AnswerSaveFile(dest)
	if got, err := a.ExportImportResults(s.ID); err != nil || got != dest {
		t.Fatalf("ExportImportResults = %q, %v", got, err)
	}
	f, err := excelize.OpenFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	if len(head) != len(importHeader)+3 || head[0] != "E-mail address" || head[len(head)-3] != "Result" || head[len(head)-1] != "Gatehouse id" {
		t.Fatalf("result file header: %q", head)
	}
	if len(rows) != 1+len(importRows) {
		t.Fatalf("result file has %d rows, want %d", len(rows), 1+len(importRows))
	}
	want := map[int]string{rowDupKeep: "Created", rowInvalid: "Created", 11: "Created", rowMissing: "Skipped", rowExpired: "Skipped", rowDup: "Skipped"}
	for row, res := range want {
		r := rows[row-2] // the header is sheet row 2
		for len(r) < len(head) {
			r = append(r, "")
		}
		if r[len(head)-3] != res {
			t.Errorf("row %d: result %q, want %q (%q)", row, r[len(head)-3], res, r)
		}
		if res == "Created" && r[len(head)-1] != created[row] {
			t.Errorf("row %d: Gatehouse id %q, want %q", row, r[len(head)-1], created[row])
		}
		if res == "Skipped" && strings.TrimSpace(r[len(head)-2]) == "" {
			t.Errorf("row %d is skipped without a reason", row)
		}
	}
	// The original cell is kept, not the fix: the file is the administrator's own.
	if rows[rowInvalid-2][0] != "Jo Kent <jo@hinton.gov.uk>" {
		t.Errorf("row %d's address in the result file: %q", rowInvalid, rows[rowInvalid-2][0])
	}
}

// Two rows flagged as possibly one person are marked as different people: the finding
// goes, and stays gone when the checks run again.
func TestMarkImportRowsDistinct(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	file := filepath.Join(a.dir, "pantry.csv")
	csv := "Email,First name,Last name,Organisation,Phone\n" +
		"bob.smith@leeds-pantry.org,Bob,Smith,Leeds Pantry,\n" +
		"robert@leeds-pantry.org,Robert,Smith,Leeds Pantry,\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := a.StartImport(file, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s, err = a.SetImportMapping(s.ID, mappingOf(s)); err != nil {
		t.Fatal(err)
	}
	if counts(s)["possible_duplicate"] != 2 {
		t.Fatalf("Bob and Robert Smith at one pantry: %v", counts(s))
	}
	rows, err := a.ImportRowsAt(s.ID, []int{2})
	if err != nil || len(rows) != 1 || !strings.Contains(rows[0].Findings[0].Message, "(a short form)") {
		t.Fatalf("the finding says how the names matched: %+v, %v", rows, err)
	}
	if s, err = a.MarkImportRowsDistinct(s.ID, []int{2, 3}); err != nil || counts(s)["possible_duplicate"] != 0 {
		t.Fatalf("after marking them different people: %v, %v", counts(s), err)
	}
	if s, err = a.RecheckImport(s.ID); err != nil || counts(s)["possible_duplicate"] != 0 {
		t.Fatalf("after checking again: %v, %v", counts(s), err)
	}
}
