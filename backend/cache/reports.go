package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse/backend/portal"
)

// The queries behind the Reports screen, over the mirror this package owns. The reports
// package decides what a report means (its filter's rules, labels, charts and exports) and
// asks here for the rows and counts; what is not the cache's (a batch's name) comes in as
// data.

// ReportNoBatch is ReportFilter.BatchID for invitations made outside any batch, and the
// key they are counted under.
const ReportNoBatch = "(none)"

// ReportFilter narrows report queries; zero fields do not filter.
type ReportFilter struct {
	AccountStatus string
	// Login is "never", "inactive" (latest login before Cutoff) or "recent" (since it).
	Login  string
	Cutoff time.Time
	// LoginFrom (inclusive) and LoginTo (exclusive): signed in then, by the sign-in
	// history or the latest login.
	LoginFrom, LoginTo *time.Time
	OrganizationID     string
	// InvitationStatus of each person's latest invitation, as of Now.
	InvitationStatus string
	BatchID          string
	// Stage of the activation funnel: "invited", "accepted" or "logged_in".
	Stage string
	// Decision keeps approvals of one kind: approve, deny or approve_instead.
	Decision string
	// Query matches name, e-mail or organisation name, ignoring case.
	Query string
	Now   time.Time
}

// ReportTable names the lines a report table reads.
type ReportTable string

const (
	// ReportAccounts is every account with its latest invitation.
	ReportAccounts ReportTable = "accounts"
	// ReportInvited is the accounts that have an invitation.
	ReportInvited ReportTable = "invited"
	// ReportApprovals is the approvals decided, from the audit log.
	ReportApprovals ReportTable = "approvals"
)

// ReportSort orders report lines by a key of ReportSortKeys; ties keep the order stored.
// BatchNames gives the batches' names to sort by, since the batches are not the cache's.
type ReportSort struct {
	Key        string
	Desc       bool
	BatchNames map[string]string
}

// ReportLine is one line of a report table: an account with its latest invitation, or a
// decided approval (ID, Name, Email, Organization, Decision, DecidedBy, DecidedAt, Reason).
type ReportLine struct {
	ID, Name, Email, Phone, Organization, Status string
	LastLogin                                    *time.Time
	InvitationID, InvitationStatus, BatchID      string
	InvitedAt, ExpiresAt, AcceptedAt             *time.Time
	Decision, DecidedBy, Reason                  string
	DecidedAt                                    *time.Time
}

// latestInvitation joins each account (alias a) to its newest invitation (alias i).
const latestInvitation = ` LEFT JOIN invitations i ON i.id = (SELECT x.id FROM invitations x WHERE x.account_id = a.id
	ORDER BY x.created_at DESC, x.id DESC LIMIT 1)`

// invStatus is the latest invitation's status as the clock judges it (portal.Invitation.StatusAt);
// its one parameter is now.
const invStatus = `(CASE WHEN i.status = 'pending' AND i.expires_at <= ? THEN 'expired' ELSE i.status END)`

const reportAccountFrom = `accounts a LEFT JOIN organizations o ON o.id = a.organization_id
	LEFT JOIN contacts c ON c.id = a.contact_id AND a.contact_id <> ''` + latestInvitation

const reportAccountSelects = `a.id, a.name, a.email, coalesce(c.phone, ''), coalesce(o.name, ''), a.status, a.last_login_at,
	coalesce(i.id, ''), coalesce(` + invStatus + `, ''), coalesce(i.batch_id, ''), i.created_at, i.expires_at, i.accepted_at`

// reportAccountSorts maps a sort key to its expression; "batch" is built from the names.
var reportAccountSorts = map[string]string{
	"name": "a.name_key", "email": "a.email_key", "phone": "coalesce(c.phone, '')",
	"organization": "coalesce(o.name_key, '')", "status": "a.status", "lastLogin": "a.last_login_at",
	"daysSince": "a.last_login_at", "login": "a.last_login_at",
	"invitation": "coalesce(i.status, '')", "invitedAt": "i.created_at", "expiresAt": "i.expires_at", "acceptedAt": "i.accepted_at",
}

const reportApprovalFrom = `audit_events e LEFT JOIN accounts a ON a.id = e.entity_id LEFT JOIN organizations o ON o.id = e.organization_id`

