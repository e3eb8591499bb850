package desk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// The contact list of the import tests: a title row above the header, a column named
// "Body" that the automatic mapping does not recognise (the organisation), and one row
// for each problem the review screen is about. Row numbers as the spreadsheet shows them.
var importHeader = []any{"E-mail address", "First name", "Last name", "Body", "Position", "Membership", "Clerk until"}

var importRows = [][]any{
	{"ann@acton.gov.uk", "Ann", "Lee", "Acton PC", "Clerk", "Yes", ""},              // 3
	{"clerk@shared.org", "Bob", "Ray", "Barton PC", "Clerk", "Yes", ""},             // 4 shared_email
	{"clerk@shared.org", "Bob", "Ray", "Carlton PC", "Clerk", "Yes", ""},            // 5 shared_email
	{"", "Cara", "Doe", "Dunton PC", "Clerk", "Yes", ""},                            // 6 missing_email
	{"dan@eaton.gov.uk", "Dan", "Fox", "Eaton PC", "Clerk", "Lapsed", ""},           // 7 non_member
	{"old@fenton.gov.uk", "Eve", "Gale", "Fenton PC", "Clerk", "Yes", "31/03/2024"}, // 8 role_expired
	{"Jo Kent <jo@hinton.gov.uk>", "Jo", "Kent", "Hinton PC", "Clerk", "Yes", ""},   // 9 invalid_email
	{"ann@acton.gov.uk", "Ann", "Lee", "Acton PC", "Clerk", "Yes", ""},              // 10 duplicate of 3
	{"gus@grange.gov.uk", "Gus", "Ives", "Grange PC", "Chair", "Yes", ""},           // 11 clean
}

const (
	rowShared1, rowMissing, rowExpired, rowInvalid, rowDupKeep, rowDup = 4, 6, 8, 9, 3, 10
	colEmail, colBody                                                  = 1, 4
)

func writeImportXLSX(t *testing.T, dir, name string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Contacts"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetRow("Contacts", "A1", &[]any{"Members exported 15 June 2024"}))
	must(f.SetSheetRow("Contacts", "A2", &importHeader))
	for i, r := range importRows {
		must(f.SetSheetRow("Contacts", fmt.Sprintf("A%d", i+3), &r))
	}
	_, err := f.NewSheet("Notes")
	must(err)
	must(f.SetCellValue("Notes", "A1", "not contacts"))
	p := filepath.Join(dir, name)
	must(f.SaveAs(p))
	return p
}

// events records what the App sent the frontend.
type events struct {
	mu  sync.Mutex
	got []Event
}

func recordEvents(t *testing.T, rt *HeadlessRuntime) *events {
	ev := &events{}
	t.Cleanup(rt.Subscribe(func(e Event) {
		ev.mu.Lock()
		ev.got = append(ev.got, e)
		ev.mu.Unlock()
	}))
	return ev
}

func (ev *events) named(name string) []any {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var out []any
	for _, e := range ev.got {
		if e.Name == name {
			out = append(out, e.Data[0])
		}
	}
	return out
}

func counts(s ImportSessionInfo) map[string]int {
	m := map[string]int{}
	for _, c := range s.Counts {
		if c.Count > 0 {
			m[c.Code] = c.Count
		}
	}
	return m
}

func field(s ImportSessionInfo, name string) int {
	for _, f := range s.Fields {
		if f.Field == name {
			return f.Column
		}
	}
	return -1
}

func mappingOf(s ImportSessionInfo) ImportMapping {
	m := ImportMapping{HeaderRow: s.HeaderRow, Columns: map[string]int{}}
	for _, f := range s.Fields {
		m.Columns[f.Field] = f.Column
	}
	return m
}

func rowsWith(t *testing.T, a *Desk, id string, q ImportRowQuery) []int {
	t.Helper()
	p, err := a.ImportRows(id, q)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, r := range p.Rows {
		out = append(out, r.Row)
	}
	if p.Total != len(out) {
		t.Fatalf("ImportRows(%+v): total %d but %d rows on the first page", q, p.Total, len(out))
	}
	return out
}

