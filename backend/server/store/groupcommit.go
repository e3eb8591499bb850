package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// Group commit. SQLite has one writer at a time, and most of a short write transaction's
// cost is its commit: the pages it changed go to the write-ahead log in one write. On
// PostgreSQL writers run one at a time too, holding the feed counter's lock, and each
// statement is a round trip to the server while the others wait. So writers that arrive
// while another is writing wait their turn together, and the first of them to get it
// runs all of theirs in one transaction, each in a savepoint of its own, and commits
// them at once: one lock, one commit, and the records most commands read (memo.go) read
// once for all of them.
//
// To each writer this is the transaction Update promises: its function runs alone (one
// after the other, never interleaved), sees every write committed or made before it, and
// what it reads stays true until its changes are committed; its error undoes its writes
// only (the savepoint), and it returns only once its changes are committed, or with the
// error that kept them from being. Change-feed numbers stay in commit order: they are
// handed out in the order the functions run, and committed together.
//
// The turn is a channel: goroutines blocked on it are woken first come, first served,
// where database/sql hands a freed connection to a random waiter (a writer could wait
// many turns under load).

// maxGroup bounds how many writers share one commit, so that a long queue is committed in
// steps and the first of them do not wait for the last.
const maxGroup = 64

// writeReq is one writer waiting for its changes to be committed.
type writeReq struct {
	ctx      context.Context
	fn       func(Tx) error
	err      error
	panicked any // fn's panic, raised again in the writer's own goroutine
	stack    []byte
	done     chan struct{}
}

func (s *DB) groupUpdate(ctx context.Context, fn func(Tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.mu.Lock()
	s.pending = append(s.pending, req)
	s.mu.Unlock()
	select {
	case s.turn <- struct{}{}:
	case <-req.done: // another writer committed it while this one waited
		return req.result()
	case <-ctx.Done():
		if s.withdraw(req) {
			return fmt.Errorf("write database: %w", ctx.Err())
		}
		<-req.done // already running in someone's turn: it ends as that turn does
		return req.result()
	}
	defer func() { <-s.turn }()
	for {
		select {
		case <-req.done:
			return req.result()
		default:
		}
		s.commitGroup()
	}
}

// takeGroup takes the writers waiting, up to maxGroup, first come first.
func (s *DB) takeGroup() []*writeReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(len(s.pending), maxGroup)
	group := append([]*writeReq(nil), s.pending[:n]...)
	s.pending = append(s.pending[:0], s.pending[n:]...)
	return group
}

func (r *writeReq) result() error {
	if r.panicked != nil {
		panic(fmt.Sprintf("%v\n\nin a write transaction run for this goroutine:\n%s", r.panicked, r.stack))
	}
	return r.err
}

// withdraw takes a writer that gave up out of the queue; false when it is no longer there.
func (s *DB) withdraw(req *writeReq) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.pending {
		if r == req {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return true
		}
	}
	return false
}

// commitGroup runs the waiting writers' functions in one transaction and commits it. The
// writers are taken once the transaction has begun: on PostgreSQL that is once it holds
// the feed counter's lock, which another process may hold for a while, and the writers
// that arrive meanwhile are then committed with the rest instead of after them.
func (s *DB) commitGroup() {
	var group []*writeReq
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	err := s.writeTx(func(w *writer) (bool, error) {
		group = s.takeGroup()
		alone := len(group) == 1
		committed := 0
		for _, r := range group {
			if err := r.ctx.Err(); err != nil {
				r.err = fmt.Errorf("write database: %w", err)
				continue
			}
			w.now = s.clock.Now()
			run := func() error { return r.run(w) }
			if alone {
				r.err = run() // its failure rolls the whole transaction back
			} else {
				r.err = w.savepoint(r.ctx, "command", run)
			}
			if errors.Is(r.err, errSavepoint) {
				// The transaction's state is unknown: nothing of it is committed.
				return false, r.err
			}
			if r.err == nil {
				committed++
			}
		}
		if committed == 0 {
			return false, nil
		}
		return true, w.storeSeq(context.Background())
	})
	if group == nil {
		group = s.takeGroup() // the transaction did not begin: they are told why
	}
	if err != nil {
		for _, r := range group {
			if r.err == nil {
				r.err = err
			}
		}
	}
}

// writeTx runs fn in a write transaction and commits it when fn says so (and did not
// fail), else rolls it back. The transaction outlives any one writer's context: each
// writer's own is checked before its function runs, and its statements stop when it ends
// (cachedTx.ctx, detach).
func (s *DB) writeTx(fn func(w *writer) (commit bool, err error)) error {
	ctx := context.Background()
	memo := &docMemo{docs: map[string][]string{}}
	if s.pg != nil {
		return withPGWrite(ctx, s, func(q *pgWrite) error {
			q.later(heldLabel{what: "begin a transaction"}, "BEGIN")
			// The lock's row says where the feed is: the transaction's numbers follow it in
			// memory, with no statement of their own until the last is stored.
			seq, err := s.pg.serialise(ctx, q)
			if err != nil {
				q.discard(heldMark{})
				q.conn.Exec(ctx, "ROLLBACK")
				return err
			}
			w := &writer{reader: reader{q: q, memo: memo}, tx: q, feed: feedNumbers{taken: true, last: seq, stored: seq}}
			commit, err := fn(w)
			if !commit || err != nil {
				q.discard(heldMark{})
				if _, rerr := q.conn.Exec(ctx, "ROLLBACK"); rerr != nil {
					// The connection is left in the transaction: database/sql drops it
					// (stdlib.Conn.ResetSession).
					return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
				}
				return err
			}
			if _, err := q.ExecContext(ctx, "COMMIT"); err != nil {
				q.conn.Exec(ctx, "ROLLBACK")
				return fmt.Errorf("commit to database: %w", err)
			}
			return nil
		})
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write database: %w", err)
	}
	var misses []string
	q := s.newCachedTx(tx, s.writeStmts, &misses, true)
	commit, err := fn(&writer{reader: reader{q: q, memo: memo}, tx: q})
	if !commit || err != nil {
		tx.Rollback()
	} else if err = tx.Commit(); err != nil {
		err = fmt.Errorf("commit to database: %w", err)
	}
	if len(misses) > 0 {
		s.writeStmts.prepare(ctx, misses)
	}
	return err
}

// run calls the writer's function, catching a panic to raise it again in its goroutine.
func (r *writeReq) run(w *writer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked, r.stack = p, debug.Stack()
			err = fmt.Errorf("write database: the transaction's function panicked: %v", p)
		}
	}()
	return r.fn(w)
}
