// Package reports answers the questions an administrator's committee asks about a
// roll-out — who was invited, who activated, who logs in, who was approved or denied —
// as figures for charts and as filterable, sortable tables read from the desktop's local
// cache, and exports each table as a styled .xlsx workbook or CSV (through backend/sheets).
//
// Everything is read through the cache's read-only pool, so a report never blocks the sync.
// Logins over time counts every sign-in the portal recorded (its audit events, mirrored in
// the cache) together with each person's latest login (accounts.last_login_at), the same
// sign-in counted once; a portal whose history the cache does not hold gives latest logins
// only, and the title says which.
package reports

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
)

// Kind names one report table.
type Kind string

const (
	// KindLogins is the latest-logins list: every account, its last login, and whether it
	// never logged in or has been inactive for more than Filter.InactiveDays.
	KindLogins Kind = "logins"
	// KindInvitations is the invitation status per person: each invited account with its
	// latest invitation.
	KindInvitations Kind = "invitations"
	// KindApprovals lists the approvals decided: approve, deny and approve-instead, with
	// who decided, when and why.
	KindApprovals Kind = "approvals"
)

// Kinds lists the report tables in the order the screen shows them.
var Kinds = []Kind{KindLogins, KindInvitations, KindApprovals}

// LoginState sorts accounts by how recently they logged in.
type LoginState string

const (
	LoginNever    LoginState = "never"    // no login recorded
	LoginInactive LoginState = "inactive" // latest login more than InactiveDays ago
	LoginRecent   LoginState = "recent"   // latest login within InactiveDays
)

// Funnel stages, in order.
const (
	StageContacts = "contacts"
	StageInvited  = "invited"
	StageAccepted = "accepted"
	StageLoggedIn = "logged_in"
)

// NoBatch is the BatchID filter value for invitations made outside any batch.
const NoBatch = "(none)"

// DefaultInactiveDays is how long without a login makes an account inactive when the
// filter does not say.
const DefaultInactiveDays = 90

// Filter narrows the figures and the tables. A click on a chart segment sets one field;
// zero fields do not filter. Not every field applies to every table (see Filter.check).
type Filter struct {
	AccountStatus    portal.Status           `json:"accountStatus"`
	Login            LoginState              `json:"login"`
	InactiveDays     int                     `json:"inactiveDays"`
	OrganizationID   string                  `json:"organizationId"`
	InvitationStatus portal.InvitationStatus `json:"invitationStatus"`
	BatchID          string                  `json:"batchId"`
	Stage            string                  `json:"stage"`
	// LoginFrom (inclusive) and LoginTo (exclusive) select a bucket of the logins chart.
	LoginFrom *time.Time `json:"loginFrom,omitempty"`
	LoginTo   *time.Time `json:"loginTo,omitempty"`
	// Decision keeps approvals of one kind: approve, deny or approve_instead.
	Decision string `json:"decision"`
	// Query matches name, e-mail or organisation name, ignoring case.
	Query string `json:"query"`
	// Granularity of the logins chart: "day", "week" or "" to choose by the span.
	Granularity string `json:"granularity"`
}

func (f Filter) inactiveDays() int {
	if f.InactiveDays <= 0 {
		return DefaultInactiveDays
	}
	return f.InactiveDays
}

