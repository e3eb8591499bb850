package replica

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// PullResult says what one pull did.
type PullResult struct {
	Pages   int   `json:"pages"`
	Changes int   `json:"changes"` // feed entries applied (or skipped as older than an acknowledgement)
	Cursor  int64 `json:"cursor"`  // the feed position the cache is now at
	// Reset is true when the server's database had been replaced, so the local copy was
	// emptied and downloaded again.
	Reset bool `json:"reset"`
	// IndexesPending is true when a first download left the cache's indexes to be built in
	// the background (cache.DB.BulkLoadPending says when they are).
	IndexesPending bool `json:"indexesPending"`
}

// cursor is the stored feed position: the feed's ID and the sequence number after which
// to continue.
type cursor struct {
	feed string
	seq  int64
}

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	feed, seq, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 0 {
		return cursor{}, fmt.Errorf("the local database holds a malformed sync position %q; Gatehouse will download everything again", s)
	}
	return cursor{feed: feed, seq: n}, nil
}

func (c cursor) String() string { return c.feed + ":" + strconv.FormatInt(c.seq, 10) }

// fetched is one feed page, decoded off the applying goroutine.
type fetched struct {
	feed    string
	next    int64
	more    bool
	records []record
	err     error
}

// Pull follows the change feed from the stored cursor until it has caught up, one cache
// transaction per page (records and cursor together). The next page is fetched and decoded
// while the previous one is written.
func (e *Engine) Pull(ctx context.Context) (PullResult, error) {
	e.pullMu.Lock()
	defer e.pullMu.Unlock()
	var res PullResult
	st, err := e.db.GetSyncState(ctx, Stream)
	if err != nil {
		return res, local(err)
	}
	cur, err := parseCursor(st.Cursor)
	if err != nil {
		e.log.Warn("sync position unreadable; downloading everything again", "err", err)
		cur = cursor{}
	}
	replaced, err := e.pullFrom(ctx, cur, false, &res)
	if replaced {
		// The server's database was replaced: what the cache holds may not exist there and
		// the positions mean nothing. Start over; the first page empties the mirror.
		e.log.Warn("the portal server's database was replaced; downloading everything again", "old feed", cur.feed)
		res.Reset = true
		_, err = e.pullFrom(ctx, cursor{}, true, &res)
	}
	if err == nil {
		err = e.backfillDocuments(ctx)
	}
	if err == nil && res.Changes > 0 {
		// A first download goes into the cache without its indexes (the cache defers them
		// while a table is loaded from empty). The rows are complete and every query answers
		// correctly without them, so the pull returns and the screens show the rows now;
		// the indexes are built in the background at once rather than after the writer has
		// been idle for a while.
		if pending, _ := e.db.BulkLoadPending(ctx); pending {
			e.st.update(func(s *Status) { s.Indexing = true })
			e.db.BuildIndexesSoon(func(err error) {
				if err != nil {
					// The rows are all there; the build is tried again after the next
					// bulk write or at the next start.
					e.log.Error("build the local indexes after the first download", "err", err)
				}
				e.st.update(func(s *Status) { s.Indexing = false })
			})
			res.IndexesPending = true
		}
	}
	return res, err
}

// pullFrom applies pages from cur until caught up. It stops and reports replaced when the
// feed is not the one cur belongs to.
func (e *Engine) pullFrom(ctx context.Context, cur cursor, reset bool, res *PullResult) (replaced bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	first := true
	// waited is how long the writer sat idle for the download: the part of a pull the
	// network and the decoding add to the cache's own work (logged, for tuning).
	var waited time.Duration
	asked := time.Now()
	for f := range e.fetch(ctx, cur.seq) {
		waited += time.Since(asked)
		if f.err != nil {
			return false, f.err
		}
		if cur.feed != "" && f.feed != cur.feed {
			return true, nil
		}
		next := cursor{feed: f.feed, seq: f.next}
		if err := e.applyPage(ctx, f.records, next, reset && first); err != nil {
			return false, err
		}
		first = false
		res.Pages++
		res.Changes += len(f.records)
		res.Cursor = next.seq
		cur = next
		e.log.Debug("applied feed page", "changes", len(f.records), "cursor", next.seq, "more", f.more, "waited", waited)
		asked = time.Now()
	}
	return false, ctx.Err()
}

// firstPage is the size of the first request of a pull. The writer waits for the first
// page, so it is small; the pages after it grow to the configured size while the writer
// is busy with the one before.
const firstPage = 500

