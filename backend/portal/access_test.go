package portal

import "testing"

// What a person reads about their own account on the portal.
func TestAccessSentence(t *testing.T) {
	rs := NewRoles(append(DefaultRoles(), Role{ID: "org-drivers", Name: "Drivers", Scope: ScopeOrganization, OrganizationID: "org_a"})...)
	for _, tc := range []struct {
		name string
		a    Account
		want string
	}{
		{"client", Account{Kind: KindClient}, "You are a client."},
		{"client with an organisation role", Account{Kind: KindClient, AdditionalRoles: []string{"org-drivers"}}, "You are a client with the role Drivers."},
		{"staff, core first", Account{Kind: KindStaff, CoreRole: RoleStaff, AdditionalRoles: []string{RoleReports}}, "You are a staff user with the roles Staff, Reports."},
		{"organisation administrator", Account{Kind: KindClient, OrgAdmin: true}, "You are a client. You administer your organisation's people."},
		{"a role since deleted", Account{Kind: KindStaff, CoreRole: "gone"}, "You are a staff user with the role gone."},
	} {
		if got := rs.AccessSentence(tc.a); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
