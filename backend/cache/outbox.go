package cache

// The outbox holds every administrator action as a named command until the server has it.
//
// A command may carry a preview: the record as it will be once the server applies the
// command, as the portal transition computed it on the desktop. While such a command is
// waiting (queued, sending, or failed with a retry planned), the mirrored table shows the
// preview, so every screen, filter and search sees the administrator's change at once, and
// the server's copy of the record is kept in overlay_base. The sync keeps writing the
// server's records through the usual Upsert/Delete methods; for a record under a preview
// they land in overlay_base, so downloaded state never overwrites a change the server does
// not have yet. When the last waiting command settles (sent, conflict, failed for good,
// discarded), the server's copy comes back into the table.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse/backend/portal"
)

// OutboxState is where a command stands.
type OutboxState string

const (
	OutboxQueued   OutboxState = "queued"   // waiting to be sent
	OutboxSending  OutboxState = "sending"  // handed to the server, answer not yet recorded
	OutboxSent     OutboxState = "sent"     // the server applied it
	OutboxConflict OutboxState = "conflict" // the server refused it: the record changed meanwhile
	OutboxFailed   OutboxState = "failed"   // the last attempt failed; retried at NextAttemptAt, or never if nil
)

// Command is an administrator action to send to the server.
type Command struct {
	Name        string          `json:"name"` // "approve", "deny", "promote", ...
	EntityType  string          `json:"entityType"`
	EntityID    string          `json:"entityId"`
	BaseVersion int64           `json:"baseVersion"` // the record's version the action was decided on (If-Match)
	Payload     json.RawMessage `json:"payload"`
	// Preview is the record of EntityType as it will be after the command (for example the
	// portal.Account that portal.Approve returned); nil for none. PreviewDeletes says the
	// command removes the record (purge). Only organisations, contacts, accounts, roles and
	// invitations can be previewed.
	Preview        json.RawMessage `json:"preview,omitempty"`
	PreviewDeletes bool            `json:"previewDeletes,omitempty"`
	// Key, when set, is the idempotency key, chosen by the caller so that queuing the same
	// change again (an import applied twice, or resumed after a crash) queues it once:
	// Enqueue then returns the entry already there. Empty: a new random key.
	Key string `json:"-"`
}

