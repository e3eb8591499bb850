// Package cache is the desktop's local SQLite database: a mirror of the portal server's
// records, the sync cursors, the outbox of the administrator's queued changes, and settings.
//
// All writes in the process go through one connection, in turn, so no writer ever waits on
// SQLITE_BUSY from another; readers use a separate read-only pool and, thanks to WAL, run
// beside the writer on a consistent snapshot. The sync applies one server page per
// transaction with Apply; a load into an empty table defers its index builds (bulk.go).
package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"gatehouse/backend/internal/checkpoint"
	"gatehouse/backend/portal"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Option changes how Open sets up the cache.
type Option func(*options)

type options struct {
	clock      portal.Clock
	migrations fs.FS
	schemas    []fs.FS
	sendLease  time.Duration
	readConns  int
	searchCap  int
	bulkIdle   time.Duration
}

// WithClock sets the clock that stamps outbox, sync and settings times. The default is the
// system clock.
func WithClock(c portal.Clock) Option { return func(o *options) { o.clock = c } }

// WithSendLease sets how long a command marked as sending stays reserved before NextDue
// hands it out again (after a crash or a hung request). The default is two minutes.
func WithSendLease(d time.Duration) Option { return func(o *options) { o.sendLease = d } }

// WithBulkIdle sets how long the writer must be idle after a bulk load before the deferred
// indexes are built in the background (see FinishBulkLoad); 0 leaves it to FinishBulkLoad.
// The default is one second.
func WithBulkIdle(d time.Duration) Option { return func(o *options) { o.bulkIdle = d } }

// withSearchCountCap changes SearchCountCap; tests use a small one.
func withSearchCountCap(n int) Option { return func(o *options) { o.searchCap = n } }

// WithSchema adds the numbered migrations (NNNN_what.sql files) of a package that keeps
// tables of its own in the desktop database: imports, batch and replica each own theirs and
// register them here, while the cache owns the mirror, outbox and search tables. Version
// ranges are shared out (0001–0009 cache, 0010–0019 imports, 0020–0029 batch, 0030–0039
// cache, 0040–0049 replica); Open refuses two migrations with one number.
func WithSchema(fsys fs.FS) Option { return func(o *options) { o.schemas = append(o.schemas, fsys) } }

// withMigrations replaces the embedded migrations; tests use it to try broken ones.
func withMigrations(fsys fs.FS) Option { return func(o *options) { o.migrations = fsys } }

// HasTable reports whether the database has a table of this name: packages that own tables
// check that their schema was registered with Open.
func (db *DB) HasTable(ctx context.Context, name string) (bool, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look at the local database's tables: %w", err)
	}
	return n > 0, nil
}

// DB is the open local cache.
type DB struct {
	path      string
	w         *sql.DB // exactly one connection: the process's only writer
	r         *sql.DB // read-only pool
	clock     portal.Clock
	sendLease time.Duration
	searchCap int
	builder   *builder
	ckpt      *checkpoint.Checkpointer

	// writes counts commits twice, as they begin and as they end (narrow.go).
	writes atomic.Uint64
	narrow narrowMemo
}

// busyTimeout is how long a statement waits for another process (a second Gatehouse, the
// sqlite3 shell) holding the write lock before it gives up.
const busyTimeout = 10 * time.Second

// ConfigDir returns the folder where Gatehouse keeps its local files: the environment
// variable GATEHOUSE_CONFIG_DIR if set (tests, portable installs), else Gatehouse inside
// the user's configuration folder.
func ConfigDir() (string, error) {
	if dir := os.Getenv("GATEHOUSE_CONFIG_DIR"); dir != "" {
		return filepath.Abs(dir)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user's configuration folder for the local database (set GATEHOUSE_CONFIG_DIR to choose one): %w", err)
	}
	return filepath.Join(base, "Gatehouse"), nil
}

// DefaultPath returns where the local database lives by default: gatehouse.db in ConfigDir.
func DefaultPath() (string, error) {
	dir, err := ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "gatehouse.db"), nil
}

