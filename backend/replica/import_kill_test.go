//go:build !race

// Built without the race detector only: killing processes mid-write is the point here,
// not data races, and under -race the transpiled SQLite makes this a matter of minutes.
// make test-go runs it in a go test of its own, without -race.

package replica_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server/store"
)

func TestKillDesktopDuringImportApply(t *testing.T) {
	iterations, rows := envCount(t, importKillsEnv, 20), envCount(t, importRowsEnv, 5000)
	exe := testBinary(t)
	ctx := context.Background()
	p := newPortal(t)
	dir := t.TempDir()
	cachePath := filepath.Join(dir, "desk.db")
	file := importKillFile(t, dir, rows, 40)

	// The import, read and reviewed in the desktop's database.
	db, err := cache.Open(ctx, cachePath, cache.WithSchema(replica.Schema()), cache.WithSchema(imports.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	st := imports.OnCache(db)
	ss, err := st.Create(ctx, file, imports.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ss, err = st.SetMapping(ctx, ss.ID, ss.Mapping); err != nil || ss.State != imports.StateReview {
		t.Fatalf("mapping: %+v, %v", ss, err)
	}
	if pv, err := st.Preview(ctx, ss.ID); err != nil || pv.Counts[imports.PreviewCreate] != rows || len(pv.NewOrganizations) != 40 {
		t.Fatalf("preview: %v, %v", pv.Counts, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	run := func(killAfter int, delay, fallback time.Duration) (lines []string, killed bool) {
		t.Helper()
		chunks := 0
		return runKillable(t, exe, []string{importChildEnv + "=1", childCacheEnv + "=" + cachePath, childURLEnv + "=" + p.url,
			childTokenEnv + "=" + p.token, importSessionEnv + "=" + ss.ID}, func(line string, kill func()) {
			if strings.HasPrefix(line, "APPLY ") {
				chunks++
				if chunks == killAfter {
					time.AfterFunc(delay, kill)
				}
			}
		}, fallback)
	}

	kills := 0
	started := time.Now()
	for i := range iterations {
		// Killed after 1–3 progress lines and a random moment, or at a random time at all.
		lines, killed := run(1+rng.IntN(3), time.Duration(rng.IntN(25000))*time.Microsecond, time.Duration(30+rng.IntN(400))*time.Millisecond)
		if killed {
			kills++
		}
		if !killed && (len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "APPLIED")) {
			t.Fatalf("iteration %d: the child ended without finishing:\n%s", i, strings.Join(lines, "\n"))
		}
	}
	t.Logf("%d killed runs took %s", iterations, time.Since(started).Round(time.Millisecond))
	started = time.Now()
	lines, killed := run(0, 0, 3*time.Minute)
	if killed || len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "APPLIED") {
		t.Fatalf("the last run did not finish:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("%d of %d runs killed mid-apply; the last run: %s", kills, iterations, lines[len(lines)-1])

	// Send everything, then look at the outbox, the portal and the result file.
	d := &desk{t: t, ctx: ctx, path: cachePath, clock: portal.NewFixedClock(t0)}
	db, err = cache.Open(ctx, cachePath, cache.WithSchema(replica.Schema()), cache.WithSchema(imports.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d.db = db
	d.cl = client.New(p.url, p.token, client.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	if d.eng, err = replica.New(ctx, replica.Config{Cache: db, Client: d.cl, Logger: quiet()}); err != nil {
		t.Fatal(err)
	}
	t.Logf("the last run took %s", time.Since(started).Round(time.Millisecond))
	started = time.Now()
	if res, err := d.eng.Push(ctx); err != nil || res.Failed > 0 || res.Conflicts > 0 {
		t.Fatalf("push: %+v, %v", res, err)
	}
	t.Logf("sending the %d changes took %s", rows+40, time.Since(started).Round(time.Millisecond))
	all, err := db.ListOutbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perEntity := map[string]int{}
	for _, c := range all {
		perEntity[c.EntityID]++
		if c.State != cache.OutboxSent {
			t.Errorf("%s %s ended %s: %s", c.Name, c.EntityID, c.State, c.LastError)
		}
	}
	if len(all) != rows+40 {
		t.Errorf("the outbox holds %d changes, want %d contacts and 40 organisations", len(all), rows)
	}
	for id, n := range perEntity {
		if n != 1 {
			t.Errorf("%s was queued %d times", id, n)
		}
	}
	st = imports.OnCache(db)
	sum, err := st.ApplyResults(ctx, ss.ID, d.eng.ImportQueue())
	if err != nil || sum.Created != rows || sum.Queued+sum.Refused+sum.Skipped+sum.NotYet != 0 || !sum.Complete {
		t.Fatalf("results: %+v, %v", sum, err)
	}
	onPortal := map[string]string{} // e-mail -> contact ID
	var orgs, creates int
	p.view(func(r store.Reader) error {
		page, err := r.Contacts(ctx, store.ContactFilter{Limit: rows * 2})
		if err != nil {
			return err
		}
		for _, c := range page {
			if _, dup := onPortal[c.Email]; dup {
				t.Errorf("%s is on the portal twice", c.Email)
			}
			onPortal[c.Email] = c.ID
		}
		os, err := r.Organizations(ctx, store.OrgFilter{Limit: 1000})
		orgs = len(os)
		if err != nil {
			return err
		}
		evs, err := r.AuditEvents(ctx, store.AuditFilter{Action: portal.ActionCreateContact, Limit: rows * 2})
		creates = len(evs)
		return err
	})
	if len(onPortal) != rows || creates != rows || orgs != 40 {
		t.Errorf("the portal has %d contacts (%d created), %d organisations; want %d and 40", len(onPortal), creates, orgs, rows)
	}

	// The result file names each row's contact on the portal.
	var out bytes.Buffer
	if err := st.ExportResults(ctx, ss.ID, d.eng.ImportQueue(), &out); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet) != rows+1 {
		t.Fatalf("the result file has %d rows, want %d", len(sheet), rows+1)
	}
	for _, r := range sheet[1:] {
		if r[5] != "Created" || r[7] != onPortal[r[0]] || r[7] == "" {
			t.Errorf("result row %q: want Created with the portal's contact %q", r, onPortal[r[0]])
			break
		}
	}
}
