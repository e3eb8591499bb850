package portal_test

import (
	"slices"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

func TestDirectoryActor(t *testing.T) {
	whole := portal.Directory{ID: "d1", Name: "Entra"}.Actor()
	if !whole.SystemAdmin || !whole.UserSetup || whole.OrgAdminOf != "" || whole.ID != "directory:d1" || whole.Name != "Entra" {
		t.Errorf("a directory of the whole portal: %+v", whole)
	}
	scoped := portal.Directory{ID: "d2", Name: "Okta", OrganizationID: "org_a"}.Actor()
	if scoped.SystemAdmin || scoped.UserSetup || scoped.OrgAdminOf != "org_a" {
		t.Errorf("a scoped directory: %+v", scoped)
	}
}

func TestCheckDirectory(t *testing.T) {
	sys := portal.Actor{ID: "a", SystemAdmin: true, UserSetup: true}
	orgAdmin := portal.Actor{ID: "b", OrgAdminOf: "org_a"}
	for _, tc := range []struct {
		name      string
		act       portal.Actor
		d         portal.Directory
		code, fld string
	}{
		{"a system administrator connects one for the portal", sys, portal.Directory{Name: " Microsoft   Entra ID "}, "", ""},
		{"no name", sys, portal.Directory{Name: "  "}, portal.EINVALID, "name"},
		{"a kind that is none", sys, portal.Directory{Name: "x", Kind: "robot"}, portal.EINVALID, "kind"},
		{"an organisation's administrator, for the portal", orgAdmin, portal.Directory{Name: "x"}, portal.EFORBIDDEN, ""},
		{"an organisation's administrator, for their organisation", orgAdmin, portal.Directory{Name: "x", OrganizationID: "org_a"}, "", ""},
		{"an organisation's administrator, for another", orgAdmin, portal.Directory{Name: "x", OrganizationID: "org_b"}, portal.EFORBIDDEN, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := portal.CheckDirectory(tc.act, tc.d)
			if portal.ErrorCode(err) != tc.code && !(tc.code == "" && err == nil) || portal.ErrorField(err) != tc.fld {
				t.Fatalf("CheckDirectory: %v, want %q at %q", err, tc.code, tc.fld)
			}
			if err == nil && (d.Kind != portal.KindStaff || d.Name != "Microsoft Entra ID" && d.Name != "x") {
				t.Errorf("normalised: %+v", d)
			}
		})
	}
}

