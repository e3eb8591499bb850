package sheets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"gatehouse/backend/portal"
)

// Field is a contact attribute a column can be mapped to.
type Field string

const (
	FieldEmail        Field = "email"
	FieldFirstName    Field = "firstName"
	FieldLastName     Field = "lastName"
	FieldFullName     Field = "fullName"
	FieldOrganization Field = "organization"
	FieldRole         Field = "role"
	FieldMember       Field = "member"
	FieldRoleUntil    Field = "roleUntil"
	FieldPhone        Field = "phone"
	FieldType         Field = "type"
	FieldPortalAccess Field = "portalAccess"
	// FieldOrgType is the kind of organisation a row's organisation is ("council",
	// "pantry"): a heading naming a kind of organisation ("Council type", "Organisation
	// type") means this, never whether the row is a person or an organisation (FieldType).
	FieldOrgType Field = "organizationType"
	// FieldTitle is a person's courtesy title (Mr, Ms, Dr): it tells two people of one
	// name apart when their titles are of different genders.
	FieldTitle Field = "title"
)

// Fields lists every field in the order the mapping screen shows them.
var Fields = []Field{FieldEmail, FieldTitle, FieldFirstName, FieldLastName, FieldFullName, FieldOrganization,
	FieldOrgType, FieldRole, FieldMember, FieldRoleUntil, FieldPhone, FieldType, FieldPortalAccess}

// FieldLabel is the English name of a field for screens and reports.
func FieldLabel(f Field) string {
	switch f {
	case FieldEmail:
		return "E-mail"
	case FieldFirstName:
		return "First name"
	case FieldLastName:
		return "Last name"
	case FieldFullName:
		return "Full name"
	case FieldOrganization:
		return "Organisation"
	case FieldRole:
		return "Role"
	case FieldMember:
		return "Membership"
	case FieldRoleUntil:
		return "Role until"
	case FieldPhone:
		return "Phone"
	case FieldType:
		return "Person or organisation"
	case FieldOrgType:
		return "Organisation type"
	case FieldPortalAccess:
		return "Portal access"
	case FieldTitle:
		return "Title"
	}
	return string(f)
}

func validField(f Field) bool {
	for _, g := range Fields {
		if g == f {
			return true
		}
	}
	return false
}

// Mapping says which row holds the column headers and which column holds each field.
type Mapping struct {
	// HeaderRow is the spreadsheet row number of the header row; data rows follow it.
	HeaderRow int `json:"headerRow"`
	// Headers are the header row's cells, as read.
	Headers []string `json:"headers"`
	// Columns gives the 1-based column number of each mapped field.
	Columns map[Field]int `json:"columns"`
}

// Value returns the trimmed text of field f in a row's cells, "" when unmapped or empty.
func (m Mapping) Value(cells []string, f Field) string {
	c, ok := m.Columns[f]
	if !ok || c < 1 || c > len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[c-1])
}

// Column returns the column letter of field f, "" when unmapped.
func (m Mapping) Column(f Field) string {
	if c, ok := m.Columns[f]; ok {
		return ColumnName(c)
	}
	return ""
}

// HeaderKey returns the key under which this mapping is remembered.
func (m Mapping) HeaderKey() string { return HeaderKey(m.Headers) }

// Validate checks a mapping edited by the administrator.
func (m Mapping) Validate() error {
	if m.HeaderRow < 1 {
		return portal.FieldErrorf("headerRow", "Choose the row that holds the column headers.")
	}
	used := map[int]Field{}
	for f, c := range m.Columns {
		if !validField(f) {
			return portal.FieldErrorf("columns", "%q is not a contact field Gatehouse knows.", f)
		}
		if c < 1 || c > 16384 {
			return portal.FieldErrorf("columns", "The column chosen for %s does not exist.", FieldLabel(f))
		}
		if g, ok := used[c]; ok {
			a, b := FieldLabel(f), FieldLabel(g)
			if a > b {
				a, b = b, a
			}
			return portal.FieldErrorf("columns", "Column %s is mapped to both %s and %s; map it to one field only.", ColumnName(c), a, b)
		}
		used[c] = f
	}
	_, email := m.Columns[FieldEmail]
	_, full := m.Columns[FieldFullName]
	_, first := m.Columns[FieldFirstName]
	_, last := m.Columns[FieldLastName]
	if !email && !full && !first && !last {
		return portal.FieldErrorf("columns", "Map at least the e-mail column or a name column; without them there is nothing to check.")
	}
	return nil
}

// String lists the mapped fields with their columns and header text, for logs.
func (m Mapping) String() string {
	parts := make([]string, 0, len(m.Columns))
	for f, c := range m.Columns {
		h := ""
		if c <= len(m.Headers) {
			h = m.Headers[c-1]
		}
		parts = append(parts, fmt.Sprintf("%s=%s(%s)", f, ColumnName(c), h))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

var stripMarks = runes.Remove(runes.In(unicode.Mn))

// NormalizeHeader folds a header for matching: no accents, lower case, punctuation as
// single spaces. "E-Mail Address:" → "e mail address".
func NormalizeHeader(s string) string {
	s, _, _ = transform.String(transform.Chain(norm.NFKD, stripMarks, norm.NFC), s)
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		} else {
			space = true
		}
	}
	return b.String()
}

