package quality

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

var asOf = time.Date(2024, 6, 15, 0, 0, 0, 0, time.UTC)

func codesOf(fs []Finding, row int) []Code {
	var out []Code
	for _, f := range fs {
		if f.Row == row {
			out = append(out, f.Code)
		}
	}
	return out
}

func find(fs []Finding, row int, code Code) (Finding, bool) {
	for _, f := range fs {
		if f.Row == row && f.Code == code {
			return f, true
		}
	}
	return Finding{}, false
}

// TestEachCode checks every finding code on a row that must have it and on a similar
// row that must not.
func TestEachCode(t *testing.T) {
	accounts := NewAccountSet(map[string]portal.Status{"Active@Example.org": portal.StatusActive, "inv@example.org": portal.StatusInvited})
	cases := []struct {
		name    string
		code    Code
		rows    []Record // row 2 is the one examined
		want    bool
		related []int
		action  Action
	}{
		{"missing email", MissingEmail, []Record{{FullName: "Ann Lee", Organization: "Acton PC"}}, true, nil, ActionFix},
		{"blank email", MissingEmail, []Record{{FullName: "Ann Lee", Email: "   ", Organization: "Acton PC"}}, true, nil, ActionFix},
		{"email present", MissingEmail, []Record{{FullName: "Ann Lee", Email: "ann@acton.gov.uk"}}, false, nil, ""},
		{"org row without email is not missing_email", MissingEmail, []Record{{FullName: "Acton PC", Organization: "Acton PC", Type: "Organisation"}}, false, nil, ""},

		{"unparsable", InvalidEmail, []Record{{FullName: "A B", Email: "ann.acton.gov.uk"}}, true, nil, ActionFix},
		{"display-name form", InvalidEmail, []Record{{FullName: "A B", Email: "Ann Lee <ann@acton.gov.uk>"}}, true, nil, ActionFix},
		{"several addresses", InvalidEmail, []Record{{FullName: "A B", Email: "ann@acton.gov.uk; clerk@acton.gov.uk"}}, true, nil, ActionFix},
		{"several addresses by space", InvalidEmail, []Record{{FullName: "A B", Email: "ann@acton.gov.uk clerk@acton.gov.uk"}}, true, nil, ActionFix},
		{"bad domain", InvalidEmail, []Record{{FullName: "A B", Email: "ann@-acton-.org"}}, true, nil, ActionFix},
		{"no tld", InvalidEmail, []Record{{FullName: "A B", Email: "ann@localhost"}}, true, nil, ActionFix},
		{"address literal", InvalidEmail, []Record{{FullName: "A B", Email: "ann@[192.0.2.1]"}}, true, nil, ActionFix},
		{"IDN domain is valid", InvalidEmail, []Record{{FullName: "A B", Email: "anna@bücher.de"}}, false, nil, ""},
		{"punycode domain is valid", InvalidEmail, []Record{{FullName: "A B", Email: "anna@xn--bcher-kva.de"}}, false, nil, ""},
		{"plain address", InvalidEmail, []Record{{FullName: "A B", Email: "  Ann.Lee+x@Acton.Gov.UK "}}, false, nil, ""},

		{"same address same org, case and spaces", DuplicateEmail, []Record{
			{FullName: "Ann Lee", Email: "ann@acton.gov.uk", Organization: "Acton PC"},
			{FullName: "A. Lee", Email: " ANN@Acton.gov.uk", Organization: "acton pc"}}, true, []int{3}, ActionMerge},
		{"IDN spellings are one address", DuplicateEmail, []Record{
			{FullName: "Anna B", Email: "anna@bücher.de", Organization: "Books"},
			{FullName: "Anna B", Email: "anna@xn--bcher-kva.de", Organization: "Books"}}, true, []int{3}, ActionMerge},
		{"different addresses", DuplicateEmail, []Record{
			{FullName: "Ann Lee", Email: "ann@acton.gov.uk", Organization: "Acton PC"},
			{FullName: "Bob Ray", Email: "bob@acton.gov.uk", Organization: "Acton PC"}}, false, nil, ""},
		{"same address other org is not duplicate", DuplicateEmail, []Record{
			{FullName: "Ann Lee", Email: "clerk@x.org", Organization: "Acton PC"},
			{FullName: "Ann Lee", Email: "clerk@x.org", Organization: "Barton PC"}}, false, nil, ""},

		{"clerk shares address across councils", SharedEmail, []Record{
			{FullName: "Ann Lee", Email: "clerk@x.org", Organization: "Acton PC"},
			{FullName: "Ann Lee", Email: "Clerk@X.org", Organization: "Barton PC"},
			{FullName: "Ann Lee", Email: "clerk@x.org", Organization: "Carlton PC"}}, true, []int{3, 4}, ActionExclude},
		{"same org is not shared", SharedEmail, []Record{
			{FullName: "Ann Lee", Email: "clerk@x.org", Organization: "Acton PC"},
			{FullName: "Bob Ray", Email: "clerk@x.org", Organization: "Acton PC"}}, false, nil, ""},

		{"accent and case", PossibleDuplicate, []Record{
			{FullName: "Renée O'Brien", Email: "renee@a.org", Organization: "Acton PC"},
			{FullName: "RENEE OBRIEN", Email: "r.obrien@b.org", Organization: "Acton PC"}}, true, []int{3}, ActionMerge},
		{"initial", PossibleDuplicate, []Record{
			{FirstName: "John", LastName: "Smith", Email: "john@a.org", Organization: "Acton PC"},
			{FirstName: "J.", LastName: "Smith", Organization: "Acton PC"}}, true, []int{3}, ActionMerge},
		{"nickname", PossibleDuplicate, []Record{
			{FullName: "William Jones", Email: "wj@a.org", Organization: "Acton PC"},
			{FullName: "Bill Jones", Email: "bill@b.org", Organization: "Acton PC"}}, true, []int{3}, ActionMerge},
		{"typo", PossibleDuplicate, []Record{
			{FullName: "Margaret Thompson", Email: "mt@a.org", Organization: "Acton PC"},
			{FullName: "Margaret Thomspon", Email: "m@b.org", Organization: "Acton PC"}}, true, []int{3}, ActionMerge},
		{"surname first with comma", PossibleDuplicate, []Record{
			{FullName: "Smith, John", Email: "a@a.org", Organization: "Acton PC"},
			{FullName: "Mr John Smith", Email: "b@b.org", Organization: "Acton PC"}}, true, []int{3}, ActionMerge},
		{"different people same surname", PossibleDuplicate, []Record{
			{FullName: "John Smith", Email: "a@a.org", Organization: "Acton PC"},
			{FullName: "Mary Smith", Email: "b@b.org", Organization: "Acton PC"}}, false, nil, ""},
		{"same name other org", PossibleDuplicate, []Record{
			{FullName: "John Smith", Email: "a@a.org", Organization: "Acton PC"},
			{FullName: "John Smith", Email: "b@b.org", Organization: "Barton PC"}}, false, nil, ""},
		{"same name same address is a duplicate_email only", PossibleDuplicate, []Record{
			{FullName: "John Smith", Email: "a@a.org", Organization: "Acton PC"},
			{FullName: "John Smith", Email: "a@a.org", Organization: "Acton PC"}}, false, nil, ""},

		{"type organisation", OrganisationRow, []Record{{FullName: "Acton Parish Council", Type: "Organisation", Email: "info@acton.gov.uk"}}, true, nil, ActionExclude},
		{"name equals organisation", OrganisationRow, []Record{{FullName: "Acton PC", Organization: "Acton PC", Email: "info@acton.gov.uk"}}, true, nil, ActionExclude},
		{"name reads like an organisation", OrganisationRow, []Record{{FullName: "Barton Town Council", Organization: "Barton", Email: "info@barton.gov.uk"}}, true, nil, ActionExclude},
		{"type individual", OrganisationRow, []Record{{FullName: "Ann Lee", Type: "Individual", Organization: "Acton PC", Email: "ann@acton.gov.uk"}}, false, nil, ""},
		// A council's type in the Type column (a mis-mapped "Council type") does not make a
		// clerk with a first and last name an organisation row.
		{"person with an organisation type", OrganisationRow, []Record{{FirstName: "Jo", LastName: "Kent", Type: "Parish council", Organization: "Acton PC", Email: "jo@acton.gov.uk"}}, false, nil, ""},
		{"person", OrganisationRow, []Record{{FirstName: "Ann", LastName: "Council", Organization: "Acton PC", Email: "ann@acton.gov.uk"}}, false, nil, ""},

		{"lapsed", NonMember, []Record{{FullName: "Ann Lee", Email: "ann@a.org", Member: "Lapsed"}}, true, nil, ActionExclude},
		{"no", NonMember, []Record{{FullName: "Ann Lee", Email: "ann@a.org", Member: "no"}}, true, nil, ActionExclude},
		{"non-member", NonMember, []Record{{FullName: "Ann Lee", Email: "ann@a.org", Member: "Non-member"}}, true, nil, ActionExclude},
		{"member yes", NonMember, []Record{{FullName: "Ann Lee", Email: "ann@a.org", Member: "Yes"}}, false, nil, ""},
		{"membership unknown", NonMember, []Record{{FullName: "Ann Lee", Email: "ann@a.org"}}, false, nil, ""},

		{"active account", HasAccess, []Record{{FullName: "Ann Lee", Email: "ACTIVE@example.org"}}, true, nil, ActionExclude},
		{"invited account", HasAccess, []Record{{FullName: "Ann Lee", Email: "inv@example.org"}}, true, nil, ActionExclude},
		{"portal access column", HasAccess, []Record{{FullName: "Ann Lee", Email: "new@example.org", PortalAccess: "Yes"}}, true, nil, ActionExclude},
		{"no account", HasAccess, []Record{{FullName: "Ann Lee", Email: "new@example.org", PortalAccess: "No"}}, false, nil, ""},

		{"role until ISO", RoleExpired, []Record{{FullName: "Ann Lee", Email: "a@a.org", RoleUntil: "2024-03-31"}}, true, nil, ActionExclude},
		{"role until month", RoleExpired, []Record{{FullName: "Ann Lee", Email: "a@a.org", RoleUntil: "05/2024"}}, true, nil, ActionExclude},
		{"clerk until in role text", RoleExpired, []Record{{FullName: "Ann Lee", Email: "a@a.org", Role: "Clerk until 03/2024"}}, true, nil, ActionExclude},
		{"clerk until with dash", RoleExpired, []Record{{FullName: "Ann Lee", Email: "a@a.org", Role: "Clerk until – 31/03/24"}}, true, nil, ActionExclude},
		{"role until this month", RoleExpired, []Record{{FullName: "Ann Lee", Email: "a@a.org", RoleUntil: "06/2024"}}, false, nil, ""},
		{"role until future", RoleExpired, []Record{{FullName: "Ann Lee", Email: "a@a.org", RoleUntil: "2025-01-01"}}, false, nil, ""},
		{"role without date", RoleExpired, []Record{{FullName: "Ann Lee", Email: "a@a.org", Role: "Clerk to the council"}}, false, nil, ""},
	}
	for _, tc := range cases {
		t.Run(string(tc.code)+"/"+tc.name, func(t *testing.T) {
			recs := make([]Record, len(tc.rows))
			for i, r := range tc.rows {
				r.Row = i + 2
				recs[i] = r
			}
			fs := Check(recs, Config{AsOf: asOf, DayFirst: true, Accounts: accounts, Columns: map[string]string{FieldEmail: "C", FieldFullName: "A"}})
			f, got := find(fs, 2, tc.code)
			if got != tc.want {
				t.Fatalf("row 2 %s = %v, want %v; findings %+v", tc.code, got, tc.want, fs)
			}
			if !got {
				return
			}
			if f.Message == "" || f.Action != tc.action {
				t.Errorf("finding %+v: want a message and action %s", f, tc.action)
			}
			if tc.related != nil && !slices.Equal(f.Related, tc.related) {
				t.Errorf("related = %v, want %v", f.Related, tc.related)
			}
			if f.Related == nil {
				t.Errorf("related must be [] not nil")
			}
			if f.Field == FieldEmail && f.Column != "C" {
				t.Errorf("column = %q, want C", f.Column)
			}
		})
	}
}

