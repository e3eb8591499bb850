package main

import (
	"context"
	"fmt"
	"io"

	"gatehouse/backend/server/store"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	f := newFlags("migrate", `Creates the SQLite database if it does not exist, or applies the schema changes it
lacks, then exits. "serve" does the same when it starts; run migrate on its own to
upgrade before a deployment or to check that a database file is usable.`, stdout, getenv)
	var db string
	f.str(&db, "db", "GATEHOUSE_DB", "gatehouse.db", "SQLite database file")
	if err := f.parse(args, stderr); err != nil {
		return err
	}
	st, err := store.Open(ctx, db, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", db, err)
	}
	fmt.Fprintf(stdout, "database %s is at schema version %d\n", db, v)
	return nil
}
