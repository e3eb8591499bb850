package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// copyOrder is every table of the portal's schema, parents before the tables that refer
// to them; schema_migrations is each database's own. TestCopyCoversEveryTable keeps it
// whole when a migration adds a table.
var copyOrder = []string{
	"meta", "changes", "organizations", "contacts", "accounts", "account_roles", "roles", "role_permissions",
	"invitations", "credentials", "sessions", "approval_tokens", "access_requests", "audit_events", "templates",
	"settings", "idempotency", "mail_outbox", "oidc_states", "used_id_tokens", "throttle",
	"directory_tokens", "account_directory",
}

// CopyCount is how many rows of one table a copy found at both ends.
type CopyCount struct {
	Table    string
	From, To int64
}

// Copy copies every record of from into to, which must be empty (no change in its feed,
// no record): the change feed keeps its numbers and its ID, so that desktops following it
// go on where they were; the audit log, sessions, waiting e-mail and the rest come along
// as they are. It runs in one transaction on to, so a copy that fails leaves to empty,
// and checks that every table holds as many rows at both ends. from should not change
// while it runs: stop the server first.
func Copy(ctx context.Context, from, to *DB) ([]CopyCount, error) {
	// One snapshot of from for the whole copy.
	src, err := from.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from.path, err)
	}
	defer src.Rollback()
	var counts []CopyCount
	err = to.Update(ctx, func(tx Tx) error {
		w := tx.(*writer)
		var seq int64
		if err := w.tx.QueryRowContext(ctx, `SELECT seq FROM feed_counter WHERE id = 1`).Scan(&seq); err != nil {
			return err
		}
		if seq != 0 {
			return fmt.Errorf("the target database %s is not empty (its change feed is at %d): copy into a new, empty database", to.path, seq)
		}
		for _, t := range copyOrder[1:] {
			var n int64
			if err := w.tx.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("the target database %s is not empty (%s has %d rows): copy into a new, empty database", to.path, t, n)
			}
		}
		if _, err := w.tx.ExecContext(ctx, `DELETE FROM meta`); err != nil {
			return err
		}
		for _, t := range copyOrder {
			n, err := copyTable(ctx, src, w.tx, t)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			counts = append(counts, CopyCount{Table: t, From: n})
		}
		if err := src.QueryRowContext(ctx, from.rebind(`SELECT seq FROM feed_counter WHERE id = 1`)).Scan(&seq); err != nil {
			return err
		}
		if _, err := w.tx.ExecContext(ctx, `UPDATE feed_counter SET seq = ? WHERE id = 1`, seq); err != nil {
			return err
		}
		for i, c := range counts {
			if err := w.tx.QueryRowContext(ctx, `SELECT count(*) FROM `+c.Table).Scan(&counts[i].To); err != nil {
				return err
			}
			if counts[i].To != c.From {
				return fmt.Errorf("copy %s: %d rows read, %d in the target", c.Table, c.From, counts[i].To)
			}
		}
		return nil
	})
	return counts, err
}

// copyTable copies the rows of table from from into tx, many to a statement, and returns
// how many it copied.
func copyTable(ctx context.Context, from *sql.Tx, tx querier, table string) (int64, error) {
	rows, err := from.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	// Well under PostgreSQL's 65,535 parameters a statement.
	per := max(1, 30000/len(cols))
	row := "(" + placeholders(len(cols)) + ")"
	var n int64
	batch := make([]any, 0, per*len(cols))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		k := len(batch) / len(cols)
		q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", k), ", ")
		if _, err := tx.ExecContext(ctx, q, batch...); err != nil {
			return err
		}
		n += int64(k)
		batch = batch[:0]
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok { // text comes back as bytes from some drivers
				vals[i] = string(b)
			}
		}
		batch = append(batch, vals...)
		if len(batch) >= per*len(cols) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// CopyOrder is the tables Copy copies, in its order.
func CopyOrder() []string { return append([]string(nil), copyOrder...) }
