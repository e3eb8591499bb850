// Package quality checks imported contact rows before anyone is invited: missing and
// invalid addresses, duplicates, addresses shared between organisations, organisation
// rows, lapsed members, people who already have access and roles that have ended. The
// checks are pure functions over the rows; they read no files and no database.
package quality

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"gatehouse/backend/portal"
)

// Code identifies a kind of finding. Codes are stable: the UI, reports and scripts use them.
type Code string

const (
	MissingEmail      Code = "missing_email"
	InvalidEmail      Code = "invalid_email"
	DuplicateEmail    Code = "duplicate_email"
	SharedEmail       Code = "shared_email"
	PossibleDuplicate Code = "possible_duplicate"
	OrganisationRow   Code = "organisation_row"
	NonMember         Code = "non_member"
	HasAccess         Code = "has_access"
	RoleExpired       Code = "role_expired"
)

// Codes lists every code in the order reports show them.
var Codes = []Code{MissingEmail, InvalidEmail, DuplicateEmail, SharedEmail, PossibleDuplicate,
	OrganisationRow, NonMember, HasAccess, RoleExpired}

// Label is a short English name for a code, for badges and report headings.
func (c Code) Label() string {
	switch c {
	case MissingEmail:
		return "No e-mail"
	case InvalidEmail:
		return "Invalid e-mail"
	case DuplicateEmail:
		return "Duplicate e-mail"
	case SharedEmail:
		return "E-mail shared between organisations"
	case PossibleDuplicate:
		return "Possible duplicate person"
	case OrganisationRow:
		return "Organisation, not a person"
	case NonMember:
		return "Not a member"
	case HasAccess:
		return "Already has access"
	case RoleExpired:
		return "Role has ended"
	}
	return string(c)
}

// Action is what the administrator is advised to do about a finding.
type Action string

const (
	ActionExclude Action = "exclude" // leave the row out of this import
	ActionFix     Action = "fix"     // correct a cell
	ActionMerge   Action = "merge"   // keep one of the related rows, exclude the others
)

// Field names, the same strings as sheets.Field, used to name the cell a finding is about.
const (
	FieldEmail        = "email"
	FieldFirstName    = "firstName"
	FieldLastName     = "lastName"
	FieldFullName     = "fullName"
	FieldOrganization = "organization"
	FieldRole         = "role"
	FieldMember       = "member"
	FieldRoleUntil    = "roleUntil"
	FieldType         = "type"
	FieldPortalAccess = "portalAccess"
)

// Record is one contact row, already mapped to fields. Row is its row number in the
// spreadsheet (the header row is usually 1, so data starts at 2).
type Record struct {
	Row          int
	Title        string
	Email        string
	FirstName    string
	LastName     string
	FullName     string
	Organization string
	Role         string
	Member       string
	RoleUntil    string
	Phone        string
	Type         string
	PortalAccess string
}

// Finding is one problem found in a row.
type Finding struct {
	Row     int    `json:"row"`
	Code    Code   `json:"code"`
	Field   string `json:"field,omitempty"`
	Column  string `json:"column"` // column letter of Field in the sheet, "" if unmapped
	Message string `json:"message"`
	Related []int  `json:"related"` // other rows of a group finding, ascending; never nil
	Action  Action `json:"action"`
	// Suggestion is a proposed new value for the cell, when one is obvious.
	Suggestion string `json:"suggestion,omitempty"`
}

// Accounts tells whether an address already has an account on the portal.
type Accounts interface {
	AccountStatus(email string) (portal.Status, bool)
}

// AccountSet is an Accounts held in memory, keyed by any spelling of the address.
type AccountSet map[string]portal.Status

// NewAccountSet indexes accounts by their comparison form.
func NewAccountSet(accounts map[string]portal.Status) AccountSet {
	s := make(AccountSet, len(accounts))
	for e, st := range accounts {
		s[EmailKey(e)] = st
	}
	return s
}

func (s AccountSet) AccountStatus(email string) (portal.Status, bool) {
	st, ok := s[EmailKey(email)]
	return st, ok
}

// Config is what the checks need besides the rows.
type Config struct {
	// AsOf is the date roles are checked against; usually today.
	AsOf time.Time
	// DayFirst reads 03/04/2024 as 3 April.
	DayFirst bool
	// Accounts, when set, finds people who already have access.
	Accounts Accounts
	// Columns gives the column letter of each mapped field (Field* constants), so that
	// findings can point at the cell.
	Columns map[string]string
	// Distinct holds pairs of rows (PairKey) the reviewer said are different people: they
	// are not flagged as possible duplicates again.
	Distinct map[[2]int]bool
}

