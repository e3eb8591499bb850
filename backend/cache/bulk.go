package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Bulk loading. An initial sync writes tens of thousands of rows into an empty table. Kept
// up row by row, that table's eight indexes, role table and search index would cost several
// times the insert itself (measured: about four times a bare insert). So when a transaction
// starts writing to an empty accounts or contacts table, it drops the table's secondary
// indexes and triggers and notes in bulk_pending what must be rebuilt. Later transactions
// keep loading at the speed of a bare insert. Once the writer has been idle for a moment
// (WithBulkIdle), or when FinishBulkLoad is called, one transaction rebuilds the role table
// and the search index in a single pass each and creates the indexes again: sorted builds
// instead of random inserts.
//
// Meanwhile every query still answers correctly: reads that would use the role table or
// the search index check the rows themselves instead (slower, on a table that was empty a
// moment ago). A crash loses nothing: bulk_pending is committed with the rows, and Open
// schedules the rebuild again.

type bulkTable struct {
	related []string // tables whose indexes and triggers are dropped too
	rebuild []string // statements that rebuild what the dropped triggers maintain
}

var bulkTables = map[string]bulkTable{
	"accounts": {
		related: []string{"account_roles"},
		rebuild: []string{
			`DELETE FROM account_roles`,
			`INSERT OR IGNORE INTO account_roles(account_rid, role_id, core)
				SELECT rid, core_role, 1 FROM accounts WHERE core_role <> ''`,
			`INSERT OR IGNORE INTO account_roles(account_rid, role_id, core)
				SELECT a.rid, j.value, 0 FROM accounts a, json_each(a.additional_roles) j
				WHERE a.additional_roles <> '[]' AND j.value <> ''`,
			`DELETE FROM search_queue WHERE tbl = 'accounts'`,
			`INSERT INTO accounts_fts(accounts_fts) VALUES ('delete-all')`,
			`INSERT INTO accounts_fts(rowid, name, email, organization) SELECT rid, ` + ftsText("accounts") + ` FROM accounts`,
		},
	},
	"contacts": {
		rebuild: []string{
			`DELETE FROM search_queue WHERE tbl = 'contacts'`,
			`INSERT INTO contacts_fts(contacts_fts) VALUES ('delete-all')`,
			`INSERT INTO contacts_fts(rowid, name, email, organization) SELECT rid, ` + ftsText("contacts") + ` FROM contacts`,
		},
	},
}

// bulkPending reports whether table is being bulk loaded (its indexes are not built).
func bulkPending(ctx context.Context, q queryer, table string) (bool, error) {
	var pending bool
	if err := q.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM bulk_pending WHERE tbl = ?)", table).Scan(&pending); err != nil {
		return false, fmt.Errorf("read the state of the %s index: %w", table, err)
	}
	return pending, nil
}