// TestImportReviewFlow goes through the screen's steps as the administrator does: choose a
// file, read it, map the column the automatic mapping missed, fix an e-mail, exclude a row,
// merge duplicates, re-run the checks, preview and export the report.
func TestImportReviewFlow(t *testing.T) {
	dir := t.TempDir()
	a, rt := startApp(t, Config{DatabasePath: filepath.Join(dir, "gatehouse.db")})
	ev := recordEvents(t, rt)
	file := writeImportXLSX(t, dir, "members.xlsx")

	rt.AnswerOpenFile(file)
	if got, err := a.ChooseImportFile(); got != file || err != nil {
		t.Fatalf("ChooseImportFile = %q, %v", got, err)
	}
	if got, err := a.ChooseImportFile(); got != "" || err != nil {
		t.Fatalf("cancelled ChooseImportFile = %q, %v", got, err)
	}
	if got, err := a.ImportSheets(file); !reflect.DeepEqual(got, []string{"Contacts", "Notes"}) || err != nil {
		t.Fatalf("ImportSheets = %q, %v", got, err)
	}

	s, err := a.StartImport(file, ImportOptions{DayFirst: true, AsOf: "2024-06-15"})
	if err != nil {
		t.Fatal(err)
	}
	if s.State != "mapping" || s.HeaderRow != 2 || s.DataRows != len(importRows) || s.Sheet != "Contacts" || s.MappingRemembered {
		t.Fatalf("after reading: %+v", s)
	}
	if field(s, "email") != colEmail || field(s, "organization") != 0 {
		t.Fatalf("automatic mapping: %+v", s.Fields)
	}
	if len(s.Columns) != len(importHeader) || s.Columns[colBody-1] != (imports.ColumnInfo{Column: colBody, Letter: "D", Header: "Body"}) {
		t.Fatalf("columns: %+v", s.Columns)
	}
	if len(s.TopRows) != 2+len(importRows) || s.TopRows[0].Row != 1 || s.TopRows[1].Cells[0] != "E-mail address" {
		t.Fatalf("top rows: %+v", s.TopRows)
	}
	progress := ev.named(EventImportProgress)
	if len(progress) < 2 {
		t.Fatalf("progress events: %v", progress)
	}
	if last := progress[len(progress)-1].(ImportProgress); last != (ImportProgress{Path: file, FileName: "members.xlsx", RowsRead: 2 + len(importRows)}) {
		t.Fatalf("last progress event: %+v", last)
	}

	// Map the organisation column by hand: the checks run and the session is in review.
	m := mappingOf(s)
	m.Columns["organization"] = colBody
	if s, err = a.SetImportMapping(s.ID, m); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"shared_email": 2, "missing_email": 1, "invalid_email": 1, "duplicate_email": 2, "non_member": 1, "role_expired": 1}
	if s.State != "review" || s.Stale || !reflect.DeepEqual(counts(s), want) {
		t.Fatalf("after mapping: state %s stale %v counts %v, want %v", s.State, s.Stale, counts(s), want)
	}
	if s.RowsWithFindings != 8 || s.Included != len(importRows) {
		t.Fatalf("rows with findings %d, included %d", s.RowsWithFindings, s.Included)
	}
	if got := rowsWith(t, a, s.ID, ImportRowQuery{Code: "shared_email"}); !reflect.DeepEqual(got, []int{4, 5}) {
		t.Fatalf("shared_email rows %v", got)
	}
	if got := rowsWith(t, a, s.ID, ImportRowQuery{Search: "fenton"}); !reflect.DeepEqual(got, []int{rowExpired}) {
		t.Fatalf("search fenton: %v", got)
	}
	if got := rowsWith(t, a, s.ID, ImportRowQuery{Filter: "clean"}); !reflect.DeepEqual(got, []int{11}) {
		t.Fatalf("clean rows %v", got)
	}
	if _, err := a.ImportRows(s.ID, ImportRowQuery{Code: "nonsense"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("unknown code: %v", err)
	}

	if got, err := a.ImportRowsAt(s.ID, []int{rowDup, rowDupKeep}); err != nil || len(got) != 2 || got[0].Row != rowDup || got[1].Row != rowDupKeep ||
		len(got[0].Findings) == 0 || got[0].Findings[0].Code != "duplicate_email" {
		t.Fatalf("ImportRowsAt = %+v, %v", got, err)
	}
	if _, err := a.ImportRowsAt(s.ID, []int{99}); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("ImportRowsAt(99) = %v", err)
	}

	// Fix the e-mail written with a display name.
	row, err := a.FixImportCell(s.ID, rowInvalid, colEmail, "jo@hinton.gov.uk")
	if err != nil {
		t.Fatal(err)
	}
	if row.Cells[colEmail-1] != "jo@hinton.gov.uk" || row.Original[colEmail-1] != "Jo Kent <jo@hinton.gov.uk>" || !slices.Equal(row.Edited, []int{colEmail}) {
		t.Fatalf("fixed row: %+v", row)
	}
	// Exclude the row without an address, merge the duplicate into the first.
	if s, err = a.ExcludeImportRows(s.ID, []int{rowMissing}, true, "No address; ask the council"); err != nil {
		t.Fatal(err)
	}
	if !s.Stale || s.Excluded != 1 || s.Included != len(importRows)-1 {
		t.Fatalf("after exclude: stale %v excluded %d included %d", s.Stale, s.Excluded, s.Included)
	}
	if s, err = a.MergeImportRows(s.ID, rowDupKeep, []int{rowDup}); err != nil {
		t.Fatal(err)
	}
	if s, err = a.RecheckImport(s.ID); err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"shared_email": 2, "non_member": 1, "role_expired": 1}
	if s.Stale || s.Excluded != 2 || !reflect.DeepEqual(counts(s), want) {
		t.Fatalf("after recheck: stale %v excluded %d counts %v, want %v", s.Stale, s.Excluded, counts(s), want)
	}
	if got := rowsWith(t, a, s.ID, ImportRowQuery{Filter: "excluded"}); !reflect.DeepEqual(got, []int{rowMissing, rowDup}) {
		t.Fatalf("excluded rows %v", got)
	}
	// Taking a row back in works, and the count follows after the next check.
	if s, err = a.ExcludeImportRows(s.ID, []int{rowMissing}, false, ""); err != nil {
		t.Fatal(err)
	}
	if s, err = a.RecheckImport(s.ID); err != nil || counts(s)["missing_email"] != 1 {
		t.Fatalf("after including row %d again: %v, %v", rowMissing, counts(s), err)
	}
	if s, err = a.ExcludeImportRows(s.ID, []int{rowMissing}, true, "No address; ask the council"); err != nil {
		t.Fatal(err)
	}

	// Checking against another date: the role that ended on 31 March is fine on 1 March.
	if s, err = a.SetImportOptions(s.ID, ImportOptions{DayFirst: true, AsOf: "2024-03-01"}); err != nil {
		t.Fatal(err)
	}
	if counts(s)["role_expired"] != 0 || s.AsOf != "2024-03-01" {
		t.Fatalf("as of 1 March: %v, as-of %s", counts(s), s.AsOf)
	}
	if _, err := a.SetImportOptions(s.ID, ImportOptions{AsOf: "15/06/2024"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("bad as-of date: %v", err)
	}

	p, err := a.ImportPreview(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Create+p.Update+p.Skip != len(importRows) || len(p.Rows) != len(importRows) {
		t.Fatalf("preview counts %d/%d/%d for %d rows", p.Create, p.Update, p.Skip, len(p.Rows))
	}
	byRow := map[int]imports.PreviewLine{}
	for _, r := range p.Rows {
		byRow[r.Row] = r
	}
	if r := byRow[rowMissing]; r.Action != "skip" || r.Reason != "No address; ask the council" {
		t.Errorf("excluded row in the preview: %+v", r)
	}
	if r := byRow[rowInvalid]; r.Action != "create" || r.Email != "jo@hinton.gov.uk" || r.Name != "Jo Kent" || !r.NewOrganization {
		t.Errorf("fixed row in the preview: %+v", r)
	}
	if r := byRow[rowShared1]; r.Action != "skip" {
		t.Errorf("row with a shared address in the preview: %+v", r)
	}

	// Export: cancelled, onto the file being imported, then for real (the dialog's name
	// has no extension, as on Linux).
	if got, err := a.ExportImport(s.ID); got != "" || err != nil {
		t.Fatalf("cancelled export = %q, %v", got, err)
	}
	rt.AnswerSaveFile(file)
	if _, err := a.ExportImport(s.ID); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("export over the source: %v", err)
	}
	rt.AnswerSaveFile(filepath.Join(dir, "report"))
	out, err := a.ExportImport(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if out != filepath.Join(dir, "report.xlsx") {
		t.Fatalf("exported to %q", out)
	}
	checkExport(t, out)
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".report*")); len(tmp) != 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}

	// The same headers again: the mapping is remembered.
	again, err := a.StartImport(file, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.MappingRemembered || field(again, "organization") != colBody {
		t.Fatalf("second import of the same headers: remembered %v, fields %+v", again.MappingRemembered, again.Fields)
	}
	list, err := a.ImportSessions()
	if err != nil || len(list) != 2 || list[0].ID != again.ID || list[0].RowsWithFindings != -1 || len(list[0].TopRows) != 0 {
		t.Fatalf("ImportSessions = %+v, %v", list, err)
	}
	if err := a.AbandonImport(again.ID); err != nil {
		t.Fatal(err)
	}
	if list, err = a.ImportSessions(); err != nil || len(list) != 1 || list[0].ID != s.ID {
		t.Fatalf("after abandoning: %+v, %v", list, err)
	}
	if _, err := a.FixImportCell(again.ID, 3, 1, "x@y.org"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("fixing an abandoned import: %v", err)
	}
	// Resuming after a restart: a new App on the same database shows the same session.
	a.Shutdown(context.Background())
	b, _ := startApp(t, Config{DatabasePath: filepath.Join(dir, "gatehouse.db")})
	resumed, err := b.ImportSession(s.ID)
	if err != nil || resumed.State != "review" || resumed.Excluded != 2 || !reflect.DeepEqual(counts(resumed), counts(s)) {
		t.Fatalf("ImportSession = %+v, %v", resumed, err)
	}
}

