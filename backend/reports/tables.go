package reports

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gatehouse/backend/portal"
)

// ColumnType tells the screen and the export how to show a column.
type ColumnType string

const (
	ColText     ColumnType = "text"
	ColDateTime ColumnType = "datetime"
	ColNumber   ColumnType = "number"
)

// Column is one column of a report table.
type Column struct {
	Key   string     `json:"key"`
	Label string     `json:"label"`
	Type  ColumnType `json:"type"`
	// Width in spreadsheet character units, for the export.
	Width    float64 `json:"width"`
	Sortable bool    `json:"sortable"`
}

// Row is one line of a report table. ID is the account the line is about (the audit
// event's account for approvals), so a selection can be acted on. Cells follow the
// columns: string, *time.Time (UTC), int, or nil.
type Row struct {
	ID    string `json:"id"`
	Cells []any  `json:"cells"`
}

// Sort orders a table by one column.
type Sort struct {
	Key  string `json:"key"`
	Desc bool   `json:"desc"`
}

// Page is one page of a report table and the number of rows that match in all.
type Page struct {
	Kind    Kind     `json:"kind"`
	Title   string   `json:"title"`
	Columns []Column `json:"columns"`
	Rows    []Row    `json:"rows"`
	Total   int      `json:"total"`
}

// MaxPage bounds one page of a table on screen; exports are not paged.
const MaxPage = 1000

type table struct {
	title   string
	columns []Column
	// sorts maps a column key to its ORDER BY expression; the first entry of order is the
	// default.
	sorts   map[string]string
	byDef   string
	tieBrk  string
	from    string
	selects string
	// build returns the extra conditions for f, and the SELECT's own arguments.
	build func(f Filter, now time.Time) (where []string, args []any, selArgs []any)
	scan  func(rows *sql.Rows, f Filter, now time.Time) (Row, error)
}

func tableFor(k Kind) (*table, error) {
	switch k {
	case KindLogins:
		return &loginsTable, nil
	case KindInvitations:
		return &invitationsTable, nil
	case KindApprovals:
		return &approvalsTable, nil
	}
	return nil, portal.FieldErrorf("kind", "There is no report %q. Choose logins, invitations or approvals.", k)
}

const accountFrom = `accounts a LEFT JOIN organizations o ON o.id = a.organization_id
	LEFT JOIN contacts c ON c.id = a.contact_id AND a.contact_id <> ''` + latestInvitation + `
	LEFT JOIN batches b ON b.id = i.batch_id`

const accountSelects = `a.id, a.name, a.email, coalesce(c.phone, ''), coalesce(o.name, ''), a.status, a.last_login_at,
	coalesce(i.id, ''), coalesce(` + invStatus + `, ''), coalesce(i.batch_id, ''), coalesce(b.name, ''), i.created_at, i.expires_at, i.accepted_at`

func likeArg(q string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(strings.TrimSpace(q))) + "%"
}

// accountWhere compiles the filter fields that apply to account-based tables.
func accountWhere(f Filter, now time.Time) (where []string, args []any) {
	add := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if f.AccountStatus != "" {
		add("a.status = ?", string(f.AccountStatus))
	}
	cutoff := fmtTime(now.AddDate(0, 0, -f.inactiveDays()))
	switch f.Login {
	case LoginNever:
		add("a.last_login_at IS NULL")
	case LoginInactive:
		add("a.last_login_at < ?", cutoff)
	case LoginRecent:
		add("a.last_login_at >= ?", cutoff)
	}
	// A bucket of the logins chart: the people who signed in then, by the sign-in history
	// or by their latest login (loginSeries counts the same sign-ins).
	if f.LoginFrom != nil || f.LoginTo != nil {
		from, to := "0000", "9999"
		if f.LoginFrom != nil {
			from = fmtTime(*f.LoginFrom)
		}
		if f.LoginTo != nil {
			to = fmtTime(*f.LoginTo)
		}
		add(`(a.last_login_at >= ? AND a.last_login_at < ? OR EXISTS (SELECT 1 FROM audit_events e
			WHERE e.action = '`+portal.ActionSignIn+`' AND e.entity_type = 'account' AND e.entity_id = a.id AND e.at >= ? AND e.at < ?))`, from, to, from, to)
	}
	if f.OrganizationID != "" {
		add("a.organization_id = ?", f.OrganizationID)
	}
	if f.InvitationStatus != "" {
		add(invStatus+" = ?", fmtTime(now), string(f.InvitationStatus))
	}
	switch f.BatchID {
	case "":
	case NoBatch:
		add("EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.batch_id = '')")
	default:
		add("EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.batch_id = ?)", f.BatchID)
	}
	const acceptedExists = "EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.status = 'accepted')"
	switch f.Stage {
	case StageInvited:
		add("i.id IS NOT NULL")
	case StageAccepted:
		add(acceptedExists)
	case StageLoggedIn:
		add("a.last_login_at IS NOT NULL AND " + acceptedExists)
	}
	if strings.TrimSpace(f.Query) != "" {
		l := likeArg(f.Query)
		add(`(lower(a.name) LIKE ? ESCAPE '\' OR lower(a.email) LIKE ? ESCAPE '\' OR lower(coalesce(o.name, '')) LIKE ? ESCAPE '\')`, l, l, l)
	}
	return where, args
}

