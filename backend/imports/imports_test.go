package imports

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

var testNow = time.Date(2024, 6, 15, 9, 0, 0, 0, time.UTC)

// openTestDB opens a SQLite file with the import migration applied and the three cache
// tables the imports read, in the columns the cache's own migration gives them.
func openTestDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // as the cache's writer pool: catches queries nested in open ones
	t.Cleanup(func() { db.Close() })
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'import_sessions'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		mig, err := os.ReadFile(filepath.Join("migrations", "0010_imports.sql"))
		if err != nil {
			t.Fatal(err)
		}
		apply, err := os.ReadFile(filepath.Join("migrations", "0011_import_apply.sql"))
		if err != nil {
			t.Fatal(err)
		}
		distinct, err := os.ReadFile(filepath.Join("migrations", "0012_import_distinct.sql"))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{string(mig), string(apply), string(distinct),
			`CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL DEFAULT '', member INTEGER NOT NULL DEFAULT 0)`,
			`CREATE TABLE contacts (id TEXT PRIMARY KEY, organization_id TEXT NOT NULL DEFAULT '', full_name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '', position TEXT NOT NULL DEFAULT '')`,
			`CREATE TABLE accounts (id TEXT PRIMARY KEY, email TEXT NOT NULL, status TEXT NOT NULL)`,
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	}
	return db
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const contactsCSV = `Contacts exported from CRM,,,,,,
E-mail,First name,Last name,Council,Position,Membership,Clerk until
ann@acton.gov.uk,Ann,Lee,Acton PC,Clerk,Yes,
clerk@shared.org,Bob,Ray,Barton PC,Clerk,Yes,
clerk@shared.org,Bob,Ray,Carlton PC,Clerk,Yes,
,Cara,Doe,Dunton PC,Clerk,Yes,
dan@eaton.gov.uk,Dan,Fox,Eaton PC,Clerk,Lapsed,
old@fenton.gov.uk,Eve,Gale,Fenton PC,Clerk,Yes,03/2024
existing@acton.gov.uk,Fay,Hill,Acton PC,Chair,Yes,
active@grange.gov.uk,Gus,Ives,Grange PC,Clerk,Yes,
ann@acton.gov.uk,A.,Lee,Acton PC,Clerk,Yes,
"Jo Kent <jo@hinton.gov.uk>",Jo,Kent,Hinton PC,Clerk,Yes,
`

func newStore(t *testing.T, db *sql.DB) *Store {
	return NewStore(db, portal.NewFixedClock(testNow), WithDirectory(tablesDirectory{DB: db}))
}

// tablesDirectory reads the stand-in mirror tables openTestDB makes beside the import
// tables (the cache owns the real ones and answers through CacheDirectory;
// TestWithCacheDatabase takes that path). A database without them knows nothing.
type tablesDirectory struct{ DB *sql.DB }