// HeaderKey is a stable key for a set of headers, under which the administrator's
// mapping is remembered: the same export from the same CRM maps the same way next time.
func HeaderKey(headers []string) string {
	n := len(headers)
	for n > 0 && strings.TrimSpace(headers[n-1]) == "" {
		n--
	}
	h := sha256.New()
	for _, s := range headers[:n] {
		h.Write([]byte(NormalizeHeader(s)))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

var exactHeaders = map[string]Field{}

func init() {
	for f, names := range map[Field][]string{
		FieldEmail: {"email", "e mail", "email address", "e mail address", "emailaddress", "mail", "primary email",
			"contact email", "work email", "email 1", "e mail 1", "clerk email", "email addr"},
		FieldFirstName: {"first name", "firstname", "first", "forename", "forenames", "given name", "given names", "christian name"},
		FieldLastName:  {"last name", "lastname", "last", "surname", "family name", "second name"},
		FieldFullName:  {"name", "full name", "fullname", "contact name", "contact", "person", "clerk name", "clerk", "display name", "contact full name"},
		FieldOrganization: {"organisation", "organization", "org", "organisation name", "organization name", "council", "council name",
			"company", "company name", "parish", "parish council", "account", "account name", "agency", "pantry", "member organisation",
			"member organization", "employer", "authority"},
		FieldRole:   {"role", "position", "job title", "job", "job role", "role title", "post", "office", "employee title"},
		FieldMember: {"member", "membership", "member status", "membership status", "is member", "members", "member yes no", "current member"},
		FieldRoleUntil: {"role until", "clerk until", "end date", "until", "role end", "role end date", "valid until", "expires",
			"expiry", "expiry date", "term ends", "term end", "left", "date left", "in post until"},
		FieldPhone: {"phone", "telephone", "tel", "phone number", "telephone number", "mobile", "mobile number", "phone no", "tel no"},
		FieldType:  {"type", "record type", "contact type", "entity type", "contact kind", "record kind", "person or organisation", "person or organization"},
		FieldOrgType: {"organisation type", "organization type", "org type", "council type", "type of organisation", "type of organization",
			"type of council", "organisation category", "organization category", "account type", "company type", "agency type",
			"pantry type", "sector", "industry"},
		FieldPortalAccess: {"portal access", "portal", "has portal access", "portal user", "access", "portal status", "portal login", "has access"},
		FieldTitle:        {"title", "salutation", "honorific", "name prefix", "prefix", "courtesy title", "honorific prefix"},
	} {
		for _, n := range names {
			exactHeaders[n] = f
		}
	}
}

// fuzzyHeader recognises headers by their words when no exact name matched, most
// specific first: "Clerk until" is a date, not a name; "Membership type" is membership.
func fuzzyHeader(h string) (Field, bool) {
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(h, w) {
				return true
			}
		}
		return false
	}
	switch {
	case h == "":
		return "", false
	case has("until", "end date", "expir", "ends"):
		return FieldRoleUntil, true
	case has("email", "e mail"):
		return FieldEmail, true
	case has("userprincipalname", "upn") || h == "login" || h == "username" || h == "user name" || h == "sign in name":
		// The sign-in name of Entra (userPrincipalName), Okta (login) and the like: an
		// address, used when the sheet has no e-mail column of its own.
		return FieldEmail, true
	case has("portal", "access"):
		return FieldPortalAccess, true
	case has("member"):
		return FieldMember, true
	case has("type", "kind", "category") && has("organi", "council", "company", "account", "agency", "pantry", "business", "parish", "charity", "org "):
		// "Council type": the kind of organisation, not person-or-organisation.
		return FieldOrgType, true
	case has("type", "kind") && has("contact", "record", "entity", "person"):
		return FieldType, true
	case has("phone", "tel", "mobile"):
		return FieldPhone, true
	case has("first name", "forename", "given"):
		return FieldFirstName, true
	case has("surname", "last name", "family name"):
		return FieldLastName, true
	case has("organi", "council", "company", "parish", "agency", "employer"):
		return FieldOrganization, true
	case has("role", "position", "job"):
		return FieldRole, true
	case has("name"):
		return FieldFullName, true
	}
	return "", false
}

// AutoMap recognises the usual English headers. Exact names win over partial ones, and
// each field goes to the first column that matches it.
func AutoMap(headers []string) map[Field]int {
	cols := map[Field]int{}
	taken := map[int]bool{}
	norms := make([]string, len(headers))
	for i, h := range headers {
		norms[i] = NormalizeHeader(h)
	}
	for i, h := range norms {
		if f, ok := exactHeaders[h]; ok && cols[f] == 0 {
			cols[f], taken[i] = i+1, true
		}
	}
	for i, h := range norms {
		if taken[i] {
			continue
		}
		if f, ok := fuzzyHeader(h); ok && cols[f] == 0 {
			cols[f], taken[i] = i+1, true
		}
	}
	return cols
}

// headerScore rates how much a row looks like a header row: recognised names count,
// cells that look like data (addresses, numbers) count against it.
func headerScore(cells []string) int {
	score, filled := 0, 0
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		filled++
		n := NormalizeHeader(c)
		if _, ok := exactHeaders[n]; ok {
			score += 3
		} else if _, ok := fuzzyHeader(n); ok && len(n) <= 40 {
			score++
		}
		if strings.Contains(c, "@") || strings.Trim(c, "0123456789.-/ ") == "" {
			score -= 2
		}
	}
	if filled == 1 {
		score-- // a title merged across the columns, not a header row
	}
	return score
}

// DetectHeader picks the header row among the first rows read: the one that looks most
// like headers, earliest on a tie; the first row when none looks like one. It returns an
// index into rows, or -1 for no rows.
func DetectHeader(rows []Row) int {
	if len(rows) == 0 {
		return -1
	}
	best, bestScore := 0, 0
	for i, r := range rows {
		if i >= 30 {
			break
		}
		if s := headerScore(r.Cells); s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// MappingFor builds the automatic mapping for a header row.
func MappingFor(header Row) Mapping {
	return Mapping{HeaderRow: header.Number, Headers: append([]string(nil), header.Cells...), Columns: AutoMap(header.Cells)}
}
