package store

import (
	"context"
	"errors"
	"fmt"
)

// Savepoint implements Tx. A bulk command that stores many records in one transaction
// uses it so that one record's refusal does not undo the others.
func (w *writer) Savepoint(ctx context.Context, fn func() error) error {
	if _, err := w.tx.ExecContext(ctx, "SAVEPOINT item"); err != nil {
		return fmt.Errorf("write database: start savepoint: %w", err)
	}
	feed := w.feed
	if err := fn(); err != nil {
		// The rollback undoes fn's feed entries and any write to feed_counter, so its
		// numbers are handed out again.
		w.feed = feed
		if _, rerr := w.tx.ExecContext(ctx, "ROLLBACK TO item"); rerr != nil {
			return errors.Join(err, fmt.Errorf("write database: roll back savepoint: %w", rerr))
		}
		if _, rerr := w.tx.ExecContext(ctx, "RELEASE item"); rerr != nil {
			return errors.Join(err, fmt.Errorf("write database: release savepoint: %w", rerr))
		}
		return err
	}
	if _, err := w.tx.ExecContext(ctx, "RELEASE item"); err != nil {
		return fmt.Errorf("write database: release savepoint: %w", err)
	}
	return nil
}