// checkExport reads the exported workbook back: the summary, the annotated contacts with
// the fix and the exclusion, and the findings one per line.
func checkExport(t *testing.T, path string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("the export is not a workbook excelize can open: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Summary", "Contacts", "Findings"}) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows("Contacts")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(importRows) {
		t.Fatalf("Contacts has %d rows, want header + %d", len(rows), len(importRows))
	}
	header := rows[0]
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("no column %q in %v", name, header)
		}
		return i
	}
	find := func(n int) []string {
		for _, r := range rows[1:] {
			if r[0] == fmt.Sprint(n) {
				return append(r, make([]string, len(header))...) // trailing empty cells
			}
		}
		t.Fatalf("row %d is missing from the export", n)
		return nil
	}
	if r := find(rowInvalid); r[col("E-mail address")] != "jo@hinton.gov.uk" {
		t.Errorf("fixed e-mail exported as %q", r[col("E-mail address")])
	}
	if r := find(rowMissing); r[col("Included")] != "No" || r[col("Excluded because")] != "No address; ask the council" {
		t.Errorf("excluded row exported as %q", r)
	}
	if r := find(rowShared1); !strings.Contains(r[col("Findings")], "shared") {
		t.Errorf("row %d findings exported as %q", rowShared1, r[col("Findings")])
	}
	findings, err := f.GetRows("Findings")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for _, r := range findings[1:] {
		codes[r[1]]++
	}
	if !reflect.DeepEqual(codes, map[string]int{"shared_email": 2, "non_member": 1}) {
		t.Errorf("findings sheet codes %v", codes)
	}
}

func TestStartImportRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	a, _ := startApp(t, Config{DatabasePath: filepath.Join(dir, "gatehouse.db")})
	old := filepath.Join(dir, "old.xls")
	if err := os.WriteFile(old, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 an old workbook"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.csv")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, asOf string
		code             string
		mention          string
	}{
		{"no path", "", "", portal.EINVALID, "Choose a spreadsheet"},
		{"relative path", "members.xlsx", "", portal.EINVALID, "full path"},
		{"missing file", filepath.Join(dir, "gone.xlsx"), "", portal.ENOTFOUND, "gone.xlsx"},
		{"old Excel", old, "", portal.EINVALID, "save it as .xlsx"},
		{"empty csv", empty, "", portal.EINVALID, "empty.csv"},
		{"bad date", empty, "June", portal.EINVALID, "YYYY-MM-DD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.StartImport(tc.path, ImportOptions{AsOf: tc.asOf})
			if portal.ErrorCode(err) != tc.code || !strings.Contains(portal.ErrorMessage(err), tc.mention) {
				t.Fatalf("StartImport(%q) = %v (%s); want %s mentioning %q", tc.path, err, portal.ErrorCode(err), tc.code, tc.mention)
			}
		})
	}
	if list, err := a.ImportSessions(); err != nil || len(list) != 0 {
		t.Fatalf("files that could not be read left sessions behind: %+v, %v", list, err)
	}
	if _, err := a.ImportSheets(old); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("ImportSheets(old.xls) = %v", err)
	}
	if _, err := a.ImportSession("nope"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("ImportSession(nope) = %v", err)
	}
}

