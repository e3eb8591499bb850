package checkpoint

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/poll"
)

// outcomes is what the background checkpoints reported.
type outcomes struct {
	mu   sync.Mutex
	last [2]int // log pages, copied
	n    int
	err  error
}

func (o *outcomes) record(logPages, copied int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
	o.last = [2]int{logPages, copied}
	if err != nil {
		o.err = err
	}
}

func (o *outcomes) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// open makes a SQLite file in WAL mode with a single write connection as the stores have,
// and a table to fill.
func open(t *testing.T) (path, dsn string, w *sql.DB) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "log.db")
	dsn = "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma="+WriterPragma)
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	t.Cleanup(func() { w.Close() })
	if _, err := w.Exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB)"); err != nil {
		t.Fatal(err)
	}
	return path, dsn, w
}

// fill commits one transaction of about 60 pages.
func fill(t *testing.T, w *sql.DB) {
	t.Helper()
	tx, err := w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if _, err := tx.Exec("INSERT INTO rows (body) VALUES (randomblob(1000))"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// start starts a checkpointer on the database, watching its writer if watch is set, and
// records what its runs report.
func start(t *testing.T, path, dsn string, w *sql.DB, watch bool) (*Checkpointer, *outcomes) {
	t.Helper()
	c, err := Start(dsn, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	o := &outcomes{}
	c.ran = o.record
	if watch {
		if err := c.Watch(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}
	return c, o
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// The writer commits 20 transactions of about 60 pages (1,200 pages in all, fewer than the
// writer's own BackstopPages). With the checkpointer watching, each commit's pages are
// copied into the file beside the writer, so SQLite starts the log over at the next
// commit and it never grows past a few transactions. Without it nothing copies the log
// before 10,000 pages: it holds all 1,200.
func TestTheLogIsCopiedBesideTheWriter(t *testing.T) {
	const commits = 20
	for _, watched := range []bool{true, false} {
		name := map[bool]string{true: "watched", false: "not watched"}[watched]
		t.Run(name, func(t *testing.T) {
			path, dsn, w := open(t)
			_, o := start(t, path, dsn, w, watched)
			for i := range commits {
				before := o.count()
				fill(t, w)
				if !watched {
					continue
				}
				// The commit hook woke the checkpointer: its next run copies all of it.
				if !poll.Until(10*time.Second, func() bool {
					o.mu.Lock()
					defer o.mu.Unlock()
					return o.n > before && o.last[0] > 0 && o.last[0] == o.last[1]
				}) {
					t.Fatalf("commit %d: no checkpoint copied the whole log within 10 s (last: %d of %d pages, %d runs, err %v)",
						i+1, o.last[1], o.last[0], o.n, o.err)
				}
			}
			size := walSize(t, path)
			pages := size / 4096
			t.Logf("the log holds %d pages after %d commits", pages, commits)
			if watched {
				if o.err != nil {
					t.Fatalf("a checkpoint failed: %v", o.err)
				}
				if pages > 3*70 {
					t.Errorf("the log holds %d pages after %d commits of about 60 pages, each followed by a checkpoint: it was not started over", pages, commits)
				}
				return
			}
			if o.count() != 0 {
				t.Errorf("%d checkpoints ran with no commit watched", o.count())
			}
			if pages < commits*40 {
				t.Errorf("without the checkpointer the log holds only %d pages after %d commits of about 60: something else copied it", pages, commits)
			}
		})
	}
}

// A reader still on an older snapshot makes a checkpoint stop short of the end of the log.
// That is no error, and no one waits for the reader: the checkpointer tries again a second
// later, and once the reader has gone it copies the rest, with no further commit to ask
// for it (after a bulk load's index build the screens only read).
func TestAReaderHoldsACheckpointBackWithoutFailingIt(t *testing.T) {
	path, dsn, w := open(t)
	_, o := start(t, path, dsn, w, true)
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fill(t, w)
	if !poll.Until(10*time.Second, func() bool { o.mu.Lock(); defer o.mu.Unlock(); return o.n > 0 && o.last[0] == o.last[1] }) {
		t.Fatal("the first commit was not copied")
	}

	rtx, err := r.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rtx.QueryRow("SELECT count(*) FROM rows").Scan(&n); err != nil { // the snapshot starts here
		t.Fatal(err)
	}
	before := o.count()
	fill(t, w)
	fill(t, w) // the writer is not held up by the reader
	// Two runs at least while the reader stays: the commits' own, and a retry (or a
	// second commit's); after both, nothing but a retry is left to come.
	if !poll.Until(10*time.Second, func() bool { return o.count() >= before+2 }) {
		t.Fatalf("%d checkpoints ran after the commits while a reader held them back; want a retry", o.count()-before)
	}
	o.mu.Lock()
	held, err := o.last, o.err
	o.mu.Unlock()
	if err != nil {
		t.Fatalf("a checkpoint held back by a reader failed: %v", err)
	}
	if held[1] >= held[0] {
		t.Fatalf("the checkpoint copied %d of %d pages while a reader needed the older ones", held[1], held[0])
	}
	if err := rtx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// No commit now: a retry copies the rest.
	if !poll.Until(10*time.Second, func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.last[0] > 0 && o.last[0] == o.last[1]
	}) {
		o.mu.Lock()
		defer o.mu.Unlock()
		t.Fatalf("after the reader left, no retry copied the log: last run %d of %d pages, %d runs", o.last[1], o.last[0], o.n)
	}
}

// Close stops the goroutine even while it waits to run, a second Close changes nothing,
// and a closed checkpointer's hook no longer wakes anything.
func TestCloseStops(t *testing.T) {
	path, dsn, w := open(t)
	c, _ := start(t, path, dsn, w, true)
	fill(t, w)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	fill(t, w) // the hook's poke finds nobody listening and does not block
	var nilC *Checkpointer
	nilC.Written()
	if err := nilC.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Now(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Now after Close = %v, want the closed database named", err)
	}
}
