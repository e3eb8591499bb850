// Package reports answers the questions an administrator's committee asks about a
// roll-out — who was invited, who activated, who logs in, who was approved or denied —
// as figures for charts and as filterable, sortable tables read from the desktop's local
// cache, and exports each table as a styled .xlsx workbook or CSV (through backend/sheets).
//
// The rows and counts are the cache's queries (cache/reports.go: the cache owns the tables),
// read through its read-only pool so a report never blocks the sync; this package says
// what they mean. A batch's name comes from the batch package.
// Logins over time counts every sign-in the portal recorded (its audit events, mirrored in
// the cache) together with each person's latest login (accounts.last_login_at), the same
// sign-in counted once; a portal whose history the cache does not hold gives latest logins
// only, and the title says which.
package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/backend/batch"
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
const NoBatch = cache.ReportNoBatch

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

// Reports reads reports from a cache: the rows and counts are the cache's queries
// (cache/reports.go), the batches' names the batch package's.
type Reports struct {
	db      *cache.DB
	batches *batch.Store
	clock   portal.Clock
}

// New returns the reports over db, judged by db's clock.
func New(db *cache.DB) *Reports {
	return &Reports{db: db, batches: batch.NewStore(db), clock: db.Clock()}
}

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

// Figures counts what the charts show. Only OrganizationID and InactiveDays of the filter
// apply: the charts are the overview a click narrows the table from.
func (r *Reports) Figures(ctx context.Context, f Filter) (Figures, error) {
	if err := f.check(); err != nil {
		return Figures{}, err
	}
	now := r.clock.Now().UTC()
	fig := Figures{GeneratedAt: now, InactiveDays: f.inactiveDays()}
	c, err := r.db.ReportCounts(ctx, f.OrganizationID, now.AddDate(0, 0, -fig.InactiveDays), now)
	if err != nil {
		return fig, err
	}
	fig.Funnel = []Count{
		{StageContacts, "Contacts", c.Contacts}, {StageInvited, "Invited", c.Invited},
		{StageAccepted, "Accepted", c.Accepted}, {StageLoggedIn, "Logged in", c.LoggedIn},
	}
	fig.LoginStates = []Count{
		{string(LoginNever), loginLabels[LoginNever], c.Never},
		{string(LoginInactive), fmt.Sprintf("No login for more than %d days", fig.InactiveDays), c.Inactive},
		{string(LoginRecent), fmt.Sprintf("Logged in within %d days", fig.InactiveDays), c.Recent},
	}
	if fig.Logins, err = loginSeries(f, c); err != nil {
		return fig, err
	}
	label := func(ks []cache.KeyCount, name func(k cache.KeyCount) string) []Count {
		out := make([]Count, 0, len(ks))
		for _, k := range ks {
			out = append(out, Count{Key: k.Key, Label: name(k), Count: k.Count})
		}
		return out
	}
	fig.InvitationsByStatus = label(c.InvitationsByStatus, func(k cache.KeyCount) string { return labelOr(invitationLabels, k.Key) })
	names, err := r.batches.Names(ctx)
	if err != nil {
		return fig, err
	}
	fig.InvitationsByBatch = label(c.InvitationsByBatch, func(k cache.KeyCount) string {
		switch {
		case k.Key == NoBatch:
			return "Not in a batch"
		case names[k.Key] != "":
			return names[k.Key]
		}
		return k.Key
	})
	fig.AccountsByStatus = label(c.AccountsByStatus, func(k cache.KeyCount) string { return labelOr(statusLabels, k.Key) })
	fig.AccountsByOrganization = label(c.AccountsByOrganization, func(k cache.KeyCount) string {
		switch {
		case k.Name != "":
			return k.Name
		case k.Key == "":
			return "No organisation"
		}
		return k.Key
	})
	return fig, nil
}

func labelOr(m map[string]string, k string) string {
	if l, ok := m[k]; ok {
		return l
	}
	return k
}

// loginSeries buckets the sign-ins per day (a span up to 62 days) or per week starting on
// Monday, with empty buckets filled in so the axis is continuous.
func loginSeries(f Filter, c cache.ReportCounts) (LoginSeries, error) {
	s := LoginSeries{Buckets: []Bucket{}, LatestOnly: !c.SignInHistory, Granularity: f.Granularity}
	what := "Sign-ins"
	if s.LatestOnly {
		what = "Latest login of each person"
	}
	if len(c.SignInsPerDay) == 0 {
		if s.Granularity == "" {
			s.Granularity = "week"
		}
		s.Title = what + ", per " + s.Granularity + " (no logins recorded yet)"
		return s, nil
	}
	days := make([]time.Time, len(c.SignInsPerDay))
	for i, d := range c.SignInsPerDay {
		t, err := time.Parse("2006-01-02", d.Key)
		if err != nil {
			return s, fmt.Errorf("read the report from the local database: a day %q: %w", d.Key, err)
		}
		days[i] = t
	}
	start, end := days[0], days[len(days)-1].AddDate(0, 0, 1)
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
	for i, t := range days {
		if j := int(t.Sub(start).Hours()/24) / step; t.Compare(start) >= 0 && j < len(s.Buckets) {
			s.Buckets[j].Count += c.SignInsPerDay[i].Count
		}
	}
	if s.LatestOnly {
		s.Title = fmt.Sprintf("Latest login of each person, per %s (no sign-in history is known)", s.Granularity)
	} else {
		s.Title = fmt.Sprintf("Sign-ins per %s (every sign-in the portal recorded)", s.Granularity)
	}
	return s, nil
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