const reportApprovalSelects = `e.entity_id,
	coalesce(a.name, json_extract(e.after, '$.name'), json_extract(e.before, '$.name'), '') AS person,
	coalesce(a.email, json_extract(e.after, '$.email'), json_extract(e.before, '$.email'), '') AS mail,
	coalesce(o.name, ''), e.action, coalesce(nullif(e.actor_name, ''), e.actor_id), e.at,
	coalesce(nullif(e.reason, ''), json_extract(e.after, '$.denyReason'), '') AS why`

var reportApprovalSorts = map[string]string{
	"name": "lower(person)", "email": "lower(mail)", "organization": "lower(coalesce(o.name, ''))",
	"decision": "e.action", "decidedBy": "lower(e.actor_name)", "decidedAt": "e.at", "reason": "lower(why)",
}

func likeArg(q string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(strings.TrimSpace(q))) + "%"
}

// accountWhere compiles the filter fields that apply to the account tables.
func (f ReportFilter) accountWhere() (where []string, args []any) {
	add := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if f.AccountStatus != "" {
		add("a.status = ?", f.AccountStatus)
	}
	switch f.Login {
	case "never":
		add("a.last_login_at IS NULL")
	case "inactive":
		add("a.last_login_at < ?", fmtTime(f.Cutoff))
	case "recent":
		add("a.last_login_at >= ?", fmtTime(f.Cutoff))
	}
	// A bucket of the logins chart: the people who signed in then, by the sign-in history
	// or by their latest login (ReportCounts counts the same sign-ins).
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
		add(invStatus+" = ?", fmtTime(f.Now), f.InvitationStatus)
	}
	switch f.BatchID {
	case "":
	case ReportNoBatch:
		add("EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.batch_id = '')")
	default:
		add("EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.batch_id = ?)", f.BatchID)
	}
	const acceptedExists = "EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.status = 'accepted')"
	switch f.Stage {
	case "invited":
		add("i.id IS NOT NULL")
	case "accepted":
		add(acceptedExists)
	case "logged_in":
		add("a.last_login_at IS NOT NULL AND " + acceptedExists)
	}
	if strings.TrimSpace(f.Query) != "" {
		l := likeArg(f.Query)
		add(`(lower(a.name) LIKE ? ESCAPE '\' OR lower(a.email) LIKE ? ESCAPE '\' OR lower(coalesce(o.name, '')) LIKE ? ESCAPE '\')`, l, l, l)
	}
	return where, args
}

func (f ReportFilter) approvalWhere() (where []string, args []any) {
	where = []string{"e.entity_type = 'account'", "e.action IN (?, ?, ?)"}
	args = []any{portal.ActionApprove, portal.ActionDeny, portal.ActionApproveInstead}
	add := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if f.Decision != "" {
		add("e.action = ?", "account."+f.Decision)
	}
	if f.OrganizationID != "" {
		add("e.organization_id = ?", f.OrganizationID)
	}
	if f.AccountStatus != "" {
		add("a.status = ?", f.AccountStatus)
	}
	if strings.TrimSpace(f.Query) != "" {
		l := likeArg(f.Query)
		add(`(lower(person) LIKE ? ESCAPE '\' OR lower(mail) LIKE ? ESCAPE '\' OR lower(coalesce(o.name, '')) LIKE ? ESCAPE '\')`, l, l, l)
	}
	return where, args
}

// reportQuery builds the SELECT of a table and the count of its lines.
func reportQuery(t ReportTable, f ReportFilter, s ReportSort) (q string, args []any, cq string, cargs []any, err error) {
	var from, selects, tie string
	var wargs, selArgs []any
	var sorts map[string]string
	var conds []string
	switch t {
	case ReportAccounts, ReportInvited:
		from, selects, tie, sorts = reportAccountFrom, reportAccountSelects, "a.rid", reportAccountSorts
		conds, wargs = f.accountWhere()
		if t == ReportInvited {
			conds = append([]string{"i.id IS NOT NULL"}, conds...)
		}
		selArgs = []any{fmtTime(f.Now)}
	case ReportApprovals:
		from, selects, tie, sorts = reportApprovalFrom, reportApprovalSelects, "e.id", reportApprovalSorts
		conds, wargs = f.approvalWhere()
	default:
		return "", nil, "", nil, fmt.Errorf("no report table %q", t)
	}
	w := ""
	if len(conds) > 0 {
		w = " WHERE " + strings.Join(conds, " AND ")
	}
	// The approvals' conditions name SELECT aliases, so the count is over the full select.
	cq, cargs = "SELECT count(*) FROM (SELECT "+selects+" FROM "+from+w+")", append(append([]any{}, selArgs...), wargs...)
	expr, ok := sorts[s.Key]
	var sortArgs []any
	if s.Key == "batch" && t != ReportApprovals {
		// By the batch's name, which the batch package keeps: given here as data.
		expr, ok = "coalesce(i.batch_id, '')", true
		if len(s.BatchNames) > 0 {
			expr = "coalesce(CASE i.batch_id" + strings.Repeat(" WHEN ? THEN ?", len(s.BatchNames)) + " END, i.batch_id, '')"
			for id, name := range s.BatchNames {
				sortArgs = append(sortArgs, id, name)
			}
		}
	}
	if !ok {
		return "", nil, "", nil, portal.FieldErrorf("sort", "A report cannot be sorted by %q.", s.Key)
	}
	dir := " ASC"
	if s.Desc {
		dir = " DESC"
	}
	q = "SELECT " + selects + " FROM " + from + w + " ORDER BY " + expr + dir + ", " + tie + dir
	return q, append(append(append([]any{}, selArgs...), wargs...), sortArgs...), cq, cargs, nil
}

