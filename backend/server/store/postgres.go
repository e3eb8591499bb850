package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"gatehouse/backend/portal"
)

// What PostgreSQL needs different from SQLite, in one place. The queries are the same
// text: they are written with ? placeholders and rebound to $1, $2, … here; the
// migrations are the same files, with their column types translated by ddl.
//
// Write transactions run one at a time, as they do on SQLite's single writer: each takes
// the row lock on feed_counter before anything else (serialise), across every server
// process using the database. Within one process the writers waiting meanwhile are
// committed together (groupcommit.go), and their writes whose result nobody reads are
// sent together with the next statement (pgwrite.go). Every read a writer makes therefore stays true until it
// commits (the last-administrator guard relies on it), and change-feed numbers are handed
// out in commit order (see the package comment). Reads run in REPEATABLE READ snapshots
// and never wait for writers.

// IsPostgres says whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// PoolSize is the most connections one server process opens to PostgreSQL: writers queue
// on the feed counter's lock anyway, so a few are enough for the readers beside them.
const PoolSize = 8

type postgres struct {
	mu    sync.Mutex
	bound map[string]string
}

func openPostgres(ctx context.Context, dsn string, clock portal.Clock) (*DB, error) {
	shown := redact(dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", shown, err)
	}
	db.SetMaxOpenConns(PoolSize)
	db.SetMaxIdleConns(PoolSize)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database %s: %w (is PostgreSQL running there, and are the user, password and database name right?)", shown, err)
	}
	s := &DB{path: shown, write: db, read: db, clock: clock, turn: make(chan struct{}, 1), pg: &postgres{bound: map[string]string{}}}
	if err := s.migrateLocked(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// migrateLocked migrates under a session advisory lock, so that server processes started
// together do not both apply the same migration.
func (s *DB) migrateLocked(ctx context.Context) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.path, err)
	}
	defer conn.Close()
	const key = 0x6761746568 // "gateh"
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("migrate %s: take the migration lock: %w", s.path, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	return s.migrate(ctx)
}

// redact hides the password of a connection URL, for logs and errors.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// rebind returns query with its ? placeholders numbered for PostgreSQL; on SQLite, query.
func (s *DB) rebind(query string) string {
	if s.pg == nil {
		return query
	}
	s.pg.mu.Lock()
	defer s.pg.mu.Unlock()
	if q, ok := s.pg.bound[query]; ok {
		return q
	}
	q := numberPlaceholders(query)
	// Queries built from filters vary, and a copy's are long: past this many, or this long,
	// they are rebound each time.
	if len(s.pg.bound) < 4096 && len(query) < 4096 {
		s.pg.bound[query] = q
	}
	return q
}

// numberPlaceholders replaces each ? outside quotes with $1, $2, ….
func numberPlaceholders(query string) string {
	var b strings.Builder
	n, quote := 0, byte(0)
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

var (
	ddlInteger = regexp.MustCompile(`\bINTEGER\b`)
	ddlText    = regexp.MustCompile(`\bTEXT\b`)
)

// ddl translates a migration for PostgreSQL: 64-bit integers (feed numbers and versions
// outgrow 32 bits on a busy portal), and text compared byte by byte, as SQLite does,
// whatever the database's locale, so that cursors (id > ?) and the order of a page agree
// on both stores.
func (s *DB) ddl(sqlText string) string {
	if s.pg == nil {
		return sqlText
	}
	sqlText = ddlInteger.ReplaceAllString(sqlText, "BIGINT")
	return ddlText.ReplaceAllString(sqlText, `TEXT COLLATE "C"`)
}

// serialise takes the feed counter's row lock for this write transaction (see above) and
// returns the counter.
func (p *postgres) serialise(ctx context.Context, q querier) (int64, error) {
	var seq int64
	if err := q.QueryRowContext(ctx, `SELECT seq FROM feed_counter WHERE id = 1 FOR UPDATE`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("write database: wait for the other writers: %w", err)
	}
	return seq, nil
}

// boolInt stores a flag as 0 or 1, as both databases' INTEGER columns hold it.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
