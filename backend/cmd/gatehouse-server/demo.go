package main

import (
	"context"
	"fmt"
	"io"

	"gatehouse/backend/demo"
	"gatehouse/backend/server"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	f := newFlags("demo", `Fills a portal database with Gatehouse's demonstration data — councils and pantries,
clients, staff, organisation administrators, sign-ups waiting for approval, invitations —
made through the same use cases as real data, so the audit log and the change feed carry
it. For trying the server and for tests; never run it on a real portal. Running it again
adds nothing.`, stdout, getenv)
	var db string
	f.str(&db, "db", "GATEHOUSE_DB", "gatehouse.db", "SQLite database file")
	if err := f.parse(args, stderr); err != nil {
		return err
	}
	srv, err := server.New(ctx, server.Config{DBPath: db, Addr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	sum, err := demo.Load(ctx, srv.Service(), srv.Store())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data in %s: %d organisations, %d accounts (%d waiting for approval), %d invitations\n",
		db, sum.Organizations, sum.Accounts, sum.Pending, sum.Invitations)
	return nil
}
