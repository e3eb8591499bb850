package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgWrite is a write transaction on PostgreSQL, run on one pgx connection, that holds
// back the statements whose result nobody reads (a change-feed entry, an audit event, a
// queued e-mail, a savepoint) and sends them together with the next statement whose
// result is read, in one round trip (a pgx batch: the statements are pipelined). A
// command's writes thus cost one round trip together instead of one each, and every
// other writer waits for the feed counter's lock that much less.
//
// To the writer it is the same transaction: statements run in the order they were
// given, and a held-back statement that fails fails the statement it was sent with (its
// error says which it was); the transaction is then aborted, as after any failed
// statement, until a savepoint is rolled back. A savepoint's release and the commit are
// statements like any other, so nothing held back is left out of them.
type pgWrite struct {
	conn   *pgx.Conn
	rebind func(string) string
	held   *pgx.Batch // nil: nothing held back
	labels []heldLabel
	// sent counts the sends, so that a savepoint knows whether its start is still held.
	sent int
	// read: a read transaction (pgView), whose statements end with the caller's context.
	read bool
}

// heldLabel names a held-back statement for its error.
type heldLabel struct {
	what      string
	savepoint bool // a savepoint's own statement: its failure leaves the transaction unknown
	// conflict, when set, is the error of an insert that fails because the primary key
	// pkey is taken: a record with its ID is stored already.
	conflict error
	pkey     string
}

// failure is the error a held-back statement's failure err is reported as.
func (l heldLabel) failure(err error) *heldError {
	var pe *pgconn.PgError
	if l.conflict != nil && errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == l.pkey {
		err = l.conflict
	}
	return &heldError{l, err}
}

// heldError is the failure of a held-back statement, reported by the statement it was
// sent with.
type heldError struct {
	heldLabel
	err error
}

func (e *heldError) Error() string { return e.what + ": " + e.err.Error() }

func (e *heldError) Unwrap() []error {
	if e.savepoint {
		return []error{errSavepoint, e.err}
	}
	return []error{e.err}
}

// withPGWrite runs fn with a pgWrite on a connection of db, taken from its pool.
func withPGWrite(ctx context.Context, s *DB, fn func(*pgWrite) error) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("write database: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		return fn(&pgWrite{conn: dc.(*stdlib.Conn).Conn(), rebind: s.rebind})
	})
}

// pgView runs fn on one pgx connection, in a read-only snapshot when snapshot is set.
// The snapshot's BEGIN is held back and sent with the first read, so a read costs the
// round trips of its statements and of the ROLLBACK: one fewer than through database/sql,
// which sends BEGIN on its own (a follower's page of the change feed: two instead of
// three). Change-feed paging on the store went from 263k–322k to 327k–371k rows/s.
// Without a snapshot (Store.Read) each statement runs on its own, and neither is sent.
func pgView(ctx context.Context, s *DB, fn func(Reader) error, snapshot bool) error {
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return fmt.Errorf("read database: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		q := &pgWrite{conn: dc.(*stdlib.Conn).Conn(), rebind: s.rebind, read: true}
		if !snapshot {
			return fn(&reader{q: q})
		}
		q.later(heldLabel{what: "begin a read"}, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") // one snapshot for the whole read
		err := fn(&reader{q: q})
		if q.sent == 0 {
			return err // nothing was read: the BEGIN was never sent
		}
		if _, rerr := q.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			// The connection is left in the transaction: database/sql drops it
			// (stdlib.Conn.ResetSession).
			return errors.Join(err, fmt.Errorf("end a read: %w", rerr))
		}
		return err
	})
}

// later holds back a statement whose result nobody reads.
func (p *pgWrite) later(label heldLabel, query string, args ...any) {
	if p.held == nil {
		p.held = &pgx.Batch{}
	}
	p.held.Queue(p.rebind(query), args...)
	p.labels = append(p.labels, label)
}

// mark is where the statements held back so far end; discard drops those held after it.
type heldMark struct{ sent, n int }

func (p *pgWrite) mark() heldMark { return heldMark{p.sent, len(p.labels)} }

// discard drops the statements held back after m, unsent: a savepoint about to be rolled
// back need not send the writes it undoes. Those before m (its own start) stay.
func (p *pgWrite) discard(m heldMark) {
	n := 0
	if m.sent == p.sent {
		n = m.n
	}
	if p.held != nil {
		p.held.QueuedQueries = p.held.QueuedQueries[:n]
		p.labels = p.labels[:n]
	}
}