func TestSuggestions(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Ann Lee <ann@acton.gov.uk>", "ann@acton.gov.uk"},
		{"mailto:ann@acton.gov.uk", "ann@acton.gov.uk"},
		{"ann@acton.gov.uk.", "ann@acton.gov.uk"},
		{"ann @acton.gov.uk", "ann@acton.gov.uk"},
		{"ann.acton.gov.uk", ""},
	} {
		fs := Check([]Record{{Row: 2, FullName: "Ann Lee", Email: tc.in}}, Config{})
		f, ok := find(fs, 2, InvalidEmail)
		if !ok || f.Suggestion != tc.want {
			t.Errorf("%q: finding %+v, want suggestion %q", tc.in, f, tc.want)
		}
	}
}

func TestRoleEnd(t *testing.T) {
	for _, tc := range []struct {
		in       string
		dayFirst bool
		want     string
	}{
		{"2024-03-31", false, "2024-03-31"},
		{"2024-03-31 00:00:00", false, "2024-03-31"},
		{"03/04/2024", true, "2024-04-03"},
		{"03/04/2024", false, "2024-03-04"},
		{"31/03/2024", false, "2024-03-31"}, // only one reading is a date
		{"31.03.24", true, "2024-03-31"},
		{"03/2024", true, "2024-03-31"},
		{"2/24", true, "2024-02-29"},
		{"March 2024", true, "2024-03-31"},
		{"31 March 2024", true, "2024-03-31"},
		{"March 31, 2024", false, "2024-03-31"},
		{"2023", true, "2023-12-31"},
		{"45382", true, "2024-03-31"},
		{"31/04/2024", true, ""},
		{"soon", true, ""},
	} {
		got, ok := RoleEnd(tc.in, tc.dayFirst)
		s := ""
		if ok {
			s = got.Format("2006-01-02")
		}
		if s != tc.want {
			t.Errorf("RoleEnd(%q, dayFirst=%v) = %q, want %q", tc.in, tc.dayFirst, s, tc.want)
		}
	}
}

