package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Documents are the portal's records that the desktop keeps whole, as the server sent
// them: its settings and its message templates. The cache does not read inside them; the
// caller decodes them into its own type.
const (
	EntityTemplate = "template"
	EntitySettings = "settings"
)

// UpsertDocument stores a document as the server sent it (v is encoded as JSON), unless a
// newer version is stored; while a change to it waits in the outbox, beside that change.
func (tx *Tx) UpsertDocument(entity, id string, version int64, v any) error {
	if err := requireID(entity, id); err != nil {
		return err
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store the %s %q: %w", entity, id, err)
	}
	return tx.writeRecord(entity, id, version, json.RawMessage(doc), func() error { return tx.putDocument(entity, id, version, doc, true) })
}

func (tx *Tx) putDocument(entity, id string, version int64, doc []byte, guarded bool) error {
	q := `INSERT INTO documents (entity_type, id, version, doc) VALUES (?, ?, ?, ?)
		ON CONFLICT(entity_type, id) DO UPDATE SET version = excluded.version, doc = excluded.doc`
	if guarded {
		q += ` WHERE excluded.version >= documents.version`
	}
	if _, err := tx.exec(q, entity, id, version, string(doc)); err != nil {
		return fmt.Errorf("store the %s %q: %w", entity, id, err)
	}
	return nil
}

// DeleteDocument removes a document the server deleted.
func (tx *Tx) DeleteDocument(entity, id string) error {
	return tx.removeRecord(entity, id, func() error { return tx.deleteDocument(entity, id) })
}

func (tx *Tx) deleteDocument(entity, id string) error {
	if _, err := tx.exec(`DELETE FROM documents WHERE entity_type = ? AND id = ?`, entity, id); err != nil {
		return fmt.Errorf("delete the %s %q: %w", entity, id, err)
	}
	return nil
}

func getDocument(ctx context.Context, q queryer, entity, id string) (json.RawMessage, int64, bool, error) {
	var doc string
	var version int64
	err := q.QueryRowContext(ctx, `SELECT doc, version FROM documents WHERE entity_type = ? AND id = ?`, entity, id).Scan(&doc, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, false, nil
	} else if err != nil {
		return nil, 0, false, fmt.Errorf("read the %s %q from the local database: %w", entity, id, err)
	}
	return json.RawMessage(doc), version, true, nil
}

// Document reads a document as the administrator sees it (a change waiting in the outbox
// included) into v; found is false when the cache has none (not synced yet).
func (db *DB) Document(ctx context.Context, entity, id string, v any) (found bool, err error) {
	doc, _, found, err := getDocument(ctx, db.r, entity, id)
	if err != nil || !found {
		return false, err
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return false, fmt.Errorf("read the %s %q from the local database: %w", entity, id, err)
	}
	return true, nil
}

// Documents reads every document of one type, by ID, as the administrator sees them.
func (db *DB) Documents(ctx context.Context, entity string) (map[string]json.RawMessage, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, doc FROM documents WHERE entity_type = ?`, entity)
	if err != nil {
		return nil, fmt.Errorf("read the %ss from the local database: %w", entity, err)
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, fmt.Errorf("read the %ss from the local database: %w", entity, err)
		}
		out[id] = json.RawMessage(doc)
	}
	return out, rows.Err()
}

// documentOps lets the overlay show a pending change to a document of entity.
func documentOps(entity string) recordOps {
	return recordOps{
		load: func(tx *Tx, id string) (json.RawMessage, int64, bool, error) {
			return getDocument(tx.ctx, tx.tx, entity, id)
		},
		put: func(tx *Tx, rec json.RawMessage) error {
			var head struct {
				ID      string `json:"id"`
				Key     string `json:"key"`
				Version int64  `json:"version"`
			}
			if err := json.Unmarshal(rec, &head); err != nil {
				return fmt.Errorf("restore a %s from the outbox: %w", entity, err)
			}
			return tx.putDocument(entity, documentID(entity, head.ID, head.Key), head.Version, rec, false)
		},
		del: func(tx *Tx, id string) error { return tx.deleteDocument(entity, id) },
		check: func(rec json.RawMessage, id string) error {
			var head struct {
				ID  string `json:"id"`
				Key string `json:"key"`
			}
			if err := json.Unmarshal(rec, &head); err != nil {
				return err
			}
			if got := documentID(entity, head.ID, head.Key); got != id {
				return fmt.Errorf("it is for %q, not %q", got, id)
			}
			return nil
		},
	}
}

// documentID is the ID a document goes by: a template's key; the one settings record's
// fixed ID.
func documentID(entity, id, key string) string {
	switch entity {
	case EntityTemplate:
		return key
	case EntitySettings:
		return settingsDocID
	}
	return id
}

// settingsDocID is portal.SettingsID: the portal has one settings record.
const settingsDocID = "portal"
