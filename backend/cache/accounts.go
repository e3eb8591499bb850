package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/backend/portal"
)

var accountCols = []string{"id", "contact_id", "organization_id", "email", "name", "status", "kind", "org_admin",
	"core_role", "additional_roles", "source", "subject", "registration_complete", "client_record",
	"access_requested_at", "deny_reason", "decided_by", "decided_at", "last_login_at", "created_at",
	"updated_at", "version", "name_key", "email_key"}

const accountFields = `a.id, a.contact_id, a.organization_id, a.email, a.name, a.status, a.kind, a.org_admin,
	a.core_role, a.additional_roles, a.source, a.subject, a.registration_complete, a.client_record,
	a.access_requested_at, a.deny_reason, a.decided_by, a.decided_at, a.last_login_at, a.created_at,
	a.updated_at, a.version`

var (
	accountUpsertGuarded = upsertSQL("accounts", accountCols, true)
	accountUpsert        = upsertSQL("accounts", accountCols, false)
)

func checkAccount(a portal.Account) error {
	if err := requireID(EntityAccount, a.ID); err != nil {
		return err
	}
	if !slices.Contains(portal.Statuses, a.Status) {
		return fmt.Errorf("store account %q (%s): unknown status %q. The server may be newer than this Gatehouse: update Gatehouse", a.ID, a.Email, a.Status)
	}
	if a.Kind != portal.KindClient && a.Kind != portal.KindStaff {
		return fmt.Errorf("store account %q (%s): unknown kind %q (expected client or staff). The server may be newer than this Gatehouse: update Gatehouse", a.ID, a.Email, a.Kind)
	}
	return nil
}

// UpsertAccount stores an account as the server sent it. While the administrator has a
// change to this account waiting in the outbox, the server's copy is kept aside and the
// pending change stays what the cache shows (see Enqueue).
func (tx *Tx) UpsertAccount(a portal.Account) error {
	if err := checkAccount(a); err != nil {
		return err
	}
	return tx.writeRecord(EntityAccount, a.ID, a.Version, a, func() error { return tx.putAccount(a, true) })
}

func (tx *Tx) putAccount(a portal.Account, guarded bool) error {
	if err := tx.maybeBulk("accounts"); err != nil {
		return err
	}
	query := accountUpsert
	if guarded {
		query = accountUpsertGuarded
	}
	if _, err := tx.exec(query, accountArgs(nil, a)...); err != nil {
		return fmt.Errorf("store account %q (%s): %w", a.ID, a.Email, err)
	}
	return nil
}

// accountArgs appends a's values in the order of accountCols.
func accountArgs(args []any, a portal.Account) []any {
	return append(args,
		a.ID, a.ContactID, a.OrganizationID, a.Email, a.Name, string(a.Status), string(a.Kind), boolInt(a.OrgAdmin),
		a.CoreRole, jsonList(a.AdditionalRoles), a.Source, a.Subject, boolInt(a.RegistrationComplete),
		boolInt(a.ClientRecord), fmtTimePtr(a.AccessRequestedAt), a.DenyReason, a.DecidedBy,
		fmtTimePtr(a.DecidedAt), fmtTimePtr(a.LastLoginAt), fmtTime(a.CreatedAt), fmtTime(a.UpdatedAt),
		a.Version, fold(a.Name), fold(a.Email))
}

// accountBatch is how many accounts UpsertAccounts writes per statement. Through
// database/sql and modernc.org/sqlite, a statement per row costs about a third more CPU
// than this (measured on 100,000 accounts: 1.03 s against 0.78–0.94 s).
const accountBatch = 64

var accountUpsertBatch = upsertRowsSQL("accounts", accountCols, true, accountBatch)

