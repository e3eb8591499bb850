package replica_test

import (
	"strings"
	"testing"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server/service"
)

// role returns the role as the desktop shows it, and whether it is there.
func (d *desk) role(id string) (portal.Role, bool) {
	d.t.Helper()
	rs, err := d.db.RoleCatalog(d.ctx)
	if err != nil {
		d.t.Fatal(err)
	}
	r, ok := rs[id]
	return r, ok
}

// serverRole returns the role as the server has it, and whether it is there.
func (p *portalEnv) serverRole(id string) (portal.Role, bool) {
	p.t.Helper()
	rs, err := p.client().Roles(p.ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, r := range rs {
		if r.ID == id {
			return r, true
		}
	}
	return portal.Role{}, false
}

func TestRoleCreateRenameDeleteThroughTheOutbox(t *testing.T) {
	p, d := syncedDesk(t)

	// Created while the server is away: shown at once, pending, sent once when it is back.
	p.stop()
	q, err := d.cmds.CreateRole(d.ctx, portal.Role{Name: "Driver", Scope: portal.ScopeOrganization, OrganizationID: "org_a"})
	if err != nil {
		t.Fatalf("create role offline: %v", err)
	}
	if q.Command != replica.CmdPutRole || q.IdempotencyKey == "" || !strings.HasPrefix(q.EntityID, "role_") {
		t.Fatalf("queued: %+v", q)
	}
	id := q.EntityID
	if r, ok := d.role(id); !ok || r.Name != "Driver" || r.OrganizationID != "org_a" {
		t.Fatalf("the new role is not shown at once: %+v %v", r, ok)
	}
	pending, err := d.eng.Pending(d.ctx)
	if err != nil || len(pending) != 1 || pending[0].Description != "Save the role Driver" {
		t.Fatalf("pending: %+v %v", pending, err)
	}
	p.start()
	d.cl.SetToken(p.token)
	if err := d.eng.Sync(d.ctx); err != nil {
		t.Fatalf("sync after the server came back: %v", err)
	}
	sr, ok := p.serverRole(id)
	if !ok || sr.Name != "Driver" || sr.Scope != portal.ScopeOrganization || sr.OrganizationID != "org_a" || sr.Version == 0 {
		t.Fatalf("server role: %+v %v", sr, ok)
	}
	if r, _ := d.role(id); r.Version != sr.Version {
		t.Fatalf("cache version %d, server %d", r.Version, sr.Version)
	}

	// Renamed: sent with the version it was decided on.
	r, _ := d.role(id)
	r.Name = "Van driver"
	if _, err := d.cmds.UpdateRole(d.ctx, r); err != nil {
		t.Fatal(err)
	}
	if r, _ := d.role(id); r.Name != "Van driver" {
		t.Fatalf("rename not shown at once: %+v", r)
	}
	if res := d.push(); res.Sent != 1 {
		t.Fatalf("push rename: %+v", res)
	}
	if sr, _ := p.serverRole(id); sr.Name != "Van driver" {
		t.Fatalf("server role after rename: %+v", sr)
	}
	if n := p.auditCount(id, service.ActionPutRole); n != 2 {
		t.Fatalf("put role applied %d times, want 2 (create, rename)", n)
	}
	if res := d.push(); res.Sent != 0 {
		t.Fatalf("second push sent %d", res.Sent)
	}

	// A held role cannot be deleted; an unheld one can.
	if _, err := d.cmds.SetRoles(d.ctx, "acc_staff0", portal.RoleStaff, []string{id}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cmds.DeleteRole(d.ctx, id); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), "still hold") {
		t.Fatalf("delete a held role: %v", err)
	}
	if _, err := d.cmds.SetRoles(d.ctx, "acc_staff0", portal.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cmds.DeleteRole(d.ctx, id); err != nil {
		t.Fatalf("delete an unheld role: %v", err)
	}
	if _, ok := d.role(id); ok {
		t.Fatal("the deleted role is still shown")
	}
	if res := d.push(); res.Sent != 3 || res.Failed != 0 || res.Conflicts != 0 {
		t.Fatalf("push: %+v", res)
	}
	if _, ok := p.serverRole(id); ok {
		t.Fatal("the role is still on the server")
	}
	if n := p.auditCount(id, service.ActionDeleteRole); n != 1 {
		t.Fatalf("delete role applied %d times", n)
	}
	d.pull()
	sameAsServer(t, p, d.db)

	// Built-in roles stay.
	if _, err := d.cmds.DeleteRole(d.ctx, portal.RoleReports); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("delete a built-in role: %v", err)
	}
	// A role that is not there.
	if _, err := d.cmds.UpdateRole(d.ctx, portal.Role{ID: "nope", Name: "x", Scope: portal.ScopeSystem}); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("rename a missing role: %v", err)
	}
	if _, err := d.cmds.CreateRole(d.ctx, portal.Role{Scope: portal.ScopeOrganization, OrganizationID: "org_a"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("create a role without a name: %v", err)
	}
}