func (d tablesDirectory) Load(ctx context.Context) (Known, error) {
	k := Known{Accounts: quality.AccountSet{}, Contacts: map[string]KnownContact{}, Organizations: map[string]string{}}
	var n int
	if err := d.DB.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('organizations', 'contacts', 'accounts')`).Scan(&n); err != nil {
		return k, err
	}
	if n < 3 {
		return k, nil
	}
	rows, err := d.DB.QueryContext(ctx, `SELECT email, status FROM accounts`)
	if err != nil {
		return k, err
	}
	for rows.Next() {
		var email, status string
		if err := rows.Scan(&email, &status); err != nil {
			rows.Close()
			return k, err
		}
		k.Accounts[quality.EmailKey(email)] = portal.Status(status)
	}
	rows.Close()
	if rows, err = d.DB.QueryContext(ctx, `SELECT id, organization_id, full_name, email, phone, position FROM contacts WHERE email <> ''`); err != nil {
		return k, err
	}
	for rows.Next() {
		var c KnownContact
		var email string
		if err := rows.Scan(&c.ID, &c.OrganizationID, &c.FullName, &email, &c.Phone, &c.Position); err != nil {
			rows.Close()
			return k, err
		}
		k.Contacts[quality.EmailKey(email)] = c
	}
	rows.Close()
	if rows, err = d.DB.QueryContext(ctx, `SELECT id, name FROM organizations`); err != nil {
		return k, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return k, err
		}
		k.Organizations[FoldName(name)] = id
	}
	return k, rows.Err()
}

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "cache.db")
	db := openTestDB(t, dbPath)
	if _, err := db.Exec(`INSERT INTO organizations (id, name) VALUES ('org-acton', 'Acton PC');
		INSERT INTO contacts (id, organization_id, full_name, email, position) VALUES ('c-fay', 'org-acton', 'Fay Hill', 'existing@acton.gov.uk', 'Member');
		INSERT INTO accounts (id, email, status) VALUES ('a-gus', 'Active@Grange.gov.uk', 'active')`); err != nil {
		t.Fatal(err)
	}
	st := newStore(t, db)
	file := writeFile(t, "councils.csv", contactsCSV)
	var progress []int
	sess, err := st.Create(ctx, file, CreateOptions{DayFirst: true, Progress: func(n int) { progress = append(progress, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if sess.State != StateMapping || sess.Mapping.HeaderRow != 2 || sess.DataRows != 10 || sess.RowsRead != 12 {
		t.Fatalf("session after create: %+v", sess)
	}
	if len(progress) == 0 || progress[len(progress)-1] != 12 {
		t.Errorf("progress %v, want a final 12", progress)
	}
	want := map[sheets.Field]int{sheets.FieldEmail: 1, sheets.FieldFirstName: 2, sheets.FieldLastName: 3, sheets.FieldOrganization: 4,
		sheets.FieldRole: 5, sheets.FieldMember: 6, sheets.FieldRoleUntil: 7}
	for f, c := range want {
		if sess.Mapping.Columns[f] != c {
			t.Errorf("auto mapping %s = %d, want %d (mapping %v)", f, sess.Mapping.Columns[f], c, sess.Mapping.Columns)
		}
	}
	sess, err = st.SetMapping(ctx, sess.ID, sess.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	if sess.State != StateReview || sess.Stale {
		t.Fatalf("after mapping: %+v", sess)
	}
	wantSummary := map[quality.Code]int{quality.MissingEmail: 1, quality.InvalidEmail: 1, quality.DuplicateEmail: 2, quality.SharedEmail: 2,
		quality.PossibleDuplicate: 0, quality.NonMember: 1, quality.RoleExpired: 1, quality.HasAccess: 1, quality.OrganisationRow: 0}
	for c, n := range wantSummary {
		if sess.Summary[c] != n {
			t.Errorf("summary %s = %d, want %d (%v)", c, sess.Summary[c], n, sess.Summary)
		}
	}

	// Filter by code, then fix the display-name address and see the count change.
	page, err := st.Rows(ctx, sess.ID, RowQuery{Code: quality.InvalidEmail})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || page.Rows[0].Row != 12 || page.Rows[0].Findings[0].Suggestion != "jo@hinton.gov.uk" {
		t.Fatalf("invalid_email page: %+v", page)
	}
	v, err := st.FixCell(ctx, sess.ID, 12, 1, "jo@hinton.gov.uk")
	if err != nil {
		t.Fatal(err)
	}
	if v.Cells[0] != "jo@hinton.gov.uk" || v.Original[0] != "Jo Kent <jo@hinton.gov.uk>" || !slices.Equal(v.Edited, []int{1}) {
		t.Fatalf("fixed row: %+v", v)
	}
	// Merge the duplicate address, exclude the lapsed member.
	if err := st.Merge(ctx, sess.ID, 3, []int{11}); err != nil {
		t.Fatal(err)
	}
	if err := st.Exclude(ctx, sess.ID, []int{7}, true, "Lapsed member"); err != nil {
		t.Fatal(err)
	}
	if sess, err = st.Get(ctx, sess.ID); err != nil || !sess.Stale || sess.Excluded != 2 {
		t.Fatalf("after edits: %+v %v", sess, err)
	}

	// Close everything and resume from the file: the work is still there.
	db.Close()
	db = openTestDB(t, dbPath)
	st = newStore(t, db)
	sess, err = st.Recheck(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	for c, n := range map[quality.Code]int{quality.InvalidEmail: 0, quality.DuplicateEmail: 0, quality.NonMember: 0, quality.SharedEmail: 2} {
		if sess.Summary[c] != n {
			t.Errorf("after fixes summary %s = %d, want %d (%v)", c, sess.Summary[c], n, sess.Summary)
		}
	}
	row11, err := st.Row(ctx, sess.ID, 11)
	if err != nil || !row11.Excluded || row11.MergedInto != 3 {
		t.Fatalf("merged row: %+v %v", row11, err)
	}
	changes, err := st.Changes(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, c := range changes {
		kinds = append(kinds, c.Kind)
	}
	if !slices.Equal(kinds, []string{"mapping", "fix", "merge", "exclude"}) {
		t.Errorf("changes %v", kinds)
	}

	prev, err := st.Preview(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[int]PreviewAction{}
	for _, r := range prev.Rows {
		actions[r.Row] = r.Action
	}
	wantActions := map[int]PreviewAction{3: PreviewCreate, 4: PreviewSkip, 5: PreviewSkip, 6: PreviewSkip, 7: PreviewSkip, 8: PreviewSkip,
		9: PreviewUpdate, 10: PreviewSkip, 11: PreviewSkip, 12: PreviewCreate}
	for r, a := range wantActions {
		if actions[r] != a {
			t.Errorf("preview row %d = %s, want %s", r, actions[r], a)
		}
	}
	if prev.Counts[PreviewCreate] != 2 || prev.Counts[PreviewUpdate] != 1 {
		t.Errorf("preview counts %v", prev.Counts)
	}
	for _, r := range prev.Rows {
		if r.Row == 9 && (r.ContactID != "c-fay" || !slices.Contains(r.Changes, "position")) {
			t.Errorf("update row: %+v", r)
		}
		if r.Row == 3 && (r.Contact.Email != "ann@acton.gov.uk" || r.Contact.OrganizationID != "org-acton" || r.NewOrganization) {
			t.Errorf("create row: %+v", r)
		}
		if r.Row == 12 && !r.NewOrganization {
			t.Errorf("row 12 organisation should be new: %+v", r)
		}
		if r.Action == PreviewSkip && r.Reason == "" {
			t.Errorf("skip without reason: %+v", r)
		}
	}

	// Export and read the workbook back.
	var buf bytes.Buffer
	if err := st.Export(ctx, sess.ID, &buf); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.xlsx")
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	names, err := sheets.ListSheets(out)
	if err != nil || !slices.Equal(names, []string{"Summary", "Contacts", "Findings"}) {
		t.Fatalf("exported sheets %v %v", names, err)
	}
	rows, _, err := sheets.ReadAll(ctx, out, sheets.Options{Sheet: "Contacts"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 11 || rows[0].Cells[0] != "Row" || rows[0].Cells[1] != "E-mail" {
		t.Fatalf("exported contacts: %d rows, header %q", len(rows), rows[0].Cells)
	}
	if got := rows[10].Cells[1]; got != "jo@hinton.gov.uk" {
		t.Errorf("exported fixed cell = %q", got)
	}
	if !strings.Contains(strings.Join(rows[2].Cells, "|"), "Shared") && !strings.Contains(strings.Join(rows[2].Cells, "|"), "shared") {
		t.Errorf("exported row 4 lacks its finding: %q", rows[2].Cells)
	}
}

func TestRememberedMapping(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, openTestDB(t, filepath.Join(t.TempDir(), "c.db")))
	file := writeFile(t, "a.csv", "Addr;Who;Body\nann@a.org;Ann Lee;Acton PC\n")
	s1, err := st.Create(ctx, file, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s1.Mapping.Columns[sheets.FieldEmail] != 0 {
		t.Fatalf("unusual headers should not auto-map to email: %v", s1.Mapping.Columns)
	}
	if _, err := st.SetMapping(ctx, s1.ID, sheets.Mapping{HeaderRow: 1}); err == nil {
		t.Fatal("an empty mapping was accepted")
	}
	m := sheets.Mapping{HeaderRow: 1, Columns: map[sheets.Field]int{sheets.FieldEmail: 1, sheets.FieldFullName: 2, sheets.FieldOrganization: 3}}
	if _, err := st.SetMapping(ctx, s1.ID, m); err != nil {
		t.Fatal(err)
	}
	file2 := writeFile(t, "b.csv", "addr;WHO;body\nbob@b.org;Bob Ray;Barton PC\n")
	s2, err := st.Create(ctx, file2, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !s2.MappingRemembered || s2.Mapping.Columns[sheets.FieldEmail] != 1 || s2.Mapping.Columns[sheets.FieldOrganization] != 3 {
		t.Fatalf("second import did not reuse the mapping: %+v", s2)
	}
}

func TestUnreadableFileLeavesNoSession(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, openTestDB(t, filepath.Join(t.TempDir(), "c.db")))
	file := writeFile(t, "broken.xlsx", "PK\x03\x04 not really a zip")
	if _, err := st.Create(ctx, file, CreateOptions{}); err == nil || portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("err = %v, want an invalid error", err)
	}
	list, err := st.List(ctx, true)
	if err != nil || len(list) != 0 {
		t.Fatalf("sessions left behind: %+v %v", list, err)
	}
}

func TestEditsRefusedWhenApplied(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, openTestDB(t, filepath.Join(t.TempDir(), "c.db")))
	sess, err := st.Create(ctx, writeFile(t, "a.csv", contactsCSV), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkApplied(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FixCell(ctx, sess.ID, 3, 1, "x@y.org"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("fix after apply: %v", err)
	}
	if err := st.Exclude(ctx, sess.ID, []int{3}, true, ""); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("exclude after apply: %v", err)
	}
	if _, err := st.Get(ctx, "nope"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("get unknown: %v", err)
	}
}

// TestWithCacheDatabase runs a session on the real cache database, opened with this
// package's schema (0010_imports.sql).
func TestWithCacheDatabase(t *testing.T) {
	ctx := context.Background()
	cdb, err := cache.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"), cache.WithClock(portal.NewFixedClock(testNow)), cache.WithSchema(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	// The mirror holds what the portal has, written as a sync writes it: the import is
	// matched against it through the cache's own queries.
	if err := cdb.Apply(ctx, func(tx *cache.Tx) error {
		if err := tx.UpsertOrganization(portal.Organization{ID: "org-acton", Name: "Acton PC", Version: 1, CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
			return err
		}
		if err := tx.UpsertContact(portal.Contact{ID: "c-fay", OrganizationID: "org-acton", FullName: "Fay Hill", Email: "existing@acton.gov.uk",
			Position: "Member", Version: 1, CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
			return err
		}
		return tx.UpsertAccount(portal.Account{ID: "a-gus", Email: "Active@Grange.gov.uk", Name: "Gus Ives", Status: portal.StatusActive,
			Kind: portal.KindStaff, AdditionalRoles: []string{}, Version: 1, CreatedAt: testNow, UpdatedAt: testNow})
	}); err != nil {
		t.Fatal(err)
	}
	st := OnCache(cdb)
	sess, err := st.Create(ctx, writeFile(t, "a.csv", contactsCSV), CreateOptions{DayFirst: true})
	if err != nil {
		t.Fatal(err)
	}
	if sess, err = st.SetMapping(ctx, sess.ID, sess.Mapping); err != nil {
		t.Fatal(err)
	}
	if sess.Summary[quality.SharedEmail] != 2 || sess.Summary[quality.HasAccess] != 1 {
		t.Fatalf("summary %v", sess.Summary)
	}
	pv, err := st.Preview(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	matched := 0
	for _, r := range pv.Rows {
		switch r.Contact.Email {
		case "existing@acton.gov.uk":
			matched++
			if r.Action != PreviewUpdate || r.ContactID != "c-fay" {
				t.Errorf("the contact the portal has: %+v", r)
			}
		case "ann@acton.gov.uk":
			matched++
			if r.Action == PreviewCreate && (r.NewOrganization || r.Contact.OrganizationID != "org-acton") {
				t.Errorf("a new contact of an organisation the portal has: %+v", r)
			}
		}
	}
	if matched < 2 {
		t.Errorf("the preview has %d of the rows looked for, in %d rows", matched, len(pv.Rows))
	}
	var buf bytes.Buffer
	if err := st.Export(ctx, sess.ID, &buf); err != nil {
		t.Fatal(err)
	}
}

func TestAnalyze(t *testing.T) {
	a, err := Analyze(context.Background(), writeFile(t, "a.csv", contactsCSV), AnalyzeOptions{AsOf: testNow, DayFirst: true,
		Accounts: quality.NewAccountSet(map[string]portal.Status{"active@grange.gov.uk": portal.StatusActive})})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 10 || a.Summary[quality.HasAccess] != 1 || a.Summary[quality.RoleExpired] != 1 {
		t.Fatalf("analysis: %d records, summary %v", len(a.Records), a.Summary)
	}
}

// TestDayFirstOnForeignFixture reads the openpyxl workbook whose header sits on row 3 under
// a merged title, and whose "Role until" holds the texty date 03/04/2024: 3 April when
// read day first, 4 March otherwise.
func TestDayFirstOnForeignFixture(t *testing.T) {
	file := filepath.Join("..", "sheets", "testdata", "generated", "openpyxl_messy.xlsx")
	asOf := time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		dayFirst bool
		expired  bool
	}{{true, false}, {false, true}} {
		a, err := Analyze(context.Background(), file, AnalyzeOptions{AsOf: asOf, DayFirst: tc.dayFirst})
		if err != nil {
			t.Fatal(err)
		}
		if a.Mapping.HeaderRow != 3 || a.Mapping.Columns[sheets.FieldRoleUntil] != 7 || a.Mapping.Columns[sheets.FieldPortalAccess] != 9 {
			t.Fatalf("mapping %+v", a.Mapping)
		}
		expired := false
		for _, f := range a.Findings {
			if f.Row == 4 && f.Code == quality.RoleExpired {
				expired = true
				if f.Column != "G" {
					t.Errorf("role_expired column %q", f.Column)
				}
			}
		}
		if expired != tc.expired {
			t.Errorf("dayFirst=%v: row 4 role_expired=%v, want %v (%+v)", tc.dayFirst, expired, tc.expired, a.Findings)
		}
		// Row 5: "Lapsed", real date 2023-12-31; row 4 says "TRUE" under Portal access.
		codes := map[int][]quality.Code{}
		for _, f := range a.Findings {
			codes[f.Row] = append(codes[f.Row], f.Code)
		}
		if !slices.Contains(codes[5], quality.NonMember) || !slices.Contains(codes[5], quality.RoleExpired) || !slices.Contains(codes[4], quality.HasAccess) {
			t.Errorf("findings by row %v", codes)
		}
	}
}