func TestSummaryHasEveryCode(t *testing.T) {
	s := Summary([]Finding{{Code: MissingEmail}, {Code: MissingEmail}, {Code: NonMember}})
	if len(s) != len(Codes) || s[MissingEmail] != 2 || s[NonMember] != 1 || s[RoleExpired] != 0 {
		t.Fatalf("summary %v", s)
	}
}

// TestOrderAndGroups checks that findings come sorted and that a group finding lists
// every other member of its group.
func TestOrderAndGroups(t *testing.T) {
	recs := []Record{
		{Row: 2, FullName: "Ann Lee", Email: "x@a.org", Organization: "A"},
		{Row: 3, FullName: "Ann Lee", Email: "x@a.org", Organization: "A"},
		{Row: 4, FullName: "Ann Lee", Email: "x@a.org", Organization: "A"},
		{Row: 5, FullName: "", Email: "", Organization: "A"},
	}
	fs := Check(recs, Config{})
	for i := 1; i < len(fs); i++ {
		if fs[i].Row < fs[i-1].Row {
			t.Fatalf("findings not ordered by row: %+v", fs)
		}
	}
	for row, want := range map[int][]int{2: {3, 4}, 3: {2, 4}, 4: {2, 3}} {
		f, ok := find(fs, row, DuplicateEmail)
		if !ok || !slices.Equal(f.Related, want) {
			t.Errorf("row %d duplicate: %+v, want related %v", row, f, want)
		}
	}
	if got := codesOf(fs, 5); !slices.Equal(got, []Code{MissingEmail}) {
		t.Errorf("row 5 codes %v", got)
	}
}

// BenchmarkCheck100k measures all checks over 100,000 generated rows.
func BenchmarkCheck100k(b *testing.B) {
	recs := genRecords(100000)
	b.ResetTimer()
	for b.Loop() {
		Check(recs, Config{AsOf: asOf, DayFirst: true})
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestCheckScales(t *testing.T) {
	recs := genRecords(20000)
	fs := Check(recs, Config{AsOf: asOf})
	s := Summary(fs)
	for _, c := range []Code{MissingEmail, InvalidEmail, DuplicateEmail, SharedEmail, PossibleDuplicate, OrganisationRow, NonMember, RoleExpired} {
		if s[c] == 0 {
			t.Errorf("generated data produced no %s findings: %v", c, s)
		}
	}
	if !strings.Contains(fmt.Sprint(s), "possible_duplicate") {
		t.Fatal("summary lacks codes")
	}
}
