package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/backend/cache"
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
	// byDef is the column sorted by when the sort names none.
	byDef string
	// lines is what the cache reads for the table; row makes a line the table's row.
	lines cache.ReportTable
	row   func(l cache.ReportLine, f Filter, now time.Time, batches map[string]string) Row
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

func batchLabel(l cache.ReportLine, names map[string]string) string {
	switch {
	case l.InvitationID == "":
		return ""
	case l.BatchID == "":
		return "Not in a batch"
	case names[l.BatchID] != "":
		return names[l.BatchID]
	}
	return l.BatchID
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

var loginsTable = table{
	title: "Latest logins",
	columns: []Column{
		{"name", "Name", ColText, 28, true}, {"email", "E-mail", ColText, 34, true}, {"phone", "Phone", ColText, 18, true},
		{"organization", "Organisation", ColText, 30, true}, {"status", "Account status", ColText, 14, true},
		{"lastLogin", "Last login (UTC)", ColDateTime, 18, true}, {"daysSince", "Days since last login", ColNumber, 12, true},
		{"login", "Login", ColText, 22, true}, {"invitation", "Invitation", ColText, 12, true},
	},
	byDef: "name",
	lines: cache.ReportAccounts,
	row: func(l cache.ReportLine, f Filter, now time.Time, _ map[string]string) Row {
		state, days := loginState(l.LastLogin, f, now)
		return Row{ID: l.ID, Cells: []any{l.Name, l.Email, l.Phone, l.Organization, labelOr(statusLabels, l.Status),
			l.LastLogin, days, state, labelOr(invitationLabels, l.InvitationStatus)}}
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
	byDef: "name",
	lines: cache.ReportInvited,
	row: func(l cache.ReportLine, _ Filter, _ time.Time, batches map[string]string) Row {
		return Row{ID: l.ID, Cells: []any{l.Name, l.Email, l.Phone, l.Organization, labelOr(invitationLabels, l.InvitationStatus),
			batchLabel(l, batches), l.InvitedAt, l.ExpiresAt, l.AcceptedAt, l.LastLogin, labelOr(statusLabels, l.Status)}}
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
	byDef: "decidedAt",
	lines: cache.ReportApprovals,
	row: func(l cache.ReportLine, _ Filter, _ time.Time, _ map[string]string) Row {
		return Row{ID: l.ID, Cells: []any{l.Name, l.Email, l.Organization, labelOr(decisionLabels, l.Decision), l.DecidedBy, l.DecidedAt, l.Reason}}
	},
}

// sortFor is the cache's order for a table's sort: the default column when none is named
// (newest decisions first), and days since the last login the opposite of the last login.
func (t *table) sortFor(s Sort) (cache.ReportSort, error) {
	key := s.Key
	if key == "" {
		key = t.byDef
		if t.byDef == "decidedAt" {
			s.Desc = true // newest decisions first
		}
	}
	if !slices.ContainsFunc(t.columns, func(c Column) bool { return c.Key == key && c.Sortable }) {
		return cache.ReportSort{}, portal.FieldErrorf("sort", "The %s report cannot be sorted by %q.", strings.ToLower(t.title), key)
	}
	return cache.ReportSort{Key: key, Desc: s.Desc != (key == "daysSince")}, nil
}

// scope is the cache's filter for f at now.
func (f Filter) scope(now time.Time) cache.ReportFilter {
	return cache.ReportFilter{
		AccountStatus: string(f.AccountStatus), Login: string(f.Login), Cutoff: now.AddDate(0, 0, -f.inactiveDays()),
		LoginFrom: f.LoginFrom, LoginTo: f.LoginTo, OrganizationID: f.OrganizationID, InvitationStatus: string(f.InvitationStatus),
		BatchID: f.BatchID, Stage: f.Stage, Decision: f.Decision, Query: f.Query, Now: now,
	}
}

// Table returns one page of a report table, sorted, and the number of matching rows.
func (r *Reports) Table(ctx context.Context, kind Kind, f Filter, s Sort, offset, limit int) (Page, error) {
	t, err := tableFor(kind)
	if err != nil {
		return Page{}, err
	}
	if limit <= 0 {
		limit = 100
	}
	page := Page{Kind: kind, Title: t.title, Columns: t.columns, Rows: []Row{}}
	err = r.lines(ctx, t, f, s, max(offset, 0), min(limit, MaxPage), func(n int) { page.Total = n }, func(row Row) error {
		page.Rows = append(page.Rows, row)
		return nil
	})
	return page, err
}

// each streams every row of a report table in order, inside one read transaction, after
// telling start how many there are.
func (r *Reports) each(ctx context.Context, kind Kind, f Filter, s Sort, start func(total int), yield func(Row) error) error {
	t, err := tableFor(kind)
	if err != nil {
		return err
	}
	return r.lines(ctx, t, f, s, 0, 0, start, yield)
}

// lines reads a table's rows from the cache, from offset on (at most limit; all when 0).
func (r *Reports) lines(ctx context.Context, t *table, f Filter, s Sort, offset, limit int, start func(total int), yield func(Row) error) error {
	if err := f.check(); err != nil {
		return err
	}
	sort, err := t.sortFor(s)
	if err != nil {
		return err
	}
	names, err := r.batches.Names(ctx)
	if err != nil {
		return err
	}
	sort.BatchNames = names
	now := r.clock.Now().UTC()
	return r.db.ReportLines(ctx, t.lines, f.scope(now), sort, offset, limit, start, func(l cache.ReportLine) error {
		return yield(t.row(l, f, now, names))
	})
}