// QueuedCommand is a command as stored in the outbox.
type QueuedCommand struct {
	ID             int64  `json:"id"`
	IdempotencyKey string `json:"idempotencyKey"`
	Command
	State         OutboxState `json:"state"`
	Attempts      int         `json:"attempts"`
	NextAttemptAt *time.Time  `json:"nextAttemptAt,omitempty"`
	LastError     string      `json:"lastError"`
	// Response is the server's answer: the resulting record once sent, the server's current
	// record on a conflict.
	Response  json.RawMessage `json:"response,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

const outboxFields = `id, idempotency_key, command, entity_type, entity_id, base_version, payload, preview,
	preview_deletes, state, attempts, next_attempt_at, last_error, response, created_at, updated_at`

func scanCommand(row interface{ Scan(...any) error }) (QueuedCommand, error) {
	var c QueuedCommand
	var payload, state string
	var preview, response sql.NullString
	var deletes int
	if err := row.Scan(&c.ID, &c.IdempotencyKey, &c.Name, &c.EntityType, &c.EntityID, &c.BaseVersion, &payload,
		&preview, &deletes, &state, &c.Attempts, OptTime(&c.NextAttemptAt), &c.LastError, &response,
		Time(&c.CreatedAt), Time(&c.UpdatedAt)); err != nil {
		return c, err
	}
	c.Payload, c.Preview, c.Response = json.RawMessage(payload), nullRaw(preview), nullRaw(response)
	c.PreviewDeletes, c.State = deletes != 0, OutboxState(state)
	return c, nil
}

// newIdempotencyKey returns 128 random bits as text.
func newIdempotencyKey() string { return rand.Text() }

func (cmd Command) check() (Command, error) {
	switch {
	case strings.TrimSpace(cmd.Name) == "":
		return cmd, portal.FieldErrorf("name", "The change has no command name; it cannot be queued.")
	case cmd.EntityType == "" || cmd.EntityID == "":
		return cmd, portal.FieldErrorf("entityId", "The %q change does not say which record it is for; it cannot be queued.", cmd.Name)
	case cmd.BaseVersion < 0:
		return cmd, portal.FieldErrorf("baseVersion", "The %q change has a negative record version.", cmd.Name)
	}
	if len(cmd.Payload) == 0 {
		cmd.Payload = json.RawMessage("{}")
	}
	if !json.Valid(cmd.Payload) {
		return cmd, portal.FieldErrorf("payload", "The %q change for %s %q carries malformed data; it cannot be queued.", cmd.Name, cmd.EntityType, cmd.EntityID)
	}
	if cmd.PreviewDeletes && len(cmd.Preview) > 0 {
		return cmd, portal.FieldErrorf("preview", "The %q change both removes and replaces %s %q; give one or the other.", cmd.Name, cmd.EntityType, cmd.EntityID)
	}
	if len(cmd.Preview) > 0 || cmd.PreviewDeletes {
		ops, ok := recordOpsFor[cmd.EntityType]
		if !ok {
			return cmd, portal.FieldErrorf("preview", "Changes to a %s cannot be previewed; queue the %q change without a preview.", cmd.EntityType, cmd.Name)
		}
		if len(cmd.Preview) > 0 {
			if err := ops.check(cmd.Preview, cmd.EntityID); err != nil {
				return cmd, portal.FieldErrorf("preview", "The preview of the %q change for %s %q is not usable: %v", cmd.Name, cmd.EntityType, cmd.EntityID, err)
			}
		}
	}
	return cmd, nil
}

// Enqueue writes a command to the outbox and returns its idempotency key (128 bits from
// crypto/rand). Within the transaction, a preview replaces the record on screen. Use it
// inside ApplyDurable: a queued change exists nowhere else yet.
func (tx *Tx) Enqueue(cmd Command) (string, error) {
	_, key, err := tx.EnqueueRow(cmd)
	return key, err
}

// EnqueueRow is Enqueue that also returns the command's outbox row id. A command whose
// Key is queued already (in any state) is not queued again: the entry there is returned.
func (tx *Tx) EnqueueRow(cmd Command) (int64, string, error) {
	cmd, err := cmd.check()
	if err != nil {
		return 0, "", err
	}
	key := cmd.Key
	if key == "" {
		key = newIdempotencyKey()
	} else {
		var id int64
		err := tx.tx.QueryRowContext(tx.ctx, `SELECT id FROM outbox WHERE idempotency_key = ?`, key).Scan(&id)
		if err == nil {
			return id, key, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, "", fmt.Errorf("look for the %q change for %s %q: %w", cmd.Name, cmd.EntityType, cmd.EntityID, err)
		}
	}
	now := fmtTime(tx.Now())
	res, err := tx.exec(`INSERT INTO outbox(idempotency_key, command, entity_type, entity_id, base_version, payload,
		preview, preview_deletes, state, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
		key, cmd.Name, cmd.EntityType, cmd.EntityID, cmd.BaseVersion, string(cmd.Payload), rawOrNull(cmd.Preview),
		boolInt(cmd.PreviewDeletes), now, now, now)
	if err != nil {
		return 0, "", fmt.Errorf("queue the %q change for %s %q: %w", cmd.Name, cmd.EntityType, cmd.EntityID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, "", fmt.Errorf("queue the %q change for %s %q: %w", cmd.Name, cmd.EntityType, cmd.EntityID, err)
	}
	tx.touchOverlay(entityKey{cmd.EntityType, cmd.EntityID})
	return id, key, nil
}

// OutboxByKey returns the outbox entries with the given idempotency keys that are still
// kept (sent entries are pruned after a while), by key.
func (db *DB) OutboxByKey(ctx context.Context, keys []string) (map[string]QueuedCommand, error) {
	return byKeys(ctx, db, "SELECT "+outboxFields+" FROM outbox WHERE idempotency_key", keys, scanCommand,
		func(c QueuedCommand) string { return c.IdempotencyKey }, "the queued changes")
}

// SetLastError records why the server refused outbox command id, without changing its state.
func (tx *Tx) SetLastError(id int64, msg string) error {
	if _, err := tx.exec(`UPDATE outbox SET last_error = ? WHERE id = ?`, msg, id); err != nil {
		return fmt.Errorf("record why the server refused change %d: %w", id, err)
	}
	return nil
}

// ReleaseSending makes every command marked as being sent due again now: after a restart,
// nothing can still be sending them.
func (tx *Tx) ReleaseSending() error {
	if _, err := tx.exec(`UPDATE outbox SET next_attempt_at = ? WHERE state = 'sending'`, fmtTime(tx.Now())); err != nil {
		return fmt.Errorf("prepare the changes that were being sent when Gatehouse stopped: %w", err)
	}
	return nil
}

// OutboxStatus counts the commands the server does not have yet (pending), those refused
// for a conflict, and those that failed for good: the status bar's figures.
func (db *DB) OutboxStatus(ctx context.Context) (pending, conflicts, failed int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT
		coalesce(sum(state IN ('queued', 'sending', 'failed', 'conflict')), 0),
		coalesce(sum(state = 'conflict'), 0),
		coalesce(sum(state = 'failed' AND next_attempt_at IS NULL), 0) FROM outbox`).Scan(&pending, &conflicts, &failed)
	if err != nil {
		err = fmt.Errorf("count the changes waiting for the server: %w", err)
	}
	return pending, conflicts, failed, err
}

// NextAttempt is the earliest time a waiting command may be sent; false when none waits.
// Commands behind an unsettled earlier one for the same record are not due.
func (db *DB) NextAttempt(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	err := db.r.QueryRowContext(ctx, `SELECT min(o.next_attempt_at) FROM outbox o
		WHERE o.state IN ('queued', 'failed', 'sending') AND o.next_attempt_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.entity_type = o.entity_type AND p.entity_id = o.entity_id
			AND p.id < o.id AND p.state IN ('queued', 'sending', 'failed', 'conflict'))`).Scan(OptTime(&t))
	if err != nil || t == nil {
		return time.Time{}, false, err
	}
	return *t, true, nil
}

// Enqueue writes one command to the outbox, synced to disk, and returns its idempotency key.
func (db *DB) Enqueue(ctx context.Context, cmd Command) (string, error) {
	var key string
	err := db.ApplyDurable(ctx, func(tx *Tx) error {
		var err error
		key, err = tx.Enqueue(cmd)
		return err
	})
	return key, err
}

// EnqueueAll queues several commands in one transaction (a bulk action): all or none.
func (db *DB) EnqueueAll(ctx context.Context, cmds []Command) ([]string, error) {
	keys := make([]string, 0, len(cmds))
	err := db.ApplyDurable(ctx, func(tx *Tx) error {
		for i, cmd := range cmds {
			key, err := tx.Enqueue(cmd)
			if err != nil {
				return fmt.Errorf("change %d of %d: %w", i+1, len(cmds), err)
			}
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

func (tx *Tx) command(id int64) (QueuedCommand, error) {
	s, err := tx.stmt("SELECT " + outboxFields + " FROM outbox WHERE id = ?")
	if err != nil {
		return QueuedCommand{}, err
	}
	c, err := scanCommand(s.QueryRowContext(tx.ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, portal.Errorf(portal.ENOTFOUND, "The queued change %d is no longer in the outbox.", id)
	} else if err != nil {
		return c, fmt.Errorf("read queued change %d: %w", id, err)
	}
	return c, nil
}

// transition loads command id, checks that its state is one of from, and runs the update.
// touch brings the record on screen in line afterwards; a move that keeps the preview
// shown (queued or failed-to-retry to sending) need not.
func (tx *Tx) transition(id int64, touch bool, doing string, from []OutboxState, query string, args ...any) (QueuedCommand, error) {
	c, err := tx.command(id)
	if err != nil {
		return c, err
	}
	ok := false
	for _, s := range from {
		ok = ok || c.State == s
	}
	if !ok {
		return c, portal.Errorf(portal.ECONFLICT, "The %q change for %s %q is %s, so it cannot be %s.", c.Name, c.EntityType, c.EntityID, c.State, doing)
	}
	if _, err := tx.exec(query, append(args, id)...); err != nil {
		return c, fmt.Errorf("record that the %q change for %s %q is %s: %w", c.Name, c.EntityType, c.EntityID, doing, err)
	}
	if touch {
		tx.touchOverlay(entityKey{c.EntityType, c.EntityID})
	}
	return c, nil
}

// MarkSending records an attempt to send a command. The command is reserved for the send
// lease (WithSendLease); if the answer is never recorded, NextDue hands it out again with
// the same idempotency key.
func (tx *Tx) MarkSending(id int64) error {
	now := tx.Now()
	_, err := tx.transition(id, false, "sent", []OutboxState{OutboxQueued, OutboxFailed, OutboxSending},
		`UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
		fmtTime(now.Add(tx.db.sendLease)), fmtTime(now))
	return err
}

