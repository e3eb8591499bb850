package store_test

import (
	"database/sql"
	"testing"

	"gatehouse/backend/internal/pgtest"
)

// openRaw opens the database of path (see location) without the store, to change it
// behind the store's back.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+path
	if pgtest.Enabled() {
		driver, dsn = "pgx", location(t, path)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