func (f Filter) check() error {
	if f.AccountStatus != "" && !slices.Contains(portal.Statuses, f.AccountStatus) {
		return portal.FieldErrorf("accountStatus", "There is no account status %q. Choose pending, active, denied, invited or deactivated.", f.AccountStatus)
	}
	switch f.Login {
	case "", LoginNever, LoginInactive, LoginRecent:
	default:
		return portal.FieldErrorf("login", "%q is not a login filter: choose never, inactive or recent.", f.Login)
	}
	switch f.InvitationStatus {
	case "", portal.InvitationPending, portal.InvitationAccepted, portal.InvitationExpired, portal.InvitationRevoked:
	default:
		return portal.FieldErrorf("invitationStatus", "There is no invitation status %q. Choose pending, accepted, expired or revoked.", f.InvitationStatus)
	}
	switch f.Stage {
	case "", StageContacts, StageInvited, StageAccepted, StageLoggedIn:
	default:
		return portal.FieldErrorf("stage", "%q is not a step of the activation funnel: choose contacts, invited, accepted or logged_in.", f.Stage)
	}
	switch f.Decision {
	case "", "approve", "deny", "approve_instead":
	default:
		return portal.FieldErrorf("decision", "%q is not a decision: choose approve, deny or approve_instead.", f.Decision)
	}
	switch f.Granularity {
	case "", "day", "week":
	default:
		return portal.FieldErrorf("granularity", "Logins can be counted per day or per week, not per %q.", f.Granularity)
	}
	if f.InactiveDays < 0 || f.InactiveDays > 3650 {
		return portal.FieldErrorf("inactiveDays", "Inactive days must be between 1 and 3650, not %d.", f.InactiveDays)
	}
	if f.LoginFrom != nil && f.LoginTo != nil && !f.LoginFrom.Before(*f.LoginTo) {
		return portal.FieldErrorf("loginFrom", "The login period must start before it ends.")
	}
	return nil
}

// Reports reads reports from a cache.
type Reports struct {
	db    *sql.DB
	clock portal.Clock
}

// New returns the reports over db's read-only pool, judged by db's clock.
func New(db *cache.DB) *Reports {
	return &Reports{db: db.ReadSQL(), clock: db.Clock()}
}

// fmtTime is a time as the desktop database stores it (the cache's codec).
var fmtTime = cache.FormatTime

// parseTime reads an optional stored time (the cache's codec).
var parseTime = cache.ParseTimePtr

// Count is one bar, slice or funnel step of a chart. Key is what a click puts into the
// filter (see Figures for which field), Label what the chart shows.
type Count struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// Bucket is one day or week of the logins chart: [Start, End).
type Bucket struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Label string    `json:"label"`
	Count int       `json:"count"`
}

// LoginSeries is the logins-over-time chart.
type LoginSeries struct {
	Title       string   `json:"title"`
	Granularity string   `json:"granularity"`
	Buckets     []Bucket `json:"buckets"`
	// LatestOnly is true when no sign-in history is known, only each person's latest login.
	LatestOnly bool `json:"latestOnly"`
}

// Figures are the charts' numbers. Clicking a step of Funnel sets Filter.Stage; a bucket of
// Logins sets LoginFrom/LoginTo; InvitationsByStatus sets InvitationStatus;
// InvitationsByBatch sets BatchID; AccountsByStatus sets AccountStatus;
// AccountsByOrganization sets OrganizationID; LoginStates sets Login.
type Figures struct {
	GeneratedAt            time.Time   `json:"generatedAt"`
	InactiveDays           int         `json:"inactiveDays"`
	Funnel                 []Count     `json:"funnel"`
	Logins                 LoginSeries `json:"logins"`
	LoginStates            []Count     `json:"loginStates"`
	InvitationsByStatus    []Count     `json:"invitationsByStatus"`
	InvitationsByBatch     []Count     `json:"invitationsByBatch"`
	AccountsByStatus       []Count     `json:"accountsByStatus"`
	AccountsByOrganization []Count     `json:"accountsByOrganization"`
}

var statusLabels = map[string]string{
	string(portal.StatusPending): "Pending", string(portal.StatusActive): "Active", string(portal.StatusDenied): "Denied",
	string(portal.StatusInvited): "Invited", string(portal.StatusDeactivated): "Deactivated",
}

var invitationLabels = map[string]string{
	string(portal.InvitationPending): "Pending", string(portal.InvitationAccepted): "Accepted",
	string(portal.InvitationExpired): "Expired", string(portal.InvitationRevoked): "Revoked",
}

var loginLabels = map[LoginState]string{LoginNever: "Never logged in", LoginInactive: "Inactive", LoginRecent: "Logged in recently"}