// UpsertAccounts stores accounts as the server sent them: the same as UpsertAccount for
// each in turn, in fewer statements. A sync page should use it.
func (tx *Tx) UpsertAccounts(accounts []portal.Account) error {
	for _, a := range accounts {
		if err := checkAccount(a); err != nil {
			return err
		}
	}
	batch := make([]portal.Account, 0, accountBatch)
	args := make([]any, 0, accountBatch*len(accountCols))
	flush := func() error {
		defer func() { batch, args = batch[:0], args[:0] }()
		if len(batch) < accountBatch {
			for _, a := range batch {
				if err := tx.putAccount(a, true); err != nil {
					return err
				}
			}
			return nil
		}
		if err := tx.maybeBulk("accounts"); err != nil {
			return err
		}
		for _, a := range batch {
			args = accountArgs(args, a)
		}
		if _, err := tx.exec(accountUpsertBatch, args...); err != nil {
			// The failed statement changed nothing: store the rows one by one, so an
			// error names the account.
			for _, a := range batch {
				if err := tx.putAccount(a, true); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, a := range accounts {
		shadowed, err := tx.shadowed(entityKey{EntityAccount, a.ID})
		if err != nil {
			return err
		}
		if shadowed {
			// Kept aside beside a pending change (writeRecord); in order with the rest.
			if err := flush(); err != nil {
				return err
			}
			if err := tx.UpsertAccount(a); err != nil {
				return err
			}
			continue
		}
		if batch = append(batch, a); len(batch) == accountBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// DeleteAccount removes an account the server deleted (purged).
func (tx *Tx) DeleteAccount(id string) error {
	return tx.removeRecord(EntityAccount, id, func() error {
		if _, err := tx.exec("DELETE FROM accounts WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete account %q: %w", id, err)
		}
		return nil
	})
}

func scanAccount(row interface{ Scan(...any) error }, extra ...any) (portal.Account, error) {
	var a portal.Account
	var status, kind, roles string
	var orgAdmin, regComplete, clientRecord int
	dst := append([]any{&a.ID, &a.ContactID, &a.OrganizationID, &a.Email, &a.Name, &status, &kind, &orgAdmin,
		&a.CoreRole, &roles, &a.Source, &a.Subject, &regComplete, &clientRecord, OptTime(&a.AccessRequestedAt), &a.DenyReason,
		&a.DecidedBy, OptTime(&a.DecidedAt), OptTime(&a.LastLoginAt), Time(&a.CreatedAt), Time(&a.UpdatedAt), &a.Version}, extra...)
	if err := row.Scan(dst...); err != nil {
		return a, err
	}
	a.Status, a.Kind = portal.Status(status), portal.Kind(kind)
	a.OrgAdmin, a.RegistrationComplete, a.ClientRecord = orgAdmin != 0, regComplete != 0, clientRecord != 0
	var err error
	a.AdditionalRoles, err = parseList[string](roles, "role")
	return a, err
}

func getAccount(ctx context.Context, q queryer, id string) (portal.Account, error) {
	a, err := scanAccount(q.QueryRowContext(ctx, "SELECT "+accountFields+" FROM accounts a WHERE a.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound("account", id)
	} else if err != nil {
		return a, fmt.Errorf("read account %q from the local database: %w", id, err)
	}
	return a, nil
}

// GetAccount returns an account as the administrator sees it: the server's record, or the
// administrator's pending change to it. GetAccountView tells which.
func (db *DB) GetAccount(ctx context.Context, id string) (portal.Account, error) {
	return getAccount(ctx, db.r, id)
}

// AccountsByEmail returns the accounts with this e-mail address, ignoring case.
func (db *DB) AccountsByEmail(ctx context.Context, email string) ([]portal.Account, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+accountFields+" FROM accounts a WHERE a.email_key = ? ORDER BY a.rid", fold(email))
	if err != nil {
		return nil, fmt.Errorf("find accounts by e-mail in the local database: %w", err)
	}
	return collect(rows, "find accounts by e-mail in the local database: %w", func(r interface{ Scan(...any) error }) (portal.Account, error) {
		return scanAccount(r)
	})
}

// AccountOfContact returns the account of a contact, nil when it has none.
func (db *DB) AccountOfContact(ctx context.Context, contactID string) (*portal.Account, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+accountFields+" FROM accounts a WHERE a.contact_id = ? ORDER BY a.rid LIMIT 1", contactID)
	if err != nil {
		return nil, fmt.Errorf("find the account of contact %q in the local database: %w", contactID, err)
	}
	accs, err := collect(rows, "find the account of a contact in the local database: %w", func(r interface{ Scan(...any) error }) (portal.Account, error) {
		return scanAccount(r)
	})
	if err != nil || len(accs) == 0 {
		return nil, err
	}
	return &accs[0], nil
}

// RoleHolders counts the accounts holding role id, as the administrator sees them.
func (db *DB) RoleHolders(ctx context.Context, id string) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM accounts a WHERE a.core_role = ?
		OR EXISTS (SELECT 1 FROM json_each(a.additional_roles) j WHERE j.value = ?)`, id, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the holders of role %q in the local copy: %w", id, err)
	}
	return n, nil
}

// AccountSort names a column the Users table sorts by.
type AccountSort string

const (
	SortName         AccountSort = "name"
	SortEmail        AccountSort = "email"
	SortStatus       AccountSort = "status"
	SortOrganization AccountSort = "organization"
	SortLastLogin    AccountSort = "lastLogin"
)

// AccountFilter selects accounts for the Users table. Zero fields do not filter.
type AccountFilter struct {
	// Query is search-as-you-type over name, e-mail and organisation name: every word must
	// match; words of three or more characters match anywhere, shorter ones the start.
	Query          string
	Status         []portal.Status
	Kind           portal.Kind
	Role           string // core or additional
	OrganizationID string
	OrgAdmin       *bool
	// LastLoginAfter is inclusive, LastLoginBefore exclusive; accounts that never logged in
	// match neither.
	LastLoginAfter  time.Time
	LastLoginBefore time.Time
	NeverLoggedIn   bool
	Ghost           bool // unfinished client registrations (portal.Account.Ghost)
	// PendingChanges keeps only accounts with changes not yet on the server.
	PendingChanges bool
	Limit          int
	Offset         int
	Sort           AccountSort
	Desc           bool
}

// AccountRow is one row of the Users table: the account as the administrator sees it, its
// organisation's name, and whether changes to it are waiting in the outbox.
type AccountRow struct {
	portal.Account
	OrganizationName string `json:"organizationName"`
	// PendingChanges counts the commands for this account not yet accepted by the server.
	PendingChanges int `json:"pendingChanges"`
	// Conflict is true when the server refused one of them because the account changed
	// meanwhile; the administrator has to choose (see Outbox).
	Conflict bool `json:"conflict"`
}

// accountQuery is a compiled AccountFilter.
type accountQuery struct {
	search search
	where  []string // conditions on alias a: the filters and the search words fts leaves out
	args   []any
	fts    string // FTS5 query for the search words the index answers alone, "" if none
}

// compile turns the filter into SQL. indexed says whether the role table and the search
// index may be used: not during a bulk load (bulk.go), when the rows are checked instead.
func (f AccountFilter) compile(indexed bool) (accountQuery, error) {
	var q accountQuery
	add := func(cond string, args ...any) {
		q.where, q.args = append(q.where, cond), append(q.args, args...)
	}
	if len(f.Status) > 0 {
		ph := make([]string, len(f.Status))
		var args []any
		for i, s := range f.Status {
			if !slices.Contains(portal.Statuses, s) {
				return q, portal.FieldErrorf("status", "There is no account status %q. Choose pending, active, denied, invited or deactivated.", s)
			}
			ph[i] = "?"
			args = append(args, string(s))
		}
		add("a.status IN ("+strings.Join(ph, ", ")+")", args...)
	}
	if f.Kind != "" {
		if f.Kind != portal.KindClient && f.Kind != portal.KindStaff {
			return q, portal.FieldErrorf("kind", "An account is either a client or a staff user, not %q.", f.Kind)
		}
		add("a.kind = ?", string(f.Kind))
	}
	if f.Role != "" && indexed {
		add("a.rid IN (SELECT account_rid FROM account_roles WHERE role_id = ?)", f.Role)
	} else if f.Role != "" {
		add("(a.core_role = ? OR EXISTS (SELECT 1 FROM json_each(a.additional_roles) WHERE value = ?))", f.Role, f.Role)
	}
	if f.OrganizationID != "" {
		add("a.organization_id = ?", f.OrganizationID)
	}
	if f.OrgAdmin != nil {
		add("a.org_admin = ?", boolInt(*f.OrgAdmin))
	}
	if !f.LastLoginAfter.IsZero() {
		add("a.last_login_at >= ?", fmtTime(f.LastLoginAfter))
	}
	if !f.LastLoginBefore.IsZero() {
		add("a.last_login_at < ?", fmtTime(f.LastLoginBefore))
	}
	if f.NeverLoggedIn {
		add("a.last_login_at IS NULL")
	}
	if f.Ghost {
		// Spelled as in the accounts_ghost index so SQLite can use it.
		add("a.kind = 'client' AND a.status = 'active' AND a.registration_complete = 0")
	}
	if f.PendingChanges {
		add("a.id IN (SELECT entity_id FROM outbox WHERE entity_type = 'account' AND state IN (" + unsettledStates + "))")
	}
	q.search = parseSearch(f.Query)
	c := q.search.compile("a", indexed)
	q.where, q.args, q.fts = append(q.where, c.where...), append(q.args, c.args...), c.fts
	return q, nil
}

// orderBy returns the ORDER BY terms.
func (f AccountFilter) orderBy() (string, error) {
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	var cols []string
	switch f.Sort {
	case "", SortName:
		cols = []string{"a.name_key", "a.rid"}
	case SortEmail:
		cols = []string{"a.email_key", "a.rid"}
	case SortStatus:
		cols = []string{"a.status", "a.name_key", "a.rid"}
	case SortOrganization:
		cols = []string{"coalesce(o.name_key, '')", "a.name_key", "a.rid"}
	case SortLastLogin:
		cols = []string{"a.last_login_at", "a.rid"}
	default:
		return "", portal.FieldErrorf("sort", "The Users table cannot be sorted by %q.", f.Sort)
	}
	return strings.Join(cols, dir+", ") + dir, nil
}

// Outbox states that still owe the server something.
const unsettledStates = "'queued', 'sending', 'failed', 'conflict'"

// SearchCountCap bounds the work of a search: when a search matches more accounts than
// this, ListAccounts stops counting, reports Total = SearchCountCap with Capped set, and
// lists the matches in the order they were stored rather than sorted (sorting would mean
// reading every match). Typing more narrows the search below the cap.
//
// Sorting a thousand matches reads a thousand random rows of a large table: at 1,000,000
// cached accounts, 5,000 put the 95th percentile of a keystroke's query at about 20 ms,
// 1,000 at about 13 ms (BenchmarkSearch). The screen shows "1,000+".
const SearchCountCap = 1000

// ListAccounts returns one page of the Users table and the number of accounts that match
// in all, both from the same snapshot. Without a search the total is exact; with one, see
// SearchCountCap.
//
// It stays fast on a large cache: a search is driven by the trigram index, which answers
// every word of a search with a long word in it (search.go), so a search alone is counted
// there without reading the table; the page is chosen by its sort keys first and only its
// rows are read in full.
func (db *DB) ListAccounts(ctx context.Context, f AccountFilter) (Page[AccountRow], error) {
	return db.listAccounts(ctx, f, true)
}

func (db *DB) listAccounts(ctx context.Context, f AccountFilter, narrow bool) (Page[AccountRow], error) {
	if _, err := f.compile(true); err != nil {
		return Page[AccountRow]{}, err
	}
	order, err := f.orderBy()
	if err != nil {
		return Page[AccountRow]{}, err
	}
	limit, offset := pageBounds(f.Limit, f.Offset)

	page := Page[AccountRow]{Rows: []AccountRow{}}
	version, key, words := db.writes.Load(), narrowKey(f), searchWords(f.Query)
	var matches, cand []int64
	canNarrow, narrowed := false, false
	if narrow {
		cand, canNarrow = db.narrow.candidates(key, words, version)
	}
	err = db.readTx(ctx, func(rq queryer) error {
		loading, err := bulkPending(ctx, rq, "accounts")
		if err != nil {
			return err
		}
		q, err := f.compile(!loading)
		if err != nil {
			return err
		}
		// from and cond select the matching accounts (alias a); with long search words the
		// trigram index drives the join.
		from, cond, args := "accounts a", q.where, q.args
		if q.fts != "" {
			from = "accounts_fts JOIN accounts a ON a.rid = accounts_fts.rowid"
			cond, args = append([]string{"accounts_fts MATCH ?"}, cond...), append([]any{q.fts}, args...)
		}
		where := ""
		if len(cond) > 0 {
			where = " WHERE " + strings.Join(cond, " AND ")
		}

		// A search the index answers is matched once: the index's matches (up to the cap)
		// are counted, and the page is chosen among them. Matching a phrase of common
		// trigrams is most of a search's cost, so it is not done a second time for the page.
		switch {
		case q.fts != "" && canNarrow:
			// Typing on: among the previous keystroke's matches, checked on their rows.
			onRow, err := f.compile(false)
			if err != nil {
				return err
			}
			list, _ := json.Marshal(cand)
			matches, err = queryRIDs(ctx, rq, "SELECT a.rid FROM accounts a WHERE a.rid IN (SELECT value FROM json_each(?)) AND "+
				strings.Join(onRow.where, " AND ")+" ORDER BY a.rid", append([]any{string(list)}, onRow.args...)...)
			if err != nil {
				return err
			}
			narrowed, page.Total = true, len(matches)
		case q.fts != "":
			matchSQL := "SELECT rowid FROM accounts_fts WHERE accounts_fts MATCH ? ORDER BY rowid LIMIT ?"
			if len(q.where) > 0 {
				matchSQL = "SELECT a.rid FROM " + from + where + " ORDER BY accounts_fts.rowid LIMIT ?"
			}
			matches, err = queryRIDs(ctx, rq, matchSQL, append(args, db.searchCap+1)...)
			page.Total = len(matches)
		case q.search.empty():
			err = rq.QueryRowContext(ctx, "SELECT count(*) FROM "+from+where, args...).Scan(&page.Total)
		default:
			err = rq.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM "+from+where+" LIMIT ?)",
				append(args, db.searchCap+1)...).Scan(&page.Total)
		}
		if err != nil {
			return err
		}
		if !q.search.empty() && page.Total > db.searchCap {
			page.Total, page.Capped = db.searchCap, true
		}
		if page.Total <= offset && !page.Capped {
			return nil
		}

		pageOrder, pageFrom, pageWhere, pageArgs := order, from, where, args
		if matches != nil {
			// Among the index's matches: by the table's order, reading only those rows.
			list, _ := json.Marshal(matches)
			pageFrom, pageWhere, pageArgs = "accounts a", " WHERE a.rid IN (SELECT value FROM json_each(?))", []any{string(list)}
		}
		switch {
		case page.Capped && matches != nil && offset+limit <= len(matches):
			// Over the cap the page is in the index's order, as stored.
			pageFrom = ""
		case page.Capped && matches != nil:
			// A page beyond the matches counted: on through the index.
			pageFrom, pageWhere, pageArgs, pageOrder = from, where, args, "accounts_fts.rowid"
		case page.Capped:
			pageOrder = "a.rid"
		case f.Sort == SortOrganization:
			pageFrom += " LEFT JOIN organizations o ON o.id = a.organization_id"
		}
		var rids []int64
		if pageFrom == "" {
			rids = matches[offset : offset+limit]
		} else if rids, err = queryRIDs(ctx, rq, "SELECT a.rid FROM "+pageFrom+pageWhere+" ORDER BY "+pageOrder+" LIMIT ? OFFSET ?",
			append(pageArgs, limit, offset)...); err != nil {
			return err
		}
		if len(rids) == 0 {
			return nil
		}

		// The page's rows in full, with what only the screen needs.
		rows, err := rq.QueryContext(ctx, `SELECT `+accountFields+`, coalesce(o.name, ''),
			(SELECT count(*) FROM outbox x WHERE x.entity_type = 'account' AND x.entity_id = a.id AND x.state IN ('queued', 'sending', 'failed')),
			EXISTS (SELECT 1 FROM outbox x WHERE x.entity_type = 'account' AND x.entity_id = a.id AND x.state = 'conflict'),
			a.rid
			FROM accounts a LEFT JOIN organizations o ON o.id = a.organization_id
			WHERE a.rid IN (?`+strings.Repeat(", ?", len(rids)-1)+`)`, anys(rids)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		byRID := make(map[int64]AccountRow, len(rids))
		for rows.Next() {
			var r AccountRow
			var conflict int
			var rid int64
			if r.Account, err = scanAccount(rows, &r.OrganizationName, &r.PendingChanges, &conflict, &rid); err != nil {
				return err
			}
			r.Conflict = conflict != 0
			byRID[rid] = r
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, rid := range rids {
			page.Rows = append(page.Rows, byRID[rid])
		}
		return nil
	})
	if err != nil {
		return Page[AccountRow]{}, fmt.Errorf("list accounts from the local database: %w", err)
	}
	switch now := db.writes.Load(); {
	case narrowed && now != version:
		// A write came between: the previous matches may miss a new one.
		return db.listAccounts(ctx, f, false)
	case matches != nil && !page.Capped && now == version && version%2 == 0:
		db.narrow.store(key, words, matches, version)
	}
	return page, nil
}

// queryRIDs runs a query of one integer column.
func queryRIDs(ctx context.Context, rq queryer, query string, args ...any) ([]int64, error) {
	rows, err := rq.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var rid int64
		if err := rows.Scan(&rid); err != nil {
			return nil, err
		}
		out = append(out, rid)
	}
	return out, rows.Err()
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// GhostAccounts lists unfinished client registrations, by name.
func (db *DB) GhostAccounts(ctx context.Context, limit, offset int) (Page[AccountRow], error) {
	return db.ListAccounts(ctx, AccountFilter{Ghost: true, Limit: limit, Offset: offset})
}

// AccountCounts summarises the accounts for the navigation badges and reports.
type AccountCounts struct {
	Total    int                   `json:"total"`
	ByStatus map[portal.Status]int `json:"byStatus"`
	Ghosts   int                   `json:"ghosts"`
}

// CountAccounts counts accounts by status, and the ghost accounts.
func (db *DB) CountAccounts(ctx context.Context) (AccountCounts, error) {
	c := AccountCounts{ByStatus: map[portal.Status]int{}}
	for _, s := range portal.Statuses {
		c.ByStatus[s] = 0
	}
	err := db.readTx(ctx, func(q queryer) error {
		rows, err := q.QueryContext(ctx, "SELECT status, count(*) FROM accounts GROUP BY status")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				return err
			}
			c.ByStatus[portal.Status(s)] = n
			c.Total += n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return q.QueryRowContext(ctx, "SELECT count(*) FROM accounts a WHERE a.kind = 'client' AND a.status = 'active' AND a.registration_complete = 0").Scan(&c.Ghosts)
	})
	if err != nil {
		return AccountCounts{}, fmt.Errorf("count accounts in the local database: %w", err)
	}
	return c, nil
}
