package cache

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

// Sync pages, queued changes and screens reading at the same time: readers always see whole
// pages, no write is lost, no key repeats. Run with -race.
func TestConcurrentSyncEnqueueAndReads(t *testing.T) {
	// The first page is a bulk load; its index build runs in the background among the rest.
	db, _ := openTest(t, WithBulkIdle(2*time.Millisecond))
	ctx := context.Background()
	pages, perPage, enqueuers, perEnqueuer, readers := 20, 200, 3, 40, 4
	if raceEnabled {
		pages, perPage, enqueuers, perEnqueuer, readers = 6, 100, 3, 15, 2
	}

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := 1; p <= pages; p++ {
			err := db.Apply(ctx, func(tx *Tx) error {
				for i := range perPage {
					a := mkAccount(fmt.Sprintf("p%03d-%03d", p, i), fmt.Sprintf("Page %d person %d", p, i), fmt.Sprintf("p%d.%d@example.org", p, i))
					if err := tx.UpsertAccount(a); err != nil {
						return err
					}
				}
				return tx.SetCursor("changes", fmt.Sprint(p))
			})
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	keys := make(chan string, enqueuers*perEnqueuer)
	for e := range enqueuers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perEnqueuer {
				id := fmt.Sprintf("p001-%03d", (e*perEnqueuer+i)%perPage)
				k, err := db.Enqueue(ctx, Command{Name: "deactivate", EntityType: EntityAccount, EntityID: id, BaseVersion: 1})
				if err != nil {
					errs <- err
					return
				}
				keys <- k
			}
		}()
	}
	var readWG sync.WaitGroup
	for range readers {
		readWG.Add(1)
		go func() {
			defer readWG.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				page, err := db.ListAccounts(ctx, AccountFilter{Query: "person", Limit: 50, Status: []portal.Status{portal.StatusActive}})
				if err != nil {
					errs <- err
					return
				}
				if page.Total%perPage != 0 {
					errs <- fmt.Errorf("a reader saw %d accounts: part of a page", page.Total)
					return
				}
				if _, err := db.CountAccounts(ctx); err != nil {
					errs <- err
					return
				}
				if _, err := db.PendingCount(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	close(keys)
	seen := map[string]bool{}
	for k := range keys {
		if seen[k] {
			t.Errorf("key %s twice", k)
		}
		seen[k] = true
	}
	if n, _ := db.PendingCount(ctx); n != enqueuers*perEnqueuer || len(seen) != n {
		t.Errorf("pending %d, keys %d, want %d", n, len(seen), enqueuers*perEnqueuer)
	}
	if c, _ := db.CountAccounts(ctx); c.Total != pages*perPage {
		t.Errorf("%d accounts, want %d", c.Total, pages*perPage)
	}
	must(t, db.FinishBulkLoad(ctx))
	assertSearchIndexIntact(t, db)
	if page, _ := db.ListAccounts(ctx, AccountFilter{Query: "person", Limit: 1}); page.Total != min(pages*perPage, SearchCountCap) {
		t.Errorf("search finds %d", page.Total)
	}
}

// Two Gatehouse processes on one file (here two handles): writes wait for each other through
// busy_timeout and BEGIN IMMEDIATE instead of failing with SQLITE_BUSY.
func TestTwoHandlesOnOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for h, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				err := db.Apply(ctx, func(tx *Tx) error {
					// Read first, then write: a deferred transaction would fail here with
					// SQLITE_BUSY_SNAPSHOT when the other handle committed in between.
					if _, err := tx.Cursor("changes"); err != nil {
						return err
					}
					for j := range 20 {
						if err := tx.UpsertAccount(mkAccount(fmt.Sprintf("h%d-%d-%d", h, i, j), "X", "x@example.org")); err != nil {
							return err
						}
					}
					return tx.SetCursor("changes", fmt.Sprint(i))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if c, _ := dbs[0].CountAccounts(ctx); c.Total != 2*30*20 {
		t.Errorf("%d accounts, want %d", c.Total, 2*30*20)
	}
}