func TestImportMethodsWithoutDatabase(t *testing.T) {
	a := New(Config{}, NewHeadlessRuntime())
	if _, err := a.ImportSessions(); err == nil {
		t.Fatal("ImportSessions before Startup succeeded")
	}
}

// TestDroppedFilesReachTheImportsScreen: one drop, one event, whatever the number of import
// calls that came before; the spreadsheet is picked from the dropped files.
func TestDroppedFilesReachTheImportsScreen(t *testing.T) {
	a, rt := startApp(t, Config{DatabasePath: filepath.Join(t.TempDir(), "gatehouse.db")})
	ev := recordEvents(t, rt)
	for range 3 {
		if _, err := a.ImportSessions(); err != nil {
			t.Fatal(err)
		}
	}
	rt.DropFiles(1, 2, []string{"/in/notes.pdf", "/in/Members.CSV", "/in/other.xlsx"})
	rt.DropFiles(1, 2, []string{"/in/notes.pdf"})
	want := []any{
		ImportDropped{Path: "/in/Members.CSV", Ignored: []string{"/in/notes.pdf", "/in/other.xlsx"}},
		ImportDropped{Path: "/in/notes.pdf", Ignored: []string{}},
	}
	if got := ev.named(EventImportDropped); !reflect.DeepEqual(got, want) {
		t.Fatalf("import:dropped events %#v, want %#v", got, want)
	}
}

// TestCancelImport stops a read in progress; nothing of it is kept.
func TestCancelImport(t *testing.T) {
	dir := t.TempDir()
	a, rt := startApp(t, Config{DatabasePath: filepath.Join(dir, "gatehouse.db")})
	var b strings.Builder
	b.WriteString("Email,First name,Last name,Organisation\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "p%d@example.org,P%d,Q%d,Org %d\n", i, i, i, i%50)
	}
	file := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	defer rt.Subscribe(func(e Event) {
		if p, ok := e.Data[0].(ImportProgress); ok && e.Name == EventImportProgress && p.RowsRead > 0 {
			once.Do(func() {
				if err := a.CancelImport(file); err != nil {
					t.Error(err)
				}
			})
		}
	})()
	_, err := a.StartImport(file, ImportOptions{})
	if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), "cancelled") {
		t.Fatalf("StartImport after cancel = %v", err)
	}
	if list, err := a.ImportSessions(); err != nil || len(list) != 0 {
		t.Fatalf("a cancelled read left sessions behind: %+v, %v", list, err)
	}
	if err := a.CancelImport(file); err != nil {
		t.Fatalf("cancelling nothing: %v", err)
	}
	// The same file reads whole afterwards.
	s, err := a.StartImport(file, ImportOptions{})
	if err != nil || s.DataRows != 20000 {
		t.Fatalf("read after cancel: %d rows, %v", s.DataRows, err)
	}
}

// TestInterruptedReadIsTidied: a session still "reading" when Gatehouse stopped is shown
// as abandoned at the next start, not as running.
func TestInterruptedReadIsTidied(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := cache.Open(ctx, path, cache.WithSchema(imports.Schema()), cache.WithSchema(batch.Schema()), cache.WithSchema(replica.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO import_sessions (id, file_name, file_path, format, state, day_first, as_of, created_at, updated_at)
		VALUES ('s1', 'big.xlsx', '/in/big.xlsx', '', 'reading', 0, '2024-06-15', '2024-06-15T09:00:00.000000000Z', '2024-06-15T09:00:00.000000000Z')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	a, _ := startApp(t, Config{DatabasePath: path})
	if list, err := a.ImportSessions(); err != nil || len(list) != 0 {
		t.Fatalf("ImportSessions = %+v, %v; want the interrupted read left out", list, err)
	}
	s, err := a.ImportSession("s1")
	if err != nil || s.State != "abandoned" || !strings.Contains(s.Error, "Import the file again") {
		t.Fatalf("interrupted session = %+v, %v", s, err)
	}
}

func TestExportName(t *testing.T) {
	for in, want := range map[string]string{"members.csv": "members-checked.xlsx", "List.2024.xlsx": "List.2024-checked.xlsx", ".csv": "import-checked.xlsx"} {
		if got := imports.ExportName(in); got != want {
			t.Errorf("exportName(%q) = %q, want %q", in, got, want)
		}
	}
}