func TestRoleRenameConflictAppliedAgain(t *testing.T) {
	p, d := syncedDesk(t)
	r, ok := d.role("org_a_clerk")
	if !ok {
		t.Fatal("no seeded role in the cache")
	}
	r.Name = "Parish clerk"
	if _, err := d.cmds.UpdateRole(d.ctx, r); err != nil {
		t.Fatal(err)
	}
	// Another administrator changes the role first.
	theirs, _ := p.serverRole("org_a_clerk")
	theirs.Name = "Town clerk"
	theirs.Permissions = []portal.Permission{"minutes"}
	if _, err := p.client().PutRole(d.ctx, theirs, nil); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Conflicts != 1 || res.Sent != 0 {
		t.Fatalf("push: %+v", res)
	}
	cs, err := d.eng.Conflicts(d.ctx)
	if err != nil || len(cs) != 1 || cs[0].Command != replica.CmdPutRole || cs[0].Theirs.Version <= cs[0].Mine.Version {
		t.Fatalf("conflicts: %+v %v", cs, err)
	}
	// Both versions of the role, side by side.
	if m, th := cs[0].Mine.Role, cs[0].Theirs.Role; m == nil || th == nil || m.Name != "Parish clerk" || th.Name != "Town clerk" ||
		len(th.Permissions) != 1 || th.Permissions[0] != "minutes" || len(m.Permissions) != 0 {
		t.Fatalf("conflict versions: mine %+v, theirs %+v", m, th)
	}
	if sr, _ := p.serverRole("org_a_clerk"); sr.Name != "Town clerk" {
		t.Fatalf("the server's change was overwritten: %+v", sr)
	}
	if _, err := d.eng.ApplyMineAgain(d.ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Sent != 1 {
		t.Fatalf("push after apply mine again: %+v", res)
	}
	sr, _ := p.serverRole("org_a_clerk")
	if sr.Name != "Parish clerk" || len(sr.Permissions) != 1 || sr.Permissions[0] != "minutes" {
		t.Fatalf("server role: %+v, want my name over their permissions", sr)
	}
	if n := p.auditCount("org_a_clerk", service.ActionPutRole); n != 2 {
		t.Fatalf("put role applied %d times, want 2 (theirs, mine)", n)
	}
	d.pull()
	sameAsServer(t, p, d.db)
}

// A role deleted here while someone else gave it to a person on the server: the server
// refuses, and the conflict shows the role as the server still has it, not as removed.
func TestRoleDeleteMeetsANewHolder(t *testing.T) {
	p, d := syncedDesk(t)
	const id = "org_a_clerk"
	if _, err := d.cmds.DeleteRole(d.ctx, id); err != nil {
		t.Fatalf("delete an unheld role: %v", err)
	}
	if _, err := p.client().SetRoles(d.ctx, "acc_staff0", client.SetRolesRequest{CoreRole: portal.RoleStaff, AdditionalRoles: []string{id}}, nil); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Conflicts != 1 || res.Sent != 0 {
		t.Fatalf("push: %+v", res)
	}
	cs, err := d.eng.Conflicts(d.ctx)
	if err != nil || len(cs) != 1 || cs[0].Command != replica.CmdDeleteRole {
		t.Fatalf("conflicts: %+v %v", cs, err)
	}
	if !cs[0].Mine.Removed || cs[0].Theirs.Removed || cs[0].Theirs.Role == nil || cs[0].Theirs.Role.ID != id {
		t.Fatalf("conflict versions: mine %+v, theirs %+v", cs[0].Mine, cs[0].Theirs)
	}
	if !strings.Contains(cs[0].Message, "still hold") {
		t.Errorf("the conflict does not give the server's reason: %q", cs[0].Message)
	}
	if _, ok := p.serverRole(id); !ok {
		t.Fatal("the held role is gone from the server")
	}
	if err := d.eng.KeepTheirs(d.ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	d.pull()
	if _, ok := d.role(id); !ok {
		t.Error("after keeping theirs the role is not shown again")
	}
	sameAsServer(t, p, d.db)
}

func TestRoleRulesForAnOrganisationAdministrator(t *testing.T) {
	p := newPortal(t)
	p.seed(standardSeed())
	act := portal.Actor{ID: "acc_staff0", Name: "Staff Member 0", OrgAdminOf: "org_a"}
	d := newDesk(t, p, func(c *replica.Config) { c.Actor = &act })
	if err := d.eng.Sync(d.ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		role portal.Role
		code string
	}{
		{"own organisation", portal.Role{Name: "Runner", Scope: portal.ScopeOrganization, OrganizationID: "org_a"}, ""},
		{"another organisation", portal.Role{Name: "Runner", Scope: portal.ScopeOrganization, OrganizationID: "org_b"}, portal.EFORBIDDEN},
		{"a system role", portal.Role{Name: "Auditor", Scope: portal.ScopeSystem}, portal.EFORBIDDEN},
		{"system permissions in an org role", portal.Role{Name: "Boss", Scope: portal.ScopeOrganization, OrganizationID: "org_a", Permissions: []portal.Permission{portal.PermSystemAdmin}}, portal.EINVALID},
	} {
		_, err := d.cmds.CreateRole(d.ctx, c.role)
		if portal.ErrorCode(err) != c.code && !(c.code == "" && err == nil) {
			t.Errorf("%s: err = %v, want code %q", c.name, err, c.code)
		}
	}
	if _, err := d.cmds.UpdateRole(d.ctx, portal.Role{ID: portal.RoleReports, Name: "Reporting", Scope: portal.ScopeSystem}); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Fatalf("org admin renames a system role: %v", err)
	}
	if _, err := d.cmds.DeleteRole(d.ctx, portal.RoleReports); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Fatalf("org admin deletes a system role: %v", err)
	}
}
