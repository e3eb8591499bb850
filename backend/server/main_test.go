package server_test

import (
	"database/sql"
	"os"
	"testing"

	"gatehouse/backend/internal/pgtest"
	"gatehouse/backend/server/store"
)

// The server's suites run on SQLite, and on PostgreSQL with GATEHOUSE_TEST_DB=postgres
// (make test runs both); pgtest stops the PostgreSQL it started when they end.
//
// Run as a child with childEnv set, the test binary is one of several portal server
// processes on one database (multiprocess_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(pgtest.Main(m))
}

// The suites run on the store the run asks for, not on SQLite whatever was asked.
func TestSuitesRunOnTheStoreAskedFor(t *testing.T) {
	e := newEnv(t)
	want := "sqlite"
	if pgtest.Enabled() {
		want = "postgres"
	}
	if got := e.st.(*store.DB).Dialect(); got != want {
		t.Fatalf("the server runs on %s, want %s", got, want)
	}
}

// rawDB opens the server's database without the server, to look behind its back.
func rawDB(t *testing.T, st store.Store) *sql.DB {
	t.Helper()
	db := st.(*store.DB)
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[db.Dialect()]
	raw, err := sql.Open(driver, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}
