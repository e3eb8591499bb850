package server_test

import (
	"os"
	"testing"

	"gatehouse/backend/internal/pgtest"
	"gatehouse/backend/server/store"
)

// The server's suites run on SQLite, and on PostgreSQL with GATEHOUSE_TEST_DB=postgres
// (make test runs both); pgtest stops the PostgreSQL it started when they end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

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
