package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"gatehouse/backend/internal/checkpoint"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// tsFormat is fixed-width so that stored times compare correctly as text.
const tsFormat = "2006-01-02T15:04:05.000000000Z07:00"

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(tsFormat)
}

func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(tsFormat, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC()
}

// DB is the Store on SQLite (Open with a file path) or PostgreSQL (Open with a postgres://
// URL). The SQL text is one for both; what differs is in postgres.go.
type DB struct {
	path  string  // the SQLite file, or the PostgreSQL URL without its password
	write *sql.DB // SQLite: one connection, so writers queue here instead of failing with SQLITE_BUSY
	read  *sql.DB
	// SQLite's writers, committed together (groupcommit.go).
	turn    chan struct{}
	mu      sync.Mutex
	pending []*writeReq
	clock   portal.Clock
	// pg is set on PostgreSQL: statements are rebound to $n placeholders, DDL translated,
	// and write transactions take the feed counter's row lock first (see postgres.go).
	pg *postgres

	readStmts, writeStmts *stmtCache               // SQLite only: pgx keeps its own per connection
	ckpt                  *checkpoint.Checkpointer // SQLite only
}

var _ Store = (*DB)(nil)

// privateFile makes the database file (and its -wal and -shm files, when they are there)
// readable by this user only: it holds people's addresses, password hashes and the
// messages waiting to be sent. A new file is created so before SQLite opens it (SQLite
// gives the -wal and -shm files the mode of the database file); an older, wider one is
// narrowed.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restrict access to %s to this user: %w", p, err)
		}
	}
	return nil
}

// Open opens the portal's database and brings its schema up to date: a PostgreSQL
// database for a postgres:// (or postgresql://) URL, else the SQLite file at path, created
// if needed. SQLite runs in WAL mode with foreign keys on and a busy timeout, so the
// server, the migrate command and an import can share the file.
func Open(ctx context.Context, path string, clock portal.Clock) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: no database path given; set --db or GATEHOUSE_DB")
	}
	if clock == nil {
		clock = portal.SystemClock{}
	}
	if IsPostgres(path) {
		return openPostgres(ctx, path, clock)
	}
	if err := privateFile(path); err != nil {
		return nil, err
	}
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	// Savepoints (bulk commands keep each record's writes undoable alone) journal the
	// pages they change; in memory, rather than in a temporary file, they cost no I/O.
	// The writer copies the log into the file only as a backstop: the checkpointer does
	// it, beside the writer (internal/checkpoint).
	w, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=temp_store(2)&_pragma="+checkpoint.WriterPragma)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &DB{path: path, write: w, clock: clock, turn: make(chan struct{}, 1)}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.read = r
	if s.ckpt, err = checkpoint.Start(base, path); err == nil {
		err = s.ckpt.Watch(ctx, w)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open database %s for checkpoints: %w", path, err)
	}
	s.readStmts, s.writeStmts = newStmtCache(r), newStmtCache(w)
	return s, nil
}

// Path is the database file, or the PostgreSQL URL without its password.
func (s *DB) Path() string { return s.path }

// Close closes the database.
func (s *DB) Close() error {
	if s.readStmts != nil {
		s.readStmts.close()
		s.writeStmts.close()
	}
	err := errors.Join(s.ckpt.Close(), s.write.Close())
	if s.read != nil && s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name must start with a number and an underscore", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// SchemaVersion returns the newest migration applied to the database.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.write.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// Dialect is "sqlite" or "postgres".
func (s *DB) Dialect() string {
	if s.pg != nil {
		return "postgres"
	}
	return "sqlite"
}

func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, s.ddl(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)); err != nil {
		return fmt.Errorf("prepare migrations in %s: %w (is the file a Gatehouse database and writable?)", s.path, err)
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", s.path, err)
	}
	if n := ms[len(ms)-1].Version; have > n {
		return fmt.Errorf("database %s has schema version %d but this Gatehouse knows only up to %d: use a newer gatehouse-server", s.path, have, n)
	}
	for _, m := range ms {
		if m.Version <= have {
			continue
		}
		tx, err := s.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, s.ddl(m.SQL)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s failed on %s: %w; the database was left at version %d", m.Name, s.path, err, have)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`), m.Version, m.Name, ts(s.clock.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		have = m.Version
	}
	// The feed ID tells followers when the database they follow was replaced.
	_, err = s.write.ExecContext(ctx, s.rebind(`INSERT INTO meta (key, value) VALUES ('feed_id', ?) ON CONFLICT (key) DO NOTHING`), randomHex(12))
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// View implements Store.
func (s *DB) View(ctx context.Context, fn func(Reader) error) error {
	if s.pg != nil {
		return pgView(ctx, s, fn, true)
	}
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read database: %w", err)
	}
	var misses []string
	err = fn(&reader{q: s.newCachedTx(tx, s.readStmts, &misses, false)})
	tx.Rollback()
	if len(misses) > 0 {
		s.readStmts.prepare(ctx, misses)
	}
	return err
}

// Read implements Store. SQLite reads in this process: its snapshot costs nothing, so
// Read is View there.
func (s *DB) Read(ctx context.Context, fn func(Reader) error) error {
	if s.pg != nil {
		return pgView(ctx, s, fn, false)
	}
	return s.View(ctx, fn)
}

// Update implements Store. Writers that arrive while another writes are committed
// together (group commit, groupcommit.go), on either database.
func (s *DB) Update(ctx context.Context, fn func(Tx) error) error {
	return s.groupUpdate(ctx, fn)
}

// querier runs the store's statements: a transaction of database/sql (cachedTx) or, for
// PostgreSQL's writers, of pgx (pgWrite).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (result, error)
	QueryContext(ctx context.Context, query string, args ...any) (rowsIter, error)
	QueryRowContext(ctx context.Context, query string, args ...any) rowScanner
}

// result, rowsIter and rowScanner are what the store uses of database/sql's Result, Rows
// and Row.
type result interface {
	RowsAffected() (int64, error)
}

type rowsIter interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

type rowScanner interface {
	Scan(dest ...any) error
}

type reader struct {
	q    querier
	memo *docMemo // a write transaction's (memo.go); nil in a read
}

