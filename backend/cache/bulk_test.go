package cache

import (
	"context"
	"io/fs"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"gatehouse/backend/poll"
	"gatehouse/backend/portal"
)

// An initial load into empty tables defers index building; queries stay right meanwhile;
// FinishBulkLoad leaves exactly the schema and derived data of a row-by-row load.
func TestBulkLoadDefersAndRebuildsIndexes(t *testing.T) {
	ctx := context.Background()
	fresh, _ := openTest(t)
	want := schemaOf(t, fresh)

	gen := newPeople(3)
	orgs := gen.orgs(10)
	var accounts []portal.Account
	for i := range 600 {
		accounts = append(accounts, gen.account(i, orgs))
	}
	// The same data loaded twice: in bulk, and row by row into a table that already had a row.
	bulk, _ := openTest(t)
	rowwise, _ := openTest(t)
	mustApply(t, rowwise, func(tx *Tx) error { return tx.UpsertAccount(accounts[0]) })
	mustFinishBulk(t, rowwise)
	for _, db := range []*DB{bulk, rowwise} {
		mustApply(t, db, func(tx *Tx) error {
			for _, a := range accounts[:400] {
				if err := tx.UpsertAccount(a); err != nil {
					return err
				}
			}
			return nil
		})
		// A second page, organisations arriving after their people, a rename, a deletion.
		mustApply(t, db, func(tx *Tx) error {
			for _, a := range accounts[400:] {
				if err := tx.UpsertAccount(a); err != nil {
					return err
				}
			}
			for _, o := range orgs {
				if err := tx.UpsertOrganization(o); err != nil {
					return err
				}
			}
			renamed := accounts[7]
			renamed.Name, renamed.Version = "Zebedee Quartermain", 99
			if err := tx.UpsertAccount(renamed); err != nil {
				return err
			}
			return tx.DeleteAccount(accounts[8].ID)
		})
	}
	pending, err := bulk.BulkLoadPending(ctx)
	if err != nil || !pending {
		t.Fatalf("bulk load pending = %v, %v", pending, err)
	}
	if _, ok := schemaOf(t, bulk)["accounts_name"]; ok {
		t.Error("the name index was kept up during the bulk load")
	}
	if p, _ := rowwise.BulkLoadPending(ctx); p {
		t.Error("a load into a table that had rows was treated as a bulk load")
	}

	queries := []AccountFilter{
		{}, {Query: "zebedee"}, {Query: "quartermain z"}, {Role: portal.RoleReports}, {Role: portal.RoleStaff, Query: "a"},
		{Query: "example"}, {Query: orgs[3].Name[:4]}, {Status: []portal.Status{portal.StatusPending}, Sort: SortEmail},
		{Sort: SortOrganization, Desc: true}, {Ghost: true}, {Kind: portal.KindStaff, Sort: SortLastLogin},
	}
	check := func(stage string) {
		t.Helper()
		for _, f := range queries {
			f.Limit = 1000
			a, err1 := bulk.ListAccounts(ctx, f)
			b, err2 := rowwise.ListAccounts(ctx, f)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s %+v: %v %v", stage, f, err1, err2)
			}
			if a.Total != b.Total || !slices.EqualFunc(a.Rows, b.Rows, func(x, y AccountRow) bool { return x.ID == y.ID }) {
				t.Errorf("%s, filter %+v: bulk-loaded cache finds %d, row by row %d", stage, f, a.Total, b.Total)
			}
		}
	}
	check("while loading")

	// The build commits the table's own indexes one at a time, the name's first (the
	// screens' default order): a stop after the first leaves a database that answers the
	// same, still loading, and the build finishes the rest later.
	mustApply(t, bulk, func(tx *Tx) error {
		built, err := runBulkIndex(ctx, tx.tx)
		if err == nil && !built {
			t.Error("no index to build first")
		}
		return err
	})
	partial := schemaOf(t, bulk)
	if _, ok := partial["accounts_name"]; !ok {
		t.Error("the name index was not the first built")
	}
	for _, later := range []string{"accounts_email", "accounts_status", "accounts_org"} {
		if _, ok := partial[later]; ok {
			t.Errorf("%s was built with the first", later)
		}
	}
	if p, _ := bulk.BulkLoadPending(ctx); !p {
		t.Error("the load no longer counts as pending after its first index")
	}
	check("with the name index alone")

	mustFinishBulk(t, bulk)
	if pending, err := bulk.BulkLoadPending(ctx); pending || err != nil {
		t.Errorf("after FinishBulkLoad: pending %v, %v", pending, err)
	}
	if got := schemaOf(t, bulk); !maps.Equal(got, want) {
		t.Error("the schema after the bulk load differs from a new database's")
	}
	var roles [2]int
	for i, db := range []*DB{bulk, rowwise} {
		must(t, db.ReadSQL().QueryRow("SELECT count(*) FROM account_roles").Scan(&roles[i]))
		assertSearchIndexIntact(t, db)
	}
	if roles[0] != roles[1] || roles[0] == 0 {
		t.Errorf("role rows: bulk %d, row by row %d", roles[0], roles[1])
	}
	check("after the build")
	mustFinishBulk(t, bulk) // nothing left to do
}