// MarkSent records that the server applied the command; response is its answer. version is
// the record's version after the command (0 if unknown): later commands for the same record
// that were decided on top of this one (same base version) are moved onto it, so their
// If-Match holds. Recording it twice is harmless. Upsert the returned record in the same
// transaction so the screen does not fall back to the old copy until the next pull.
func (tx *Tx) MarkSent(id int64, response json.RawMessage, version int64) error {
	if len(response) > 0 && !json.Valid(response) {
		return fmt.Errorf("record the server's answer to queued change %d: it is not valid JSON", id)
	}
	c, err := tx.command(id)
	if err != nil {
		return err
	}
	if c.State == OutboxSent {
		return nil
	}
	if _, err := tx.transition(id, true, "marked as sent", []OutboxState{OutboxQueued, OutboxSending, OutboxFailed},
		`UPDATE outbox SET state = 'sent', response = ?, next_attempt_at = NULL, last_error = '', updated_at = ? WHERE id = ?`,
		rawOrNull(response), fmtTime(tx.Now())); err != nil {
		return err
	}
	if version > 0 && version != c.BaseVersion {
		if _, err := tx.exec(`UPDATE outbox SET base_version = ?, updated_at = ?
			WHERE entity_type = ? AND entity_id = ? AND id > ? AND state IN ('queued', 'failed') AND base_version = ?`,
			version, fmtTime(tx.Now()), c.EntityType, c.EntityID, id, c.BaseVersion); err != nil {
			return fmt.Errorf("move the changes queued after %q for %s %q onto version %d: %w", c.Name, c.EntityType, c.EntityID, version, err)
		}
	}
	return nil
}

