package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ---- settings ----

// GetSetting decodes the JSON value stored under key into dst and reports whether there
// was one.
func (db *DB) GetSetting(ctx context.Context, key string, dst any) (bool, error) {
	var raw string
	err := db.r.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read setting %q from the local database: %w", key, err)
	}
	if err := json.Unmarshal([]byte(raw), dst); err != nil {
		return true, fmt.Errorf("setting %q holds %s, which does not fit here: %w. Set it again in Settings", key, raw, err)
	}
	return true, nil
}

// SetSetting stores v as JSON under key.
func (db *DB) SetSetting(ctx context.Context, key string, v any) error {
	if key == "" {
		return errors.New("store a setting: the key is empty")
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store setting %q: %w", key, err)
	}
	return db.ApplyDurable(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			key, string(raw), fmtTime(tx.Now()))
		if err != nil {
			return fmt.Errorf("store setting %q: %w", key, err)
		}
		return nil
	})
}

// DeleteSetting removes key; it is not an error if there was none.
func (db *DB) DeleteSetting(ctx context.Context, key string) error {
	return db.Apply(ctx, func(tx *Tx) error {
		if _, err := tx.exec("DELETE FROM settings WHERE key = ?", key); err != nil {
			return fmt.Errorf("remove setting %q: %w", key, err)
		}
		return nil
	})
}

// ---- sync state ----

// SyncState is how far one stream of the server's change feed has been followed.
type SyncState struct {
	Stream      string     `json:"stream"`
	Cursor      string     `json:"cursor"` // opaque to the cache; "" before the first sync
	LastSyncAt  *time.Time `json:"lastSyncAt,omitempty"`
	LastError   string     `json:"lastError"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
}

// SetCursor records that the stream has been applied up to cursor, in the same transaction
// as the page that got it there, and clears the stream's last error.
func (tx *Tx) SetCursor(stream, cursor string) error {
	_, err := tx.exec(`INSERT INTO sync_state(stream, cursor, last_sync_at, last_error, last_error_at) VALUES (?, ?, ?, '', NULL)
		ON CONFLICT(stream) DO UPDATE SET cursor = excluded.cursor, last_sync_at = excluded.last_sync_at,
		last_error = '', last_error_at = NULL`, stream, cursor, fmtTime(tx.Now()))
	if err != nil {
		return fmt.Errorf("record sync position of %q: %w", stream, err)
	}
	return nil
}

// Cursor returns the stream's cursor within the transaction ("" if never synced).
func (tx *Tx) Cursor(stream string) (string, error) {
	var c string
	err := tx.tx.QueryRowContext(tx.ctx, "SELECT cursor FROM sync_state WHERE stream = ?", stream).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("read sync position of %q: %w", stream, err)
	}
	return c, nil
}

// SetSyncError records why the last sync of stream failed; the cursor stays where it was.
// A nil error clears it.
func (db *DB) SetSyncError(ctx context.Context, stream string, syncErr error) error {
	msg, at := "", any(nil)
	if syncErr != nil {
		msg, at = syncErr.Error(), fmtTime(db.clock.Now())
	}
	return db.Apply(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO sync_state(stream, last_error, last_error_at) VALUES (?, ?, ?)
			ON CONFLICT(stream) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
			stream, msg, at)
		if err != nil {
			return fmt.Errorf("record sync error of %q: %w", stream, err)
		}
		return nil
	})
}

func scanSyncState(row interface{ Scan(...any) error }) (SyncState, error) {
	var s SyncState
	err := row.Scan(&s.Stream, &s.Cursor, OptTime(&s.LastSyncAt), &s.LastError, OptTime(&s.LastErrorAt))
	return s, err
}

// GetSyncState returns a stream's state; a stream never synced has an empty cursor.
func (db *DB) GetSyncState(ctx context.Context, stream string) (SyncState, error) {
	s, err := scanSyncState(db.r.QueryRowContext(ctx,
		"SELECT stream, cursor, last_sync_at, last_error, last_error_at FROM sync_state WHERE stream = ?", stream))
	if errors.Is(err, sql.ErrNoRows) {
		return SyncState{Stream: stream}, nil
	} else if err != nil {
		return SyncState{}, fmt.Errorf("read sync state of %q: %w", stream, err)
	}
	return s, nil
}

// SyncStates returns the state of every stream, by name.
func (db *DB) SyncStates(ctx context.Context) ([]SyncState, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT stream, cursor, last_sync_at, last_error, last_error_at FROM sync_state ORDER BY stream")
	if err != nil {
		return nil, fmt.Errorf("read sync state: %w", err)
	}
	defer rows.Close()
	out := []SyncState{}
	for rows.Next() {
		s, err := scanSyncState(rows)
		if err != nil {
			return nil, fmt.Errorf("read sync state: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