type accountLine struct {
	id, name, email, phone, org, status string
	lastLogin                           *time.Time
	invID, invStatus, batchID, batch    string
	invited, expires, accepted          *time.Time
}

func scanAccountLine(rows *sql.Rows) (accountLine, error) {
	var l accountLine
	var last, inv, exp, acc sql.NullString
	if err := rows.Scan(&l.id, &l.name, &l.email, &l.phone, &l.org, &l.status, &last, &l.invID, &l.invStatus,
		&l.batchID, &l.batch, &inv, &exp, &acc); err != nil {
		return l, err
	}
	var err error
	for _, t := range []struct {
		dst **time.Time
		s   sql.NullString
	}{{&l.lastLogin, last}, {&l.invited, inv}, {&l.expires, exp}, {&l.accepted, acc}} {
		if *t.dst, err = parseTime(t.s); err != nil {
			return l, err
		}
	}
	return l, nil
}

func (l accountLine) batchLabel() string {
	switch {
	case l.invID == "":
		return ""
	case l.batchID == "":
		return "Not in a batch"
	case l.batch != "":
		return l.batch
	}
	return l.batchID
}

func loginState(last *time.Time, f Filter, now time.Time) (label string, days any) {
	if last == nil {
		return loginLabels[LoginNever], nil
	}
	d := int(now.Sub(*last).Hours() / 24)
	if now.Sub(*last) > time.Duration(f.inactiveDays())*24*time.Hour {
		return fmt.Sprintf("Inactive (over %d days)", f.inactiveDays()), d
	}
	return loginLabels[LoginRecent], d
}

var accountSorts = map[string]string{
	"name": "a.name_key", "email": "a.email_key", "phone": "coalesce(c.phone, '')",
	"organization": "coalesce(o.name_key, '')", "status": "a.status", "lastLogin": "a.last_login_at",
	"invitation": "coalesce(i.status, '')", "batch": "coalesce(b.name, i.batch_id, '')",
	"invitedAt": "i.created_at", "expiresAt": "i.expires_at", "acceptedAt": "i.accepted_at",
}

var loginsTable = table{
	title: "Latest logins",
	columns: []Column{
		{"name", "Name", ColText, 28, true}, {"email", "E-mail", ColText, 34, true}, {"phone", "Phone", ColText, 18, true},
		{"organization", "Organisation", ColText, 30, true}, {"status", "Account status", ColText, 14, true},
		{"lastLogin", "Last login (UTC)", ColDateTime, 18, true}, {"daysSince", "Days since last login", ColNumber, 12, true},
		{"login", "Login", ColText, 22, true}, {"invitation", "Invitation", ColText, 12, true},
	},
	sorts: mergeSorts(accountSorts, map[string]string{"daysSince": "a.last_login_at", "login": "a.last_login_at"}),
	// daysSince ascending means most recent first: the opposite of last login.
	byDef:   "name",
	tieBrk:  "a.rid",
	from:    accountFrom,
	selects: accountSelects,
	build: func(f Filter, now time.Time) ([]string, []any, []any) {
		w, a := accountWhere(f, now)
		return w, a, []any{fmtTime(now)}
	},
	scan: func(rows *sql.Rows, f Filter, now time.Time) (Row, error) {
		l, err := scanAccountLine(rows)
		if err != nil {
			return Row{}, err
		}
		state, days := loginState(l.lastLogin, f, now)
		return Row{ID: l.id, Cells: []any{l.name, l.email, l.phone, l.org, labelOr(statusLabels, l.status),
			l.lastLogin, days, state, labelOr(invitationLabels, l.invStatus)}}, nil
	},
}