// MarkConflict records that the server refused the command because the record changed;
// server is the server's current record, shown beside the administrator's version. Later
// commands for the same record wait until the administrator resolves it (Resubmit or
// Discard).
func (tx *Tx) MarkConflict(id int64, server json.RawMessage) error {
	if len(server) > 0 && !json.Valid(server) {
		return fmt.Errorf("record the server's version for queued change %d: it is not valid JSON", id)
	}
	_, err := tx.transition(id, true, "marked as a conflict", []OutboxState{OutboxQueued, OutboxSending, OutboxFailed},
		`UPDATE outbox SET state = 'conflict', response = ?, next_attempt_at = NULL,
		last_error = 'Someone else changed this record first.', updated_at = ? WHERE id = ?`,
		rawOrNull(server), fmtTime(tx.Now()))
	return err
}

// MarkFailed records a failed attempt. A non-zero retryAt sends the command again from then
// on, and its preview stays on screen; a zero one gives up (the server refused it for good)
// until the administrator chooses Retry, Resubmit or Discard.
func (tx *Tx) MarkFailed(id int64, cause error, retryAt time.Time) error {
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	var next any
	if !retryAt.IsZero() {
		next = fmtTime(retryAt)
	}
	_, err := tx.transition(id, true, "marked as failed", []OutboxState{OutboxQueued, OutboxSending, OutboxFailed},
		`UPDATE outbox SET state = 'failed', last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
		msg, next, fmtTime(tx.Now()))
	return err
}

// Retry sends a failed command again now, with the same idempotency key.
func (tx *Tx) Retry(id int64) error {
	now := fmtTime(tx.Now())
	_, err := tx.transition(id, true, "retried", []OutboxState{OutboxFailed},
		`UPDATE outbox SET state = 'queued', next_attempt_at = ?, updated_at = ? WHERE id = ?`, now, now)
	return err
}

// Resubmit replaces a command in conflict or failed with a new decision on the same record
// (typically the same action on the server's current version), keeping its place in the
// queue. It gets a new idempotency key: the server has already answered the old one.
func (tx *Tx) Resubmit(id int64, cmd Command) (string, error) {
	cmd, err := cmd.check()
	if err != nil {
		return "", err
	}
	old, err := tx.command(id)
	if err != nil {
		return "", err
	}
	if old.EntityType != cmd.EntityType || old.EntityID != cmd.EntityID {
		return "", portal.Errorf(portal.EINVALID, "A queued change can only be replaced by a change to the same record (%s %q).", old.EntityType, old.EntityID)
	}
	key := newIdempotencyKey()
	now := fmtTime(tx.Now())
	_, err = tx.transition(id, true, "resubmitted", []OutboxState{OutboxConflict, OutboxFailed},
		`UPDATE outbox SET idempotency_key = ?, command = ?, base_version = ?, payload = ?, preview = ?,
		preview_deletes = ?, state = 'queued', attempts = 0, next_attempt_at = ?, last_error = '', response = NULL,
		updated_at = ? WHERE id = ?`,
		key, cmd.Name, cmd.BaseVersion, string(cmd.Payload), rawOrNull(cmd.Preview), boolInt(cmd.PreviewDeletes), now, now)
	if err != nil {
		return "", err
	}
	return key, nil
}

// Discard removes a command the server does not have: the administrator's undo before it
// is sent, or "keep theirs" after a conflict. A command being sent cannot be discarded.
func (tx *Tx) Discard(id int64) error {
	_, err := tx.transition(id, true, "discarded", []OutboxState{OutboxQueued, OutboxFailed, OutboxConflict},
		`DELETE FROM outbox WHERE id = ?`)
	return err
}

// MarkSending is Tx.MarkSending in a transaction of its own.
func (db *DB) MarkSending(ctx context.Context, id int64) error {
	return db.Apply(ctx, func(tx *Tx) error { return tx.MarkSending(id) })
}

// MarkSent is Tx.MarkSent in a transaction of its own.
func (db *DB) MarkSent(ctx context.Context, id int64, response json.RawMessage, version int64) error {
	return db.Apply(ctx, func(tx *Tx) error { return tx.MarkSent(id, response, version) })
}

// MarkConflict is Tx.MarkConflict in a transaction of its own.
func (db *DB) MarkConflict(ctx context.Context, id int64, server json.RawMessage) error {
	return db.Apply(ctx, func(tx *Tx) error { return tx.MarkConflict(id, server) })
}

// MarkFailed is Tx.MarkFailed in a transaction of its own.
func (db *DB) MarkFailed(ctx context.Context, id int64, cause error, retryAt time.Time) error {
	return db.Apply(ctx, func(tx *Tx) error { return tx.MarkFailed(id, cause, retryAt) })
}

// Retry is Tx.Retry in a durable transaction of its own.
func (db *DB) Retry(ctx context.Context, id int64) error {
	return db.ApplyDurable(ctx, func(tx *Tx) error { return tx.Retry(id) })
}

// Resubmit is Tx.Resubmit in a durable transaction of its own.
func (db *DB) Resubmit(ctx context.Context, id int64, cmd Command) (string, error) {
	var key string
	err := db.ApplyDurable(ctx, func(tx *Tx) error {
		var err error
		key, err = tx.Resubmit(id, cmd)
		return err
	})
	return key, err
}

// Discard is Tx.Discard in a durable transaction of its own.
func (db *DB) Discard(ctx context.Context, id int64) error {
	return db.ApplyDurable(ctx, func(tx *Tx) error { return tx.Discard(id) })
}

// NextDue returns the oldest command that may be sent now, and false if there is none.
// Commands for one record go in the order they were queued: one waits while an earlier
// one for the same record is unsent, failed or in conflict.
func (db *DB) NextDue(ctx context.Context) (QueuedCommand, bool, error) {
	c, err := scanCommand(db.r.QueryRowContext(ctx, `SELECT `+outboxFields+` FROM outbox o
		WHERE o.next_attempt_at <= ? AND o.state IN ('queued', 'failed', 'sending')
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.entity_type = o.entity_type AND p.entity_id = o.entity_id
			AND p.id < o.id AND p.state IN (`+unsettledStates+`))
		ORDER BY o.id LIMIT 1`, fmtTime(db.clock.Now())))
	if errors.Is(err, sql.ErrNoRows) {
		return QueuedCommand{}, false, nil
	} else if err != nil {
		return QueuedCommand{}, false, fmt.Errorf("read the outbox: %w", err)
	}
	return c, true, nil
}

// DueRun returns first and the commands due after it with the same name, up to limit in
// all and in queue order, that may go in one bulk request: none waits on an earlier
// command for its record, and none was queued after an unsettled command of another kind
// (a contact queued after the organisation it belongs to goes after it).
func (db *DB) DueRun(ctx context.Context, first QueuedCommand, limit int) ([]QueuedCommand, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+outboxFields+` FROM outbox o WHERE o.command = ? AND o.id >= ? AND o.next_attempt_at <= ? AND o.state IN ('queued', 'failed', 'sending')
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.entity_type = o.entity_type AND p.entity_id = o.entity_id
			AND p.id < o.id AND p.state IN (`+unsettledStates+`))
		AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.id > ? AND x.id < o.id AND x.command <> o.command AND x.state IN (`+unsettledStates+`))
		ORDER BY o.id LIMIT ?`, first.Name, first.ID, fmtTime(db.clock.Now()), first.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return collect(rows, "read the outbox: %w", scanCommand)
}

// MarkSendingAll is Tx.MarkSending for several commands in one transaction.
func (db *DB) MarkSendingAll(ctx context.Context, ids []int64) error {
	return db.Apply(ctx, func(tx *Tx) error {
		for _, id := range ids {
			if err := tx.MarkSending(id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) listCommands(ctx context.Context, where string, args ...any) ([]QueuedCommand, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+outboxFields+" FROM outbox"+where+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return collect(rows, "read the outbox: %w", scanCommand)
}

// GetCommand returns one command.
func (db *DB) GetCommand(ctx context.Context, id int64) (QueuedCommand, error) {
	cs, err := db.listCommands(ctx, " WHERE id = ?", id)
	if err != nil {
		return QueuedCommand{}, err
	}
	if len(cs) == 0 {
		return QueuedCommand{}, portal.Errorf(portal.ENOTFOUND, "The queued change %d is no longer in the outbox.", id)
	}
	return cs[0], nil
}

// ListOutbox returns the commands in the given states (all if none), oldest first.
func (db *DB) ListOutbox(ctx context.Context, states ...OutboxState) ([]QueuedCommand, error) {
	if len(states) == 0 {
		return db.listCommands(ctx, "")
	}
	ph := make([]string, len(states))
	args := make([]any, len(states))
	for i, s := range states {
		ph[i], args[i] = "?", string(s)
	}
	return db.listCommands(ctx, " WHERE state IN ("+strings.Join(ph, ", ")+")", args...)
}

// PendingFor returns the commands for one record that the server does not have yet
// (queued, sending, failed or in conflict), oldest first.
func (db *DB) PendingFor(ctx context.Context, entityType, entityID string) ([]QueuedCommand, error) {
	return db.listCommands(ctx, " WHERE entity_type = ? AND entity_id = ? AND state IN ("+unsettledStates+")", entityType, entityID)
}

// PendingCount is the number of changes the server does not have yet, for the status bar.
func (db *DB) PendingCount(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE state IN ("+unsettledStates+")").Scan(&n); err != nil {
		return 0, fmt.Errorf("count the queued changes: %w", err)
	}
	return n, nil
}

// OutboxCounts counts the commands in each state.
func (db *DB) OutboxCounts(ctx context.Context) (map[OutboxState]int, error) {
	counts := map[OutboxState]int{OutboxQueued: 0, OutboxSending: 0, OutboxSent: 0, OutboxConflict: 0, OutboxFailed: 0}
	rows, err := db.r.QueryContext(ctx, "SELECT state, count(*) FROM outbox GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("count the queued changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count the queued changes: %w", err)
		}
		counts[OutboxState(s)] = n
	}
	return counts, rows.Err()
}

// PruneSent deletes sent commands last updated before the given time and says how many.
func (db *DB) PruneSent(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.Apply(ctx, func(tx *Tx) error {
		res, err := tx.exec("DELETE FROM outbox WHERE state = 'sent' AND updated_at < ?", fmtTime(before))
		if err != nil {
			return fmt.Errorf("clear sent changes from the outbox: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// ---- the overlay ----

// recordOps lets the overlay read, write and delete a mirrored record as JSON.
type recordOps struct {
	load  func(tx *Tx, id string) (rec json.RawMessage, version int64, found bool, err error)
	put   func(tx *Tx, rec json.RawMessage) error // unguarded: the overlay decides
	del   func(tx *Tx, id string) error
	check func(rec json.RawMessage, id string) error
}

func opsFor[T any](table string, get func(context.Context, queryer, string) (T, error), put func(*Tx, T, bool) error,
	idOf func(T) string, versionOf func(T) int64, valid func(T) error) recordOps {
	decode := func(rec json.RawMessage, id string) (T, error) {
		var v T
		if err := json.Unmarshal(rec, &v); err != nil {
			return v, err
		}
		if idOf(v) != id {
			return v, fmt.Errorf("it is for %q, not %q", idOf(v), id)
		}
		return v, valid(v)
	}
	return recordOps{
		load: func(tx *Tx, id string) (json.RawMessage, int64, bool, error) {
			v, err := get(tx.ctx, tx.tx, id)
			if portal.ErrorCode(err) == portal.ENOTFOUND {
				return nil, 0, false, nil
			} else if err != nil {
				return nil, 0, false, err
			}
			b, err := json.Marshal(v)
			return b, versionOf(v), true, err
		},
		put: func(tx *Tx, rec json.RawMessage) error {
			var v T
			if err := json.Unmarshal(rec, &v); err != nil {
				return fmt.Errorf("restore a %s from the outbox: %w", table, err)
			}
			return put(tx, v, false)
		},
		del: func(tx *Tx, id string) error {
			_, err := tx.exec("DELETE FROM "+table+" WHERE id = ?", id)
			return err
		},
		check: func(rec json.RawMessage, id string) error {
			_, err := decode(rec, id)
			return err
		},
	}
}

var recordOpsFor = map[string]recordOps{
	EntityAccount: opsFor("accounts", getAccount, (*Tx).putAccount,
		func(a portal.Account) string { return a.ID }, func(a portal.Account) int64 { return a.Version }, checkAccount),
	EntityOrganization: opsFor("organizations", getOrganization, (*Tx).putOrganization,
		func(o portal.Organization) string { return o.ID }, func(o portal.Organization) int64 { return o.Version },
		func(portal.Organization) error { return nil }),
	EntityContact: opsFor("contacts", getContact, (*Tx).putContact,
		func(c portal.Contact) string { return c.ID }, func(c portal.Contact) int64 { return c.Version },
		func(portal.Contact) error { return nil }),
	EntityRole: opsFor("roles", getRole, (*Tx).putRole,
		func(r portal.Role) string { return r.ID }, func(r portal.Role) int64 { return r.Version },
		func(portal.Role) error { return nil }),
	EntityInvitation: opsFor("invitations", getInvitation, (*Tx).putInvitation,
		func(i portal.Invitation) string { return i.ID }, func(i portal.Invitation) int64 { return i.Version },
		func(portal.Invitation) error { return nil }),
	EntityTemplate: documentOps(EntityTemplate),
	EntitySettings: documentOps(EntitySettings),
}

// shadowed reports whether the server's copy of the record sits in overlay_base.
func (tx *Tx) shadowed(k entityKey) (bool, error) {
	if v, ok := tx.shadows[k]; ok || tx.shadowsLoaded {
		return v, nil
	}
	if tx.shadows == nil {
		tx.shadows = map[entityKey]bool{}
	}
	// A few records are looked up one by one (an action, an acknowledgement: overlay_base
	// may hold thousands of pending records then, a whole import's); past that the set is
	// loaded once, so that a sync page of thousands of rows needs no query per row.
	if tx.shadowLookups < shadowLookupsBeforeLoad {
		tx.shadowLookups++
		st, err := tx.stmt("SELECT count(*) FROM overlay_base WHERE entity_type = ? AND entity_id = ?")
		if err != nil {
			return false, err
		}
		var n int
		if err := st.QueryRowContext(tx.ctx, k.typ, k.id).Scan(&n); err != nil {
			return false, fmt.Errorf("read pending changes: %w", err)
		}
		tx.shadows[k] = n > 0
		return n > 0, nil
	}
	rows, err := tx.tx.QueryContext(tx.ctx, "SELECT entity_type, entity_id FROM overlay_base")
	if err != nil {
		return false, fmt.Errorf("read pending changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r entityKey
		if err := rows.Scan(&r.typ, &r.id); err != nil {
			return false, fmt.Errorf("read pending changes: %w", err)
		}
		if _, known := tx.shadows[r]; !known {
			tx.shadows[r] = true
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("read pending changes: %w", err)
	}
	tx.shadowsLoaded = true
	return tx.shadows[k], nil
}

// shadowLookupsBeforeLoad is how many records a transaction looks up in overlay_base one by
// one before it reads the whole table instead.
const shadowLookupsBeforeLoad = 64

func (tx *Tx) touchOverlay(k entityKey) {
	if tx.overlay == nil {
		tx.overlay = map[entityKey]bool{}
	}
	tx.overlay[k] = true
}

// flushOverlays brings each touched record's on-screen state in line with its waiting
// commands, just before commit.
func (tx *Tx) flushOverlays() error {
	for k := range tx.overlay {
		if err := tx.refreshOverlay(k); err != nil {
			return err
		}
	}
	tx.overlay = nil
	return nil
}

func (tx *Tx) refreshOverlay(k entityKey) error {
	ops, ok := recordOpsFor[k.typ]
	if !ok {
		return nil // no previews for this type
	}
	var preview sql.NullString
	var deletes int
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT preview, preview_deletes FROM outbox
		WHERE entity_type = ? AND entity_id = ?
		AND (state IN ('queued', 'sending') OR (state = 'failed' AND next_attempt_at IS NOT NULL))
		AND (preview IS NOT NULL OR preview_deletes = 1)
		ORDER BY id DESC LIMIT 1`, k.typ, k.id).Scan(&preview, &deletes)
	waiting := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read pending changes to %s %q: %w", k.typ, k.id, err)
	}
	shadowed, err := tx.shadowed(k)
	if err != nil {
		return err
	}
	switch {
	case waiting:
		if !shadowed {
			// No overlay yet, so the table holds the server's copy: keep it aside.
			rec, version, found, err := ops.load(tx, k.id)
			if err != nil {
				return fmt.Errorf("keep the server's copy of %s %q: %w", k.typ, k.id, err)
			}
			var stored any
			if found {
				stored = string(rec)
			}
			if _, err := tx.exec("INSERT INTO overlay_base(entity_type, entity_id, record, version) VALUES (?, ?, ?, ?)",
				k.typ, k.id, stored, version); err != nil {
				return fmt.Errorf("keep the server's copy of %s %q: %w", k.typ, k.id, err)
			}
			tx.shadows[k] = true
		}
		if deletes != 0 {
			err = ops.del(tx, k.id)
		} else {
			err = ops.put(tx, json.RawMessage(preview.String))
		}
		if err != nil {
			return fmt.Errorf("show the pending change to %s %q: %w", k.typ, k.id, err)
		}
	case shadowed:
		var base sql.NullString
		if err := tx.tx.QueryRowContext(tx.ctx, "SELECT record FROM overlay_base WHERE entity_type = ? AND entity_id = ?",
			k.typ, k.id).Scan(&base); err != nil {
			return fmt.Errorf("restore the server's copy of %s %q: %w", k.typ, k.id, err)
		}
		if base.Valid {
			err = ops.put(tx, json.RawMessage(base.String))
		} else {
			err = ops.del(tx, k.id)
		}
		if err != nil {
			return fmt.Errorf("restore the server's copy of %s %q: %w", k.typ, k.id, err)
		}
		if _, err := tx.exec("DELETE FROM overlay_base WHERE entity_type = ? AND entity_id = ?", k.typ, k.id); err != nil {
			return fmt.Errorf("restore the server's copy of %s %q: %w", k.typ, k.id, err)
		}
		tx.shadows[k] = false
	}
	return nil
}