// maybeBulk is called before a row of table is written. It starts a bulk load if the table
// is empty, and says whether one is under way, once per table and transaction.
func (tx *Tx) maybeBulk(table string) error {
	if _, ok := tx.bulk[table]; ok {
		return nil
	}
	if tx.bulk == nil {
		tx.bulk = map[string]bool{}
	}
	pending, err := bulkPending(tx.ctx, tx.tx, table)
	if err != nil {
		return err
	}
	if pending {
		tx.bulk[table] = true
		return nil
	}
	var empty bool
	if err := tx.tx.QueryRowContext(tx.ctx, "SELECT NOT EXISTS (SELECT 1 FROM "+table+")").Scan(&empty); err != nil {
		return fmt.Errorf("prepare to load %s: %w", table, err)
	}
	tx.bulk[table] = empty
	if !empty {
		return nil
	}
	spec := bulkTables[table]
	tables := append([]string{table}, spec.related...)
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT type, name, sql FROM sqlite_schema
		WHERE type IN ('index', 'trigger') AND sql IS NOT NULL AND tbl_name IN ('`+strings.Join(tables, "', '")+`')
		ORDER BY type, name`)
	if err != nil {
		return fmt.Errorf("prepare to load %s: %w", table, err)
	}
	var drops []string
	redo := append([]string{}, spec.rebuild...)
	for rows.Next() {
		var typ, name, ddl string
		if err := rows.Scan(&typ, &name, &ddl); err != nil {
			rows.Close()
			return fmt.Errorf("prepare to load %s: %w", table, err)
		}
		drops = append(drops, fmt.Sprintf("DROP %s %q", strings.ToUpper(typ), name))
		redo = append(redo, ddl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("prepare to load %s: %w", table, err)
	}
	for _, d := range drops {
		if _, err := tx.tx.ExecContext(tx.ctx, d); err != nil {
			return fmt.Errorf("prepare to load %s: %w", table, err)
		}
	}
	for i, stmt := range redo {
		if _, err := tx.tx.ExecContext(tx.ctx, "INSERT INTO bulk_pending(tbl, seq, sql) VALUES (?, ?, ?)", table, i, stmt); err != nil {
			return fmt.Errorf("prepare to load %s: %w", table, err)
		}
	}
	return nil
}

// bulkLoading reports whether this transaction wrote to a table under a bulk load.
func (tx *Tx) bulkLoading() bool {
	for _, on := range tx.bulk {
		if on {
			return true
		}
	}
	return false
}

// builder runs the deferred index builds in the background once the writer is idle.
type builder struct {
	idle   time.Duration // 0: never on its own
	mu     sync.Mutex
	timer  *time.Timer
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	err    error // of the last background build
	// waiting are told when the next background build has run (BuildIndexesSoon).
	waiting []func(error)
}

func newBuilder(idle time.Duration) *builder {
	ctx, cancel := context.WithCancel(context.Background())
	return &builder{idle: idle, ctx: ctx, cancel: cancel}
}

// scheduleBuild (re)starts the idle timer: every bulk write pushes the build back.
func (db *DB) scheduleBuild() {
	if db.builder.idle <= 0 {
		return
	}
	db.scheduleBuildAfter(db.builder.idle, nil)
}

// BuildIndexesSoon starts what a bulk load deferred (see FinishBulkLoad) in the background
// now instead of after the idle wait. The sync calls it once an initial download has caught
// up: the rows are on screen at once and the indexes follow a moment later, while queries
// stay correct in between. done, if not nil, is called with the build's outcome once it has
// run (not when the database is closed first: bulk_pending keeps the work for the next Open).
func (db *DB) BuildIndexesSoon(done func(error)) { db.scheduleBuildAfter(0, done) }

func (db *DB) scheduleBuildAfter(d time.Duration, done func(error)) {
	b := db.builder
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx.Err() != nil {
		return
	}
	if done != nil {
		// Kept apart from the timer: a later bulk write may push the build back, and the
		// run that finally happens tells everyone who waited.
		b.waiting = append(b.waiting, done)
	}
	// The wait group counts scheduled runs, so that stop can wait for one that has begun.
	if b.timer != nil && b.timer.Stop() {
		b.wg.Done()
	}
	b.wg.Add(1)
	b.timer = time.AfterFunc(d, func() {
		defer b.wg.Done()
		if b.ctx.Err() != nil {
			return
		}
		err := db.FinishBulkLoad(b.ctx)
		b.mu.Lock()
		b.err = err
		waiting := b.waiting
		b.waiting = nil
		closing := b.ctx.Err() != nil
		b.mu.Unlock()
		if closing {
			return
		}
		for _, fn := range waiting {
			fn(err)
		}
	})
}

// stop cancels a scheduled or running build and waits for it; bulk_pending keeps what is
// left for the next Open.
func (b *builder) stop() {
	b.mu.Lock()
	if b.timer != nil && b.timer.Stop() {
		b.wg.Done()
	}
	b.cancel()
	b.mu.Unlock()
	b.wg.Wait()
}

// FinishBulkLoad builds now what a bulk load deferred (see bulk.go): the role table, the
// search index and the indexes, in one transaction. It does nothing if no load is pending.
// The sync may call it after an initial sync; otherwise it runs on its own once the writer
// has been idle for a moment.
func (db *DB) FinishBulkLoad(ctx context.Context) error {
	// First the loaded tables' own indexes, each committed on its own as soon as it is
	// built, the one of the screens' default order (by name) first: until a transaction
	// commits, readers do not see its indexes, and a first Users page asked for while the
	// one transaction below ran sorted the whole table (100,000 accounts: 430-496 ms 300 ms
	// into the build; 53-77 ms with the name index committed first). A plain index changes
	// no answer, only its speed, so it may be seen before the rest; each leaves
	// bulk_pending in the same commit, and a crash in between loses nothing.
	for {
		more := false
		if err := db.Apply(ctx, func(tx *Tx) error {
			var err error
			more, err = runBulkIndex(ctx, tx.tx)
			return err
		}); err != nil {
			return err
		}
		if !more {
			break
		}
	}
	built := false
	if err := db.Apply(ctx, func(tx *Tx) error {
		n, err := runBulkPending(ctx, tx.tx)
		built = n > 0
		return err
	}); err != nil || !built {
		return err
	}
	// The load wrote tens of megabytes to the log (62 MB for 100,000 accounts). Until
	// they are copied into the file, every reader reads those pages from the log, each
	// with a system call into its own cache: the first Users page after an initial sync of
	// 100,000 accounts took 240–350 ms on each fresh connection when the last copy had
	// stopped short, and 11–58 ms once it was complete. So they are copied now, before
	// the build counts as done, on the checkpointer's connection: it waits for no reader
	// and holds up no writer. If a reader holds part of it back, the checkpointer goes on
	// in the background (internal/checkpoint).
	if err := db.ckpt.Now(ctx); err != nil {
		db.ckpt.Written() // not fatal: the background tries again
	}
	return nil
}

// runBulkIndex builds one plain (not unique) index that a bulk load deferred on the table
// it loaded, the index on the name first, and reports whether it built one. The indexes of
// related tables wait for the statements that refill them, so that they are built sorted.
func runBulkIndex(ctx context.Context, tx *sql.Tx) (bool, error) {
	var tbl, stmt string
	var seq int
	err := tx.QueryRowContext(ctx, `SELECT tbl, seq, sql FROM bulk_pending
		WHERE sql LIKE 'CREATE INDEX % ON ' || tbl || '(%'
		ORDER BY sql NOT LIKE 'CREATE INDEX ' || tbl || '_name ON %', tbl, seq LIMIT 1`).Scan(&tbl, &seq, &stmt)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("build the indexes of the local database: %w", err)
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return false, fmt.Errorf("build the indexes of the local database: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM bulk_pending WHERE tbl = ? AND seq = ?", tbl, seq); err != nil {
		return false, fmt.Errorf("build the indexes of the local database: %w", err)
	}
	return true, nil
}

// runBulkPending runs the statements a bulk load deferred and returns how many it ran.
func runBulkPending(ctx context.Context, tx *sql.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, "SELECT sql FROM bulk_pending ORDER BY tbl, seq")
	if err != nil {
		return 0, fmt.Errorf("build the indexes of the local database: %w", err)
	}
	var stmts []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return 0, fmt.Errorf("build the indexes of the local database: %w", err)
		}
		stmts = append(stmts, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("build the indexes of the local database: %w", err)
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return 0, fmt.Errorf("build the indexes of the local database: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM bulk_pending"); err != nil {
		return 0, fmt.Errorf("build the indexes of the local database: %w", err)
	}
	return len(stmts), nil
}

// finishBulkBeforeMigrating completes an unfinished bulk load before schema changes run:
// they are written against the full schema, indexes included.
func finishBulkBeforeMigrating(ctx context.Context, db *sql.DB) error {
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'bulk_pending')").Scan(&exists); err != nil || !exists {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("build the indexes of the local database: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := runBulkPending(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// BulkLoadPending reports whether indexes are still to be built after a bulk load, and the
// error of the last attempt to build them in the background, if it failed.
func (db *DB) BulkLoadPending(ctx context.Context) (bool, error) {
	var pending bool
	if err := db.r.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM bulk_pending)").Scan(&pending); err != nil {
		return false, fmt.Errorf("read the state of the local database's indexes: %w", err)
	}
	db.builder.mu.Lock()
	err := db.builder.err
	db.builder.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return pending, err
}

// scheduleIfPending schedules the build at Open when a bulk load was left unfinished.
func (db *DB) scheduleIfPending(ctx context.Context) error {
	var exists, pending bool
	// Tests run other migrations, without the table.
	err := db.w.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'bulk_pending')").Scan(&exists)
	if err == nil && exists {
		err = db.w.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM bulk_pending)").Scan(&pending)
	}
	if err != nil {
		return fmt.Errorf("read the state of the local database's indexes: %w", err)
	}
	if pending {
		db.scheduleBuild()
	}
	return nil
}