// latestInvitation joins each account (alias a) to its newest invitation (alias i).
const latestInvitation = ` LEFT JOIN invitations i ON i.id = (SELECT x.id FROM invitations x WHERE x.account_id = a.id
	ORDER BY x.created_at DESC, x.id DESC LIMIT 1)`

// invStatus is the latest invitation's status as the clock judges it (portal.Invitation.StatusAt);
// its one parameter is now.
const invStatus = `(CASE WHEN i.status = 'pending' AND i.expires_at <= ? THEN 'expired' ELSE i.status END)`

// Figures counts what the charts show. Only OrganizationID and InactiveDays of the filter
// apply: the charts are the overview a click narrows the table from.
func (r *Reports) Figures(ctx context.Context, f Filter) (Figures, error) {
	if err := f.check(); err != nil {
		return Figures{}, err
	}
	now := r.clock.Now().UTC()
	fig := Figures{GeneratedAt: now, InactiveDays: f.inactiveDays()}
	orgA, orgArgs := "", []any{}
	if f.OrganizationID != "" {
		orgA, orgArgs = " AND a.organization_id = ?", []any{f.OrganizationID}
	}
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fig, readErr(err)
	}
	defer tx.Rollback()

	// Funnel.
	var contacts, invited, accepted, loggedIn int
	cq, cargs := "SELECT count(*) FROM contacts", []any{}
	if f.OrganizationID != "" {
		cq, cargs = cq+" WHERE organization_id = ?", orgArgs
	}
	if err := tx.QueryRowContext(ctx, cq, cargs...).Scan(&contacts); err != nil {
		return fig, readErr(err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id)),
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.status = 'accepted')),
		count(*) FILTER (WHERE a.last_login_at IS NOT NULL AND EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.status = 'accepted'))
		FROM accounts a WHERE 1=1`+orgA, orgArgs...).Scan(&invited, &accepted, &loggedIn); err != nil {
		return fig, readErr(err)
	}
	fig.Funnel = []Count{
		{StageContacts, "Contacts", contacts}, {StageInvited, "Invited", invited},
		{StageAccepted, "Accepted", accepted}, {StageLoggedIn, "Logged in", loggedIn},
	}

	// Login states.
	cutoff := fmtTime(now.AddDate(0, 0, -fig.InactiveDays))
	var never, inactive, recent int
	if err := tx.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE a.last_login_at IS NULL),
		count(*) FILTER (WHERE a.last_login_at < ?),
		count(*) FILTER (WHERE a.last_login_at >= ?)
		FROM accounts a WHERE 1=1`+orgA, append([]any{cutoff, cutoff}, orgArgs...)...).Scan(&never, &inactive, &recent); err != nil {
		return fig, readErr(err)
	}
	fig.LoginStates = []Count{
		{string(LoginNever), loginLabels[LoginNever], never},
		{string(LoginInactive), fmt.Sprintf("No login for more than %d days", fig.InactiveDays), inactive},
		{string(LoginRecent), fmt.Sprintf("Logged in within %d days", fig.InactiveDays), recent},
	}

	if fig.Logins, err = r.loginSeries(ctx, tx, f, orgA, orgArgs); err != nil {
		return fig, err
	}

	// Invitations by status (each person's latest invitation) and by batch (every invitation).
	counts := func(query string, args []any, label func(key, name string) string) ([]Count, error) {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, readErr(err)
		}
		defer rows.Close()
		out := []Count{}
		for rows.Next() {
			var key, name string
			var n int
			if err := rows.Scan(&key, &name, &n); err != nil {
				return nil, readErr(err)
			}
			out = append(out, Count{Key: key, Label: label(key, name), Count: n})
		}
		return out, readErr(rows.Err())
	}
	fig.InvitationsByStatus, err = counts(`SELECT `+invStatus+` AS s, '', count(*) FROM accounts a`+latestInvitation+`
		WHERE i.id IS NOT NULL`+orgA+` GROUP BY s ORDER BY CASE s WHEN 'pending' THEN 1 WHEN 'accepted' THEN 2 WHEN 'expired' THEN 3 ELSE 4 END`,
		append([]any{fmtTime(now)}, orgArgs...), func(k, _ string) string { return labelOr(invitationLabels, k) })
	if err != nil {
		return fig, err
	}
	orgI := ""
	if f.OrganizationID != "" {
		orgI = " WHERE i.organization_id = ?"
	}
	fig.InvitationsByBatch, err = counts(`SELECT CASE WHEN i.batch_id = '' THEN ? ELSE i.batch_id END AS k, coalesce(max(b.name), ''), count(DISTINCT i.account_id)
		FROM invitations i LEFT JOIN batches b ON b.id = i.batch_id`+orgI+` GROUP BY k ORDER BY min(i.created_at), k`,
		append([]any{NoBatch}, orgArgs...), func(k, name string) string {
			switch {
			case k == NoBatch:
				return "Not in a batch"
			case name != "":
				return name
			}
			return k
		})
	if err != nil {
		return fig, err
	}
	fig.AccountsByStatus, err = counts(`SELECT a.status, '', count(*) FROM accounts a WHERE 1=1`+orgA+` GROUP BY a.status
		ORDER BY CASE a.status WHEN 'active' THEN 1 WHEN 'invited' THEN 2 WHEN 'pending' THEN 3 WHEN 'deactivated' THEN 4 ELSE 5 END`,
		orgArgs, func(k, _ string) string { return labelOr(statusLabels, k) })
	if err != nil {
		return fig, err
	}
	fig.AccountsByOrganization, err = counts(`SELECT a.organization_id, coalesce(max(o.name), ''), count(*) FROM accounts a
		LEFT JOIN organizations o ON o.id = a.organization_id WHERE 1=1`+orgA+` GROUP BY a.organization_id ORDER BY count(*) DESC, 2`,
		orgArgs, func(k, name string) string {
			switch {
			case name != "":
				return name
			case k == "":
				return "No organisation"
			}
			return k
		})
	return fig, err
}

