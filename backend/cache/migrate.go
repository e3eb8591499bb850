package cache

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"

	"gatehouse/backend/portal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

func embeddedMigrations() fs.FS { return MigrationsIn(migrationFiles) }

// MigrationsIn is the migrations folder of a package's embedded files, for WithSchema: a
// package with tables of its own embeds migrations/*.sql and hands MigrationsIn of it over.
func MigrationsIn(files embed.FS) fs.FS {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}

// ErrSchemaTooNew means the database was last opened by a newer Gatehouse that changed its
// schema in ways this version does not know.
var ErrSchemaTooNew = errors.New("the local database was written by a newer version of Gatehouse")

type migration struct {
	version int
	name    string // file name
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads NNNN_name.sql files in version order. Version ranges are shared
// out between packages (0001–0009 cache, 0010–0019 imports, 0020–0029 invitation batches),
// so versions need not be contiguous.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read the schema migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("schema migration %s: the name must look like 0001_what_it_does.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if v == 0 {
			return nil, fmt.Errorf("schema migration %s: numbers start at 0001", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read schema migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	return ms, sortMigrations(ms)
}

// sortMigrations puts migrations in version order and refuses two with one number.
func sortMigrations(ms []migration) error {
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return fmt.Errorf("schema migrations %s and %s have the same number", ms[i-1].name, ms[i].name)
		}
	}
	return nil
}

// migrate applies every migration the database has not recorded, each in its own
// transaction together with its row in schema_migrations, so a failure leaves the database
// as it was before that migration.
func migrate(ctx context.Context, db *sql.DB, sets []fs.FS, clock portal.Clock) error {
	var ms []migration
	for _, fsys := range sets {
		m, err := loadMigrations(fsys)
		if err != nil {
			return err
		}
		ms = append(ms, m...)
	}
	if err := sortMigrations(ms); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create the schema_migrations table: %w", err)
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.version] = true
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return err
	}
	for v, name := range applied {
		if !known[v] {
			return fmt.Errorf("%w (it has schema change %s, which this version does not know). Update Gatehouse, or move the file away to start with an empty local copy", ErrSchemaTooNew, name)
		}
	}
	finished := false
	for _, m := range ms {
		if _, ok := applied[m.version]; ok {
			continue
		}
		if !finished {
			if err := finishBulkBeforeMigrating(ctx, db); err != nil {
				return err
			}
			finished = true
		}
		if err := applyMigration(ctx, db, m, clock); err != nil {
			return err
		}
	}
	return nil
}

func appliedMigrations(ctx context.Context, db *sql.DB) (map[int]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT version, name FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read the schema_migrations table: %w", err)
	}
	defer rows.Close()
	applied := map[int]string{}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, fmt.Errorf("read the schema_migrations table: %w", err)
		}
		applied[v] = name
	}
	return applied, rows.Err()
}

func applyMigration(ctx context.Context, db *sql.DB, m migration, clock portal.Clock) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("schema migration %s: %w", m.name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// Another process may have applied it while this one waited for the write lock.
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
		return fmt.Errorf("schema migration %s: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("schema migration %s failed, nothing of it was applied: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, fmtTime(clock.Now())); err != nil {
		return fmt.Errorf("record schema migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("schema migration %s: %w", m.name, err)
	}
	return nil
}

// SchemaVersions lists the migrations recorded in the database, in order.
func (db *DB) SchemaVersions(ctx context.Context) ([]int, error) {
	applied, err := appliedMigrations(ctx, db.r)
	if err != nil {
		return nil, err
	}
	vs := make([]int, 0, len(applied))
	for v := range applied {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs, nil
}