// Open opens (creating if needed) the cache at path and brings its schema up to date.
// It refuses a database written by a newer Gatehouse (see ErrSchemaTooNew).
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{clock: portal.SystemClock{}, migrations: embeddedMigrations(), sendLease: 2 * time.Minute, readConns: max(4, runtime.GOMAXPROCS(0)), searchCap: SearchCountCap, bulkIdle: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("open the local database: no file name given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open the local database %s: %w", path, err)
	}
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the folder %s for the local database: %w. Check that you may write there, or set GATEHOUSE_CONFIG_DIR to another folder", dir, err)
	}
	_, statErr := os.Stat(abs)
	created := errors.Is(statErr, fs.ErrNotExist)

	w, err := openPool(abs, false)
	if err != nil {
		return nil, err
	}
	// One connection, never closed for idleness: the synchronous switch in writeTx is a
	// per-connection setting.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{path: abs, w: w, clock: o.clock, sendLease: o.sendLease, searchCap: o.searchCap, builder: newBuilder(o.bulkIdle)}

	if err := db.checkWritable(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if created {
		// The file holds people's names and addresses: keep it to this user. SQLite gives
		// the -wal and -shm files the same mode.
		if err := os.Chmod(abs, 0o600); err != nil {
			w.Close()
			return nil, fmt.Errorf("restrict access to the new local database %s: %w", abs, err)
		}
	}
	if err := migrate(ctx, w, append([]fs.FS{o.migrations}, o.schemas...), o.clock); err != nil {
		w.Close()
		return nil, fmt.Errorf("prepare the local database %s: %w", abs, err)
	}

	r, err := openPool(abs, true)
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(o.readConns)
	r.SetMaxIdleConns(o.readConns)
	db.r = r
	// The log is copied into the file beside the writer, not in its commits
	// (internal/checkpoint): the sender's per-message commits no longer pay for it, and
	// readers keep reading through the shared memory map.
	if db.ckpt, err = checkpoint.Start(dsn(abs, false), abs); err == nil {
		err = db.ckpt.Watch(ctx, w)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open the local database %s: %w", abs, err)
	}
	if err := db.scheduleIfPending(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openPool opens a database/sql pool on path with the cache's pragmas.
func openPool(path string, readOnly bool) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, readOnly))
	if err != nil {
		return nil, fmt.Errorf("open the local database %s: %w", path, err)
	}
	return db, nil
}

// dsn is the modernc.org/sqlite address of the cache at path with its pragmas.
func dsn(path string, readOnly bool) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	if !strings.HasPrefix(u.Path, "/") { // Windows: file:///C:/...
		u.Path = "/" + u.Path
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-65536)") // 64 MB per connection, at most; SQLite grows it as needed
	// Reads go through memory-mapped I/O, up to 1 GiB of the file (about 1,000,000
	// accounts): a search that sorts its matches reads hundreds of scattered rows, and
	// mapped pages shared by every connection cost no system call each. BenchmarkSearch's
	// p95 for words of three or more characters went from 16 ms to 7 ms.
	q.Add("_pragma", "mmap_size(1073741824)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// BEGIN IMMEDIATE: take the write lock up front, so a transaction that reads first
		// never fails later with SQLITE_BUSY_SNAPSHOT when another process wrote meanwhile.
		q.Set("_txlock", "immediate")
		q.Add("_pragma", checkpoint.WriterPragma)
	}
	return u.String() + "?" + q.Encode()
}

// checkWritable opens the writer connection and confirms the settings that safety rests on.
func (db *DB) checkWritable(ctx context.Context) error {
	var mode string
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("open the local database %s: %w. If another program has it open exclusively, close it; if the file is damaged, move it away and Gatehouse will download everything again", db.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("open the local database %s: it could not be switched to write-ahead logging (journal mode is %q). Keep it on a local disk, not a network share", db.path, mode)
	}
	var fk int
	if err := db.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		return fmt.Errorf("open the local database %s: foreign keys could not be turned on (%v)", db.path, err)
	}
	return nil
}

// Path is the absolute file name of the database.
func (db *DB) Path() string { return db.path }

// SQL returns the writer pool, for packages that keep their own tables in the cache (import
// sessions). It has a single connection: every write of the process takes its turn on it.
// Never query it while holding a transaction begun on it — use the transaction — or the
// call waits for itself. For reads that may run beside a write, use ReadSQL. Write the
// cache's own tables only through Apply: it keeps the search index, the pending overlay
// and bulk loads in step.
func (db *DB) SQL() *sql.DB { return db.w }