var invitationsTable = table{
	title: "Invitation status per person",
	columns: []Column{
		{"name", "Name", ColText, 28, true}, {"email", "E-mail", ColText, 34, true}, {"phone", "Phone", ColText, 18, true},
		{"organization", "Organisation", ColText, 30, true}, {"invitation", "Invitation", ColText, 12, true},
		{"batch", "Batch", ColText, 24, true}, {"invitedAt", "Invited (UTC)", ColDateTime, 18, true},
		{"expiresAt", "Expires (UTC)", ColDateTime, 18, true}, {"acceptedAt", "Accepted (UTC)", ColDateTime, 18, true},
		{"lastLogin", "Last login (UTC)", ColDateTime, 18, true}, {"status", "Account status", ColText, 14, true},
	},
	sorts:   accountSorts,
	byDef:   "name",
	tieBrk:  "a.rid",
	from:    accountFrom,
	selects: accountSelects,
	build: func(f Filter, now time.Time) ([]string, []any, []any) {
		w, a := accountWhere(f, now)
		return append([]string{"i.id IS NOT NULL"}, w...), a, []any{fmtTime(now)}
	},
	scan: func(rows *sql.Rows, f Filter, now time.Time) (Row, error) {
		l, err := scanAccountLine(rows)
		if err != nil {
			return Row{}, err
		}
		return Row{ID: l.id, Cells: []any{l.name, l.email, l.phone, l.org, labelOr(invitationLabels, l.invStatus),
			l.batchLabel(), l.invited, l.expires, l.accepted, l.lastLogin, labelOr(statusLabels, l.status)}}, nil
	},
}

var decisionLabels = map[string]string{
	portal.ActionApprove: "Approved", portal.ActionDeny: "Denied", portal.ActionApproveInstead: "Approved instead",
}

var approvalsTable = table{
	title: "Approvals decided",
	columns: []Column{
		{"name", "Person", ColText, 28, true}, {"email", "E-mail", ColText, 34, true},
		{"organization", "Organisation", ColText, 30, true}, {"decision", "Decision", ColText, 16, true},
		{"decidedBy", "Decided by", ColText, 24, true}, {"decidedAt", "Decided (UTC)", ColDateTime, 18, true},
		{"reason", "Reason", ColText, 50, true},
	},
	sorts: map[string]string{
		"name": "lower(person)", "email": "lower(mail)", "organization": "lower(coalesce(o.name, ''))",
		"decision": "e.action", "decidedBy": "lower(e.actor_name)", "decidedAt": "e.at", "reason": "lower(why)",
	},
	byDef:  "decidedAt",
	tieBrk: "e.id",
	from:   `audit_events e LEFT JOIN accounts a ON a.id = e.entity_id LEFT JOIN organizations o ON o.id = e.organization_id`,
	selects: `e.entity_id,
		coalesce(a.name, json_extract(e.after, '$.name'), json_extract(e.before, '$.name'), '') AS person,
		coalesce(a.email, json_extract(e.after, '$.email'), json_extract(e.before, '$.email'), '') AS mail,
		coalesce(o.name, ''), e.action, coalesce(nullif(e.actor_name, ''), e.actor_id), e.at,
		coalesce(nullif(e.reason, ''), json_extract(e.after, '$.denyReason'), '') AS why`,
	build: func(f Filter, now time.Time) ([]string, []any, []any) {
		where := []string{"e.entity_type = 'account'", "e.action IN (?, ?, ?)"}
		args := []any{portal.ActionApprove, portal.ActionDeny, portal.ActionApproveInstead}
		add := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
		if f.Decision != "" {
			add("e.action = ?", "account."+f.Decision)
		}
		if f.OrganizationID != "" {
			add("e.organization_id = ?", f.OrganizationID)
		}
		if f.AccountStatus != "" {
			add("a.status = ?", string(f.AccountStatus))
		}
		if strings.TrimSpace(f.Query) != "" {
			l := likeArg(f.Query)
			add(`(lower(person) LIKE ? ESCAPE '\' OR lower(mail) LIKE ? ESCAPE '\' OR lower(coalesce(o.name, '')) LIKE ? ESCAPE '\')`, l, l, l)
		}
		return where, args, nil
	},
	scan: func(rows *sql.Rows, f Filter, now time.Time) (Row, error) {
		var id, person, mail, org, action, by, why string
		var at sql.NullString
		if err := rows.Scan(&id, &person, &mail, &org, &action, &by, &at, &why); err != nil {
			return Row{}, err
		}
		t, err := parseTime(at)
		if err != nil {
			return Row{}, err
		}
		return Row{ID: id, Cells: []any{person, mail, org, labelOr(decisionLabels, action), by, t, why}}, nil
	},
}

