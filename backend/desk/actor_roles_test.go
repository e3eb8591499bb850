package desk

import (
	"context"
	"slices"
	"strings"
	"testing"

	"gatehouse/backend/portal"
)

func TestActorInfoFollowsPortalRules(t *testing.T) {
	sys := portal.Actor{ID: "a1", Name: "Ada", SystemAdmin: true, UserSetup: true}
	setup := portal.Actor{ID: "a2", Name: "Sam", UserSetup: true}
	org := portal.Actor{ID: "a3", Name: "Olu", OrgAdminOf: "org_x"}
	none := portal.Actor{ID: "a4", Name: "Nia"}
	for _, c := range []struct {
		name     string
		act      portal.Actor
		embedded bool
		kind     string
		// which refusals must be set
		system, decide, other bool
	}{
		{"embedded", portal.SystemActor(), true, ActorLocal, false, false, false},
		{"system administrator", sys, false, ActorSystem, false, false, false},
		{"user setup", setup, false, ActorUserSetup, true, false, true},
		{"organisation administrator", org, false, ActorOrgAdmin, true, true, true},
		{"no rights", none, false, ActorNone, true, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			info := actorInfo(c.act, c.embedded)
			if !info.Known || info.Kind != c.kind || info.ID != c.act.ID || info.SystemAdmin != c.act.SystemAdmin || info.OrgAdminOf != c.act.OrgAdminOf || info.Label == "" {
				t.Fatalf("info = %+v", info)
			}
			// Each refusal is the portal's own sentence for that action.
			check := func(what string, set bool, got string, err error) {
				t.Helper()
				if set != (got != "") {
					t.Errorf("%s refusal = %q, want set=%v", what, got, set)
				}
				if set && got != portal.ErrorMessage(err) {
					t.Errorf("%s refusal %q is not the portal's %q", what, got, portal.ErrorMessage(err))
				}
			}
			_, purgeErr := portal.Purge(portal.Op{Actor: c.act}, portal.Account{Status: portal.StatusDenied})
			check("system", c.system, info.Refusals.System, purgeErr)
			_, _, denyErr := portal.Deny(portal.Op{Actor: c.act}, portal.Account{Status: portal.StatusPending, OrganizationID: "org_other"}, "x")
			check("decide", c.decide, info.Refusals.Decide, denyErr)
			_, _, deactErr := portal.Deactivate(portal.Op{Actor: c.act}, portal.Account{Status: portal.StatusActive, OrganizationID: "org_other"})
			check("other organisation", c.other, info.Refusals.OtherOrganisation, deactErr)
		})
	}
}

func TestCurrentActorEmbeddedIsTheLocalAdministrator(t *testing.T) {
	a := withDemo(t)
	info, err := a.CurrentActor()
	if err != nil {
		t.Fatal(err)
	}
	if !info.Known || !info.Embedded || info.Kind != ActorLocal || !info.SystemAdmin || info.Label != "Local administrator" ||
		info.Refusals != (ActorRefusals{}) {
		t.Fatalf("CurrentActor() = %+v", info)
	}
}

func TestLastLoginAnyNumberOfDays(t *testing.T) {
	a := withDemo(t)
	all := a.search(UserQuery{}).Rows
	for _, n := range []int{1, 10, 45, 90, 365} {
		bound := t0.AddDate(0, 0, -n)
		var within, older []string
		for _, r := range all {
			switch {
			case r.LastLoginAt == nil:
			case r.LastLoginAt.Before(bound):
				older = append(older, r.ID)
			default:
				within = append(within, r.ID)
			}
		}
		for _, c := range []struct {
			mode string
			want []string
		}{{LastLoginWithinDays, within}, {LastLoginOlderDays, older}} {
			p := a.search(UserQuery{LastLogin: c.mode, LastLoginDays: n})
			var got []string
			for _, r := range p.Rows {
				got = append(got, r.ID)
			}
			slices.Sort(got)
			slices.Sort(c.want)
			if p.Total != len(c.want) || !slices.Equal(got, c.want) {
				t.Errorf("%s %d days: %d rows (total %d), want %d", c.mode, n, len(got), p.Total, len(c.want))
			}
		}
	}
	// The 90-day preset and 90 days typed agree.
	if x, y := a.search(UserQuery{LastLogin: LastLoginOlder90}).Total, a.search(UserQuery{LastLogin: LastLoginOlderDays, LastLoginDays: 90}).Total; x != y {
		t.Errorf("older than 90 days: preset %d, typed %d", x, y)
	}
	if a.search(UserQuery{LastLogin: LastLoginOlderDays, LastLoginDays: 1}).Total == 0 {
		t.Error("the demo has nobody whose last login is older than a day: the test proves nothing")
	}
	for _, n := range []int{0, -3, maxLastLoginDays + 1} {
		_, err := a.SearchUsers(UserQuery{LastLogin: LastLoginOlderDays, LastLoginDays: n})
		wantCode(t, err, portal.EINVALID, "lastLoginDays")
	}
}