// stmtCache keeps prepared statements, so that the SQL of hot paths is parsed once per
// connection rather than once per call. A transaction only uses statements that are
// already prepared: preparing needs a free connection, and the writer's only connection
// is the transaction's own. Misses are prepared after the transaction ends.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// maxCachedStmts bounds the cache; queries built from filters vary, and past this many
// the rest run unprepared.
const maxCachedStmts = 512

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// prepare prepares the queries a transaction missed. Errors only mean the query stays
// unprepared.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		c.mu.Lock()
		_, have := c.m[q]
		full := len(c.m) >= maxCachedStmts
		c.mu.Unlock()
		if have || full {
			continue
		}
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, have := c.m[q]; have || c.m == nil {
			st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// cachedTx runs a transaction's statements through the cache.
type cachedTx struct {
	tx     *sql.Tx
	cache  *stmtCache
	misses *[]string
	// bound holds the cached statements already bound to tx, so that a statement run
	// many times in one transaction (a bulk command) is bound once.
	bound map[string]*sql.Stmt
	// detach runs each statement under a context that cannot be cancelled, after
	// checking the caller's. The writer's statements are short point reads and writes;
	// a cancellable context makes the driver start a watcher goroutine per statement,
	// which costs more than the statement. A cancelled caller still stops at the next
	// statement, and its transaction is rolled back.
	detach bool
	// rebind turns the store's SQL into the database's (placeholders on PostgreSQL).
	rebind func(string) string
}

func (s *DB) newCachedTx(tx *sql.Tx, cache *stmtCache, misses *[]string, detach bool) *cachedTx {
	return &cachedTx{tx: tx, cache: cache, misses: misses, bound: map[string]*sql.Stmt{}, detach: detach, rebind: s.rebind}
}

func (c *cachedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if c.cache == nil {
		return nil
	}
	if st, ok := c.bound[query]; ok {
		return st
	}
	if st := c.cache.lookup(query); st != nil {
		st = c.tx.StmtContext(ctx, st)
		c.bound[query] = st
		return st
	}
	*c.misses = append(*c.misses, query)
	return nil
}

// ctx is the context a statement runs under (see detach).
func (c *cachedTx) ctx(ctx context.Context) (context.Context, error) {
	if !c.detach {
		return ctx, nil
	}
	return detach(ctx)
}

func (c *cachedTx) ExecContext(ctx context.Context, query string, args ...any) (result, error) {
	query = c.rebind(query)
	ctx, err := c.ctx(ctx)
	if err != nil {
		return nil, err
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.tx.ExecContext(ctx, query, args...)
}

func (c *cachedTx) QueryContext(ctx context.Context, query string, args ...any) (rowsIter, error) {
	query = c.rebind(query)
	ctx, err := c.ctx(ctx)
	if err != nil {
		return nil, err
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.tx.QueryContext(ctx, query, args...)
}

func (c *cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) rowScanner {
	query = c.rebind(query)
	if c.detach && ctx.Err() == nil {
		ctx = context.WithoutCancel(ctx)
	}
	// A cancelled ctx makes the driver fail the query, and Scan reports it.
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.tx.QueryRowContext(ctx, query, args...)
}

type writer struct {
	reader
	tx   querier
	now  time.Time
	feed feedNumbers
	// savepoints counts the savepoints open around the running function: inside one, a
	// new record's insert is held back on PostgreSQL (insert).
	savepoints int
}

// feedNumbers hands out a transaction's change-feed numbers. The first is taken from the
// feed_counter row (which locks it until commit, see the package comment); the rest
// follow it in memory, and the row is brought up to the last one before the transaction
// commits or reads it, instead of being updated once per change.
type feedNumbers struct {
	taken  bool
	last   int64 // the last number handed out
	stored int64 // the number feed_counter holds inside this transaction
}

// nextSeq takes the next change-feed number.
func (w *writer) nextSeq(ctx context.Context) (int64, error) {
	if w.feed.taken {
		w.feed.last++
		return w.feed.last, nil
	}
	var seq int64
	if err := w.tx.QueryRowContext(ctx, `UPDATE feed_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("take change number: %w", err)
	}
	w.feed = feedNumbers{taken: true, last: seq, stored: seq}
	return seq, nil
}

// storeSeq writes the last number handed out to feed_counter.
func (w *writer) storeSeq(ctx context.Context) error {
	if w.feed.last == w.feed.stored {
		return nil
	}
	if err := w.execLater(ctx, heldLabel{what: "store change number"}, `UPDATE feed_counter SET seq = ? WHERE id = 1`, w.feed.last); err != nil {
		return err
	}
	w.feed.stored = w.feed.last
	return nil
}

// Changes reads the feed as this transaction has written it so far.
func (w *writer) Changes(ctx context.Context, after int64, n int) ([]api.Change, int64, error) {
	if err := w.storeSeq(ctx); err != nil {
		return nil, 0, err
	}
	return w.reader.Changes(ctx, after, n)
}

func notFound(what, id string) error { return portal.NotFound(what, id) }

// getDoc reads one JSON document into v.
func (r *reader) getDoc(ctx context.Context, what, query string, v any, args ...any) error {
	docs, err := r.docs(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if len(docs) == 0 {
		id := ""
		if len(args) > 0 {
			id = fmt.Sprint(args[0])
		}
		return notFound(what, id)
	}
	if err := json.Unmarshal([]byte(docs[0]), v); err != nil {
		return fmt.Errorf("decode stored %s: %w", what, err)
	}
	return nil
}

func listDocs[T any](ctx context.Context, q querier, what, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("list %s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("decode stored %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}

// decodeDocs decodes the JSON documents of what.
func decodeDocs[T any](what string, docs []string) ([]T, error) {
	out := make([]T, len(docs))
	for i, doc := range docs {
		if err := json.Unmarshal([]byte(doc), &out[i]); err != nil {
			return nil, fmt.Errorf("decode stored %s: %w", what, err)
		}
	}
	return out, nil
}

// placeholders is n comma-separated ?.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// where builds a WHERE clause from conditions.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) in(col string, vals []string) {
	if len(vals) == 0 {
		w.conds = append(w.conds, "1 = 0")
		return
	}
	w.conds = append(w.conds, col+" IN ("+placeholders(len(vals))+")")
	for _, v := range vals {
		w.args = append(w.args, v)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func limit(n int) string {
	if n <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(n)
}

// likePattern makes a case-insensitive substring pattern with LIKE's wildcards escaped.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// ---- feed ----

func (r *reader) FeedID(ctx context.Context) (string, error) {
	var id string
	err := r.q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'feed_id'`).Scan(&id)
	return id, err
}

func (r *reader) Changes(ctx context.Context, after int64, n int) ([]api.Change, int64, error) {
	var head int64
	if err := r.q.QueryRowContext(ctx, `SELECT seq FROM feed_counter WHERE id = 1`).Scan(&head); err != nil {
		return nil, 0, fmt.Errorf("read change feed: %w", err)
	}
	rows, err := r.q.QueryContext(ctx, `SELECT seq, entity, entity_id, op, organization_id, version, at, data FROM changes WHERE seq > ? ORDER BY seq`+limit(n), after)
	if err != nil {
		return nil, 0, fmt.Errorf("read change feed: %w", err)
	}
	defer rows.Close()
	out := make([]api.Change, 0, max(n, 0))
	for rows.Next() {
		var c api.Change
		var at string
		var data sql.NullString
		if err := rows.Scan(&c.Seq, &c.Entity, &c.ID, &c.Op, &c.OrganizationID, &c.Version, &at, &data); err != nil {
			return nil, 0, fmt.Errorf("read change feed: %w", err)
		}
		c.At = parseTS(at)
		if data.Valid {
			c.Data = json.RawMessage(data.String)
		}
		out = append(out, c)
	}
	return out, head, rows.Err()
}

func (r *reader) PreviousChange(ctx context.Context, entity, id string, before int64) (api.Change, bool, error) {
	c := api.Change{Entity: entity, ID: id}
	var at string
	err := r.q.QueryRowContext(ctx, `SELECT seq, op, organization_id, version, at FROM changes
		WHERE entity = ? AND entity_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1`, entity, id, before).
		Scan(&c.Seq, &c.Op, &c.OrganizationID, &c.Version, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return c, false, nil
	case err != nil:
		return c, false, fmt.Errorf("read the change feed's history of %s %s: %w", entity, id, err)
	}
	c.At = parseTS(at)
	return c, true, nil
}

// change appends one entry to the feed and returns its sequence number.
func (w *writer) change(ctx context.Context, entity, id, op, orgID string, version int64, data []byte) (int64, error) {
	w.memo.forget(entity)
	var keys []string
	if entity == api.EntityContact {
		keys = append(keys, memoKey(queryContact, id)) // it may have been read ahead as missing
	}
	w.memo.forgetRecord(entity, id, keys...)
	seq, err := w.nextSeq(ctx)
	if err != nil {
		return 0, err
	}
	var d any
	if data != nil {
		d = string(data)
	}
	if err := w.execLater(ctx, heldLabel{what: "record change of " + entity + " " + id}, `INSERT INTO changes (seq, entity, entity_id, op, organization_id, version, at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, entity, id, op, orgID, version, ts(w.now), d); err != nil {
		return 0, err
	}
	return seq, nil
}

// bump returns whether the caller's record is stored already (it has a version) and its
// next version. It reads nothing: a new record's INSERT (insert) finds an existing row, and
// a stored one's UPDATE (update) checks the version as it writes.
func (w *writer) bump(_ context.Context, _, _, _ string, have int64) (exists bool, next int64, err error) {
	if have == 0 {
		return false, 1, nil
	}
	return true, have + 1, nil
}

// update runs query, an UPDATE of one record ending in "WHERE id = ?", only if the stored
// version is still have; otherwise it reports the conflict: the record was deleted, or
// changed (with both versions).
func (w *writer) update(ctx context.Context, table, what, id string, have int64, query string, args ...any) error {
	res, err := w.tx.ExecContext(ctx, query+` AND version = ?`, append(args, have)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return nil
	}
	var cur int64
	err = w.tx.QueryRowContext(ctx, `SELECT version FROM `+table+` WHERE id = ?`, id).Scan(&cur)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return portal.Errorf(portal.ECONFLICT, "The %s %q was deleted by someone else. Refresh and try again.", what, id)
	case err != nil:
		return fmt.Errorf("read %s %s: %w", what, id, err)
	}
	return portal.Errorf(portal.ECONFLICT, "The %s %q was changed by someone else (version %d, yours is %d). Refresh and try again.", what, id, cur, have)
}

// insert stores a new record. A row with the same id is a conflict, reported as a
// *portal.Error; it saves bump a read per new record.
func (w *writer) insert(ctx context.Context, what, id, query string, args ...any) error {
	if p, ok := w.tx.(*pgWrite); ok && w.savepoints > 0 {
		// Inside a savepoint the insert is held back with the writes that follow it (one
		// round trip for all): a taken ID then fails it, and with it the statement it is
		// sent with, at the latest the savepoint's release, which reports this conflict
		// and undoes the savepoint's writes. Outside one it would be the commit's.
		if err := ctx.Err(); err != nil {
			return err
		}
		table := strings.Fields(query)[2] // INSERT INTO table (…
		p.later(heldLabel{what: "store " + what + " " + id, pkey: table + "_pkey",
			conflict: conflictingInsert(what, id)}, query, args...)
		return nil
	}
	res, err := w.tx.ExecContext(ctx, query+` ON CONFLICT (id) DO NOTHING`, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return conflictingInsert(what, id)
	}
	return nil
}

// conflictingInsert is the answer to a new record whose ID is taken.
func conflictingInsert(what, id string) error {
	return portal.Errorf(portal.ECONFLICT, "There is already a %s %q.", what, id)
}

func (w *writer) deleteRow(ctx context.Context, table, entity, what, id, orgID string) error {
	res, err := w.tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", what, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(what, id)
	}
	_, err = w.change(ctx, entity, id, api.OpDelete, orgID, 0, nil)
	return err
}

// ---- organisations ----

func (r *reader) Organization(ctx context.Context, id string) (portal.Organization, error) {
	var o portal.Organization
	err := r.getDoc(ctx, "organisation", queryOrganization, &o, id)
	return o, err
}

func (r *reader) Organizations(ctx context.Context, f OrgFilter) ([]portal.Organization, error) {
	var w where
	if f.IDs != nil {
		w.in("id", f.IDs)
	}
	if f.After != "" {
		w.add("id > ?", f.After)
	}
	return listDocs[portal.Organization](ctx, r.q, "organisations", `SELECT doc FROM organizations`+w.String()+` ORDER BY id`+limit(f.Limit), w.args...)
}

func (w *writer) PutOrganization(ctx context.Context, o *portal.Organization) error {
	exists, next, err := w.bump(ctx, "organizations", "organisation", o.ID, o.Version)
	if err != nil {
		return err
	}
	o.Version = next
	doc, _ := json.Marshal(o)
	if exists {
		err = w.update(ctx, "organizations", "organisation", o.ID, next-1, `UPDATE organizations SET name = ?, version = ?, doc = ? WHERE id = ?`, o.Name, o.Version, string(doc), o.ID)
	} else {
		err = w.insert(ctx, "organisation", o.ID, `INSERT INTO organizations (id, name, version, doc) VALUES (?, ?, ?, ?)`, o.ID, o.Name, o.Version, string(doc))
	}
	if err != nil {
		if !exists && portal.ErrorCode(err) == portal.ECONFLICT {
			o.Version = 0
			return err
		}
		return fmt.Errorf("store organisation %s: %w", o.ID, err)
	}
	_, err = w.change(ctx, api.EntityOrganization, o.ID, api.OpUpsert, o.ID, o.Version, doc)
	return err
}

func (w *writer) DeleteOrganization(ctx context.Context, id string) error {
	return w.deleteRow(ctx, "organizations", api.EntityOrganization, "organisation", id, id)
}

// ---- contacts ----

func (r *reader) Contact(ctx context.Context, id string) (portal.Contact, error) {
	var c portal.Contact
	err := r.getDoc(ctx, "contact", queryContact, &c, id)
	return c, err
}

func (r *reader) Contacts(ctx context.Context, f ContactFilter) ([]portal.Contact, error) {
	var w where
	if f.OrganizationIDs != nil {
		w.in("organization_id", f.OrganizationIDs)
	}
	if f.Email != "" {
		w.add("email_norm = ?", portal.NormalizeEmail(f.Email))
	}
	if f.Query != "" {
		p := likePattern(f.Query)
		w.add(`(LOWER(full_name) LIKE ? ESCAPE '\' OR email_norm LIKE ? ESCAPE '\')`, p, p)
	}
	if f.After != "" {
		w.add("id > ?", f.After)
	}
	return listDocs[portal.Contact](ctx, r.q, "contacts", `SELECT doc FROM contacts`+w.String()+` ORDER BY id`+limit(f.Limit), w.args...)
}

func (w *writer) PutContact(ctx context.Context, c *portal.Contact) error {
	exists, next, err := w.bump(ctx, "contacts", "contact", c.ID, c.Version)
	if err != nil {
		return err
	}
	c.Version = next
	doc, _ := json.Marshal(c)
	if exists {
		err = w.update(ctx, "contacts", "contact", c.ID, next-1, `UPDATE contacts SET organization_id = ?, email_norm = ?, full_name = ?, version = ?, doc = ? WHERE id = ?`,
			c.OrganizationID, portal.NormalizeEmail(c.Email), c.FullName, c.Version, string(doc), c.ID)
	} else {
		err = w.insert(ctx, "contact", c.ID, `INSERT INTO contacts (id, organization_id, email_norm, full_name, version, doc) VALUES (?, ?, ?, ?, ?, ?)`,
			c.ID, c.OrganizationID, portal.NormalizeEmail(c.Email), c.FullName, c.Version, string(doc))
	}
	if err != nil {
		if !exists && portal.ErrorCode(err) == portal.ECONFLICT {
			c.Version = 0
			return err
		}
		return fmt.Errorf("store contact %s: %w", c.ID, err)
	}
	_, err = w.change(ctx, api.EntityContact, c.ID, api.OpUpsert, c.OrganizationID, c.Version, doc)
	return err
}

func (w *writer) DeleteContact(ctx context.Context, id string) error {
	c, err := w.Contact(ctx, id)
	if err != nil {
		return err
	}
	return w.deleteRow(ctx, "contacts", api.EntityContact, "contact", id, c.OrganizationID)
}

// ---- accounts ----

func (r *reader) Account(ctx context.Context, id string) (portal.Account, error) {
	var a portal.Account
	err := r.getDoc(ctx, "account", `SELECT doc FROM accounts WHERE id = ?`, &a, id)
	return a, err
}

func (r *reader) Accounts(ctx context.Context, f AccountFilter) ([]portal.Account, error) {
	w := accountWhere(f)
	page := limit(f.Limit)
	if f.Offset > 0 {
		if f.Limit <= 0 {
			return nil, errors.New("store: an offset into the accounts needs a limit")
		}
		page += " OFFSET " + strconv.Itoa(f.Offset)
	}
	return listDocs[portal.Account](ctx, r.q, "accounts", `SELECT doc FROM accounts`+w.String()+` ORDER BY id`+page, w.args...)
}

func (r *reader) CountAccounts(ctx context.Context, f AccountFilter) (int, error) {
	f.After = ""
	w := accountWhere(f)
	var n int
	if err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`+w.String(), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}

func accountWhere(f AccountFilter) where {
	var w where
	if f.OrganizationIDs != nil {
		w.in("organization_id", f.OrganizationIDs)
	}
	if f.Status != "" {
		w.add("status = ?", string(f.Status))
	}
	if f.Kind != "" {
		w.add("kind = ?", string(f.Kind))
	}
	if f.Role != "" {
		w.add("EXISTS (SELECT 1 FROM account_roles ar WHERE ar.account_id = accounts.id AND ar.role_id = ?)", f.Role)
	}
	if f.Query != "" {
		p := likePattern(f.Query)
		w.add(`(LOWER(name) LIKE ? ESCAPE '\' OR email_norm LIKE ? ESCAPE '\')`, p, p)
	}
	if f.After != "" {
		w.add("id > ?", f.After)
	}
	return w
}

func (r *reader) AccountBySubject(ctx context.Context, source, subject string) (portal.Account, error) {
	var a portal.Account
	err := r.getDoc(ctx, "account for SSO identity", `SELECT doc FROM accounts WHERE subject = ? AND source = ? ORDER BY id LIMIT 1`, &a, subject, source)
	return a, err
}

func (r *reader) AccountsByEmail(ctx context.Context, email string) ([]portal.Account, error) {
	docs, err := r.docs(ctx, queryAccountsByEmail, portal.NormalizeEmail(email))
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return decodeDocs[portal.Account]("accounts", docs)
}

func (r *reader) AccountByContact(ctx context.Context, contactID string) (portal.Account, error) {
	var a portal.Account
	err := r.getDoc(ctx, "account for contact", queryAccountByContact, &a, contactID)
	return a, err
}

// holders selects the IDs of accounts holding a role with one of the permissions.
const holders = `SELECT ar.account_id FROM account_roles ar JOIN role_permissions p ON p.role_id = ar.role_id WHERE p.permission IN (%s)`

func permArgs(perms []portal.Permission) (string, []any) {
	args := make([]any, len(perms))
	for i, p := range perms {
		args[i] = string(p)
	}
	return placeholders(len(perms)), args
}

func (r *reader) CountActiveSystemAdmins(ctx context.Context) (int, error) {
	// Driven from the permission side: a handful of roles, their holders, then each
	// holder's status by primary key.
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT a.id) FROM role_permissions p
		JOIN account_roles ar ON ar.role_id = p.role_id
		JOIN accounts a ON a.id = ar.account_id
		WHERE p.permission = ? AND a.status = 'active'`, string(portal.PermSystemAdmin)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count system administrators: %w", err)
	}
	return n, nil
}

func (r *reader) AccountsWithPermission(ctx context.Context, perms ...portal.Permission) ([]portal.Account, error) {
	ph, args := permArgs(perms)
	return listDocs[portal.Account](ctx, r.q, "accounts", `SELECT doc FROM accounts WHERE status = 'active' AND id IN (`+fmt.Sprintf(holders, ph)+`) ORDER BY id`, args...)
}

func (w *writer) PutAccount(ctx context.Context, a *portal.Account) error {
	if a.AdditionalRoles == nil {
		a.AdditionalRoles = []string{}
	}
	exists, next, err := w.bump(ctx, "accounts", "account", a.ID, a.Version)
	if err != nil {
		return err
	}
	a.Version = next
	doc, _ := json.Marshal(a)
	args := []any{a.ContactID, a.OrganizationID, portal.NormalizeEmail(a.Email), a.Source, a.Subject, a.Name, string(a.Status), string(a.Kind), boolInt(a.OrgAdmin), a.CoreRole, a.Version, string(doc), a.ID}
	if exists {
		err = w.update(ctx, "accounts", "account", a.ID, next-1, `UPDATE accounts SET contact_id = ?, organization_id = ?, email_norm = ?, source = ?, subject = ?, name = ?, status = ?, kind = ?, org_admin = ?, core_role = ?, version = ?, doc = ? WHERE id = ?`, args...)
	} else {
		err = w.insert(ctx, "account", a.ID, `INSERT INTO accounts (contact_id, organization_id, email_norm, source, subject, name, status, kind, org_admin, core_role, version, doc, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	}
	if err != nil {
		if !exists && portal.ErrorCode(err) == portal.ECONFLICT {
			a.Version = 0
			return err
		}
		return fmt.Errorf("store account %s: %w", a.ID, err)
	}
	if exists {
		if err := w.execLater(ctx, heldLabel{what: "store roles of account " + a.ID}, `DELETE FROM account_roles WHERE account_id = ?`, a.ID); err != nil {
			return err
		}
	}
	for _, role := range a.RoleIDs() {
		if err := w.execLater(ctx, heldLabel{what: "store roles of account " + a.ID}, `INSERT INTO account_roles (account_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, a.ID, role); err != nil {
			return err
		}
	}
	if err := w.putAccountDirectory(ctx, a); err != nil {
		return err
	}
	// The reads that looked for an account by its contact or address now find this one.
	w.memo.forgetRecord(api.EntityAccount, a.ID, memoKey(queryAccountsByEmail, portal.NormalizeEmail(a.Email)), memoKey(queryAccountByContact, a.ContactID))
	_, err = w.change(ctx, api.EntityAccount, a.ID, api.OpUpsert, a.OrganizationID, a.Version, doc)
	return err
}

func (w *writer) DeleteAccount(ctx context.Context, id string) error {
	a, err := w.Account(ctx, id)
	if err != nil {
		return err
	}
	return w.deleteRow(ctx, "accounts", api.EntityAccount, "account", id, a.OrganizationID)
}

// ---- roles ----

func (r *reader) Role(ctx context.Context, id string) (portal.Role, error) {
	var role portal.Role
	err := r.getDoc(ctx, "role", `SELECT doc FROM roles WHERE id = ?`, &role, id)
	return role, err
}

func (r *reader) Roles(ctx context.Context) ([]portal.Role, error) {
	docs, err := r.docs(ctx, queryRoles)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	roles := make([]portal.Role, len(docs))
	for i, doc := range docs {
		if err := json.Unmarshal([]byte(doc), &roles[i]); err != nil {
			return nil, fmt.Errorf("decode stored roles: %w", err)
		}
	}
	return roles, nil
}

func (r *reader) RoleHolders(ctx context.Context, roleID string) (int, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM account_roles WHERE role_id = ?`, roleID).Scan(&n)
	return n, err
}

func (w *writer) PutRole(ctx context.Context, role *portal.Role) error {
	if role.Permissions == nil {
		role.Permissions = []portal.Permission{}
	}
	exists, next, err := w.bump(ctx, "roles", "role", role.ID, role.Version)
	if err != nil {
		return err
	}
	role.Version = next
	doc, _ := json.Marshal(role)
	if exists {
		err = w.update(ctx, "roles", "role", role.ID, next-1, `UPDATE roles SET scope = ?, organization_id = ?, version = ?, doc = ? WHERE id = ?`, string(role.Scope), role.OrganizationID, role.Version, string(doc), role.ID)
	} else {
		err = w.insert(ctx, "role", role.ID, `INSERT INTO roles (scope, organization_id, version, doc, id) VALUES (?, ?, ?, ?, ?)`, string(role.Scope), role.OrganizationID, role.Version, string(doc), role.ID)
	}
	if err != nil {
		if !exists && portal.ErrorCode(err) == portal.ECONFLICT {
			role.Version = 0
			return err
		}
		return fmt.Errorf("store role %s: %w", role.ID, err)
	}
	if _, err := w.tx.ExecContext(ctx, `DELETE FROM role_permissions WHERE role_id = ?`, role.ID); err != nil {
		return fmt.Errorf("store role %s: %w", role.ID, err)
	}
	for _, p := range role.Permissions {
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO role_permissions (role_id, permission) VALUES (?, ?) ON CONFLICT DO NOTHING`, role.ID, string(p)); err != nil {
			return fmt.Errorf("store role %s: %w", role.ID, err)
		}
	}
	_, err = w.change(ctx, api.EntityRole, role.ID, api.OpUpsert, role.OrganizationID, role.Version, doc)
	return err
}

func (w *writer) DeleteRole(ctx context.Context, id string) error {
	role, err := w.Role(ctx, id)
	if err != nil {
		return err
	}
	return w.deleteRow(ctx, "roles", api.EntityRole, "role", id, role.OrganizationID)
}

// ---- invitations ----

func (r *reader) Invitation(ctx context.Context, id string) (portal.Invitation, error) {
	var inv portal.Invitation
	err := r.getDoc(ctx, "invitation", `SELECT doc FROM invitations WHERE id = ?`, &inv, id)
	return inv, err
}

func (r *reader) InvitationByTokenHash(ctx context.Context, hash string) (portal.Invitation, error) {
	var inv portal.Invitation
	err := r.getDoc(ctx, "invitation", `SELECT doc FROM invitations WHERE token_hash = ?`, &inv, hash)
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		return inv, portal.Errorf(portal.ENOTFOUND, "This invitation link is not valid. Check that you copied the whole link, or ask your administrator for a new one.")
	}
	return inv, err
}

func (r *reader) Invitations(ctx context.Context, f InvitationFilter) ([]portal.Invitation, error) {
	var w where
	if f.OrganizationIDs != nil {
		w.in("organization_id", f.OrganizationIDs)
	}
	if f.AccountID != "" {
		w.add("account_id = ?", f.AccountID)
	}
	if f.Status != "" {
		w.add("status = ?", string(f.Status))
	}
	if !f.ExpiredBy.IsZero() {
		w.add("status = 'pending' AND expires_at <= ?", ts(f.ExpiredBy))
	}
	if f.After != "" {
		w.add("id > ?", f.After)
	}
	return listDocs[portal.Invitation](ctx, r.q, "invitations", `SELECT doc FROM invitations`+w.String()+` ORDER BY id`+limit(f.Limit), w.args...)
}

func (w *writer) PutInvitation(ctx context.Context, inv *portal.Invitation, tokenHash string) error {
	if inv.Roles == nil {
		inv.Roles = []string{}
	}
	exists, next, err := w.bump(ctx, "invitations", "invitation", inv.ID, inv.Version)
	if err != nil {
		return err
	}
	if !exists && tokenHash == "" {
		return fmt.Errorf("store invitation %s: a new invitation needs its token hash", inv.ID)
	}
	inv.Version = next
	doc, _ := json.Marshal(inv)
	if exists {
		err = w.update(ctx, "invitations", "invitation", inv.ID, next-1, `UPDATE invitations SET account_id = ?, organization_id = ?, status = ?, expires_at = ?, token_hash = CASE WHEN ? = '' THEN token_hash ELSE ? END, version = ?, doc = ? WHERE id = ?`,
			inv.AccountID, inv.OrganizationID, string(inv.Status), ts(inv.ExpiresAt), tokenHash, tokenHash, inv.Version, string(doc), inv.ID)
	} else {
		err = w.insert(ctx, "invitation", inv.ID, `INSERT INTO invitations (id, account_id, organization_id, status, expires_at, token_hash, version, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			inv.ID, inv.AccountID, inv.OrganizationID, string(inv.Status), ts(inv.ExpiresAt), tokenHash, inv.Version, string(doc))
	}
	if err != nil {
		if !exists && portal.ErrorCode(err) == portal.ECONFLICT {
			inv.Version = 0
			return err
		}
		return fmt.Errorf("store invitation %s: %w", inv.ID, err)
	}
	_, err = w.change(ctx, api.EntityInvitation, inv.ID, api.OpUpsert, inv.OrganizationID, inv.Version, doc)
	return err
}

func (w *writer) DeleteInvitation(ctx context.Context, id string) error {
	inv, err := w.Invitation(ctx, id)
	if err != nil {
		return err
	}
	return w.deleteRow(ctx, "invitations", api.EntityInvitation, "invitation", id, inv.OrganizationID)
}

// ---- templates and settings ----

func (r *reader) Template(ctx context.Context, key string) (api.Template, error) {
	var t api.Template
	err := r.getDoc(ctx, "message template", queryTemplate, &t, key)
	return t, err
}

func (r *reader) Templates(ctx context.Context) ([]api.Template, error) {
	return listDocs[api.Template](ctx, r.q, "message templates", `SELECT doc FROM templates ORDER BY key`)
}

func (w *writer) PutTemplate(ctx context.Context, t *api.Template) error {
	var cur int64
	err := w.tx.QueryRowContext(ctx, `SELECT version FROM templates WHERE key = ?`, t.Key).Scan(&cur)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read template %s: %w", t.Key, err)
	}
	if cur != t.Version {
		return portal.Errorf(portal.ECONFLICT, "The template %q was changed by someone else (version %d, yours is %d). Refresh and try again.", t.Key, cur, t.Version)
	}
	t.Version = cur + 1
	if t.Placeholders == nil {
		t.Placeholders = []string{}
	}
	doc, _ := json.Marshal(t)
	if exists {
		_, err = w.tx.ExecContext(ctx, `UPDATE templates SET version = ?, doc = ? WHERE key = ?`, t.Version, string(doc), t.Key)
	} else {
		_, err = w.tx.ExecContext(ctx, `INSERT INTO templates (key, version, doc) VALUES (?, ?, ?)`, t.Key, t.Version, string(doc))
	}
	if err != nil {
		return fmt.Errorf("store template %s: %w", t.Key, err)
	}
	_, err = w.change(ctx, api.EntityTemplate, t.Key, api.OpUpsert, "", t.Version, doc)
	return err
}

const settingsID = portal.SettingsID

func (r *reader) Settings(ctx context.Context) (api.Settings, error) {
	var s api.Settings
	err := r.getDoc(ctx, "settings", querySettings, &s, settingsID)
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		return api.DefaultSettings(), nil
	}
	// Settings stored before a field existed read it as its default.
	return s.WithDefaults(), err
}

func (w *writer) PutSettings(ctx context.Context, s *api.Settings) error {
	exists, next, err := w.bump(ctx, "settings", "settings", settingsID, s.Version)
	if err != nil {
		return err
	}
	s.Version = next
	if s.ApproverEmails == nil {
		s.ApproverEmails = []string{}
	}
	doc, _ := json.Marshal(s)
	if exists {
		err = w.update(ctx, "settings", "settings", settingsID, next-1, `UPDATE settings SET version = ?, doc = ? WHERE id = ?`, s.Version, string(doc), settingsID)
	} else {
		err = w.insert(ctx, "settings", settingsID, `INSERT INTO settings (id, version, doc) VALUES (?, ?, ?)`, settingsID, s.Version, string(doc))
	}
	if err != nil {
		if !exists && portal.ErrorCode(err) == portal.ECONFLICT {
			s.Version = 0
			return err
		}
		return fmt.Errorf("store settings: %w", err)
	}
	_, err = w.change(ctx, api.EntitySettings, settingsID, api.OpUpsert, "", s.Version, doc)
	return err
}

// ---- audit ----

func (w *writer) AddAudit(ctx context.Context, ev *portal.AuditEvent) error {
	// The event is published in the feed first so that its ID is its sequence number.
	seq, err := w.nextSeq(ctx)
	if err != nil {
		return err
	}
	ev.ID = seq
	doc, _ := json.Marshal(ev)
	if err := w.execLater(ctx, heldLabel{what: "write audit event"}, `INSERT INTO audit_events (id, at, actor_id, action, entity_type, entity_id, organization_id, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ts(ev.At), ev.ActorID, ev.Action, ev.EntityType, ev.EntityID, ev.OrganizationID, string(doc)); err != nil {
		return err
	}
	return w.execLater(ctx, heldLabel{what: "record audit event in the feed"}, `INSERT INTO changes (seq, entity, entity_id, op, organization_id, version, at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, api.EntityAudit, strconv.FormatInt(ev.ID, 10), api.OpUpsert, ev.OrganizationID, 1, ts(w.now), string(doc))
}

func (r *reader) AuditEvents(ctx context.Context, f AuditFilter) ([]portal.AuditEvent, error) {
	var w where
	if f.OrganizationIDs != nil {
		w.in("organization_id", f.OrganizationIDs)
	}
	if f.EntityTypes != nil {
		w.in("entity_type", f.EntityTypes)
	}
	if f.EntityID != "" {
		w.add("entity_id = ?", f.EntityID)
	}
	if f.ActorID != "" {
		w.add("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		w.add("at >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("at < ?", ts(f.Until))
	}
	if f.Before > 0 {
		w.add("id < ?", f.Before)
	}
	return listDocs[portal.AuditEvent](ctx, r.q, "audit events", `SELECT doc FROM audit_events`+w.String()+` ORDER BY id DESC`+limit(f.Limit), w.args...)
}

// ---- access requests, sessions, tokens, credentials ----

func (w *writer) AddAccessRequest(ctx context.Context, req portal.AccessRequest) error {
	doc, _ := json.Marshal(req)
	_, err := w.tx.ExecContext(ctx, `INSERT INTO access_requests (id, account_id, requested_at, doc) VALUES (?, ?, ?, ?)`, req.ID, req.AccountID, ts(req.RequestedAt), string(doc))
	if err != nil {
		return fmt.Errorf("record access request: %w", err)
	}
	return nil
}

func (r *reader) Session(ctx context.Context, hash string) (Session, error) {
	var s Session
	var created, expires, revoked string
	err := r.q.QueryRowContext(ctx, `SELECT token_hash, account_id, kind, created_at, expires_at, revoked_at FROM sessions WHERE token_hash = ?`, hash).
		Scan(&s.TokenHash, &s.AccountID, &s.Kind, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return s, portal.Errorf(portal.EUNAUTHORIZED, "The session is not known. Sign in again.")
	}
	if err != nil {
		return s, fmt.Errorf("read session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt, s.RevokedAt = parseTS(created), parseTS(expires), parseTS(revoked)
	return s, nil
}

func (w *writer) CreateSession(ctx context.Context, s Session) error {
	_, err := w.tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		s.TokenHash, s.AccountID, s.Kind, ts(s.CreatedAt), ts(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (w *writer) RevokeSession(ctx context.Context, hash string, at time.Time) error {
	_, err := w.tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at = ''`, ts(at), hash)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

func (r *reader) Idempotent(ctx context.Context, actorID, key string) (Idempotency, bool, error) {
	if rec, known := r.memo.idempotency(actorID, key); known {
		if rec == nil {
			return Idempotency{ActorID: actorID, Key: key}, false, nil
		}
		return *rec, true, nil
	}
	rec := Idempotency{ActorID: actorID, Key: key}
	var body, created string
	err := r.q.QueryRowContext(ctx, `SELECT request_hash, body, created_at FROM idempotency WHERE actor_id = ? AND key = ?`, actorID, key).Scan(&rec.RequestHash, &body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("read idempotency key: %w", err)
	}
	rec.Body, rec.CreatedAt = json.RawMessage(body), parseTS(created)
	return rec, true, nil
}

func (w *writer) SaveIdempotent(ctx context.Context, rec Idempotency) error {
	// The key was looked for in this transaction, which no other writer interleaves with:
	// it is new, and the insert is held back with the command's other writes.
	w.memo.forgetKey(idemKey(rec.ActorID, rec.Key))
	return w.execLater(ctx, heldLabel{what: "store idempotency key"}, `INSERT INTO idempotency (actor_id, key, request_hash, body, created_at) VALUES (?, ?, ?, ?, ?)`,
		rec.ActorID, rec.Key, rec.RequestHash, string(rec.Body), ts(rec.CreatedAt))
}

func (r *reader) ApprovalToken(ctx context.Context, hash string) (ApprovalToken, error) {
	var t ApprovalToken
	var created, expires, used string
	err := r.q.QueryRowContext(ctx, `SELECT token_hash, account_id, approver_id, approver_email, created_at, expires_at, used_at FROM approval_tokens WHERE token_hash = ?`, hash).
		Scan(&t.TokenHash, &t.AccountID, &t.ApproverID, &t.ApproverEmail, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return t, portal.Errorf(portal.ENOTFOUND, "This approval link is not valid: check that you opened the whole link from the e-mail.")
	}
	if err != nil {
		return t, fmt.Errorf("read approval link: %w", err)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = parseTS(created), parseTS(expires), parseTS(used)
	return t, nil
}

func (w *writer) PutApprovalToken(ctx context.Context, t ApprovalToken) error {
	_, err := w.tx.ExecContext(ctx, `INSERT INTO approval_tokens (token_hash, account_id, approver_id, approver_email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.TokenHash, t.AccountID, t.ApproverID, t.ApproverEmail, ts(t.CreatedAt), ts(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store approval link: %w", err)
	}
	return nil
}

func (w *writer) UseApprovalTokens(ctx context.Context, accountID string, at time.Time) error {
	return w.execLater(ctx, heldLabel{what: "retire approval links"}, `UPDATE approval_tokens SET used_at = ? WHERE account_id = ? AND used_at = ''`, ts(at), accountID)
}

func (r *reader) PasswordHash(ctx context.Context, accountID string) (string, error) {
	var h string
	err := r.q.QueryRowContext(ctx, `SELECT password_hash FROM credentials WHERE account_id = ?`, accountID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", portal.Errorf(portal.ENOTFOUND, "No password is set for this account.")
	}
	return h, err
}

func (w *writer) SetPasswordHash(ctx context.Context, accountID, hash string, at time.Time) error {
	_, err := w.tx.ExecContext(ctx, `INSERT INTO credentials (account_id, password_hash, updated_at) VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
		accountID, hash, ts(at))
	if err != nil {
		return fmt.Errorf("store password: %w", err)
	}
	return nil
}

func (r *reader) OIDCState(ctx context.Context, hash string) (OIDCState, error) {
	var s OIDCState
	var created, expires string
	err := r.q.QueryRowContext(ctx, `SELECT state_hash, nonce, verifier, invitation_hash, created_at, expires_at FROM oidc_states WHERE state_hash = ?`, hash).
		Scan(&s.StateHash, &s.Nonce, &s.Verifier, &s.InvitationHash, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, portal.Errorf(portal.EUNAUTHORIZED, "This sign-in was not started here or took too long. Start signing in again.")
	}
	if err != nil {
		return s, fmt.Errorf("read sign-in state: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = parseTS(created), parseTS(expires)
	return s, nil
}

func (w *writer) PutOIDCState(ctx context.Context, s OIDCState) error {
	// Sign-ins abandoned in flight go as soon as they expire, not with the weekly prune:
	// anyone can start one, so the table must not grow with them.
	if _, err := w.tx.ExecContext(ctx, `DELETE FROM oidc_states WHERE expires_at < ?`, ts(s.CreatedAt)); err != nil {
		return fmt.Errorf("forget expired sign-in states: %w", err)
	}
	_, err := w.tx.ExecContext(ctx, `INSERT INTO oidc_states (state_hash, nonce, verifier, invitation_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		s.StateHash, s.Nonce, s.Verifier, s.InvitationHash, ts(s.CreatedAt), ts(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store sign-in state: %w", err)
	}
	return nil
}

func (w *writer) DeleteOIDCState(ctx context.Context, hash string) error {
	_, err := w.tx.ExecContext(ctx, `DELETE FROM oidc_states WHERE state_hash = ?`, hash)
	return err
}

// ---- mail outbox ----

const mailCols = `id, created_at, template, to_addr, to_name, subject, body, message_id, status, attempts, next_attempt_at, last_error, sent_at, html, sealed`

func (r *reader) scanMail(ctx context.Context, query string, args ...any) ([]Mail, error) {
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read mail outbox: %w", err)
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		var m Mail
		var created, next, sent string
		if err := rows.Scan(&m.ID, &created, &m.Template, &m.ToAddr, &m.ToName, &m.Subject, &m.Body, &m.MessageID, &m.Status, &m.Attempts, &next, &m.LastError, &sent, &m.HTML, &m.Sealed); err != nil {
			return nil, fmt.Errorf("read mail outbox: %w", err)
		}
		m.CreatedAt, m.NextAttemptAt, m.SentAt = parseTS(created), parseTS(next), parseTS(sent)
		out = append(out, m)
	}
	return out, rows.Err()
}

func (r *reader) DueMail(ctx context.Context, now time.Time, n int) ([]Mail, error) {
	return r.scanMail(ctx, `SELECT `+mailCols+` FROM mail_outbox WHERE status = ? AND next_attempt_at <= ? ORDER BY created_at, id`+limit(n), MailQueued, ts(now))
}

func (r *reader) Mail(ctx context.Context, f MailFilter) ([]Mail, error) {
	var w where
	if f.ID != "" {
		w.add("id = ?", f.ID)
	}
	if f.ToAddr != "" {
		w.add("to_addr = ?", f.ToAddr)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	return r.scanMail(ctx, `SELECT `+mailCols+` FROM mail_outbox`+w.String()+` ORDER BY created_at, id`+limit(f.Limit), w.args...)
}

func (w *writer) QueueMail(ctx context.Context, m Mail) error {
	return w.execLater(ctx, heldLabel{what: "queue e-mail to " + m.ToAddr}, `INSERT INTO mail_outbox (`+mailCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, ts(m.CreatedAt), m.Template, m.ToAddr, m.ToName, m.Subject, m.Body, m.MessageID, m.Status, m.Attempts, ts(m.NextAttemptAt), m.LastError, ts(m.SentAt), m.HTML, m.Sealed)
}

func (w *writer) UpdateMail(ctx context.Context, m Mail) error {
	// A finished message keeps no sealed links.
	if m.Status != MailQueued {
		m.Sealed = ""
	}
	_, err := w.tx.ExecContext(ctx, `UPDATE mail_outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ?, sealed = ? WHERE id = ?`,
		m.Status, m.Attempts, ts(m.NextAttemptAt), m.LastError, ts(m.SentAt), m.Sealed, m.ID)
	if err != nil {
		return fmt.Errorf("update e-mail %s: %w", m.ID, err)
	}
	return nil
}

func (r *reader) Throttle(ctx context.Context, key string) (Throttle, error) {
	th := Throttle{Key: key}
	var until, updated string
	err := r.q.QueryRowContext(ctx, `SELECT failures, blocked_until, updated_at FROM throttle WHERE key = ?`, key).Scan(&th.Failures, &until, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return th, nil
	}
	if err != nil {
		return th, fmt.Errorf("read throttle: %w", err)
	}
	th.BlockedUntil, th.UpdatedAt = parseTS(until), parseTS(updated)
	return th, nil
}

func (w *writer) PutThrottle(ctx context.Context, th Throttle) error {
	_, err := w.tx.ExecContext(ctx, `INSERT INTO throttle (key, failures, blocked_until, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until, updated_at = excluded.updated_at`,
		th.Key, th.Failures, ts(th.BlockedUntil), ts(th.UpdatedAt))
	if err != nil {
		return fmt.Errorf("write throttle: %w", err)
	}
	return nil
}

func (w *writer) DeleteThrottle(ctx context.Context, key string) error {
	if _, err := w.tx.ExecContext(ctx, `DELETE FROM throttle WHERE key = ?`, key); err != nil {
		return fmt.Errorf("clear throttle: %w", err)
	}
	return nil
}

func (w *writer) UseIDToken(ctx context.Context, keyHash string, expires, now time.Time) (time.Time, bool, error) {
	if _, err := w.tx.ExecContext(ctx, `DELETE FROM used_id_tokens WHERE expires_at < ?`, ts(now)); err != nil {
		return time.Time{}, false, fmt.Errorf("forget expired ID tokens: %w", err)
	}
	res, err := w.tx.ExecContext(ctx, `INSERT INTO used_id_tokens (key_hash, used_at, expires_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING`,
		keyHash, ts(now), ts(expires))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("remember the ID token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return time.Time{}, false, fmt.Errorf("remember the ID token: %w", err)
	} else if n == 1 {
		return now, true, nil
	}
	var used string
	if err := w.tx.QueryRowContext(ctx, `SELECT used_at FROM used_id_tokens WHERE key_hash = ?`, keyHash).Scan(&used); err != nil {
		return time.Time{}, false, fmt.Errorf("read the ID token's first use: %w", err)
	}
	return parseTS(used), false, nil
}

func (w *writer) PruneBefore(ctx context.Context, t time.Time) error {
	for _, q := range []string{
		`DELETE FROM sessions WHERE expires_at < ?`,
		`DELETE FROM oidc_states WHERE expires_at < ?`,
		`DELETE FROM throttle WHERE updated_at < ?`,
		`DELETE FROM approval_tokens WHERE expires_at < ?`,
		`DELETE FROM idempotency WHERE created_at < ?`, // read-ahead keys are forgotten below
		// What finished messages said is not kept past the retention period.
		`UPDATE mail_outbox SET body = '', html = '', sealed = '' WHERE status <> 'queued' AND created_at < ? AND (body <> '' OR html <> '' OR sealed <> '')`,
	} {
		if _, err := w.tx.ExecContext(ctx, q, ts(t)); err != nil {
			return fmt.Errorf("prune old records: %w", err)
		}
	}
	w.memo.forget("")
	return nil
}

// Ready says whether the database answers and its schema is the newest this build knows
// (a server process of an older build beside a migrated database is not ready).
func (s *DB) Ready(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("the database %s does not answer: %w", s.path, err)
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	if want := ms[len(ms)-1].Version; v != want {
		return fmt.Errorf("the database %s is at schema version %d, this server needs %d: run gatehouse-server migrate", s.path, v, want)
	}
	return nil
}
