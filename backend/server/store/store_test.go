package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/internal/pgtest"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgURLs gives each SQLite path a test names its own PostgreSQL database, when the tests run
// on PostgreSQL (GATEHOUSE_TEST_DB=postgres), so that opening the same path again opens the
// same database.
var pgURLs sync.Map

// location is where the database a test names by path is: that SQLite file, or its
// PostgreSQL database.
func location(t *testing.T, path string) string {
	t.Helper()
	if !pgtest.Enabled() {
		return path
	}
	if u, ok := pgURLs.Load(path); ok {
		return u.(string)
	}
	u := pgtest.URL(t)
	pgURLs.Store(path, u)
	return u
}

func open(t *testing.T, path string) *store.DB {
	t.Helper()
	st, err := store.Open(context.Background(), location(t, path), portal.NewFixedClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestMigrationsAreNumberedAndIdempotent(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %s has number %d, want %d", m.Name, m.Version, i+1)
		}
	}
	path := filepath.Join(t.TempDir(), "p.db")
	st := open(t, path)
	v, err := st.SchemaVersion(context.Background())
	if err != nil || v != len(ms) {
		t.Fatalf("schema version %d %v", v, err)
	}
	var feed string
	st.View(context.Background(), func(r store.Reader) error { feed, err = r.FeedID(context.Background()); return err })
	st.Close()
	st = open(t, path) // again: nothing to do, same feed
	defer st.Close()
	var feed2 string
	st.View(context.Background(), func(r store.Reader) error { feed2, err = r.FeedID(context.Background()); return err })
	if feed == "" || feed != feed2 {
		t.Errorf("feed ID %q then %q", feed, feed2)
	}
}

func TestRolledBackWritesLeaveNoGapInTheFeed(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	put := func(id string) error {
		return st.Update(ctx, func(tx store.Tx) error {
			o := portal.Organization{ID: id, Name: id}
			return tx.PutOrganization(ctx, &o)
		})
	}
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := st.Update(ctx, func(tx store.Tx) error {
		o := portal.Organization{ID: "b", Name: "b"}
		if err := tx.PutOrganization(ctx, &o); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := put("c"); err != nil {
		t.Fatal(err)
	}
	// A stale version is refused inside the store too.
	err := st.Update(ctx, func(tx store.Tx) error {
		o := portal.Organization{ID: "a", Name: "a2", Version: 7}
		return tx.PutOrganization(ctx, &o)
	})
	if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "version 1, yours is 7") {
		t.Errorf("stale put: %v", err)
	}
	var changes []api.Change
	var head int64
	st.View(ctx, func(r store.Reader) error {
		changes, head, err = r.Changes(ctx, 0, 0)
		return err
	})
	if len(changes) != 2 || changes[0].ID != "a" || changes[1].ID != "c" || changes[0].Seq != 1 || changes[1].Seq != 2 || head != 2 {
		t.Errorf("feed after a rollback: head %d %+v", head, changes)
	}
}

func TestRefusesDatabaseFromTheFuture(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	st := open(t, path)
	// Pretend a newer Gatehouse migrated it.
	if err := st.Update(ctx, func(tx store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db := openRaw(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '999_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := store.Open(ctx, location(t, path), nil); err == nil || !strings.Contains(err.Error(), "newer gatehouse-server") {
		t.Errorf("opening a newer database: %v", err)
	}
}

// The database holds addresses, password hashes and waiting messages: its file, and the
// -wal and -shm files beside it, are this user's only, also when an older, wider file is
// opened again.
func TestDatabaseFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portal.db")
	// A SQLite file, whichever store the run is on: PostgreSQL keeps its own files.
	openSQLite := func() *store.DB {
		st, err := store.Open(context.Background(), path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := openSQLite()
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutSettings(context.Background(), &api.Settings{ProductName: "Eastgate", SignUpMode: portal.SignUpApproval, SessionHours: 12, RequestAccessIntervalMinutes: 60})
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", filepath.Base(p), fi.Mode(), err)
		}
	}
	st.Close()

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openSQLite().Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("an older, wider file was not narrowed: %v %v", fi.Mode(), err)
	}
}

// Copy moves every table: a migration that adds one must add it to the copy too.
func TestCopyCoversEveryTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	open(t, path).Close()
	db := openRaw(t, path)
	defer db.Close()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if pgtest.Enabled() {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var have []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		have = append(have, n)
	}
	want := append(store.CopyOrder(), "feed_counter", "schema_migrations")
	slices.Sort(want)
	if !slices.Equal(have, want) {
		t.Errorf("tables %v, but Copy copies %v", have, want)
	}
}

// View reads one snapshot. Read reads each statement on its own on PostgreSQL, where a
// snapshot costs two round trips; SQLite's Read is View, whose snapshot costs nothing.
// So a write committed between two reads shows in the second through PostgreSQL's Read
// only.
func TestViewReadsOneSnapshotAndReadEachStatement(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	o := portal.Organization{ID: "acme", Name: "Acme"}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutOrganization(ctx, &o) }); err != nil {
		t.Fatal(err)
	}
	rename := func(name string) error {
		return st.Update(ctx, func(tx store.Tx) error {
			cur, err := tx.Organization(ctx, "acme")
			if err != nil {
				return err
			}
			cur.Name = name
			return tx.PutOrganization(ctx, &cur)
		})
	}
	for _, c := range []struct {
		name  string
		read  func(context.Context, func(store.Reader) error) error
		fresh bool // the second read sees the write between
	}{
		{"View", st.View, false},
		{"Read", st.Read, pgtest.Enabled()},
	} {
		var first, second string
		err := c.read(ctx, func(r store.Reader) error {
			a, err := r.Organization(ctx, "acme")
			if err != nil {
				return err
			}
			first = a.Name
			if err := rename(first + "!"); err != nil {
				return err
			}
			b, err := r.Organization(ctx, "acme")
			second = b.Name
			return err
		})
		want := first
		if c.fresh {
			want = first + "!"
		}
		if err != nil || second != want {
			t.Errorf("%s: read %q, then %q after a rename (%v); want %q", c.name, first, second, err, want)
		}
	}
	// Read answers as View does otherwise: a record that is not there is not_found.
	err := st.Read(ctx, func(r store.Reader) error {
		_, err := r.Organization(ctx, "nobody")
		return err
	})
	if portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("Read of a missing organisation: %v, want not_found", err)
	}
}
