package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// ensureSchema checks that the cache was opened with this package's tables (Schema, see
// migrations/0040_sync_state.sql): a programming error otherwise, said plainly.
func ensureSchema(ctx context.Context, db *cache.DB) error {
	ok, err := db.HasTable(ctx, "sync_acked")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the local database %s was opened without the sync engine's tables: open it with cache.WithSchema(replica.Schema())", db.Path())
	}
	return nil
}

// record is one server record to store in the cache: from the feed or from the answer
// to a command.
type record struct {
	entity  string
	id      string
	version int64
	deleted bool
	value   any // portal.Account, portal.Organization, ... or a pointer to one; nil when deleted
}

// decodeRecord turns a feed entry into a record. ok is false for entities the cache does
// not mirror.
func decodeRecord(entity, id, op string, version int64, data json.RawMessage) (record, bool, error) {
	r := record{entity: entity, id: id, version: version}
	switch op {
	case "delete":
		r.deleted = true
		switch entity {
		case cache.EntityOrganization, cache.EntityContact, cache.EntityAccount, cache.EntityRole, cache.EntityInvitation,
			cache.EntityTemplate, cache.EntitySettings:
			return r, true, nil
		}
		return r, false, nil // audit events are never deleted; others are not mirrored
	case "upsert":
	default:
		return r, false, fmt.Errorf("the server sent a change to %s %q with an unknown operation %q; update Gatehouse", entity, id, op)
	}
	var err error
	switch entity {
	case cache.EntityOrganization:
		r.value, err = decode[portal.Organization](data)
	case cache.EntityContact:
		r.value, err = decode[portal.Contact](data)
	case cache.EntityAccount:
		r.value, err = decode[portal.Account](data)
	case cache.EntityRole:
		r.value, err = decode[portal.Role](data)
	case cache.EntityInvitation:
		r.value, err = decode[portal.Invitation](data)
	case "audit":
		r.value, err = decode[portal.AuditEvent](data)
	case cache.EntityTemplate:
		r.value, err = decode[client.Template](data)
	case cache.EntitySettings:
		r.value, err = decode[client.Settings](data)
	default:
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("the server sent a %s %q that Gatehouse cannot read: %w", entity, id, err)
	}
	return r, true, nil
}

// feedRecord turns a decoded feed entry into a record. ok is false for entities the cache
// does not mirror.
func feedRecord(c client.FeedChange) (record, bool, error) {
	r := record{entity: c.Entity, id: c.ID, version: c.Version}
	switch c.Op {
	case "delete":
		return decodeRecord(c.Entity, c.ID, c.Op, c.Version, nil)
	case "upsert":
	default:
		return r, false, fmt.Errorf("the server sent a change to %s %q with an unknown operation %q; update Gatehouse", c.Entity, c.ID, c.Op)
	}
	switch v := c.Record.(type) {
	case *portal.Organization, *portal.Contact, *portal.Account, *portal.Role, *portal.Invitation, *portal.AuditEvent,
		*client.Template, *client.Settings:
		r.value = v
	case nil:
		switch c.Entity {
		case cache.EntityOrganization, cache.EntityContact, cache.EntityAccount, cache.EntityRole, cache.EntityInvitation, "audit",
			cache.EntityTemplate, cache.EntitySettings:
			return r, false, fmt.Errorf("the server sent a %s %q without its record; report this to the portal server's administrator", c.Entity, c.ID)
		}
		return r, false, nil
	default:
		return r, false, nil // entities this version does not know
	}
	return r, true, nil
}

func decode[T any](data json.RawMessage) (T, error) {
	var v T
	if len(data) == 0 {
		return v, fmt.Errorf("the record is empty")
	}
	err := json.Unmarshal(data, &v)
	return v, err
}

// store writes the record into the cache within tx.
func (r record) store(tx *cache.Tx) error {
	if r.deleted {
		switch r.entity {
		case cache.EntityOrganization:
			return tx.DeleteOrganization(r.id)
		case cache.EntityContact:
			return tx.DeleteContact(r.id)
		case cache.EntityAccount:
			return tx.DeleteAccount(r.id)
		case cache.EntityRole:
			return tx.DeleteRole(r.id)
		case cache.EntityInvitation:
			return tx.DeleteInvitation(r.id)
		case cache.EntityTemplate, cache.EntitySettings:
			return tx.DeleteDocument(r.entity, r.id)
		}
		return nil
	}
	switch v := r.value.(type) {
	case *portal.Organization:
		return tx.UpsertOrganization(*v)
	case *portal.Contact:
		return tx.UpsertContact(*v)
	case *portal.Account:
		return tx.UpsertAccount(*v)
	case *portal.Role:
		return tx.UpsertRole(*v)
	case *portal.Invitation:
		return tx.UpsertInvitation(*v)
	case *portal.AuditEvent:
		return tx.UpsertAuditEvent(*v)
	case portal.Organization:
		return tx.UpsertOrganization(v)
	case portal.Contact:
		return tx.UpsertContact(v)
	case portal.Account:
		return tx.UpsertAccount(v)
	case portal.Role:
		return tx.UpsertRole(v)
	case portal.Invitation:
		return tx.UpsertInvitation(v)
	case portal.AuditEvent:
		return tx.UpsertAuditEvent(v)
	case *client.Template:
		return tx.UpsertDocument(cache.EntityTemplate, v.Key, v.Version, v)
	case client.Template:
		return tx.UpsertDocument(cache.EntityTemplate, v.Key, v.Version, v)
	case *client.Settings:
		return tx.UpsertDocument(cache.EntitySettings, portal.SettingsID, v.Version, v)
	case client.Settings:
		return tx.UpsertDocument(cache.EntitySettings, portal.SettingsID, v.Version, v)
	}
	return fmt.Errorf("sync: cannot store a %T", r.value)
}

