package batch

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"time"

	"gatehouse/backend/portal"
)

// lease is who is sending a batch: a run of some process, on some boot of the machine.
type lease struct {
	owner string
	pid   int
	boot  string
	until *time.Time
}

// leaseTTL is how long a lease holds without a heartbeat, for systems where Gatehouse
// cannot tell whether the holder is still running.
const leaseTTL = 15 * time.Minute

// heldElsewhere reports whether a run other than the caller's is sending the batch.
func (s *Store) heldElsewhere(l lease, batchID string, now time.Time) bool {
	if l.owner == "" {
		return false
	}
	if l.boot != "" && s.boot != "" {
		if !sameBoot(l.boot, s.boot) {
			return false // the machine restarted since: that process is gone
		}
		if l.pid == os.Getpid() {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.running[batchID]
		}
		if alive, known := processAlive(l.pid); known {
			return alive
		}
	}
	return l.until != nil && now.Before(*l.until)
}

func busyError(b Batch) error {
	return portal.Errorf(portal.ECONFLICT, "The batch %q is being sent by another Gatehouse window (process %d). Use that window, or close it first.", b.Name, b.lease.pid)
}

// RecoverReport says what recovery found of an interrupted run.
type RecoverReport struct {
	// Unknown lists the rows (seq) that became unknown: they may have been delivered.
	Unknown []int `json:"unknown"`
	// Released counts rows reserved for sending that provably never left, back in line.
	Released int `json:"released"`
}

const (
	msgInterrupted = "Gatehouse stopped while this message was being handed to the mail server, so it may or may not have arrived. " +
		"Check with the recipient or the mail server's log, then resend it (same message, same link) or mark it sent."
	msgRebooted = "The computer restarted while this batch was being sent; this message had been reserved for sending and may have been " +
		"handed to the mail server. Check with the recipient or the mail server's log, then resend it or mark it sent."
)

// Recover settles a batch whose run was interrupted (Gatehouse crashed or was killed):
// rows being sent become unknown, never resent by themselves; rows reserved but provably
// not sent go back in line (see doc.go). Run does this itself; the screens call Recover at
// start-up to show the unknown rows for a decision before anything is resumed. It refuses
// while another process is sending the batch.
func (s *Store) Recover(ctx context.Context, batchID string) (RecoverReport, error) {
	var rep RecoverReport
	err := s.unheld(ctx, batchID, func(tx *sql.Tx, b Batch, now time.Time) (err error) {
		if rep, err = s.recoverTx(ctx, tx, b, now); err != nil {
			return err
		}
		state, lastErr := b.State, b.LastError
		if state == BatchSending {
			state = BatchPaused
			lastErr = "Gatehouse stopped while sending this batch. Decide on the unknown rows, if any, then resume."
		}
		_, err = tx.ExecContext(ctx, `UPDATE batches SET state = ?, last_error = ?, lease_owner = '', lease_pid = 0, lease_boot = '',
			lease_until = NULL, updated_at = ? WHERE id = ?`, state, lastErr, fmtTime(now), batchID)
		return err
	})
	if err != nil {
		return RecoverReport{}, fmt.Errorf("recover the interrupted batch %s: %w", batchID, err)
	}
	return rep, nil
}

func (s *Store) recoverTx(ctx context.Context, tx *sql.Tx, b Batch, now time.Time) (RecoverReport, error) {
	rep := RecoverReport{Unknown: []int{}}
	ts := fmtTime(now)
	collect := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int
			if err := rows.Scan(&seq); err != nil {
				return err
			}
			rep.Unknown = append(rep.Unknown, seq)
		}
		return rows.Err()
	}
	if err := collect(tx.QueryContext(ctx, `UPDATE batch_recipients SET state = 'unknown', claim = 0, times_unknown = times_unknown + 1,
		stage = 'interrupted', smtp_code = 0, last_error = ?, next_attempt_at = NULL, updated_at = ?
		WHERE batch_id = ? AND state = 'sending' RETURNING seq`, msgInterrupted, ts, b.ID)); err != nil {
		return rep, err
	}
	ready := b.Kind.readyState()
	if sameBoot(b.lease.boot, s.boot) {
		// The sending marks of this boot are all on disk: a reserved row without one
		// never left.
		res, err := tx.ExecContext(ctx, `UPDATE batch_recipients SET claim = 0, updated_at = ? WHERE batch_id = ? AND state = ? AND claim = 1`, ts, b.ID, ready)
		if err != nil {
			return rep, err
		}
		n, _ := res.RowsAffected()
		rep.Released = int(n)
	} else if err := collect(tx.QueryContext(ctx, `UPDATE batch_recipients SET state = 'unknown', claim = 0, times_unknown = times_unknown + 1,
		stage = 'interrupted', smtp_code = 0, last_error = ?, next_attempt_at = NULL, updated_at = ?
		WHERE batch_id = ? AND state = ? AND claim = 1 RETURNING seq`, msgRebooted, ts, b.ID, ready)); err != nil {
		return rep, err
	}
	return rep, nil
}