// ReportLines counts the lines of a report table, tells start, then gives yield the lines
// from offset on in order (at most limit of them; all when limit is 0), in one read
// transaction.
func (db *DB) ReportLines(ctx context.Context, t ReportTable, f ReportFilter, s ReportSort, offset, limit int, start func(total int), yield func(ReportLine) error) error {
	q, args, cq, cargs, err := reportQuery(t, f, s)
	if err != nil {
		return err
	}
	if limit > 0 {
		q, args = q+" LIMIT ? OFFSET ?", append(args, limit, offset)
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return reportErr(err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, cq, cargs...).Scan(&total); err != nil {
		return reportErr(err)
	}
	start(total)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return reportErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanReportLine(rows, t)
		if err != nil {
			return reportErr(err)
		}
		if err := yield(l); err != nil {
			return err
		}
	}
	return reportErr(rows.Err())
}

func scanReportLine(rows *sql.Rows, t ReportTable) (ReportLine, error) {
	var l ReportLine
	if t == ReportApprovals {
		err := rows.Scan(&l.ID, &l.Name, &l.Email, &l.Organization, &l.Decision, &l.DecidedBy, OptTime(&l.DecidedAt), &l.Reason)
		return l, err
	}
	err := rows.Scan(&l.ID, &l.Name, &l.Email, &l.Phone, &l.Organization, &l.Status, OptTime(&l.LastLogin), &l.InvitationID,
		&l.InvitationStatus, &l.BatchID, OptTime(&l.InvitedAt), OptTime(&l.ExpiresAt), OptTime(&l.AcceptedAt))
	return l, err
}

func reportErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *portal.Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("read the report from the local database: %w", err)
}

// KeyCount is one group of a count: its key, a name when the key is an ID, how many.
type KeyCount struct {
	Key, Name string
	Count     int
}

// ReportCounts are the numbers behind the Reports screen's charts.
type ReportCounts struct {
	Contacts, Invited, Accepted, LoggedIn int
	// Never logged in, latest login before the cutoff, since it.
	Never, Inactive, Recent int
	// InvitationsByStatus counts each person's latest invitation by its status as of now;
	// InvitationsByBatch counts the people invited in each batch (key ReportNoBatch for
	// none), the first-made first.
	InvitationsByStatus, InvitationsByBatch []KeyCount
	AccountsByStatus                        []KeyCount
	// AccountsByOrganization: key the organisation's ID ("" for none), name its name.
	AccountsByOrganization []KeyCount
	// SignInHistory is whether the audit log holds sign-ins; without it only each person's
	// latest login is known. SignInsPerDay counts every sign-in known per UTC day
	// ("2006-01-02"), in order.
	SignInHistory bool
	SignInsPerDay []KeyCount
}

// signIns is every sign-in known, one row (account, time) each: the audit's sign-in events
// and each account's latest login, which is one of them when the history is complete (the
// UNION counts it once). orgE and orgA filter both sides by organisation.
func signIns(orgE, orgA string) string {
	return `SELECT e.entity_id AS id, e.at AS at FROM audit_events e WHERE e.action = '` + portal.ActionSignIn + `' AND e.entity_type = 'account'` + orgE + `
		UNION SELECT a.id, a.last_login_at FROM accounts a WHERE a.last_login_at IS NOT NULL` + orgA
}