func TestAuditActorsListsEveryoneInTheCachedLog(t *testing.T) {
	a := withDemo(t)
	// Everyone who acted, read through the log page by page.
	want := map[string]string{}
	for off := 0; ; off += 500 {
		p, err := a.AuditLog(AuditQuery{Offset: off, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Rows {
			if e.ActorID != "" {
				want[e.ActorID] = e.ActorName
			}
		}
		if off+len(p.Rows) >= p.Total || len(p.Rows) == 0 {
			break
		}
	}
	if len(want) < 2 {
		t.Fatalf("the demo log has %d actors: the test proves nothing", len(want))
	}
	got, err := a.AuditActors("")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("AuditActors() = %d actors, the log has %d: %+v", len(got), len(want), got)
	}
	total := 0
	for i, ac := range got {
		if _, ok := want[ac.ID]; !ok || ac.Events < 1 {
			t.Errorf("actor %+v", ac)
		}
		if i > 0 && strings.ToLower(got[i-1].Name) > strings.ToLower(ac.Name) {
			t.Errorf("not by name: %q before %q", got[i-1].Name, ac.Name)
		}
		total += ac.Events
	}
	if p, _ := a.AuditLog(AuditQuery{Limit: 1}); total != p.Total {
		t.Errorf("events per actor add up to %d, the log has %d", total, p.Total)
	}
	// Narrowed by part of a name, any case; % is a character, not a wildcard.
	name := got[len(got)-1].Name
	part := strings.ToUpper(name[1 : len(name)-1])
	some, err := a.AuditActors(part)
	if err != nil || !slices.ContainsFunc(some, func(x AuditActor) bool { return x.ID == got[len(got)-1].ID }) {
		t.Fatalf("AuditActors(%q) = %+v, %v", part, some, err)
	}
	for _, x := range some {
		if !strings.Contains(strings.ToLower(x.Name+" "+x.Email+" "+x.ID), strings.ToLower(part)) {
			t.Errorf("AuditActors(%q) returned %+v", part, x)
		}
	}
	if none, err := a.AuditActors("%"); err != nil || len(none) != 0 {
		t.Fatalf(`AuditActors("%%") = %+v, %v`, none, err)
	}
}

func TestOrgRolesCreateRenameDelete(t *testing.T) {
	a := withDemo(t)
	a.manual()
	ctx := context.Background()
	const org = "org_demo_eastgate"
	before, err := a.Organisation(org)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.CreateOrgRole(org, "   ")
	wantCode(t, err, portal.EINVALID, "name")
	_, err = a.CreateOrgRole("", "Driver")
	wantCode(t, err, portal.EINVALID, "organizationId")
	_, err = a.RenameOrgRole(portal.RoleReports, "Reporting", 0)
	wantCode(t, err, portal.EINVALID, "")

	res, err := a.CreateOrgRole(org, "  Driver ")
	if err != nil || res.Role == nil || res.Role.Name != "Driver" || res.Role.OrganizationID != org || !res.Role.Pending || res.Change.Command != "put_role" {
		t.Fatalf("CreateOrgRole = %+v, %v", res, err)
	}
	id := res.Role.ID
	p, _ := a.Organisation(org)
	if len(p.Roles) != len(before.Roles)+1 || !slices.ContainsFunc(p.Roles, func(r RoleInfo) bool { return r.ID == id && r.Pending }) {
		t.Fatalf("the new role is not shown at once as pending: %+v", p.Roles)
	}
	a.syncNow()
	onServer := func() (portal.Role, bool) {
		rs, err := a.other().Roles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(rs, func(r portal.Role) bool { return r.ID == id })
		if i < 0 {
			return portal.Role{}, false
		}
		return rs[i], true
	}
	sr, ok := onServer()
	if !ok || sr.Name != "Driver" || sr.OrganizationID != org {
		t.Fatalf("server role %+v %v", sr, ok)
	}
	p, _ = a.Organisation(org)
	i := slices.IndexFunc(p.Roles, func(r RoleInfo) bool { return r.ID == id })
	if p.Roles[i].Pending || p.Roles[i].Version != sr.Version {
		t.Fatalf("after sync: %+v, server version %d", p.Roles[i], sr.Version)
	}

	// A rename from a stale page is refused; from the current one it goes through.
	_, err = a.RenameOrgRole(id, "Van driver", sr.Version+5)
	wantCode(t, err, portal.ECONFLICT, "")
	if _, err := a.RenameOrgRole(id, "Van driver", sr.Version); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	if sr, _ := onServer(); sr.Name != "Van driver" {
		t.Fatalf("renamed on the server: %+v", sr)
	}

	// Held roles stay; once nobody holds it, it goes.
	holder := a.search(UserQuery{OrganizationID: org, Kind: "staff", Status: []string{"active"}}).Rows[0]
	if _, err := a.SetUserRoles(holder.ID, holder.CoreRole, append(slices.Clone(holder.AdditionalRoles), id)); err != nil {
		t.Fatal(err)
	}
	_, err = a.DeleteOrgRole(id)
	wantCode(t, err, portal.ECONFLICT, "")
	if _, err := a.SetUserRoles(holder.ID, holder.CoreRole, holder.AdditionalRoles); err != nil {
		t.Fatal(err)
	}
	res, err = a.DeleteOrgRole(id)
	if err != nil || res.Role != nil {
		t.Fatalf("DeleteOrgRole = %+v, %v", res, err)
	}
	a.syncNow()
	if _, ok := onServer(); ok {
		t.Fatal("the role is still on the server")
	}
	if p, _ := a.Organisation(org); len(p.Roles) != len(before.Roles) {
		t.Fatalf("roles after delete: %+v", p.Roles)
	}
}
