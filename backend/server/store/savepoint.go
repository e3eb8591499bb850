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
	if _, err := w.tx.ExecContext(bg, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("%w: start: %w", errSavepoint, err)
	}
	feed := w.feed
	if err := fn(); err != nil {
		// The rollback undoes fn's feed entries and any write to feed_counter, so its
		// numbers are handed out again.
		w.feed = feed
		if _, rerr := w.tx.ExecContext(bg, "ROLLBACK TO "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("%w: roll back: %w", errSavepoint, rerr))
		}
		if _, rerr := w.tx.ExecContext(bg, "RELEASE "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("%w: release: %w", errSavepoint, rerr))
		}
		return err
	}
	if _, err := w.tx.ExecContext(bg, "RELEASE "+name); err != nil {
		return fmt.Errorf("%w: release: %w", errSavepoint, err)
	}
	return nil
}
