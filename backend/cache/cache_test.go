package cache

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"gatehouse/backend/portal"
)

func TestOpenCreatesPrivateFolderAndSetsPragmas(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "config", "Gatehouse")
	db, err := Open(ctx, filepath.Join(dir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	if db.Path() != filepath.Join(dir, "gatehouse.db") {
		t.Errorf("Path() = %q", db.Path())
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, db.Path(): 0o600} {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != want {
				t.Errorf("%s has mode %o, want %o", path, got, want)
			}
		}
	}
	for name, pool := range map[string]*sql.DB{"writer": db.SQL(), "reader": db.ReadSQL()} {
		for pragma, want := range map[string]string{
			"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "synchronous": "1",
		} {
			var got string
			if err := pool.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, want)
			}
		}
	}
	if _, err := db.ReadSQL().ExecContext(ctx, "INSERT INTO settings(key, value, updated_at) VALUES ('x', '1', '')"); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestOpenPathWithSpacesAndQuestionMark(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows file names cannot contain '?'") // the test is about Unix names
	}
	path := filepath.Join(t.TempDir(), "My Documents #1", "what?.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not where it was asked to be: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GATEHOUSE_CONFIG_DIR", dir)
	got, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "gatehouse.db"); got != want {
		t.Errorf("with GATEHOUSE_CONFIG_DIR: %q, want %q", got, want)
	}

	t.Setenv("GATEHOUSE_CONFIG_DIR", "")
	if runtime.GOOS == "linux" {
		t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	}
	base, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	got, err = DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "Gatehouse", "gatehouse.db"); got != want {
		t.Errorf("default: %q, want %q", got, want)
	}
}

func embeddedVersions(t *testing.T) []int {
	ms, err := loadMigrations(embeddedMigrations())
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.version)
	}
	return vs
}

func TestMigrationsApplyOnceAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := embeddedVersions(t)
	got, err := db.SchemaVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("applied %v, embedded %v", got, want)
	}
	if err := db.SetSetting(ctx, "theme", "dark"); err != nil {
		t.Fatal(err)
	}
	var appliedAt string
	if err := db.ReadSQL().QueryRowContext(ctx, "SELECT applied_at FROM schema_migrations WHERE version = 1").Scan(&appliedAt); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for i := range 2 {
		db, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		var n int
		var again string
		if err := db.ReadSQL().QueryRowContext(ctx, "SELECT count(*), max(applied_at) FILTER (WHERE version = 1) FROM schema_migrations").Scan(&n, &again); err != nil {
			t.Fatal(err)
		}
		if n != len(want) || again != appliedAt {
			t.Errorf("reopen %d: %d migrations recorded (want %d), 0001 applied at %s (was %s)", i, n, len(want), again, appliedAt)
		}
		var theme string
		if ok, err := db.GetSetting(ctx, "theme", &theme); err != nil || !ok || theme != "dark" {
			t.Errorf("reopen %d: setting lost: %q %v %v", i, theme, ok, err)
		}
		db.Close()
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (9, '0009_from_the_future.sql', '')"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = Open(ctx, path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database: %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{path, "0009_from_the_future.sql", "Update Gatehouse"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not mention %q", err, want)
		}
	}
}

