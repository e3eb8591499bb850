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
type docMemo struct {
	docs map[string][]string // query and arguments → the documents read (none: not found)
}

// memoQueries are the reads remembered, and the entity whose change forgets them.
var memoQueries = map[string]string{
	queryRoles:        api.EntityRole,
	queryOrganization: api.EntityOrganization,
	queryTemplate:     api.EntityTemplate,
	querySettings:     api.EntitySettings,
}

const (
	queryRoles        = `SELECT doc FROM roles ORDER BY id`
	queryOrganization = `SELECT doc FROM organizations WHERE id = ?`
	queryTemplate     = `SELECT doc FROM templates WHERE key = ?`
	querySettings     = `SELECT doc FROM settings WHERE id = ?`
)

// forget drops what was remembered of entity's records ("" for everything).
func (m *docMemo) forget(entity string) {
	if m == nil || len(m.docs) == 0 {
		return
	}
	if entity == "" {
		clear(m.docs)
		return
	}
	for key := range m.docs {
		query, _, _ := strings.Cut(key, "\x00")
		if memoQueries[query] == entity {
			delete(m.docs, key)
		}
	}
}

// docs returns the documents query reads, from the memo when the transaction has read
// them already.
func (r *reader) docs(ctx context.Context, query string, args ...any) ([]string, error) {
	key := ""
	if r.memo != nil {
		if _, ok := memoQueries[query]; ok {
			key = query + "\x00" + fmt.Sprint(args...)
			if docs, ok := r.memo.docs[key]; ok {
				return docs, nil
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