// Without FinishBulkLoad the build runs on its own once the writer is idle, and a load the
// process did not finish is completed after the next Open.
func TestBulkLoadBuildsInTheBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	load := func(db *DB, from int) {
		mustApply(t, db, func(tx *Tx) error {
			for i := from; i < from+50; i++ {
				if err := tx.UpsertAccount(mkAccount(string(rune('a'+i%26))+"-"+itoa(i), "Person "+itoa(i), itoa(i)+"@example.org")); err != nil {
					return err
				}
			}
			return nil
		})
	}
	waitBuilt := func(db *DB) {
		t.Helper()
		if !poll.Until(10*time.Second, func() bool {
			pending, err := db.BulkLoadPending(ctx)
			must(t, err)
			return !pending
		}) {
			t.Fatal("the deferred index build never ran")
		}
	}

	db, err := Open(ctx, path, WithBulkIdle(0))
	must(t, err)
	load(db, 0)
	must(t, db.Close()) // with the build still to do

	db, err = Open(ctx, path, WithBulkIdle(5*time.Millisecond))
	must(t, err)
	defer db.Close()
	waitBuilt(db)
	assertSearchIndexIntact(t, db)
	if got := accountIDs(t, db, AccountFilter{Query: "person 4"}); len(got) != 11 {
		t.Errorf("search after the background build: %v", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// A schema change that arrives while a bulk load is unfinished finds the full schema.
func TestMigrationAfterUnfinishedBulkLoad(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := Open(ctx, path, WithBulkIdle(0))
	must(t, err)
	mustApply(t, db, func(tx *Tx) error { return tx.UpsertAccount(mkAccount("a1", "Anna", "anna@example.org")) })
	must(t, db.Close())

	next := fstest.MapFS{
		"0002_drop_index.sql": {Data: []byte("DROP INDEX accounts_email; CREATE INDEX accounts_email ON accounts(email_key, name_key);")},
	}
	embedded, err := fs.ReadDir(embeddedMigrations(), ".")
	must(t, err)
	for _, e := range embedded {
		b, err := fs.ReadFile(embeddedMigrations(), e.Name())
		must(t, err)
		next[e.Name()] = &fstest.MapFile{Data: b}
	}
	db, err = Open(ctx, path, WithBulkIdle(0), withMigrations(next))
	if err != nil {
		t.Fatalf("migrating over an unfinished bulk load: %v", err)
	}
	defer db.Close()
	if pending, _ := db.BulkLoadPending(ctx); pending {
		t.Error("the bulk load is still pending after the migration")
	}
	if got := accountIDs(t, db, AccountFilter{Query: "anna"}); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("search after migration: %v", got)
	}
}

// A cache written before migration 0030 (organisation names in the trigram index, no word
// starts) finds the same people after it, organisation names and one-letter words included.
func TestSearchIndexMigration0030(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	before := fstest.MapFS{}
	all := fstest.MapFS{}
	embedded, err := fs.ReadDir(embeddedMigrations(), ".")
	must(t, err)
	for _, e := range embedded {
		b, err := fs.ReadFile(embeddedMigrations(), e.Name())
		must(t, err)
		all[e.Name()] = &fstest.MapFile{Data: b}
		if e.Name() < "0030" {
			before[e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	if len(before) == len(all) {
		t.Fatal("no migration 0030 embedded")
	}
	db, err := Open(ctx, path, WithBulkIdle(0), withMigrations(before))
	must(t, err)
	mustApply(t, db, func(tx *Tx) error { return tx.UpsertAccount(mkAccount("a0", "Seed Row", "seed@example.org")) })
	mustFinishBulk(t, db) // what follows is indexed row by row, as in a cache in use
	mustApply(t, db, func(tx *Tx) error {
		for _, a := range []portal.Account{
			mkAccount("a1", "Anna Smith", "anna.smith@example.org", func(a *portal.Account) { a.OrganizationID = "o1" }),
			mkAccount("a2", "Émile Zola", "ez@mail.example.com", func(a *portal.Account) { a.OrganizationID = "o2" }),
		} {
			if err := tx.UpsertAccount(a); err != nil {
				return err
			}
		}
		for _, o := range []portal.Organization{mkOrg("o1", "Leeds Pantry"), mkOrg("o2", "York Council")} {
			if err := tx.UpsertOrganization(o); err != nil {
				return err
			}
		}
		return tx.UpsertContact(portal.Contact{ID: "c1", FullName: "Zoë Müller", Email: "zoe@example.org", OrganizationID: "o2",
			CreatedAt: t0, UpdatedAt: t0, Version: 1})
	})
	must(t, db.Close())

	db, err = Open(ctx, path, WithBulkIdle(0), withMigrations(all))
	must(t, err)
	defer db.Close()
	assertSearchIndexIntact(t, db)
	for q, want := range map[string][]string{
		"leeds": {"a1"}, "smith a": {"a1"}, "emile z": {"a2"}, "zola y": {"a2"}, "council e": {"a2"},
		"example p": {"a1"}, "seed": {"a0"}, "pantry x": {},
	} {
		if got := accountIDs(t, db, AccountFilter{Query: q}); !slices.Equal(got, want) {
			t.Errorf("after migration, %q finds %v, want %v", q, got, want)
		}
	}
	page, err := db.ListContacts(ctx, ContactFilter{Query: "york müller"})
	if err != nil || len(page.Rows) != 1 || page.Rows[0].ID != "c1" {
		t.Errorf("contact search after migration: %+v %v", page, err)
	}
}

// UpsertAccounts stores exactly what UpsertAccount does row by row: later copies of an
// account in the same call, older versions arriving late, and accounts with a pending
// change (kept aside) included.
func TestUpsertAccountsMatchesUpsertAccount(t *testing.T) {
	ctx := context.Background()
	gen := newPeople(11)
	orgs := gen.orgs(5)
	var page []portal.Account
	for i := range 3*accountBatch + 17 {
		page = append(page, gen.account(i, orgs))
	}
	renamed := page[5]
	renamed.Name, renamed.Version = "Renamed Later", page[5].Version+1
	stale := page[6]
	stale.Name, stale.Version = "Stale Copy", 0
	page = append(page, renamed, stale)
	page = slices.Insert(page, accountBatch-1, renamed) // twice in one statement too

	var dbs [2]*DB
	for i := range dbs {
		dbs[i], _ = openTest(t)
		db := dbs[i]
		first := page[10]
		mustApply(t, db, func(tx *Tx) error { return tx.UpsertAccount(first) })
		mine := first
		mine.Status = portal.StatusDeactivated
		mustEnqueue(t, db, Command{Name: "deactivate", EntityType: EntityAccount, EntityID: first.ID, BaseVersion: first.Version, Preview: mustJSON(t, mine)})
		mustApply(t, db, func(tx *Tx) error {
			if i == 0 {
				for _, a := range page {
					if err := tx.UpsertAccount(a); err != nil {
						return err
					}
				}
				return nil
			}
			return tx.UpsertAccounts(page)
		})
		mustFinishBulk(t, db)
	}
	for _, a := range page {
		var views [2]AccountView
		for i, db := range dbs {
			v, err := db.GetAccountView(ctx, a.ID)
			must(t, err)
			views[i] = v
		}
		if !reflect.DeepEqual(views[0].Account, views[1].Account) || !reflect.DeepEqual(views[0].Server, views[1].Server) {
			t.Errorf("account %s: row by row %+v / %+v, in batches %+v / %+v", a.ID, views[0].Account, views[0].Server, views[1].Account, views[1].Server)
		}
	}
	if v, _ := dbs[1].GetAccountView(ctx, page[10].ID); v.Account.Status != portal.StatusDeactivated {
		t.Errorf("the batch overwrote a pending change: %+v", v.Account)
	}
	for _, f := range []AccountFilter{{}, {Query: "renamed"}, {Query: "stale"}, {Role: portal.RoleReports}, {Query: orgs[2].Name[:5]}} {
		f.Limit = 1000
		a, b := accountIDs(t, dbs[0], f), accountIDs(t, dbs[1], f)
		if !slices.Equal(a, b) {
			t.Errorf("filter %+v: row by row %v, in batches %v", f, a, b)
		}
	}
	assertSearchIndexIntact(t, dbs[1])

	// A bad record stops the call before anything is written, and names the account.
	bad := gen.account(9999, orgs)
	bad.Status = "archived"
	err := dbs[1].Apply(ctx, func(tx *Tx) error { return tx.UpsertAccounts([]portal.Account{gen.account(9998, orgs), bad}) })
	if err == nil || !strings.Contains(err.Error(), bad.ID) {
		t.Errorf("bad record: %v", err)
	}
	if _, err := dbs[1].GetAccount(ctx, "acc-0009998"); err == nil {
		t.Error("a failed call left an account behind")
	}
}
