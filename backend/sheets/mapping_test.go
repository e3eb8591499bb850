package sheets

import (
	"maps"
	"testing"
)

func TestAutoMap(t *testing.T) {
	cases := []struct {
		headers []string
		want    map[Field]int
	}{
		{[]string{"E-mail", "First Name", "Last Name", "Organisation", "Role", "Membership", "Role until", "Phone", "Type", "Portal access"},
			map[Field]int{FieldEmail: 1, FieldFirstName: 2, FieldLastName: 3, FieldOrganization: 4, FieldRole: 5, FieldMember: 6, FieldRoleUntil: 7, FieldPhone: 8, FieldType: 9, FieldPortalAccess: 10}},
		{[]string{"Full name", "Email Address", "Council", "Position", "Member?", "Clerk until", "Telephone"},
			map[Field]int{FieldFullName: 1, FieldEmail: 2, FieldOrganization: 3, FieldRole: 4, FieldMember: 5, FieldRoleUntil: 6, FieldPhone: 7}},
		{[]string{"Name", "Company", "Job title", "End date", "Contact type", "Work e-mail"},
			map[Field]int{FieldFullName: 1, FieldOrganization: 2, FieldRole: 3, FieldRoleUntil: 4, FieldType: 5, FieldEmail: 6}},
		{[]string{"Forename", "Surname", "Parish council name", "Membership status", "Has portal access", "ÉMAIL"},
			map[Field]int{FieldFirstName: 1, FieldLastName: 2, FieldOrganization: 3, FieldMember: 4, FieldPortalAccess: 5, FieldEmail: 6}},
		// "Email" wins over "Email 2"; a second name-like column stays unmapped.
		{[]string{"Email 2", "Email", "Contact name", "Name"},
			map[Field]int{FieldEmail: 2, FieldFullName: 3}},
		{[]string{"Foo", "Bar"}, map[Field]int{}},
	}
	for _, tc := range cases {
		if got := AutoMap(tc.headers); !maps.Equal(got, tc.want) {
			t.Errorf("AutoMap(%q) = %v, want %v", tc.headers, got, tc.want)
		}
	}
}

func TestDetectHeaderAndKey(t *testing.T) {
	rows := []Row{
		{Number: 1, Cells: []string{"Members' contact list 2024"}},
		{Number: 2, Cells: []string{"Exported 01/02/2024", "", "by CRM"}},
		{Number: 4, Cells: []string{"Email", "Name", "Council"}},
		{Number: 5, Cells: []string{"a@b.org", "Ann", "Acton"}},
	}
	if i := DetectHeader(rows); i != 2 {
		t.Errorf("header at index %d, want 2", i)
	}
	if i := DetectHeader([]Row{{Number: 1, Cells: []string{"x", "y"}}, {Number: 2, Cells: []string{"1", "2"}}}); i != 0 {
		t.Errorf("without recognisable headers the first row is the header; got %d", i)
	}
	if DetectHeader(nil) != -1 {
		t.Error("no rows, no header")
	}
	a := HeaderKey([]string{"E-mail", "First name", ""})
	if a != HeaderKey([]string{" e mail", "FIRST  NAME"}) {
		t.Error("header key changes with case, punctuation or trailing empty headers")
	}
	if a == HeaderKey([]string{"First name", "E-mail"}) {
		t.Error("header key ignores order")
	}
}

func TestMappingValidate(t *testing.T) {
	ok := Mapping{HeaderRow: 1, Columns: map[Field]int{FieldEmail: 1, FieldFullName: 2}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]Mapping{
		"no header row": {Columns: map[Field]int{FieldEmail: 1}},
		"column twice":  {HeaderRow: 1, Columns: map[Field]int{FieldEmail: 1, FieldFullName: 1}},
		"unknown field": {HeaderRow: 1, Columns: map[Field]int{"shoeSize": 2, FieldEmail: 1}},
		"nothing":       {HeaderRow: 1, Columns: map[Field]int{FieldPhone: 1}},
		"bad column":    {HeaderRow: 1, Columns: map[Field]int{FieldEmail: 0}},
	} {
		if err := m.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if v := ok.Value([]string{" a@b.org ", "Ann"}, FieldEmail); v != "a@b.org" {
		t.Errorf("Value = %q", v)
	}
	if ok.Column(FieldFullName) != "B" || ok.Column(FieldPhone) != "" {
		t.Error("Column letters wrong")
	}
	if ColumnName(1) != "A" || ColumnName(27) != "AA" || ColumnName(16384) != "XFD" {
		t.Error("ColumnName wrong")
	}
}

// Real headings, each alone, and the field it must map to ("" for none). From the bulk
// templates of Microsoft Entra (bulk create users), Okta (CSV import) and Google Workspace
// (bulk upload users), CRM exports, and council and pantry lists. A heading naming a kind
// of organisation is the organisation's type, never person-or-organisation.
func TestRealHeadings(t *testing.T) {
	for h, want := range map[string]Field{
		// Microsoft Entra bulk create
		"Name [displayName] Required":                      FieldFullName,
		"User name [userPrincipalName] Required":           FieldEmail,
		"Initial password [passwordProfile] Required":      "",
		"Block sign in (Yes/No) [accountEnabled] Required": "",
		"First name [givenName]":                           FieldFirstName,
		"Last name [surname]":                              FieldLastName,
		"Job title [jobTitle]":                             FieldRole,
		"Department [department]":                          "",
		"Usage location [usageLocation]":                   "",
		"Office phone [telephoneNumber]":                   FieldPhone,
		"Mobile phone [mobile]":                            FieldPhone,
		// Okta CSV import
		"login":        FieldEmail,
		"firstName":    FieldFirstName,
		"lastName":     FieldLastName,
		"email":        FieldEmail,
		"mobilePhone":  FieldPhone,
		"organization": FieldOrganization,
		"userType":     "",
		// Google Workspace bulk upload
		"First Name [Required]":    FieldFirstName,
		"Last Name [Required]":     FieldLastName,
		"Email Address [Required]": FieldEmail,
		"Password [Required]":      "",
		"Org Unit Path [Required]": "",
		"Work Phone":               FieldPhone,
		"Employee Title":           FieldRole,
		"Employee Type":            "",
		// CRM exports (Salesforce, Dynamics, Creatio)
		"Account Name":        FieldOrganization,
		"Account Type":        FieldOrgType,
		"Contact Record Type": FieldType,
		"Record Type":         FieldType,
		"Contact type":        FieldType,
		"Type":                FieldType,
		"Company":             FieldOrganization,
		"Business phone":      FieldPhone,
		// council lists
		"Council":           FieldOrganization,
		"Council type":      FieldOrgType,
		"Type of council":   FieldOrgType,
		"Organisation type": FieldOrgType,
		"Organization Type": FieldOrgType,
		"Org type":          FieldOrgType,
		"Clerk until":       FieldRoleUntil,
		"Membership type":   FieldMember,
		"Position":          FieldRole,
		"Surname":           FieldLastName,
		"Forename":          FieldFirstName,
		// pantry lists
		"Volunteer name": FieldFullName,
		"Pantry":         FieldOrganization,
		"Pantry type":    FieldOrgType,
		"Agency type":    FieldOrgType,
		"Email address":  FieldEmail,
		"Phone number":   FieldPhone,
	} {
		got := AutoMap([]string{h})
		var field Field
		for f := range got {
			field = f
		}
		if field != want || len(got) > 1 {
			t.Errorf("%q maps to %v, want %q", h, got, want)
		}
	}
}