func labelOr(m map[string]string, k string) string {
	if l, ok := m[k]; ok {
		return l
	}
	return k
}

// signIns is every sign-in known, one row (account, time) each: the audit's sign-in events
// and each account's latest login, which is one of them when the history is complete (the
// UNION counts it once). orgE and orgA filter both sides by organisation.
func signIns(orgE, orgA string) string {
	return `SELECT e.entity_id AS id, e.at AS at FROM audit_events e WHERE e.action = '` + portal.ActionSignIn + `' AND e.entity_type = 'account'` + orgE + `
		UNION SELECT a.id, a.last_login_at FROM accounts a WHERE a.last_login_at IS NOT NULL` + orgA
}

// loginSeries buckets the sign-ins per day (a span up to 62 days) or per week starting on
// Monday, with empty buckets filled in so the axis is continuous.
func (r *Reports) loginSeries(ctx context.Context, tx *sql.Tx, f Filter, orgA string, orgArgs []any) (LoginSeries, error) {
	s := LoginSeries{Buckets: []Bucket{}}
	orgE := strings.ReplaceAll(orgA, "a.", "e.")
	var history int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM audit_events e WHERE e.action = ? AND e.entity_type = 'account'`+orgE+` LIMIT 1)`,
		append([]any{portal.ActionSignIn}, orgArgs...)...).Scan(&history); err != nil {
		return s, readErr(err)
	}
	s.LatestOnly = history == 0
	both := append(append([]any{}, orgArgs...), orgArgs...)
	var minS, maxS sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT min(at), max(at) FROM (`+signIns(orgE, orgA)+`)`, both...).Scan(&minS, &maxS); err != nil {
		return s, readErr(err)
	}
	lo, err := parseTime(minS)
	if err != nil {
		return s, err
	}
	hi, err := parseTime(maxS)
	if err != nil {
		return s, err
	}
	s.Granularity = f.Granularity
	what := "Sign-ins"
	if s.LatestOnly {
		what = "Latest login of each person"
	}
	if lo == nil {
		if s.Granularity == "" {
			s.Granularity = "week"
		}
		s.Title = what + ", per " + s.Granularity + " (no logins recorded yet)"
		return s, nil
	}
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	start, end := day(*lo), day(*hi).AddDate(0, 0, 1)
	if s.Granularity == "" {
		s.Granularity = "day"
		if end.Sub(start) > 62*24*time.Hour {
			s.Granularity = "week"
		}
	}
	step := 1
	if s.Granularity == "week" {
		step = 7
		start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7)) // back to Monday
	}
	// At most a few hundred buckets: a decade of weeks is 520.
	if n := int(end.Sub(start).Hours()/24) / step; n > 600 {
		start = end.AddDate(0, 0, -600*step)
	}
	for t := start; t.Before(end); t = t.AddDate(0, 0, step) {
		b := Bucket{Start: t, End: t.AddDate(0, 0, step), Label: t.Format("2006-01-02")}
		if step == 7 {
			b.Label = "w/c " + b.Label
		}
		s.Buckets = append(s.Buckets, b)
	}
	rows, err := tx.QueryContext(ctx, `SELECT substr(at, 1, 10) AS d, count(*) FROM (`+signIns(orgE, orgA)+`)
		WHERE at >= ? GROUP BY d ORDER BY d`, append(both, fmtTime(start))...)
	if err != nil {
		return s, readErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return s, readErr(err)
		}
		t, err := time.Parse("2006-01-02", d)
		if err != nil {
			return s, readErr(err)
		}
		if i := int(t.Sub(start).Hours()/24) / step; i >= 0 && i < len(s.Buckets) {
			s.Buckets[i].Count += n
		}
	}
	if s.LatestOnly {
		s.Title = fmt.Sprintf("Latest login of each person, per %s (no sign-in history is known)", s.Granularity)
	} else {
		s.Title = fmt.Sprintf("Sign-ins per %s (every sign-in the portal recorded)", s.Granularity)
	}
	return s, readErr(rows.Err())
}

func readErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *portal.Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("read the report from the local database: %w", err)
}

// describe says in words what the filter keeps, for the export's summary sheet.
func (f Filter) describe(orgName string) string {
	var parts []string
	if f.Stage != "" {
		parts = append(parts, "funnel step: "+f.Stage)
	}
	if f.AccountStatus != "" {
		parts = append(parts, "account status: "+labelOr(statusLabels, string(f.AccountStatus)))
	}
	switch f.Login {
	case LoginNever:
		parts = append(parts, "never logged in")
	case LoginInactive:
		parts = append(parts, fmt.Sprintf("no login for more than %d days", f.inactiveDays()))
	case LoginRecent:
		parts = append(parts, fmt.Sprintf("logged in within %d days", f.inactiveDays()))
	}
	if f.OrganizationID != "" {
		parts = append(parts, "organisation: "+cmpOr(orgName, f.OrganizationID))
	}
	if f.InvitationStatus != "" {
		parts = append(parts, "invitation: "+labelOr(invitationLabels, string(f.InvitationStatus)))
	}
	if f.BatchID != "" {
		parts = append(parts, "batch: "+f.BatchID)
	}
	if f.LoginFrom != nil || f.LoginTo != nil {
		from, to := "…", "…"
		if f.LoginFrom != nil {
			from = f.LoginFrom.UTC().Format("2006-01-02")
		}
		if f.LoginTo != nil {
			to = f.LoginTo.UTC().Add(-time.Nanosecond).Format("2006-01-02")
		}
		parts = append(parts, "signed in "+from+" to "+to)
	}
	if f.Decision != "" {
		parts = append(parts, "decision: "+f.Decision)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		parts = append(parts, fmt.Sprintf("search: %q", q))
	}
	if len(parts) == 0 {
		return "everyone"
	}
	return strings.Join(parts, "; ")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
