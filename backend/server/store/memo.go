package store

import (
	"context"
	"fmt"
	"strings"

	"gatehouse/backend/server/api"
)

// A write transaction remembers the documents of the records that nearly every command
// reads and few change: the roles (every command builds its permissions from them), the
// settings, the message templates and the organisations (every e-mail queued reads all
// three). A group of commands committed together (groupcommit.go) reads each of them
// once, instead of once per command; on PostgreSQL each read saved is a round trip made
// while every other writer waits.
//
// It is right because nobody else writes while a write transaction runs: on SQLite it
// holds the only writing connection, on PostgreSQL the feed counter's lock, which every
// writer takes first. What the transaction itself writes it forgets: every write of one
// of these records publishes a change (writer.change), and a savepoint rolled back
// forgets everything, so a document read after a write that was undone is not kept.
// Documents are kept as stored and decoded at each read, so that no two commands share
// a value one of them might change.
//
// A group of commands that will read many contacts and their accounts (a bulk
// invitation) can have them read ahead, at once (readahead.go). Those reads are kept
// by record: a write of one of the records forgets the reads that returned it or that
// looked for it by the value it now has (a new account's contact and address), so a
// command that writes one of them leaves the others' reads in place.
type docMemo struct {
	docs map[string][]string // query and arguments → the documents read (none: not found)
	// held holds, for a record's ID, the reads kept by record that returned it.
	held map[string][]string
	// idem holds the idempotency keys read ahead (actor and key): nil when none is stored.
	idem map[string]*Idempotency
	// aheads counts the read-aheads, so that a savepoint knows whether one ran inside it.
	aheads int
}

// memoQueries are the reads remembered, and the entity whose change forgets them.
var memoQueries = map[string]string{
	queryRoles:        api.EntityRole,
	queryOrganization: api.EntityOrganization,
	queryTemplate:     api.EntityTemplate,
	querySettings:     api.EntitySettings,
}

// byRecord are the reads kept by record, filled only by a read-ahead, and the entity
// whose change of one record forgets those that returned it.
var byRecord = map[string]string{
	queryContact:          api.EntityContact,
	queryAccountsByEmail:  api.EntityAccount,
	queryAccountByContact: api.EntityAccount,
}

const (
	queryRoles            = `SELECT doc FROM roles ORDER BY id`
	queryOrganization     = `SELECT doc FROM organizations WHERE id = ?`
	queryTemplate         = `SELECT doc FROM templates WHERE key = ?`
	querySettings         = `SELECT doc FROM settings WHERE id = ?`
	queryContact          = `SELECT doc FROM contacts WHERE id = ?`
	queryAccountsByEmail  = `SELECT doc FROM accounts WHERE email_norm = ? ORDER BY id`
	queryAccountByContact = `SELECT doc FROM accounts WHERE contact_id = ? ORDER BY id LIMIT 1`
)

// memoKey is the key of a read: its query and arguments.
func memoKey(query string, args ...any) string { return query + "\x00" + fmt.Sprint(args...) }

// forget drops what was remembered of entity's records ("" for everything).
func (m *docMemo) forget(entity string) {
	if m == nil {
		return
	}
	if entity == "" {
		clear(m.docs)
		clear(m.held)
		clear(m.idem)
		return
	}
	for key := range m.docs {
		query, _, _ := strings.Cut(key, "\x00")
		if memoQueries[query] == entity {
			delete(m.docs, key)
		}
	}
}

// forgetUndone drops what a savepoint rolled back may have left untrue: the reads kept
// other than by record (any of them may have been read after one of its writes). The
// reads kept by record stay when none was read ahead inside it: they were read before
// its writes, and each of those writes forgot the reads it changed.
func (m *docMemo) forgetUndone(aheadsBefore int) {
	if m.aheads != aheadsBefore {
		m.forget("")
		return
	}
	for key := range m.docs {
		query, _, _ := strings.Cut(key, "\x00")
		if _, ok := byRecord[query]; !ok {
			delete(m.docs, key)
		}
	}
}

// forgetRecord drops the reads kept by record that returned entity's record id, and
// those of keys (reads that looked the record up by the values it now has).
func (m *docMemo) forgetRecord(entity, id string, keys ...string) {
	if m == nil || m.aheads == 0 {
		return
	}
	for _, key := range keys {
		delete(m.docs, key)
	}
	for _, key := range m.held[id] {
		query, _, _ := strings.Cut(key, "\x00")
		if byRecord[query] == entity {
			delete(m.docs, key)
		}
	}
}

// keep remembers a read kept by record, with the IDs of the records it returned.
func (m *docMemo) keep(key string, docs, ids []string) {
	if m.held == nil {
		m.held = map[string][]string{}
	}
	m.docs[key] = docs
	for _, id := range ids {
		m.held[id] = append(m.held[id], key)
	}
}

// docs returns the documents query reads, from the memo when the transaction has read
// them already.
func (r *reader) docs(ctx context.Context, query string, args ...any) ([]string, error) {
	key := ""
	if r.memo != nil {
		_, kept := memoQueries[query]
		_, ahead := byRecord[query]
		if kept || ahead && r.memo.aheads > 0 {
			k := memoKey(query, args...)
			if docs, ok := r.memo.docs[k]; ok {
				return docs, nil
			}
			if kept {
				key = k
			}
		}
	}
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []string
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if key != "" {
		r.memo.docs[key] = docs
	}
	return docs, nil
}
