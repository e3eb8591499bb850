package store

import (
	"context"
	"encoding/json"
	"fmt"

	"gatehouse/backend/portal"
)

// ReadAhead names what the next commands of a write transaction will read, so that it
// is read at once: the contacts, the accounts of each (by contact and by the contact's
// address) and the actor's idempotency keys. A bulk invitation reads these for each of
// its items; on PostgreSQL each read is a round trip while every other writer waits,
// and reading a chunk's at once takes four.
type ReadAhead struct {
	ContactIDs []string
	ActorID    string
	// IdempotencyKeys are ActorID's.
	IdempotencyKeys []string
}

// ReadAhead implements Tx. What it reads is kept in the transaction's memo (memo.go) and
// answers the reads that follow, until a write changes it; it changes no answer.
func (w *writer) ReadAhead(ctx context.Context, ra ReadAhead) error {
	m := w.memo
	m.aheads++
	if len(ra.ContactIDs) > 0 {
		contacts, err := w.readAhead(ctx, `SELECT id, id, doc FROM contacts WHERE %s`, "id", ra.ContactIDs)
		if err != nil {
			return fmt.Errorf("read contacts ahead: %w", err)
		}
		byContact, err := w.readAhead(ctx, `SELECT contact_id, id, doc FROM accounts WHERE %s ORDER BY id`, "contact_id", ra.ContactIDs)
		if err != nil {
			return fmt.Errorf("read accounts ahead: %w", err)
		}
		var emails []string
		for _, id := range ra.ContactIDs {
			found := contacts[id]
			m.keep(memoKey(queryContact, id), found.docs, found.ids)
			// queryAccountByContact reads the first account only.
			acc := byContact[id]
			m.keep(memoKey(queryAccountByContact, id), acc.docs[:min(1, len(acc.docs))], acc.ids[:min(1, len(acc.ids))])
			if len(found.docs) == 1 {
				var c portal.Contact
				if err := json.Unmarshal([]byte(found.docs[0]), &c); err != nil {
					return fmt.Errorf("decode stored contact: %w", err)
				}
				emails = append(emails, portal.NormalizeEmail(c.Email))
			}
		}
		if len(emails) > 0 {
			byEmail, err := w.readAhead(ctx, `SELECT email_norm, id, doc FROM accounts WHERE %s ORDER BY id`, "email_norm", emails)
			if err != nil {
				return fmt.Errorf("read accounts ahead: %w", err)
			}
			for _, e := range emails {
				acc := byEmail[e]
				m.keep(memoKey(queryAccountsByEmail, e), acc.docs, acc.ids)
			}
		}
	}
	if len(ra.IdempotencyKeys) > 0 {
		stored := map[string]*Idempotency{}
		in, args := w.in("key", ra.IdempotencyKeys)
		rows, err := w.queryPlanned(ctx, `SELECT key, request_hash, body, created_at FROM idempotency WHERE actor_id = ? AND `+in, append([]any{ra.ActorID}, args...)...)
		if err != nil {
			return fmt.Errorf("read idempotency keys ahead: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			rec := Idempotency{ActorID: ra.ActorID}
			var body, created string
			if err := rows.Scan(&rec.Key, &rec.RequestHash, &body, &created); err != nil {
				return fmt.Errorf("read idempotency keys ahead: %w", err)
			}
			rec.Body, rec.CreatedAt = json.RawMessage(body), parseTS(created)
			stored[rec.Key] = &rec
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read idempotency keys ahead: %w", err)
		}
		if m.idem == nil {
			m.idem = map[string]*Idempotency{}
		}
		for _, key := range ra.IdempotencyKeys {
			m.idem[idemKey(ra.ActorID, key)] = stored[key] // nil: none stored
		}
	}
	return nil
}

// found is what one looked-up value found: documents and their records' IDs, in order.
type found struct{ docs, ids []string }

// readAhead runs query, whose %s takes the condition that col is one of vals and whose
// rows are the looked-up value, the record's ID and its document; it returns what each
// value found.
func (w *writer) readAhead(ctx context.Context, query, col string, vals []string) (map[string]found, error) {
	in, args := w.in(col, vals)
	rows, err := w.queryPlanned(ctx, fmt.Sprintf(query, in), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]found{}
	for rows.Next() {
		var key, id, doc string
		if err := rows.Scan(&key, &id, &doc); err != nil {
			return nil, err
		}
		f := out[key]
		f.docs, f.ids = append(f.docs, doc), append(f.ids, id)
		out[key] = f
	}
	return out, rows.Err()
}

// idempotency is the idempotency key read ahead: known is false when it was not; rec is
// nil when none is stored.
func (m *docMemo) idempotency(actorID, key string) (rec *Idempotency, known bool) {
	if m == nil {
		return nil, false
	}
	rec, known = m.idem[idemKey(actorID, key)]
	return rec, known
}

// forgetKey drops an idempotency key read ahead: the transaction stores it.
func (m *docMemo) forgetKey(key string) { delete(m.idem, key) }

func idemKey(actorID, key string) string { return actorID + "\x00" + key }

// queryPlanned runs a read-ahead's query: on PostgreSQL planned for its arguments
// (pgWrite.queryPlanned).
func (w *writer) queryPlanned(ctx context.Context, query string, args ...any) (rowsIter, error) {
	if p, ok := w.tx.(*pgWrite); ok {
		return p.queryPlanned(ctx, query, args...)
	}
	return w.tx.QueryContext(ctx, query, args...)
}

// in is the condition that col is one of vals, and its one argument: an array, so that
// the statement is the same whatever the number of values (a list of placeholders would
// be a statement of its own for each length, each prepared and kept; on PostgreSQL, in
// a prepared statement's generic plan, it also builds the list's array again for every
// row). SQLite takes the array as JSON.
func (w *writer) in(col string, vals []string) (string, []any) {
	if _, ok := w.tx.(*pgWrite); ok {
		return col + " = ANY(?)", []any{vals}
	}
	list, _ := json.Marshal(vals)
	return col + " IN (SELECT value FROM json_each(?))", []any{string(list)}
}