// fetch pages the feed after seq into a channel. It asks the server for the next page as
// soon as it has decoded the previous one, so the server, the decoding and the cache's
// writes overlap.
func (e *Engine) fetch(ctx context.Context, after int64) <-chan fetched {
	out := make(chan fetched, 1)
	go func() {
		defer close(out)
		limit := min(firstPage, e.page)
		for {
			p, err := e.cl.Feed(ctx, after, limit, Entities...)
			if _, bad := errors.AsType[*client.RecordError](err); bad {
				err = local(err) // the server answered; the data is what's wrong
			}
			f := fetched{feed: p.FeedID, next: p.Next, more: p.More, err: err}
			if err == nil {
				f.records = make([]record, 0, len(p.Changes))
				for _, c := range p.Changes {
					r, ok, err := feedRecord(c)
					if err != nil {
						f.err = local(fmt.Errorf("change %d: %w", c.Seq, err))
						break
					}
					if ok {
						f.records = append(f.records, r)
					}
				}
			}
			select {
			case out <- f:
			case <-ctx.Done():
				return
			}
			if f.err != nil || !p.More {
				return
			}
			after = p.Next
			limit = min(2*limit, e.page)
		}
	}()
	return out
}

// applyPage writes one page and the cursor after it in one transaction.
func (e *Engine) applyPage(ctx context.Context, recs []record, next cursor, resetFirst bool) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	err := e.db.Apply(ctx, func(tx *cache.Tx) error {
		if resetFirst {
			if err := emptyMirror(ctx, tx); err != nil {
				return err
			}
		}
		a, err := loadAcks(ctx, tx)
		if err != nil {
			return err
		}
		// Consecutive accounts, the bulk of a first download, are written many rows per
		// statement; anything else flushes them first, so the feed's order holds. Sized
		// for the whole page at once: grown by append, it was a sixth of what an initial
		// sync allocates (126 of 716 MB for 100,000 accounts), and the collector's work.
		accounts := make([]portal.Account, 0, len(recs))
		flush := func() error {
			if len(accounts) == 0 {
				return nil
			}
			err := tx.UpsertAccounts(accounts)
			accounts = accounts[:0]
			return err
		}
		for _, r := range recs {
			admit, err := a.admit(r)
			if err != nil {
				return err
			}
			if !admit {
				continue
			}
			if !r.deleted {
				switch acc := r.value.(type) {
				case *portal.Account:
					accounts = append(accounts, *acc)
					continue
				case portal.Account:
					accounts = append(accounts, acc)
					continue
				}
			}
			if err := flush(); err != nil {
				return err
			}
			if err := r.store(tx); err != nil {
				return err
			}
		}
		if err := flush(); err != nil {
			return err
		}
		return tx.SetCursor(Stream, next.String())
	})
	if err != nil {
		return local(fmt.Errorf("save the downloaded changes up to %d: %w", next.seq, err))
	}
	return nil
}

// emptyMirror forgets every server record, keeping the administrator's pending changes
// (their preview stays on screen; the server's copy behind it becomes "none").
func emptyMirror(ctx context.Context, tx *cache.Tx) error {
	if _, err := tx.SQL().ExecContext(ctx, `DELETE FROM sync_acked`); err != nil { // this package's table
		return fmt.Errorf("empty the local copy of the replaced server database: %w", err)
	}
	return tx.ResetMirror()
}

// backfillDocuments reads the portal's settings and messages once when the cache has none:
// a cache whose feed position is older than this version skipped them in the feed (they
// were not mirrored then) and would otherwise see them only after the next change.
func (e *Engine) backfillDocuments(ctx context.Context) error {
	var s client.Settings
	if ok, err := e.db.Document(ctx, cache.EntitySettings, portal.SettingsID, &s); err != nil || ok {
		return local(err)
	}
	set, err := e.cl.Settings(ctx)
	if err != nil {
		if ce, ok := client.AsError(err); ok && ce.Status == http.StatusForbidden {
			return nil // an account that may not read them: the screens say so
		}
		return err
	}
	ts, err := e.cl.Templates(ctx)
	if err != nil {
		return err
	}
	recs := []record{{entity: cache.EntitySettings, id: portal.SettingsID, version: set.Version, value: set}}
	for _, t := range ts {
		recs = append(recs, record{entity: cache.EntityTemplate, id: t.Key, version: t.Version, value: t})
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return local(e.db.Apply(ctx, func(tx *cache.Tx) error {
		for _, r := range recs {
			if err := r.store(tx); err != nil {
				return err
			}
		}
		return nil
	}))
}