type ackKey struct{ entity, id string }

type ack struct {
	version int64
	deleted bool
}

// acks is the sync_acked table of one transaction.
type acks struct {
	tx  *cache.Tx
	ctx context.Context
	m   map[ackKey]ack
}

func loadAcks(ctx context.Context, tx *cache.Tx) (*acks, error) {
	rows, err := tx.SQL().QueryContext(ctx, `SELECT entity_type, entity_id, version, deleted FROM sync_acked`)
	if err != nil {
		return nil, fmt.Errorf("read the acknowledged changes: %w", err)
	}
	defer rows.Close()
	a := &acks{tx: tx, ctx: ctx, m: map[ackKey]ack{}}
	for rows.Next() {
		var k ackKey
		var v ack
		if err := rows.Scan(&k.entity, &k.id, &v.version, &v.deleted); err != nil {
			return nil, fmt.Errorf("read the acknowledged changes: %w", err)
		}
		a.m[k] = v
	}
	return a, rows.Err()
}

// fromFeed stores a feed record unless an acknowledged command already put a later state
// in the cache (see admit).
func (a *acks) fromFeed(r record) error {
	if ok, err := a.admit(r); !ok || err != nil {
		return err
	}
	return r.store(a.tx)
}

// admit says whether a feed record is to be stored: not if an acknowledged command already
// put a later state in the cache. It forgets the acknowledgement once the feed has caught
// up with it.
func (a *acks) admit(r record) (bool, error) {
	k := ackKey{r.entity, r.id}
	if v, ok := a.m[k]; ok {
		caughtUp := r.deleted || (!v.deleted && r.version >= v.version)
		if !caughtUp {
			return false, nil // older than what the server told us it now has
		}
		if _, err := a.tx.SQL().ExecContext(a.ctx, `DELETE FROM sync_acked WHERE entity_type = ? AND entity_id = ?`, r.entity, r.id); err != nil {
			return false, fmt.Errorf("forget the acknowledgement of %s %q: %w", r.entity, r.id, err)
		}
		delete(a.m, k)
	}
	return true, nil
}

// fromAnswer stores a record from a command's answer and remembers it until the feed
// delivers it.
func (a *acks) fromAnswer(r record) error {
	if r.entity == "audit" {
		return r.store(a.tx)
	}
	if _, err := a.tx.SQL().ExecContext(a.ctx, `INSERT INTO sync_acked (entity_type, entity_id, version, deleted) VALUES (?, ?, ?, ?)
		ON CONFLICT (entity_type, entity_id) DO UPDATE SET version = max(version, excluded.version), deleted = excluded.deleted`,
		r.entity, r.id, r.version, r.deleted); err != nil {
		return fmt.Errorf("remember the server's answer for %s %q: %w", r.entity, r.id, err)
	}
	a.m[ackKey{r.entity, r.id}] = ack{version: r.version, deleted: r.deleted}
	return r.store(a.tx)
}

// ---- reading records from the cache as the administrator sees them ----

// current returns the record as the administrator sees it (their pending changes
// included), as JSON.
func (e *Engine) current(ctx context.Context, entity, id string) (json.RawMessage, error) {
	var v any
	var err error
	switch entity {
	case cache.EntityAccount:
		v, err = e.db.GetAccount(ctx, id)
	case cache.EntityOrganization:
		v, err = e.db.GetOrganization(ctx, id)
	case cache.EntityContact:
		v, err = e.db.GetContact(ctx, id)
	case cache.EntityInvitation:
		v, err = e.db.GetInvitation(ctx, id)
	case cache.EntityRole:
		return loadRoleOrNotFound(ctx, e, id)
	case cache.EntityTemplate, cache.EntitySettings:
		return loadDocumentOrNotFound(ctx, e, entity, id)
	default:
		return nil, fmt.Errorf("sync: no %s records in the local copy", entity)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// serverCopy returns the server's copy of a record as last downloaded (not the
// administrator's pending preview); nil if the server has none.
func (e *Engine) serverCopy(ctx context.Context, entity, id string) (json.RawMessage, int64, error) {
	rec, version, found, err := e.db.OverlayBase(ctx, entity, id)
	switch {
	case err != nil:
		return nil, 0, err
	case found:
		return rec, version, nil
	}
	cur, err := e.current(ctx, entity, id)
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		return nil, 0, nil
	} else if err != nil {
		return nil, 0, err
	}
	return cur, versionOf(cur), nil
}

func versionOf(rec json.RawMessage) int64 {
	var v struct {
		Version json.Number `json:"version"`
	}
	if json.Unmarshal(rec, &v) != nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(v.Version), 10, 64)
	return n
}