// send sends the held-back statements followed by query (none when ""), and reads the
// held-back statements' results; the batch's results are left at query's.
func (p *pgWrite) send(ctx context.Context, query string, args []any) (pgx.BatchResults, error) {
	b, labels := p.held, p.labels
	if b == nil {
		b = &pgx.Batch{}
	}
	if query != "" {
		b.Queue(p.rebind(query), args...)
	}
	// The results read the batch as they go: the next statements are held in a new one.
	p.held, p.labels = nil, nil
	br := p.conn.SendBatch(ctx, b)
	p.sent++
	for _, l := range labels {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, l.failure(err)
		}
	}
	return br, nil
}

// queryPlanned runs a query planned for its arguments each time (an unnamed statement),
// after sending what is held back. A prepared statement is planned once for any
// arguments after a few runs, with what the tables held then: a read-ahead's plan made
// when a new portal's tables were nearly empty would scan them whole ever after.
func (p *pgWrite) queryPlanned(ctx context.Context, query string, args ...any) (rowsIter, error) {
	ctx, err := p.ctxFor(ctx)
	if err != nil {
		return nil, err
	}
	if len(p.labels) > 0 {
		br, err := p.send(ctx, "", nil)
		if err != nil {
			return nil, err
		}
		if err := br.Close(); err != nil {
			return nil, err
		}
	}
	rows, err := p.conn.Query(ctx, p.rebind(query), append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
	if err != nil {
		return nil, err
	}
	return &pgRows{Rows: rows}, nil
}

// detach checks the caller's context and returns one that cannot be cancelled, for the
// writer's statements (cachedTx.detach says why; on pgx, a cancelled statement also
// closes the connection).
func detach(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return ctx, err
	}
	return context.WithoutCancel(ctx), nil
}

// ctxFor is the context of a statement: a read's ends with its caller's; a writer's is
// detached.
func (p *pgWrite) ctxFor(ctx context.Context) (context.Context, error) {
	if p.read {
		return ctx, ctx.Err()
	}
	return detach(ctx)
}

type pgResult pgconn.CommandTag

func (r pgResult) RowsAffected() (int64, error) { return pgconn.CommandTag(r).RowsAffected(), nil }

func (p *pgWrite) ExecContext(ctx context.Context, query string, args ...any) (result, error) {
	ctx, err := p.ctxFor(ctx)
	if err != nil {
		return nil, err
	}
	if len(p.labels) == 0 {
		tag, err := p.conn.Exec(ctx, p.rebind(query), args...)
		return pgResult(tag), err
	}
	br, err := p.send(ctx, query, args)
	if err != nil {
		return nil, err
	}
	tag, err := br.Exec()
	return pgResult(tag), firstErr(err, br.Close())
}

func (p *pgWrite) QueryContext(ctx context.Context, query string, args ...any) (rowsIter, error) {
	ctx, err := p.ctxFor(ctx)
	if err != nil {
		return nil, err
	}
	if len(p.labels) == 0 {
		rows, err := p.conn.Query(ctx, p.rebind(query), args...)
		if err != nil {
			return nil, err
		}
		return &pgRows{Rows: rows}, nil
	}
	br, err := p.send(ctx, query, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &pgRows{Rows: rows, br: br}, nil
}

func (p *pgWrite) QueryRowContext(ctx context.Context, query string, args ...any) rowScanner {
	return &pgRow{p: p, ctx: ctx, query: query, args: args}
}

// pgRow runs its query when it is scanned, as database/sql's Row reports its error then.
type pgRow struct {
	p     *pgWrite
	ctx   context.Context
	query string
	args  []any
}

func (r *pgRow) Scan(dest ...any) error {
	ctx, err := r.p.ctxFor(r.ctx)
	if err != nil {
		return err
	}
	if len(r.p.labels) == 0 {
		return r.p.conn.QueryRow(ctx, r.p.rebind(r.query), r.args...).Scan(dest...)
	}
	br, err := r.p.send(ctx, r.query, r.args)
	if err != nil {
		return err
	}
	err = br.QueryRow().Scan(dest...)
	return firstErr(err, br.Close())
}

// pgRows is pgx's rows as the store reads them; rows sent in a batch close it with them.
type pgRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *pgRows) Close() error {
	r.Rows.Close()
	err := r.Rows.Err()
	if r.br != nil {
		err = firstErr(err, r.br.Close())
		r.br = nil
	}
	return err
}

// firstErr is the statement's own error, else the one closing its batch gave.
func firstErr(err, closeErr error) error {
	if err != nil {
		return err
	}
	return closeErr
}
