package replica_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server/store"
)

// benchAccount is a realistic account: name, address, organisation, roles, dates.
func benchAccount(i int) portal.Account {
	a := person(fmt.Sprintf("acc_%07d", i), fmt.Sprintf("Person %d Lastname-%d", i, i%977), portal.StatusActive, portal.KindStaff, fmt.Sprintf("org_%03d", i%200))
	a.Email = fmt.Sprintf("person.%d@member%d.example.org", i, i%200)
	switch i % 10 {
	case 0:
		a.Status = portal.StatusPending
	case 1:
		a.Kind, a.CoreRole, a.ClientRecord = portal.KindClient, "", true
	case 2:
		a.AdditionalRoles = []string{portal.RoleReports}
	case 3:
		a.Status = portal.StatusInvited
	}
	login := t0.Add(-time.Duration(i%5000) * time.Hour)
	a.LastLoginAt = &login
	return a
}

// seedAccounts writes n accounts straight to the server's store, in batches.
func seedAccounts(tb testing.TB, p *portalEnv, from, n int) {
	tb.Helper()
	orgs := make([]portal.Organization, 0, 200)
	if from == 0 {
		for i := range 200 {
			orgs = append(orgs, portal.Organization{ID: fmt.Sprintf("org_%03d", i), Name: fmt.Sprintf("Member Organisation %d", i), CreatedAt: t0, UpdatedAt: t0})
		}
		p.seed(seed{orgs: orgs})
	}
	for start := from; start < from+n; start += 10000 {
		p.update(func(tx store.Tx) error {
			for i := start; i < min(start+10000, from+n); i++ {
				a := benchAccount(i)
				if err := tx.PutAccount(p.ctx, &a); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func serverAccounts(tb testing.TB, p *portalEnv) []portal.Account {
	tb.Helper()
	var as []portal.Account
	p.view(func(r store.Reader) error {
		var err error
		as, err = r.Accounts(p.ctx, store.AccountFilter{})
		return err
	})
	return as
}

// BenchmarkInitialSync100k downloads 100,000 accounts from the real server into an empty
// cache. Beside it, in the same run: raw-insert, the same rows and columns inserted with a
// bare prepared INSERT through modernc.org/sqlite into a table with only a primary key, in
// one transaction (the yardstick; x-raw is the sync's time over it, goal ≤ 2); and
// cache-apply-pages, the same rows written through the cache's own Apply/UpsertAccounts in
// the sync's page transactions without any network (the floor the cache sets; x-cache is
// what the download, decoding and bookkeeping of the sync add), with the deferred index
// build timed apart (build-s). feed-download is the download and decoding alone, nothing stored. The
// sync returns once the indexes are built (indexes-built-s, its ns/op); rows-usable-s is
// when its last page was committed, every row readable, and writer-wait-s how long its
// writer waited for the download in all. cpu-s/op is the process's
// CPU time per operation (the embedded server's included), which other programs on a
// shared machine disturb far less than the wall time; x-raw-cpu compares those.
func BenchmarkInitialSync100k(b *testing.B) {
	const n = 100_000
	p := newPortal(b)
	seedAccounts(b, p, 0, n)
	rows := serverAccounts(b, p)
	if len(rows) != n {
		b.Fatalf("seeded %d accounts", len(rows))
	}
	ctx := context.Background()
	var rawCache, rawPlain time.Duration
	var cpuCache, cpuPlain, cpuSync time.Duration

	b.Run("cache-apply-pages", func(b *testing.B) {
		cpuCache = 0
		var build, cpuBuild time.Duration
		for b.Loop() {
			b.StopTimer()
			db, err := cache.Open(ctx, filepath.Join(b.TempDir(), "apply.db"), cache.WithSchema(replica.Schema()))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			c0 := cpuTime()
			for start := 0; start < len(rows); start += replica.DefaultPageSize {
				if err := db.Apply(ctx, func(tx *cache.Tx) error {
					if err := tx.UpsertAccounts(rows[start:min(start+replica.DefaultPageSize, len(rows))]); err != nil {
						return err
					}
					return tx.SetCursor("bench", fmt.Sprint(start))
				}); err != nil {
					b.Fatal(err)
				}
			}
			cpuCache += cpuTime() - c0
			b.StopTimer()
			// The indexes the load deferred, timed apart as the sync builds them after Pull.
			t1, c1 := time.Now(), cpuTime()
			if err := db.FinishBulkLoad(ctx); err != nil {
				b.Fatal(err)
			}
			build += time.Since(t1)
			cpuBuild += cpuTime() - c1
			db.Close()
			b.StartTimer()
		}
		rawCache = b.Elapsed() / time.Duration(b.N)
		cpuCache /= time.Duration(b.N)
		b.ReportMetric(float64(n)/rawCache.Seconds(), "rows/s")
		b.ReportMetric(cpuCache.Seconds(), "cpu-s/op")
		b.ReportMetric((build / time.Duration(b.N)).Seconds(), "build-s")
		b.ReportMetric((cpuBuild / time.Duration(b.N)).Seconds(), "build-cpu-s")
	})
	b.Run("raw-insert", func(b *testing.B) {
		cpuPlain = 0
		for b.Loop() {
			b.StopTimer()
			db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "plain.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE accounts (id TEXT PRIMARY KEY, organization_id TEXT, email TEXT, name TEXT, status TEXT, kind TEXT,
				core_role TEXT, additional_roles TEXT, source TEXT, subject TEXT, last_login_at TEXT, created_at TEXT, updated_at TEXT, version INTEGER)`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			c0 := cpuTime()
			rawInsertPlain(b, db, rows)
			cpuPlain += cpuTime() - c0
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
		rawPlain = b.Elapsed() / time.Duration(b.N)
		cpuPlain /= time.Duration(b.N)
		b.ReportMetric(float64(n)/rawPlain.Seconds(), "rows/s")
		b.ReportMetric(cpuPlain.Seconds(), "cpu-s/op")
	})
	b.Run("feed-download", func(b *testing.B) {
		// The download alone: every page fetched from the server and decoded into typed
		// records as the sync does, nothing stored. Its CPU is what the sync adds to the
		// cache's; the sync overlaps it with the writes.
		var cpu time.Duration
		for b.Loop() {
			cl := client.New(p.url, p.token)
			c0 := cpuTime()
			var after int64
			got := 0
			for {
				pg, err := cl.Feed(ctx, after, replica.DefaultPageSize, replica.Entities...)
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range pg.Changes {
					if _, ok := c.Record.(*portal.Account); ok {
						got++
					}
				}
				after = pg.Next
				if !pg.More {
					break
				}
			}
			cpu += cpuTime() - c0
			if got != n {
				b.Fatalf("downloaded %d accounts", got)
			}
		}
		b.ReportMetric(float64(n)/(b.Elapsed()/time.Duration(b.N)).Seconds(), "rows/s")
		b.ReportMetric((cpu / time.Duration(b.N)).Seconds(), "cpu-s/op")
	})
	b.Run("sync", func(b *testing.B) {
		cpuSync = 0
		var rowsUsable, writerWait, indexed time.Duration
		for b.Loop() {
			b.StopTimer()
			db, err := cache.Open(ctx, filepath.Join(b.TempDir(), "desk.db"), cache.WithSchema(replica.Schema()))
			if err != nil {
				b.Fatal(err)
			}
			// The engine's page log says when the last page was committed (every row in
			// the cache and on screen; the deferred indexes still to build) and how long the
			// writer sat waiting for the download.
			var lastPage time.Time
			var waited time.Duration
			log := hookLogger(func(msg string, attrs map[string]any) {
				if msg == "applied feed page" {
					lastPage = time.Now()
					waited, _ = attrs["waited"].(time.Duration)
				}
			})
			eng, err := replica.New(ctx, replica.Config{Cache: db, Client: client.New(p.url, p.token), Logger: log})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0, c0 := time.Now(), cpuTime()
			res, err := eng.Pull(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rowsUsable += lastPage.Sub(t0)
			writerWait += waited
			b.StopTimer()
			// Pull has returned: every row is in the cache and every query answers. The
			// indexes it left to the background are timed to the end, outside ns/op.
			counts, err := db.CountAccounts(ctx)
			if err != nil || counts.Total != n {
				b.Fatalf("the cache holds %d accounts (%v)", counts.Total, err)
			}
			if !res.IndexesPending {
				b.Fatalf("a first download of %d accounts left no indexes to build", n)
			}
			waitIndexes(b, db)
			indexed += time.Since(t0)
			cpuSync += cpuTime() - c0
			db.Close()
			b.StartTimer()
		}
		per := b.Elapsed() / time.Duration(b.N)
		cpuSync /= time.Duration(b.N)
		perIndexed := indexed / time.Duration(b.N)
		b.ReportMetric(float64(n)/per.Seconds(), "rows/s")
		b.ReportMetric(cpuSync.Seconds(), "cpu-s/op")
		b.ReportMetric((rowsUsable / time.Duration(b.N)).Seconds(), "rows-usable-s")
		b.ReportMetric(perIndexed.Seconds(), "indexes-built-s")
		b.ReportMetric((writerWait / time.Duration(b.N)).Seconds(), "writer-wait-s")
		if rawPlain > 0 {
			b.ReportMetric(per.Seconds()/rawPlain.Seconds(), "x-raw")
			b.ReportMetric(perIndexed.Seconds()/rawPlain.Seconds(), "x-raw-indexed")
		}
		if cpuPlain > 0 {
			b.ReportMetric(cpuSync.Seconds()/cpuPlain.Seconds(), "x-raw-cpu")
		}
		if rawCache > 0 {
			b.ReportMetric(per.Seconds()/rawCache.Seconds(), "x-cache")
		}
	})
}

// waitIndexes waits until the indexes a first download left to the background are built.
func waitIndexes(tb testing.TB, db *cache.DB) {
	tb.Helper()
	for {
		pending, err := db.BulkLoadPending(context.Background())
		if err != nil {
			tb.Fatalf("building the indexes after the sync: %v", err)
		}
		if !pending {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

const rawTime = "2006-01-02T15:04:05.000000000Z"

func rawTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(rawTime)
}

func rawInsertPlain(b *testing.B, db *sql.DB, rows []portal.Account) {
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.Prepare("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range rows {
		if _, err := st.Exec(a.ID, a.OrganizationID, a.Email, a.Name, string(a.Status), string(a.Kind), a.CoreRole,
			strings.Join(a.AdditionalRoles, ","), a.Source, a.Subject, rawTimePtr(a.LastLoginAt),
			a.CreatedAt.UTC().Format(rawTime), a.UpdatedAt.UTC().Format(rawTime), a.Version); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIncrementalSync100 pulls 100 account changes (status and organisation-admin
// changes, a quarter of them renames that the search index must follow) into a cache that
// already mirrors 10,000 accounts.
func BenchmarkIncrementalSync100(b *testing.B) {
	const base, changes = 10_000, 100
	p := newPortal(b)
	seedAccounts(b, p, 0, base)
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(b.TempDir(), "desk.db"), cache.WithSchema(replica.Schema()))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	eng, err := replica.New(ctx, replica.Config{Cache: db, Client: client.New(p.url, p.token), Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.Pull(ctx); err != nil {
		b.Fatal(err)
	}
	waitIndexes(b, db) // a steady state: the first download's indexes are built
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		p.update(func(tx store.Tx) error {
			for i := range changes {
				a, err := tx.Account(ctx, fmt.Sprintf("acc_%07d", (round*changes+i)%base))
				if err != nil {
					return err
				}
				// A mix: decisions and role changes (no search index work) and renames.
				switch i % 4 {
				case 0:
					a.Name = fmt.Sprintf("Renamed %d in round %d", i, round)
				case 1:
					a.OrgAdmin = !a.OrgAdmin
				default:
					if a.Status == portal.StatusActive {
						a.Status = portal.StatusDeactivated
					} else {
						a.Status = portal.StatusActive
					}
				}
				if err := tx.PutAccount(ctx, &a); err != nil {
					return err
				}
			}
			return nil
		})
		b.StartTimer()
		res, err := eng.Pull(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if res.Changes != changes {
			b.Fatalf("pulled %d changes, want %d", res.Changes, changes)
		}
	}
	b.ReportMetric(float64(changes)/(b.Elapsed()/time.Duration(b.N)).Seconds(), "changes/s")
}
