//go:build !race

// Built without the race detector: a copy of 100,000 rows is about SQL, and make test's
// PostgreSQL pass (without it) runs it.

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/internal/pgtest"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Moving a portal from SQLite to PostgreSQL: the demo data and 100,000 more accounts are
// copied by `migrate --from --to`, and every row of every table, the change feed's included,
// reads the same at both ends. A second copy into the same database is refused, and the
// copied portal serves its feed from where it was.
func TestMigrateCopiesAPortalIntoPostgreSQL(t *testing.T) {
	ctx := context.Background()
	n := 100_000
	if testing.Short() {
		n = 2_000
	}
	path := filepath.Join(t.TempDir(), "portal.db")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "--db", path}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("demo: exit %d %s", code, errb.String())
	}
	seedAccounts(t, path, n)
	target := pgtest.URL(t)

	out.Reset()
	if code := run(ctx, []string{"migrate", "--from", path, "--to", target}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("migrate --from --to: exit %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "every table matches") || !strings.Contains(out.String(), "accounts") {
		t.Errorf("migrate said %q", out.String())
	}

	from, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	to, err := sql.Open("pgx", target)
	if err != nil {
		t.Fatal(err)
	}
	defer to.Close()
	var accounts int
	for _, table := range append([]string{"feed_counter"}, store.CopyOrder()...) {
		rows := sameRows(t, from, to, table)
		if table == "accounts" {
			accounts = rows
		}
	}
	if accounts < n {
		t.Errorf("accounts compared: %d, want at least %d", accounts, n)
	}

	// Once more into the same database: refused, and nothing changed.
	errb.Reset()
	if code := run(ctx, []string{"migrate", "--from", path, "--to", target}, &out, &errb, noEnv); code == 0 || !strings.Contains(errb.String(), "not empty") {
		t.Errorf("a second copy: exit %d %s", code, errb.String())
	}

	// The copy is a working portal: its feed goes on from the same number.
	st, err := store.Open(ctx, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var head int64
	if err := st.View(ctx, func(r store.Reader) error {
		_, head, err = r.Changes(ctx, 0, 1)
		return err
	}); err != nil || head < int64(n) {
		t.Fatalf("feed head on PostgreSQL: %d, %v", head, err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error {
		o := portal.Organization{ID: "org_after_move", Name: "After the move"}
		return tx.PutOrganization(ctx, &o)
	}); err != nil {
		t.Fatal(err)
	}
	var next []int64
	if err := st.View(ctx, func(r store.Reader) error {
		cs, _, err := r.Changes(ctx, head, 10)
		for _, c := range cs {
			next = append(next, c.Seq)
		}
		return err
	}); err != nil || !reflect.DeepEqual(next, []int64{head + 1}) {
		t.Errorf("the first change after the move: %v, %v (head was %d)", next, err, head)
	}
}

// seedAccounts writes n accounts into the portal at path, 10,000 to a transaction.
func seedAccounts(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += 10_000 {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+10_000, n); i++ {
				a := portal.Account{ID: fmt.Sprintf("acc_move_%07d", i), Email: fmt.Sprintf("person%06d@move.example.org", i),
					Name: fmt.Sprintf("Moved Person %d ÿ", i), Status: portal.StatusActive, Kind: portal.KindStaff, CoreRole: portal.RoleStaff,
					OrgAdmin: i%3 == 0, Source: "sso.example.org", Subject: fmt.Sprintf("move-%d", i), RegistrationComplete: true,
					AdditionalRoles: []string{}, CreatedAt: now, UpdatedAt: now}
				if err := tx.PutAccount(ctx, &a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sameRows reads table at both ends in the same order and fails at the first row that
// differs; it returns how many rows it compared.
func sameRows(t *testing.T, from, to *sql.DB, table string) int {
	t.Helper()
	read := func(db *sql.DB) (*sql.Rows, []string) {
		rows, err := db.Query(`SELECT * FROM ` + table + ` LIMIT 0`)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols, _ := rows.Columns()
		rows.Close()
		order := make([]string, len(cols))
		for i := range cols {
			order[i] = fmt.Sprint(i + 1)
		}
		rows, err = db.Query(`SELECT * FROM ` + table + ` ORDER BY ` + strings.Join(order, ", "))
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		return rows, cols
	}
	a, cols := read(from)
	defer a.Close()
	b, colsB := read(to)
	defer b.Close()
	if !reflect.DeepEqual(cols, colsB) {
		t.Fatalf("%s: columns %v in SQLite, %v in PostgreSQL", table, cols, colsB)
	}
	scan := func(rows *sql.Rows) []string {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			out[i] = fmt.Sprintf("%T:%v", v, v)
		}
		return out
	}
	n := 0
	for a.Next() {
		if !b.Next() {
			t.Fatalf("%s: PostgreSQL has %d rows, SQLite more", table, n)
		}
		ra, rb := scan(a), scan(b)
		if !reflect.DeepEqual(ra, rb) {
			t.Fatalf("%s row %d differs:\nSQLite:     %v\nPostgreSQL: %v", table, n+1, ra, rb)
		}
		n++
	}
	if b.Next() {
		t.Fatalf("%s: SQLite has %d rows, PostgreSQL more", table, n)
	}
	return n
}