// ReadSQL returns the read-only pool. Its connections see the last committed state and
// never block the writer.
func (db *DB) ReadSQL() *sql.DB { return db.r }

// Clock returns the clock the cache stamps times with.
func (db *DB) Clock() portal.Clock { return db.clock }

// Close stops a background index build (it resumes at the next Open), lets SQLite refresh
// its query-planner statistics and closes the database.
func (db *DB) Close() error {
	db.builder.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Not fatal: the statistics only steer query plans.
	_, _ = db.w.ExecContext(ctx, "PRAGMA optimize")
	errs := []error{db.ckpt.Close()}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close the local database %s: %w", db.path, err)
	}
	return nil
}

// Tx is one write transaction on the cache. Its methods are not safe for use by several
// goroutines at once.
type Tx struct {
	db      *DB
	tx      *sql.Tx
	ctx     context.Context
	stmts   map[string]*sql.Stmt
	shadows map[entityKey]bool // entities whose server copy sits in overlay_base, as far as known
	// shadowsLoaded says shadows holds the whole table; shadowLookups counts the records
	// looked up one by one before that.
	shadowsLoaded bool
	shadowLookups int
	overlay       map[entityKey]bool // entities whose overlay must be recomputed before commit
	bulk          map[string]bool    // per table written: under a bulk load (bulk.go)
}

// SQL returns the underlying transaction, for packages that keep their own tables in the
// cache and want their writes to commit together with the cache's.
func (tx *Tx) SQL() *sql.Tx { return tx.tx }

// Now is the cache clock's time.
func (tx *Tx) Now() time.Time { return tx.db.clock.Now() }

// Apply runs fn in one write transaction and commits it if fn returns nil; otherwise, and
// on panic, nothing fn wrote is kept. The sync applies one server page per call.
// Commits are crash-safe for the application (WAL, synchronous=NORMAL); use ApplyDurable
// for writes that must also survive a power cut.
func (db *DB) Apply(ctx context.Context, fn func(*Tx) error) error {
	return db.writeTx(ctx, false, fn)
}

// ApplyDurable is Apply with the commit synced to disk (synchronous=FULL): what it writes
// survives a power cut, not only a crash. It costs one fsync per commit. The outbox uses it
// for the administrator's queued changes, which exist nowhere else yet.
func (db *DB) ApplyDurable(ctx context.Context, fn func(*Tx) error) error {
	return db.writeTx(ctx, true, fn)
}

func (db *DB) writeTx(ctx context.Context, durable bool, fn func(*Tx) error) (err error) {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open the local database for writing: %w", err)
	}
	defer conn.Close()
	if durable {
		// SQLite reads the setting when the transaction begins, not at commit, so it must be
		// switched here (measured: set inside the transaction, no fsync happens).
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
			return fmt.Errorf("prepare a durable write to the local database: %w", err)
		}
		defer func() {
			if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=NORMAL"); rerr != nil && err == nil {
				err = fmt.Errorf("reset the local database after a durable write: %w", rerr)
			}
		}()
	}
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin a write to the local database (is another Gatehouse writing to %s?): %w", db.path, err)
	}
	tx := &Tx{db: db, tx: sqlTx, ctx: ctx, stmts: map[string]*sql.Stmt{}}
	done := false
	defer func() {
		if !done {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.flushOverlays(); err != nil {
		return err
	}
	if err := tx.flushSearch(); err != nil {
		return err
	}
	done = true
	db.writes.Add(1)
	err = sqlTx.Commit()
	db.writes.Add(1)
	if err != nil {
		return fmt.Errorf("save to the local database %s: %w", db.path, err)
	}
	if tx.bulkLoading() {
		db.scheduleBuild()
	}
	return nil
}

// stmt returns a statement prepared once per transaction.
func (tx *Tx) stmt(query string) (*sql.Stmt, error) {
	if s, ok := tx.stmts[query]; ok {
		return s, nil
	}
	s, err := tx.tx.PrepareContext(tx.ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare a statement on the local database: %w", err)
	}
	tx.stmts[query] = s
	return s, nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	s, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(tx.ctx, args...)
}

// queryer is what reads need: the read pool or a write transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readTx runs fn in one read transaction on the read pool, so several queries (a page and
// its total) see the same snapshot.
func (db *DB) readTx(ctx context.Context, fn func(q queryer) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read the local database: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to keep
	return fn(tx)
}
