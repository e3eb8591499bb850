// Package checkpoint copies a SQLite database's write-ahead log into the database file
// from a goroutine and a connection of its own, instead of in the writer's commit. Both
// SQLite databases of Gatehouse use it: the portal server's and the desktop's local copy.
//
// SQLite's default is that the commit that takes the log past 1,000 pages copies the log
// at its end, with two fsyncs, while it still holds the only write connection, so every
// writer queued behind it waits too. Measured on 10,000 invitations created in bulk: 0.73 s
// of the portal writer's 6 s went to these copies (0.54 s in fsync), while the machine's
// other core had time to spare. A passive checkpoint on another connection runs beside the
// writer: SQLite lets one checkpoint and one writer work on the log at once. It never
// waits for anyone: a passive checkpoint copies what no reader still needs, and when a
// reader of an older snapshot held it back, it tries again a second later. The writer's
// own checkpoint stays as a backstop at a larger size (BackstopPages), for when this one
// falls behind or is not running.
//
// Keeping the log copied also keeps reads cheap: a reader looks every page up in the log
// first and reads the ones it finds there with a system call each, into its own page
// cache, while pages of the database file come through the memory map all connections
// share. And it bounds how long a commit stays only in the log: with synchronous=NORMAL a
// commit survives a crash of the process at once, and a power cut once the log has been
// synced, which a checkpoint does first. A quiet database used to keep its last commits
// unsynced until 1,000 pages had piled up; now that is at most Delay after them.
package checkpoint

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"modernc.org/sqlite"
)

const (
	// Delay lets a burst of commits end before their pages are copied: one copy (and its
	// two fsyncs) for many commits.
	Delay = 100 * time.Millisecond
	// RetryDelay is the wait before trying again after a copy that stopped short of a
	// reader's snapshot, at most MaxRetries times in a row.
	RetryDelay = time.Second
	MaxRetries = 60
	// BackstopPages is the writer's own checkpoint threshold (SQLite's default: 1,000).
	BackstopPages = 10_000
	// WriterPragma sets it, as a _pragma of a modernc.org/sqlite DSN.
	WriterPragma = "wal_autocheckpoint(10000)"
)

// Checkpointer runs the checkpoints of one database.
type Checkpointer struct {
	db   *sql.DB
	what string // the database, for the log
	poke chan struct{}
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
	err  error // of Close
	// ran, if set, is told the outcome of each background checkpoint: the log's pages and
	// how many of them are now in the database file (tests).
	ran func(logPages, copied int, err error)
}

// Start opens db's own connection (dsn: the database's, with its busy timeout) and starts
// the goroutine. what names the database in the log.
func Start(dsn, what string) (*Checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &Checkpointer{db: db, what: what, poke: make(chan struct{}, 1), stop: make(chan struct{})}
	c.done.Add(1)
	go c.loop()
	return c, nil
}

// Written tells the checkpointer that a transaction was (or is being) committed. It never
// blocks. A nil Checkpointer ignores it.
func (c *Checkpointer) Written() {
	if c == nil {
		return
	}
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// Watch calls Written at every commit on pool's connection, whichever code commits:
// SQLite's commit hook. pool must be a database's single write connection, kept open
// (SetMaxOpenConns(1), no lifetime), as both stores keep theirs: the hook belongs to the
// connection, so one that database/sql replaced after an error would go unwatched, and
// the writer's own checkpoint (BackstopPages) would be left to copy the log. The hook runs
// just before the commit ends; the checkpoint follows Delay later.
func (c *Checkpointer) Watch(ctx context.Context, pool *sql.DB) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		h, ok := dc.(interface{ RegisterCommitHook(sqlite.CommitHookFn) })
		if !ok {
			return fmt.Errorf("the SQLite driver's connection %T offers no commit hook", dc)
		}
		h.RegisterCommitHook(func() int32 {
			c.Written()
			return 0 // 0: let the commit go on
		})
		return nil
	})
}

func (c *Checkpointer) loop() {
	defer c.done.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.poke:
		}
		for tries := 0; ; tries++ {
			wait := Delay
			if tries > 0 {
				wait = RetryDelay
			}
			if !c.sleep(wait) {
				return
			}
			logPages, copied, err := c.run(context.Background())
			if err != nil {
				// Not fatal: the writer's own checkpoint (BackstopPages) still copies the log.
				slog.Warn("copy the write-ahead log into the database file", "db", c.what, "err", err)
			}
			if c.ran != nil {
				c.ran(logPages, copied, err)
			}
			// Stopped short of a reader's older snapshot: try again once it may have
			// gone, since no commit may come to ask (after a bulk load's index build,
			// for one, the screens only read).
			if err != nil || copied >= logPages || tries >= MaxRetries {
				break
			}
		}
	}
}

// sleep waits d, or reports false when the checkpointer is closed meanwhile.
func (c *Checkpointer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.stop:
		return false
	case <-t.C:
		return true
	}
}

// Now copies as much of the log as no reader still needs, at once. A reader of an older
// snapshot makes it stop short (not an error); the next one goes on from there.
func (c *Checkpointer) Now(ctx context.Context) error {
	_, _, err := c.run(ctx)
	return err
}

func (c *Checkpointer) run(ctx context.Context) (logPages, copied int, err error) {
	var busy int
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &copied); err != nil {
		return 0, 0, fmt.Errorf("checkpoint %s: %w", c.what, err)
	}
	return logPages, copied, nil
}

// Close stops the goroutine and closes its connection; SQLite copies what is left of the
// log when the database's last connection closes. A nil Checkpointer does nothing, and
// so does a second Close (a store may be closed by its owner and again at shutdown).
func (c *Checkpointer) Close() error {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		close(c.stop)
		c.done.Wait()
		c.err = c.db.Close()
	})
	return c.err
}
