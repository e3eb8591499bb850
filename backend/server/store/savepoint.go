package store

import (
	"context"
	"errors"
	"fmt"
)

// errSavepoint marks a failure of the savepoint statements themselves: the transaction
// is then in a state nobody can vouch for, and must not be committed.
var errSavepoint = errors.New("write database: savepoint")

// Savepoint implements Tx. A bulk command that stores many records in one transaction
// uses it so that one record's refusal does not undo the others.
func (w *writer) Savepoint(ctx context.Context, fn func() error) error {
	return w.savepoint(ctx, "item", fn)
}

// savepoint runs fn inside the savepoint name (a fixed word: savepoints of one name nest).
// Its own statements run even when ctx has ended: a caller that gives up mid-way must
// still have its writes undone.
func (w *writer) savepoint(ctx context.Context, name string, fn func() error) error {
	bg := context.WithoutCancel(ctx)
	if err := w.execLater(bg, heldLabel{what: "start a savepoint", savepoint: true}, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("%w: start: %w", errSavepoint, err)
	}
	feed, mark, aheads := w.feed, w.heldMark(), w.memo.aheads
	w.savepoints++
	err := fn()
	w.savepoints--
	if err == nil {
		// The release sends what fn held back (pgwrite.go): a failure of one of those is
		// fn's, and undone as fn's error would be.
		_, err = w.tx.ExecContext(bg, "RELEASE "+name)
		if err == nil {
			return nil
		}
		var held *heldError
		if !errors.As(err, &held) || held.savepoint {
			return fmt.Errorf("%w: release: %w", errSavepoint, err)
		}
		if held.conflict != nil && held.err == held.conflict {
			err = held.conflict // the insert's own answer, as when it is not held back
		}
	}
	// The rollback undoes fn's feed entries and any write to feed_counter, so its numbers
	// are handed out again; the documents read since it began are forgotten (memo.go),
	// and what fn held back is not sent.
	w.feed = feed
	w.memo.forgetUndone(aheads)
	w.discardHeld(mark)
	if _, rerr := w.tx.ExecContext(bg, "ROLLBACK TO "+name); rerr != nil {
		return errors.Join(err, fmt.Errorf("%w: roll back: %w", errSavepoint, rerr))
	}
	if _, rerr := w.tx.ExecContext(bg, "RELEASE "+name); rerr != nil {
		return errors.Join(err, fmt.Errorf("%w: release: %w", errSavepoint, rerr))
	}
	return err
}

// execLater runs a write whose result nobody reads. On PostgreSQL it is held back and
// sent with the next statement whose result is read (pgwrite.go); a failure is then
// that statement's, named by label.
func (w *writer) execLater(ctx context.Context, label heldLabel, query string, args ...any) error {
	if p, ok := w.tx.(*pgWrite); ok {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.later(label, query, args...)
		return nil
	}
	if _, err := w.tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", label.what, err)
	}
	return nil
}

func (w *writer) heldMark() heldMark {
	if p, ok := w.tx.(*pgWrite); ok {
		return p.mark()
	}
	return heldMark{}
}

func (w *writer) discardHeld(m heldMark) {
	if p, ok := w.tx.(*pgWrite); ok {
		p.discard(m)
	}
}
