package main

import (
	"context"
	"fmt"
	"io"

	"gatehouse/backend/server/store"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	f := newFlags("migrate", `Creates the database if it does not exist, or applies the schema changes it lacks,
then exits. "serve" does the same when it starts; run migrate on its own to upgrade before
a deployment or to check that a database is usable.

With --from and --to it moves a portal: it copies every record of the SQLite file --from
into the empty PostgreSQL database --to (change feed, audit log, sessions and waiting
e-mail included, so desktops go on where they were), checks that every table holds as many
rows at both ends, and refuses a target that is not empty. Stop the server first.`, stdout, getenv)
	var db, from, to string
	f.str(&db, "db", "GATEHOUSE_DB", "gatehouse.db", "SQLite database file, or a postgres:// URL")
	f.StringVar(&from, "from", "", "with --to: the SQLite portal database to copy")
	f.StringVar(&to, "to", "", "with --from: the empty PostgreSQL database to copy it into (postgres://user:password@host/name)")
	if err := f.parse(args, stderr); err != nil {
		return err
	}
	if from != "" || to != "" {
		return runCopy(ctx, from, to, stdout)
	}
	st, err := store.Open(ctx, db, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", st.Path(), err)
	}
	fmt.Fprintf(stdout, "database %s (%s) is at schema version %d\n", st.Path(), st.Dialect(), v)
	return nil
}

func runCopy(ctx context.Context, from, to string, stdout io.Writer) error {
	switch {
	case from == "" || to == "":
		return fmt.Errorf("give both --from (the SQLite file) and --to (the PostgreSQL database)")
	case store.IsPostgres(from):
		return fmt.Errorf("--from %s: copy from a SQLite file (the portal's database file)", from)
	case !store.IsPostgres(to):
		return fmt.Errorf("--to %s: copy into a PostgreSQL database, given as postgres://user:password@host:5432/name", to)
	}
	src, err := store.Open(ctx, from, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.Open(ctx, to, nil)
	if err != nil {
		return err
	}
	defer dst.Close()
	counts, err := store.Copy(ctx, src, dst)
	if err != nil {
		return err
	}
	var total int64
	for _, c := range counts {
		fmt.Fprintf(stdout, "%-17s %9d rows\n", c.Table, c.To)
		total += c.To
	}
	fmt.Fprintf(stdout, "copied %d rows from %s to %s; every table matches\n", total, src.Path(), dst.Path())
	return nil
}