// Check runs every check over the rows and returns the findings ordered by row, then by
// code in the order of Codes. Rows the administrator excluded should not be passed in.
func Check(records []Record, cfg Config) []Finding {
	c := &checker{cfg: cfg, rows: make([]rowInfo, len(records))}
	for i := range records {
		c.prepare(i, &records[i])
	}
	for i := range records {
		c.checkRow(i, &records[i])
	}
	c.checkGroups(records)
	c.checkNames(records)
	order := make(map[Code]int, len(Codes))
	for i, code := range Codes {
		order[code] = i
	}
	slices.SortStableFunc(c.out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(order[a.Code], order[b.Code]))
	})
	return c.out
}

// Summary counts findings per code, with every code present.
func Summary(findings []Finding) map[Code]int {
	m := make(map[Code]int, len(Codes))
	for _, c := range Codes {
		m[c] = 0
	}
	for _, f := range findings {
		m[f.Code]++
	}
	return m
}

type rowInfo struct {
	person   bool
	emailKey string // comparison form of a valid address, "" otherwise
	orgKey   string
	name     personName
	phone    string // the phone number's last nine digits, "" when it has fewer
}

type checker struct {
	cfg  Config
	rows []rowInfo
	out  []Finding
}

func (c *checker) add(f Finding) {
	if f.Related == nil {
		f.Related = []int{}
	}
	if f.Field != "" && c.cfg.Columns != nil {
		f.Column = c.cfg.Columns[f.Field]
	}
	c.out = append(c.out, f)
}

func (c *checker) prepare(i int, r *Record) {
	ri := &c.rows[i]
	ri.orgKey = foldName(r.Organization)
	ri.person = !isOrganisationRow(r)
	if addr, err := portal.ParseEmail(r.Email); err == nil && !multipleAddresses(r.Email) {
		ri.emailKey = EmailKey(addr)
	}
	ri.name = parsePersonName(r)
	ri.phone = phoneKey(r.Phone)
}

// phoneKey compares phone numbers by their last nine digits, so that +44 1632 960123 and
// 01632 960123 are one number.
func phoneKey(s string) string {
	d := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	if len(d) < 9 {
		return ""
	}
	return string(d[len(d)-9:])
}

func (c *checker) checkRow(i int, r *Record) {
	ri := &c.rows[i]
	if !ri.person {
		c.add(Finding{Row: r.Row, Code: OrganisationRow, Field: c.orgRowField(r), Action: ActionExclude,
			Message: organisationRowMessage(r)})
		return // an organisation row is left out whole; its other cells do not matter
	}
	email := strings.TrimSpace(r.Email)
	switch {
	case email == "":
		c.add(Finding{Row: r.Row, Code: MissingEmail, Field: FieldEmail, Action: ActionFix,
			Message: "No e-mail address: this person cannot be invited. Add their address, or exclude the row."})
	case ri.emailKey == "":
		msg, suggestion := invalidEmailMessage(email)
		c.add(Finding{Row: r.Row, Code: InvalidEmail, Field: FieldEmail, Action: ActionFix, Message: msg, Suggestion: suggestion})
	}
	if v := strings.TrimSpace(r.Member); v != "" && isNo(v, nonMemberWords) {
		c.add(Finding{Row: r.Row, Code: NonMember, Field: FieldMember, Action: ActionExclude,
			Message: fmt.Sprintf("Membership is %q: the organisation is not a member, so its people are not invited.", v)})
	}
	if ri.emailKey != "" && c.cfg.Accounts != nil {
		if st, ok := c.cfg.Accounts.AccountStatus(ri.emailKey); ok && st != portal.StatusNone {
			c.add(Finding{Row: r.Row, Code: HasAccess, Field: FieldEmail, Action: ActionExclude, Message: accountMessage(email, st)})
		}
	}
	if v := strings.TrimSpace(r.PortalAccess); v != "" && isYes(v, accessWords) && !c.hasCode(r.Row, HasAccess) {
		c.add(Finding{Row: r.Row, Code: HasAccess, Field: FieldPortalAccess, Action: ActionExclude,
			Message: fmt.Sprintf("The sheet says this contact already has portal access (%q); inviting again would send a second account.", v)})
	}
	c.checkRole(r)
}

