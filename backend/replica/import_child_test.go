package replica_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/replica"
)

// The apply kill test: a child process applies a 5,000-row import to its outbox and is
// killed with SIGKILL at random points, again and again; then the apply is resumed and
// everything sent. Every row must become exactly one contact on the portal, none lost,
// and the result file must say so.

const (
	importChildEnv   = "GATEHOUSE_IMPORT_KILL_CHILD"
	importSessionEnv = "GATEHOUSE_IMPORT_KILL_SESSION"
	importRowsEnv    = "GATEHOUSE_IMPORT_KILL_ROWS"
	importKillsEnv   = "GATEHOUSE_IMPORT_KILL_ITERATIONS"
)

// importChild is the desktop applying the import: it prints a line after every chunk and
// "APPLIED" when done.
func importChild() error {
	ctx := context.Background()
	db, err := cache.Open(ctx, os.Getenv(childCacheEnv), cache.WithSchema(replica.Schema()), cache.WithSchema(imports.Schema()))
	if err != nil {
		return err
	}
	cl := client.New(os.Getenv(childURLEnv), os.Getenv(childTokenEnv), client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	eng, err := replica.New(ctx, replica.Config{Cache: db, Client: cl, Logger: quiet()})
	if err != nil {
		return err
	}
	st := imports.OnCache(db)
	sum, err := st.Apply(ctx, os.Getenv(importSessionEnv), eng.ImportQueue(), func(p imports.ApplyProgress) {
		fmt.Printf("APPLY %d %d\n", p.Done, p.Total)
	})
	if err != nil {
		return err
	}
	fmt.Printf("APPLIED %d\n", sum.Queued)
	return db.Close()
}

// importKillFile writes the list: rows people in orgs organisations, every address
// different, so that every row is one new contact.
func importKillFile(t testing.TB, dir string, rows, orgs int) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("Email,First name,Last name,Organisation,Position\n")
	for i := range rows {
		fmt.Fprintf(&b, "person%05d@council%02d.gov.uk,Given%d,Family%d,Council %02d,Clerk\n", i, i%orgs, i, i, i%orgs)
	}
	p := filepath.Join(dir, "councils.csv")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