func TestProvision(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	op := portal.Op{Now: now, Actor: portal.Directory{ID: "d", Name: "Entra"}.Actor()}
	d := portal.Directory{ID: "d", Name: "Entra", Kind: portal.KindClient}
	a, ev, err := portal.Provision(op, d, portal.DirectoryProfile{UserName: "upn-1", Email: "Ann@Example.org", GivenName: "Ann", FamilyName: " Lee ", Active: true}, "acc_1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Ann Lee" || a.Email != "Ann@example.org" || a.Status != portal.StatusActive || a.Kind != portal.KindClient || !a.ClientRecord ||
		!a.RegistrationComplete || a.Source != "Entra" || a.Directory.UserName != "upn-1" || ev.Action != portal.ActionProvision || ev.ActorName != "Entra" {
		t.Errorf("Provision = %+v %+v", a, ev)
	}
	if a, _, _ := portal.Provision(op, d, portal.DirectoryProfile{UserName: "bo@example.org"}, "acc_2"); a.Status != portal.StatusDeactivated || a.Name != "bo" {
		t.Errorf("an inactive person is created deactivated, named after the address: %+v", a)
	}
	if _, _, err := portal.Provision(op, d, portal.DirectoryProfile{UserName: "no-address", Active: true}, "acc_3"); portal.ErrorField(err) != "userName" {
		t.Errorf("no address: %v", err)
	}
	scoped := portal.Directory{ID: "s", Name: "Okta", OrganizationID: "org_a"}
	sop := portal.Op{Now: now, Actor: scoped.Actor()}
	if a, _, _ := portal.Provision(sop, scoped, portal.DirectoryProfile{UserName: "cy@example.org", OrganizationID: "org_b", Active: true}, "acc_4"); a.OrganizationID != "org_a" {
		t.Errorf("a scoped directory creates people in its organisation: %+v", a)
	}
}

func TestSetActiveFromDirectory(t *testing.T) {
	roles := portal.NewRoles(portal.DefaultRoles()...)
	op := portal.Op{Now: time.Now(), Actor: portal.Directory{ID: "d", Name: "Entra"}.Actor(), Roles: roles, ActiveSystemAdmins: 1}
	for _, tc := range []struct {
		from    portal.Status
		active  bool
		to      portal.Status
		action  string
		refused bool
	}{
		{portal.StatusActive, true, portal.StatusActive, "", false},
		{portal.StatusActive, false, portal.StatusDeactivated, portal.ActionDeactivate, false},
		{portal.StatusDeactivated, false, portal.StatusDeactivated, "", false},
		{portal.StatusDeactivated, true, portal.StatusActive, portal.ActionReactivate, false},
		{portal.StatusPending, true, portal.StatusActive, portal.ActionApprove, false},
		{portal.StatusInvited, true, portal.StatusInvited, "", false},
		{portal.StatusDenied, true, "", "", true},
		{portal.StatusPending, false, "", "", true},
		{portal.StatusInvited, false, "", "", true},
	} {
		a := portal.Account{ID: "acc_1", Email: "a@example.org", Status: tc.from, Kind: portal.KindStaff, CoreRole: portal.RoleStaff}
		b, ev, changed, err := portal.SetActiveFromDirectory(op, a, tc.active)
		if (err != nil) != tc.refused || err == nil && (b.Status != tc.to || ev.Action != tc.action || changed != (tc.action != "")) {
			t.Errorf("%s, active=%v: %s %q %v %v; want %s %q", tc.from, tc.active, b.Status, ev.Action, changed, err, tc.to, tc.action)
		}
	}
	admin := portal.Account{ID: "acc_9", Status: portal.StatusActive, Kind: portal.KindStaff, CoreRole: portal.RoleAdministrator}
	if _, _, _, err := portal.SetActiveFromDirectory(op, admin, false); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("the last system administrator: %v", err)
	}
}

func TestDirectoryRoles(t *testing.T) {
	roles := portal.NewRoles(append(portal.DefaultRoles(), portal.Role{ID: "drivers", Name: "Drivers", Scope: portal.ScopeSystem})...)
	staff := portal.Account{Kind: portal.KindStaff}
	for _, tc := range []struct {
		name       string
		a          portal.Account
		role       string
		member     bool
		core       string
		additional []string
	}{
		{"a core role becomes a staff user's core role", staff, portal.RoleStaff, true, portal.RoleStaff, []string{}},
		{"another role is additional", portal.Account{Kind: portal.KindStaff, CoreRole: portal.RoleStaff}, "drivers", true, portal.RoleStaff, []string{"drivers"}},
		{"a second core role is additional", portal.Account{Kind: portal.KindStaff, CoreRole: portal.RoleStaff}, portal.RoleVolunteer, true, portal.RoleStaff, []string{portal.RoleVolunteer}},
		{"held already: no change", portal.Account{Kind: portal.KindStaff, CoreRole: portal.RoleStaff}, portal.RoleStaff, true, portal.RoleStaff, []string{}},
		{"the core role removed is replaced by an additional core role", portal.Account{Kind: portal.KindStaff, CoreRole: portal.RoleStaff, AdditionalRoles: []string{"drivers", portal.RoleVolunteer}},
			portal.RoleStaff, false, portal.RoleVolunteer, []string{"drivers"}},
		{"an additional role removed", portal.Account{Kind: portal.KindStaff, CoreRole: portal.RoleStaff, AdditionalRoles: []string{"drivers"}}, "drivers", false, portal.RoleStaff, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, additional := portal.DirectoryRoles(roles, tc.a, tc.role, tc.member)
			if additional == nil {
				additional = []string{}
			}
			if core != tc.core || !slices.Equal(additional, tc.additional) {
				t.Errorf("DirectoryRoles = %q %v, want %q %v", core, additional, tc.core, tc.additional)
			}
		})
	}
}