func (c *checker) hasCode(row int, code Code) bool {
	for i := len(c.out) - 1; i >= 0 && c.out[i].Row == row; i-- {
		if c.out[i].Code == code {
			return true
		}
	}
	return false
}

func (c *checker) checkRole(r *Record) {
	if c.cfg.AsOf.IsZero() {
		return
	}
	asOf := dateOnly(c.cfg.AsOf)
	report := func(field, text string, end time.Time) {
		c.add(Finding{Row: r.Row, Code: RoleExpired, Field: field, Action: ActionExclude,
			Message: fmt.Sprintf("The role ended (%q, that is %s), before %s: this person no longer holds it.", strings.TrimSpace(text), end.Format("2 Jan 2006"), asOf.Format("2 Jan 2006"))})
	}
	// A date in the role-until column decides; only without one does the text of the role
	// or name count, where CRMs often keep "Clerk until 03/2024".
	if end, ok := RoleEnd(r.RoleUntil, c.cfg.DayFirst); ok {
		if end.Before(asOf) {
			report(FieldRoleUntil, r.RoleUntil, end)
		}
		return
	}
	for _, f := range []struct{ field, text string }{{FieldRole, r.Role}, {FieldFullName, r.FullName}, {FieldLastName, r.LastName}} {
		if rest, ok := afterUntil(f.text); ok {
			if end, ok := RoleEnd(rest, c.cfg.DayFirst); ok {
				if end.Before(asOf) {
					report(f.field, rest, end)
				}
				return
			}
		}
	}
}

// MaxRelated caps the related rows listed on one finding; the message gives the full
// count. A generic address such as clerk@… on 2,000 rows would otherwise list 2,000 rows
// on each of them.
const MaxRelated = 100

// checkGroups finds addresses used on several rows: in one organisation they are
// duplicates to merge; across organisations they are shared addresses, which can hold
// only one organisation's access. A row without an organisation counts as the same
// organisation as any other.
func (c *checker) checkGroups(records []Record) {
	byEmail := map[string][]int{}
	for i := range records {
		if k := c.rows[i].emailKey; k != "" && c.rows[i].person {
			byEmail[k] = append(byEmail[k], i)
		}
	}
	for _, idx := range byEmail {
		if len(idx) < 2 {
			continue
		}
		byOrg := map[string][]int{} // organisation key → row numbers, ascending
		var orgOrder []string
		orgName := map[string]string{}
		for _, i := range idx {
			k := c.rows[i].orgKey
			if _, ok := byOrg[k]; !ok && k != "" {
				orgOrder = append(orgOrder, k)
				orgName[k] = strings.TrimSpace(records[i].Organization)
			}
			byOrg[k] = append(byOrg[k], records[i].Row)
		}
		for k := range byOrg {
			slices.Sort(byOrg[k])
		}
		all := make([]int, 0, len(idx))
		for _, i := range idx {
			all = append(all, records[i].Row)
		}
		slices.Sort(all)
		for _, i := range idx {
			r := &records[i]
			own := c.rows[i].orgKey
			var same, other []int
			var sameN, otherN int
			if own == "" {
				same, sameN = capped(all, r.Row)
			} else {
				same, sameN = capped(mergeSorted(byOrg[own], byOrg[""]), r.Row)
				for _, k := range orgOrder {
					if k != own {
						otherN += len(byOrg[k])
					}
				}
				if otherN > 0 {
					for _, k := range orgOrder {
						if k != own && len(other) < MaxRelated {
							other = append(other, byOrg[k][:min(len(byOrg[k]), MaxRelated-len(other))]...)
						}
					}
					slices.Sort(other)
				}
			}
			email := strings.TrimSpace(r.Email)
			if sameN > 0 {
				c.add(Finding{Row: r.Row, Code: DuplicateEmail, Field: FieldEmail, Action: ActionMerge, Related: same,
					Message: fmt.Sprintf("%s appears again on %s for the same organisation: keep one row and exclude the others.", email, rowList(same, sameN))})
			}
			if otherN > 0 {
				names := make([]string, 0, 4)
				more := 0
				for _, k := range orgOrder {
					if k != own {
						if len(names) < 3 {
							names = append(names, orgName[k])
						} else {
							more++
						}
					}
				}
				c.add(Finding{Row: r.Row, Code: SharedEmail, Field: FieldEmail, Action: ActionExclude, Related: other,
					Message: fmt.Sprintf("%s is also used for %s (%s). One address can have access to one organisation only: agree with the person which one, and exclude the others.", email, quoteList(names, more), rowList(other, otherN))})
			}
		}
	}
}