func TestMigrationFailureLeavesNothingHalfApplied(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	good := &fstest.MapFile{Data: []byte("CREATE TABLE one (a INTEGER);")}
	broken := fstest.MapFS{
		"0001_one.sql": good,
		"0002_two.sql": {Data: []byte("CREATE TABLE two (a INTEGER); INSERT INTO nowhere VALUES (1);")},
	}
	_, err := Open(ctx, path, withMigrations(broken))
	if err == nil || !strings.Contains(err.Error(), "0002_two.sql") {
		t.Fatalf("Open with a broken migration: %v, want an error naming 0002_two.sql", err)
	}

	db, err := Open(ctx, path, withMigrations(fstest.MapFS{"0001_one.sql": good}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	vs, err := db.SchemaVersions(ctx)
	if err != nil || !slices.Equal(vs, []int{1}) {
		t.Errorf("recorded versions %v (%v), want [1]", vs, err)
	}
	var n int
	if err := db.ReadSQL().QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name = 'two'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table two from the failed migration exists (%d, %v)", n, err)
	}
}

func TestMigrationsWithGapsApplyInOrder(t *testing.T) {
	// Packages own number ranges, so 0002 may ship after 0010 was applied.
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	first := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x);")},
		"0010_b.sql": {Data: []byte("CREATE TABLE b (x);")},
	}
	db, err := Open(ctx, path, withMigrations(first))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	later := fstest.MapFS{
		"0001_a.sql": first["0001_a.sql"],
		"0002_c.sql": {Data: []byte("CREATE TABLE c (x);")},
		"0010_b.sql": first["0010_b.sql"],
	}
	db, err = Open(ctx, path, withMigrations(later))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	vs, _ := db.SchemaVersions(ctx)
	if !slices.Equal(vs, []int{1, 2, 10}) {
		t.Errorf("versions %v, want [1 2 10]", vs)
	}
}

func TestMigrationNamesAreChecked(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"bad name":  {"1_x.sql": {Data: []byte("SELECT 1;")}},
		"zero":      {"0000_x.sql": {Data: []byte("SELECT 1;")}},
		"duplicate": {"0001_a.sql": {Data: []byte("SELECT 1;")}, "0001_b.sql": {Data: []byte("SELECT 1;")}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := loadMigrations(fsys); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestForeignKeysAreEnforced(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	_, err := db.SQL().ExecContext(ctx, "INSERT INTO account_roles(account_rid, role_id, core) VALUES (4242, 'staff', 1)")
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("a role for a missing account: %v, want a foreign key error", err)
	}
	a := mkAccount("a1", "Anna Smith", "anna@example.org", func(a *portal.Account) {
		a.Kind, a.CoreRole, a.AdditionalRoles = portal.KindStaff, portal.RoleStaff, []string{portal.RoleReports}
	})
	mustApply(t, db, func(tx *Tx) error { return tx.UpsertAccount(a) })
	mustFinishBulk(t, db)
	count := func() int {
		var n int
		if err := db.ReadSQL().QueryRowContext(ctx, "SELECT count(*) FROM account_roles").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("%d role rows, want 2", n)
	}
	mustApply(t, db, func(tx *Tx) error { return tx.DeleteAccount("a1") })
	if n := count(); n != 0 {
		t.Errorf("%d role rows left after the account was deleted, want 0 (cascade)", n)
	}
}

func TestApplyRollsBackOnErrorAndPanic(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.Apply(ctx, func(tx *Tx) error {
		if err := tx.UpsertOrganization(mkOrg("o1", "Leeds Pantry")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Apply returned %v, want boom", err)
	}
	func() {
		defer func() { _ = recover() }()
		_ = db.Apply(ctx, func(tx *Tx) error {
			if err := tx.UpsertOrganization(mkOrg("o2", "York Pantry")); err != nil {
				return err
			}
			panic("crash in the middle")
		})
	}()
	page, err := db.ListOrganizations(ctx, OrganizationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 0 {
		t.Errorf("%d organisations kept from failed transactions", page.Total)
	}
	// The writer connection is usable again.
	mustApply(t, db, func(tx *Tx) error { return tx.UpsertOrganization(mkOrg("o3", "Hull Pantry")) })
}

func TestApplyDurableSyncsOnlyItsOwnCommit(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	level := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int {
		var n int
		must(t, q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n))
		return n
	}
	must(t, db.ApplyDurable(ctx, func(tx *Tx) error {
		if n := level(tx.SQL()); n != 2 {
			t.Errorf("synchronous inside a durable write = %d, want 2 (FULL)", n)
		}
		return nil
	}))
	must(t, db.Apply(ctx, func(tx *Tx) error {
		if n := level(tx.SQL()); n != 1 {
			t.Errorf("synchronous inside a plain write = %d, want 1 (NORMAL)", n)
		}
		return nil
	}))
	if n := level(db.SQL()); n != 1 {
		t.Errorf("synchronous after a durable write = %d, want 1", n)
	}
}