// AccountView is an account as the administrator sees it, beside the server's copy.
type AccountView struct {
	// Account is what every screen shows: the server's record, or the latest preview of a
	// change waiting in the outbox.
	Account portal.Account `json:"account"`
	// Removed is true when a waiting change removes the account (purge); Account is then
	// the server's copy.
	Removed bool `json:"removed"`
	// Server is the server's copy as last downloaded; nil if the server has no such account
	// (yet).
	Server *portal.Account `json:"server,omitempty"`
	// Pending are the changes the server does not have yet, oldest first, conflicts included.
	Pending []QueuedCommand `json:"pending"`
}

// Overlaid reports whether the account on screen differs from the server's copy because of
// a waiting change.
func (v AccountView) Overlaid() bool {
	for _, c := range v.Pending {
		if len(c.Preview) > 0 || c.PreviewDeletes {
			if c.State == OutboxQueued || c.State == OutboxSending || (c.State == OutboxFailed && c.NextAttemptAt != nil) {
				return true
			}
		}
	}
	return false
}

// GetAccountView returns the account as the administrator sees it, the server's copy and
// the changes waiting for it.
func (db *DB) GetAccountView(ctx context.Context, id string) (AccountView, error) {
	var v AccountView
	err := db.readTx(ctx, func(q queryer) error {
		live, liveErr := getAccount(ctx, q, id)
		if liveErr != nil && portal.ErrorCode(liveErr) != portal.ENOTFOUND {
			return liveErr
		}
		var base sql.NullString
		err := q.QueryRowContext(ctx, "SELECT record FROM overlay_base WHERE entity_type = 'account' AND entity_id = ?", id).Scan(&base)
		shadowed := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		switch {
		case shadowed && base.Valid:
			var s portal.Account
			if err := json.Unmarshal([]byte(base.String), &s); err != nil {
				return fmt.Errorf("the server's copy of account %q is malformed: %w", id, err)
			}
			v.Server = &s
		case !shadowed && liveErr == nil:
			s := live
			v.Server = &s
		}
		switch {
		case liveErr == nil:
			v.Account = live
		case v.Server != nil:
			v.Account, v.Removed = *v.Server, true
		default:
			return liveErr
		}
		rows, err := q.QueryContext(ctx, "SELECT "+outboxFields+" FROM outbox WHERE entity_type = 'account' AND entity_id = ? AND state IN ("+unsettledStates+") ORDER BY id", id)
		if err != nil {
			return err
		}
		v.Pending, err = collect(rows, "its pending changes: %w", scanCommand)
		return err
	})
	if err != nil {
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			return AccountView{}, err
		}
		return AccountView{}, fmt.Errorf("read account %q from the local database: %w", id, err)
	}
	return v, nil
}

// OverlayBase returns the server's copy of a record kept under the administrator's pending
// changes (nil when the server has none) and its version; found is false when no change is
// pending for the record.
func (db *DB) OverlayBase(ctx context.Context, entity, id string) (json.RawMessage, int64, bool, error) {
	var rec sql.NullString
	var version int64
	err := db.r.QueryRowContext(ctx, `SELECT record, version FROM overlay_base WHERE entity_type = ? AND entity_id = ?`,
		entity, id).Scan(&rec, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, 0, false, nil
	case err != nil:
		return nil, 0, false, fmt.Errorf("read the server's copy of %s %q: %w", entity, id, err)
	case !rec.Valid:
		return nil, 0, true, nil
	}
	return json.RawMessage(rec.String), version, true, nil
}