// begin takes the lease for a run of this process, recovering what an earlier run left.
func (s *Store) begin(ctx context.Context, batchID, owner string) (Batch, RecoverReport, error) {
	var b Batch
	var rep RecoverReport
	err := s.unheld(ctx, batchID, func(tx *sql.Tx, held Batch, now time.Time) (err error) {
		b = held
		if b.State == BatchCancelled {
			return portal.Errorf(portal.ECONFLICT, "The batch %q was cancelled, so nothing more is sent. Form a new batch for the people not reached.", b.Name)
		}
		if rep, err = s.recoverTx(ctx, tx, b, now); err != nil {
			return err
		}
		if b.Kind.needsInvite() {
			var refs []string
			rows, err := tx.QueryContext(ctx, `SELECT row_ref FROM batch_recipients WHERE batch_id = ? AND state = 'queued'
				AND contact_id = '' AND replaces = '' ORDER BY seq LIMIT 21`, batchID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var ref string
				if err := rows.Scan(&ref); err != nil {
					rows.Close()
					return err
				}
				refs = append(refs, ref)
			}
			rows.Close()
			if len(refs) > 0 {
				more := ""
				if len(refs) > 20 {
					refs, more = refs[:20], " and more"
				}
				return portal.Errorf(portal.ECONFLICT, "Some rows are not contacts on the portal yet (%s%s), so they cannot be invited. Apply the import and let its contacts reach the portal (Sync now), then start the batch again.", strings.Join(refs, ", "), more)
			}
		}
		ts := fmtTime(now)
		_, err = tx.ExecContext(ctx, `UPDATE batches SET state = 'sending', last_error = '', lease_owner = ?, lease_pid = ?, lease_boot = ?,
			lease_until = ?, started_at = coalesce(started_at, ?), finished_at = NULL, updated_at = ? WHERE id = ?`,
			owner, os.Getpid(), s.boot, fmtTime(now.Add(leaseTTL)), ts, ts, batchID)
		if err != nil {
			return err
		}
		b, err = getBatch(ctx, tx, batchID)
		return err
	})
	if err != nil {
		return Batch{}, RecoverReport{}, err
	}
	return b, rep, nil
}

// setRunning marks a batch as being sent by a run of this process.
func (s *Store) setRunning(batchID string, on bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on && s.running[batchID] {
		return false
	}
	if on {
		s.running[batchID] = true
	} else {
		delete(s.running, batchID)
	}
	return true
}

// Cancel stops a batch that is not being sent: what has not been sent will not be.
// Recipients already sent, failed or unknown stay as they are. (Engine.Cancel also stops a
// running batch.)
func (s *Store) Cancel(ctx context.Context, batchID string) error {
	return s.unheld(ctx, batchID, func(tx *sql.Tx, b Batch, now time.Time) error {
		if _, err := s.recoverTx(ctx, tx, b, now); err != nil {
			return err
		}
		return cancelRest(ctx, tx, batchID, now)
	})
}

// unheld runs fn in one durable transaction on batch batchID, unless another process holds
// its lease (then the batch is busy and fn does not run).
func (s *Store) unheld(ctx context.Context, batchID string, fn func(tx *sql.Tx, b Batch, now time.Time) error) error {
	return s.durable(ctx, func(tx *sql.Tx) error {
		b, err := getBatch(ctx, tx, batchID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if s.heldElsewhere(b.lease, batchID, now) {
			return busyError(b)
		}
		return fn(tx, b, now)
	})
}

func cancelRest(ctx context.Context, tx *sql.Tx, batchID string, now time.Time) error {
	ts := fmtTime(now)
	if _, err := tx.ExecContext(ctx, `UPDATE batch_recipients SET state = 'cancelled', claim = 0, next_attempt_at = NULL, updated_at = ?
		WHERE batch_id = ? AND state IN ('queued', 'inviting', 'invited')`, ts, batchID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE batches SET state = 'cancelled', lease_owner = '', lease_pid = 0, lease_boot = '', lease_until = NULL,
		finished_at = ?, updated_at = ? WHERE id = ?`, ts, ts, batchID)
	return err
}