// ReportCounts counts what the charts show, for one organisation or ("") all, with
// cutoff dividing inactive from recent and now judging invitations, in one read
// transaction.
func (db *DB) ReportCounts(ctx context.Context, orgID string, cutoff, now time.Time) (ReportCounts, error) {
	var c ReportCounts
	orgA, orgArgs := "", []any{}
	if orgID != "" {
		orgA, orgArgs = " AND a.organization_id = ?", []any{orgID}
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return c, reportErr(err)
	}
	defer tx.Rollback()

	cq, cargs := "SELECT count(*) FROM contacts", []any{}
	if orgID != "" {
		cq, cargs = cq+" WHERE organization_id = ?", orgArgs
	}
	if err := tx.QueryRowContext(ctx, cq, cargs...).Scan(&c.Contacts); err != nil {
		return c, reportErr(err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id)),
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.status = 'accepted')),
		count(*) FILTER (WHERE a.last_login_at IS NOT NULL AND EXISTS (SELECT 1 FROM invitations x WHERE x.account_id = a.id AND x.status = 'accepted'))
		FROM accounts a WHERE 1=1`+orgA, orgArgs...).Scan(&c.Invited, &c.Accepted, &c.LoggedIn); err != nil {
		return c, reportErr(err)
	}
	cut := fmtTime(cutoff)
	if err := tx.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE a.last_login_at IS NULL),
		count(*) FILTER (WHERE a.last_login_at < ?),
		count(*) FILTER (WHERE a.last_login_at >= ?)
		FROM accounts a WHERE 1=1`+orgA, append([]any{cut, cut}, orgArgs...)...).Scan(&c.Never, &c.Inactive, &c.Recent); err != nil {
		return c, reportErr(err)
	}

	counts := func(query string, args ...any) ([]KeyCount, error) {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, reportErr(err)
		}
		out, err := collect(rows, "read the report from the local database: %w", func(r interface{ Scan(...any) error }) (k KeyCount, err error) {
			return k, r.Scan(&k.Key, &k.Name, &k.Count)
		})
		return out, err
	}
	if c.InvitationsByStatus, err = counts(`SELECT `+invStatus+` AS s, '', count(*) FROM accounts a`+latestInvitation+`
		WHERE i.id IS NOT NULL`+orgA+` GROUP BY s ORDER BY CASE s WHEN 'pending' THEN 1 WHEN 'accepted' THEN 2 WHEN 'expired' THEN 3 ELSE 4 END`,
		append([]any{fmtTime(now)}, orgArgs...)...); err != nil {
		return c, err
	}
	orgI := ""
	if orgID != "" {
		orgI = " WHERE i.organization_id = ?"
	}
	if c.InvitationsByBatch, err = counts(`SELECT CASE WHEN i.batch_id = '' THEN ? ELSE i.batch_id END AS k, '', count(DISTINCT i.account_id)
		FROM invitations i`+orgI+` GROUP BY k ORDER BY min(i.created_at), k`, append([]any{ReportNoBatch}, orgArgs...)...); err != nil {
		return c, err
	}
	if c.AccountsByStatus, err = counts(`SELECT a.status, '', count(*) FROM accounts a WHERE 1=1`+orgA+` GROUP BY a.status
		ORDER BY CASE a.status WHEN 'active' THEN 1 WHEN 'invited' THEN 2 WHEN 'pending' THEN 3 WHEN 'deactivated' THEN 4 ELSE 5 END`, orgArgs...); err != nil {
		return c, err
	}
	if c.AccountsByOrganization, err = counts(`SELECT a.organization_id, coalesce(max(o.name), ''), count(*) FROM accounts a
		LEFT JOIN organizations o ON o.id = a.organization_id WHERE 1=1`+orgA+` GROUP BY a.organization_id ORDER BY count(*) DESC, 2`, orgArgs...); err != nil {
		return c, err
	}

	orgE := strings.ReplaceAll(orgA, "a.", "e.")
	var history int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM audit_events e WHERE e.action = ? AND e.entity_type = 'account'`+orgE+` LIMIT 1)`,
		append([]any{portal.ActionSignIn}, orgArgs...)...).Scan(&history); err != nil {
		return c, reportErr(err)
	}
	c.SignInHistory = history > 0
	both := append(append([]any{}, orgArgs...), orgArgs...)
	c.SignInsPerDay, err = counts(`SELECT substr(at, 1, 10) AS d, '', count(*) FROM (`+signIns(orgE, orgA)+`) GROUP BY d ORDER BY d`, both...)
	return c, err
}