// capped returns the rows other than self, at most MaxRelated of them, and how many
// there are in all.
func capped(rows []int, self int) ([]int, int) {
	out := make([]int, 0, min(len(rows), MaxRelated))
	n := 0
	for _, r := range rows {
		if r == self {
			continue
		}
		n++
		if len(out) < MaxRelated {
			out = append(out, r)
		}
	}
	return out, n
}

func mergeSorted(a, b []int) []int {
	if len(b) == 0 {
		return a
	}
	out := append(append(make([]int, 0, len(a)+len(b)), a...), b...)
	slices.Sort(out)
	return out
}

// rowList names rows for a message: "row 4", "rows 4, 9", "rows 4, 9, … and 37 more".
func rowList(rows []int, total int) string {
	if total == 1 && len(rows) == 1 {
		return "row " + strconv.Itoa(rows[0])
	}
	shown := rows[:min(len(rows), 10)]
	parts := make([]string, len(shown))
	for i, r := range shown {
		parts[i] = strconv.Itoa(r)
	}
	if total > len(shown) {
		parts = append(parts, fmt.Sprintf("and %d more", total-len(shown)))
	}
	return "rows " + strings.Join(parts, ", ")
}

func quoteList(names []string, more int) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if more > 0 {
		q = append(q, fmt.Sprintf("%d more organisations", more))
	}
	return strings.Join(q, ", ")
}

// EmailKey is the form in which addresses are compared: trimmed, lower case, the domain
// in its ASCII (punycode) form so that bücher.de and xn--bcher-kva.de are one address.
func EmailKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	domain := s[at+1:]
	for i := 0; i < len(domain); i++ {
		if domain[i] >= 0x80 {
			if a, err := idna.Lookup.ToASCII(domain); err == nil {
				return s[:at+1] + a
			}
			break
		}
	}
	return s
}

func multipleAddresses(s string) bool {
	return strings.Count(s, "@") > 1
}

// invalidEmailMessage explains what is wrong with an address and, when the intended
// address is clear, suggests it.
func invalidEmailMessage(email string) (msg, suggestion string) {
	_, err := portal.ParseEmail(email)
	why := portal.ErrorMessage(err)
	switch {
	case strings.Count(email, "@") > 1 || strings.ContainsAny(email, ",;"):
		return fmt.Sprintf("%q holds more than one address. Keep the one for this person; add the other person as their own row.", email), ""
	case strings.Contains(email, "<") && strings.Contains(email, ">"):
		inner := email[strings.IndexByte(email, '<')+1 : strings.LastIndexByte(email, '>')]
		if addr, err := portal.ParseEmail(inner); err == nil {
			return fmt.Sprintf("%q has a name with the address; the cell must hold the address alone.", email), addr
		}
	case strings.HasPrefix(strings.ToLower(email), "mailto:"):
		if addr, err := portal.ParseEmail(email[len("mailto:"):]); err == nil {
			return fmt.Sprintf("%q is a link, not an address.", email), addr
		}
	}
	if trimmed := strings.Trim(email, " .;,<>\"'()[]"); trimmed != email {
		if addr, err := portal.ParseEmail(trimmed); err == nil {
			return why, addr
		}
	}
	if strings.ContainsAny(email, " \t") {
		if addr, err := portal.ParseEmail(strings.Join(strings.Fields(email), "")); err == nil {
			return fmt.Sprintf("%q contains spaces.", email), addr
		}
	}
	return why, ""
}

func accountMessage(email string, st portal.Status) string {
	switch st {
	case portal.StatusActive:
		return fmt.Sprintf("%s already has an active portal account.", email)
	case portal.StatusInvited:
		return fmt.Sprintf("%s has already been invited; resend the invitation instead if it was lost.", email)
	case portal.StatusPending:
		return fmt.Sprintf("%s has signed in and is waiting for approval; approve the request instead of inviting.", email)
	case portal.StatusDeactivated:
		return fmt.Sprintf("%s has a deactivated account; reactivate it instead of inviting.", email)
	case portal.StatusDenied:
		return fmt.Sprintf("%s was denied access and is in the recycle bin; use \"approve instead\" if they should get in.", email)
	}
	return fmt.Sprintf("%s already has a portal account (%s).", email, st)
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
