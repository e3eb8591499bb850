package replica_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// BenchmarkApplyImport10k applies a reviewed 10,000-row import to an empty embedded
// portal: every row checked with the portal's rules, queued in the outbox, sent, and
// acknowledged into the cache (apply-and-send; goal ≤ 10 s). Beside it, in the same run:
// server-bulk, the same contacts created by calling the portal's bulk API directly, 500 per
// request, with nothing stored on the desktop (the floor the server sets).
func BenchmarkApplyImport10k(b *testing.B) {
	const rows = 10000
	ctx := context.Background()
	b.Run("apply-and-send", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			p := newPortal(b)
			dir := b.TempDir()
			file := importKillFile(b, dir, rows, 40)
			db, err := cache.Open(ctx, filepath.Join(dir, "desk.db"), cache.WithSchema(replica.Schema()), cache.WithSchema(imports.Schema()))
			if err != nil {
				b.Fatal(err)
			}
			st := imports.OnCache(db)
			ss, err := st.Create(ctx, file, imports.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if ss, err = st.SetMapping(ctx, ss.ID, ss.Mapping); err != nil {
				b.Fatal(err)
			}
			cl := client.New(p.url, p.token, client.WithHTTPClient(&http.Client{Timeout: time.Minute}))
			eng, err := replica.New(ctx, replica.Config{Cache: db, Client: cl, Logger: quiet()})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			if _, err := st.Apply(ctx, ss.ID, eng.ImportQueue(), nil); err != nil {
				b.Fatal(err)
			}
			queued := time.Since(start)
			if res, err := eng.Push(ctx); err != nil || res.Sent != rows+40 {
				b.Fatalf("push: %+v, %v", res, err)
			}
			b.StopTimer()
			b.ReportMetric(queued.Seconds(), "queued-s")
			db.Close()
			p.stop()
		}
	})
	b.Run("server-bulk", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			p := newPortal(b)
			cl := client.New(p.url, p.token, client.WithHTTPClient(&http.Client{Timeout: time.Minute}))
			orgs := make([]string, 40)
			for i := range orgs {
				o, err := cl.CreateOrganization(ctx, portal.Organization{Name: fmt.Sprintf("Council %02d", i)}, &client.Cmd{IdempotencyKey: fmt.Sprintf("bench-org-%d", i)})
				if err != nil {
					b.Fatal(err)
				}
				orgs[i] = o.ID
			}
			b.StartTimer()
			for start := 0; start < rows; start += client.MaxBulkContacts {
				items := make([]client.BulkContact, 0, client.MaxBulkContacts)
				for i := start; i < min(start+client.MaxBulkContacts, rows); i++ {
					items = append(items, client.BulkContact{IdempotencyKey: fmt.Sprintf("bench-%d", i), Contact: portal.Contact{
						OrganizationID: orgs[i%40], FirstName: fmt.Sprintf("Given%d", i), LastName: fmt.Sprintf("Family%d", i),
						Email: fmt.Sprintf("person%05d@council%02d.gov.uk", i, i%40), Position: "Clerk", Member: true}})
				}
				if res, err := cl.CreateContactsBulk(ctx, items); err != nil || res.Failed > 0 {
					b.Fatalf("bulk: %+v, %v", res.Failed, err)
				}
			}
			b.StopTimer()
			p.stop()
		}
	})
}