func mergeSorts(a, b map[string]string) map[string]string {
	m := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// query builds the SELECT for a table; count selects count(*) instead of the rows.
func (t *table) query(f Filter, s Sort, now time.Time, count bool) (string, []any, error) {
	where, args, selArgs := t.build(f, now)
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	if count {
		// The approvals' conditions name SELECT aliases, so count over the full select.
		return "SELECT count(*) FROM (SELECT " + t.selects + " FROM " + t.from + w + ")", append(selArgs, args...), nil
	}
	key := s.Key
	if key == "" {
		key = t.byDef
		if t.byDef == "decidedAt" && s.Key == "" {
			s.Desc = true // newest decisions first
		}
	}
	expr, ok := t.sorts[key]
	if !ok {
		return "", nil, portal.FieldErrorf("sort", "The %s report cannot be sorted by %q.", strings.ToLower(t.title), key)
	}
	dir := " ASC"
	if s.Desc != (key == "daysSince") {
		dir = " DESC"
	}
	return "SELECT " + t.selects + " FROM " + t.from + w + " ORDER BY " + expr + dir + ", " + t.tieBrk + dir,
		append(selArgs, args...), nil
}

// Table returns one page of a report table, sorted, and the number of matching rows.
func (r *Reports) Table(ctx context.Context, kind Kind, f Filter, s Sort, offset, limit int) (Page, error) {
	t, err := tableFor(kind)
	if err != nil {
		return Page{}, err
	}
	if err := f.check(); err != nil {
		return Page{}, err
	}
	if limit <= 0 {
		limit = 100
	}
	limit, offset = min(limit, MaxPage), max(offset, 0)
	now := r.clock.Now().UTC()
	page := Page{Kind: kind, Title: t.title, Columns: t.columns, Rows: []Row{}}
	q, args, err := t.query(f, s, now, false)
	if err != nil {
		return page, err
	}
	cq, cargs, _ := t.query(f, s, now, true)
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, readErr(err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, cq, cargs...).Scan(&page.Total); err != nil {
		return page, readErr(err)
	}
	rows, err := tx.QueryContext(ctx, q+" LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return page, readErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		row, err := t.scan(rows, f, now)
		if err != nil {
			return page, readErr(err)
		}
		page.Rows = append(page.Rows, row)
	}
	return page, readErr(rows.Err())
}

// each streams every row of a report table in order, inside one read transaction, after
// telling start how many there are.
func (r *Reports) each(ctx context.Context, kind Kind, f Filter, s Sort, start func(total int), yield func(Row) error) error {
	t, err := tableFor(kind)
	if err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	now := r.clock.Now().UTC()
	q, args, err := t.query(f, s, now, false)
	if err != nil {
		return err
	}
	cq, cargs, _ := t.query(f, s, now, true)
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return readErr(err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, cq, cargs...).Scan(&total); err != nil {
		return readErr(err)
	}
	start(total)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return readErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		row, err := t.scan(rows, f, now)
		if err != nil {
			return readErr(err)
		}
		if err := yield(row); err != nil {
			return err
		}
	}
	return readErr(rows.Err())
}
