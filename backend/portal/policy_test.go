package portal_test

import (
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

// The policy, cell by cell, at the domain level (the server's TestWhoMayActOnWhom checks the
// same over HTTP). Expectations are written out, not derived: "ok" allowed, "403" forbidden
// (who the actor is), "409" refused for the account's state.
const policyCells = `
action          target    sys  set  oadA oadB none self
approve         pending   ok   ok   ok   403  403  403
approve         pendadm   ok   403  403  403  403  403
deny            pendadm   ok   403  403  403  403  403
restore         denied    ok   ok   ok   403  403  403
purge           denied    ok   403  403  403  403  403
promote         member    ok   403  403  403  403  403
deactivate      member    ok   403  ok   403  403  403
deactivate      sysadm    ok   403  403  403  403  403
deactivate      approv    ok   403  403  403  403  403
deactivate      orgadm    ok   403  ok   403  403  403
deactivate      memberB   ok   403  403  ok   403  403
deactivate      invited   409  403  409  403  403  403
reactivate      deact     ok   403  ok   403  403  403
reactivate      deactsys  ok   403  403  403  403  403
orgadmin        member    ok   403  ok   403  403  403
orgadmin        sysadm    ok   403  403  403  403  403
orgadmin        invited   ok   403  ok   403  403  403
unorgadmin      orgadm    ok   403  ok   403  403  403
roles           sysadm    ok   403  403  403  403  ok
roles           approv    ok   403  403  403  403  403
roles           staff     ok   403  ok   403  403  403
complete        ghost     ok   403  ok   403  403  ok
resend          invited   ok   403  ok   403  403  403
`

const (
	pa, pb = "org-a", "org-b"
)

func policyRoles() portal.Roles {
	return portal.NewRoles(append(portal.DefaultRoles(),
		portal.Role{ID: "helpers-a", Name: "Helpers", Scope: portal.ScopeOrganization, OrganizationID: pa})...)
}

func policyTargets() map[string]portal.Account {
	base := func(id string, st portal.Status, kind portal.Kind, org string) portal.Account {
		return portal.Account{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Email: id + "@example.org", Status: st, Kind: kind,
			OrganizationID: org, RegistrationComplete: true, AdditionalRoles: []string{}, Version: 2}
	}
	staff := func(id string, st portal.Status, core string, extra ...string) portal.Account {
		a := base(id, st, portal.KindStaff, pa)
		a.CoreRole, a.AdditionalRoles = core, append([]string{}, extra...)
		return a
	}
	t := map[string]portal.Account{
		"member":   base("member", portal.StatusActive, portal.KindClient, pa),
		"memberB":  base("memberb", portal.StatusActive, portal.KindClient, pb),
		"staff":    staff("staff", portal.StatusActive, portal.RoleStaff),
		"sysadm":   staff("sysadm", portal.StatusActive, portal.RoleAdministrator),
		"approv":   staff("approv", portal.StatusActive, portal.RoleStaff, portal.RoleUserSetup),
		"pending":  staff("pending", portal.StatusPending, ""),
		"pendadm":  staff("pendadm", portal.StatusPending, portal.RoleAdministrator),
		"denied":   staff("denied", portal.StatusDenied, ""),
		"deact":    base("deact", portal.StatusDeactivated, portal.KindClient, pa),
		"deactsys": staff("deactsys", portal.StatusDeactivated, portal.RoleAdministrator),
		"invited":  base("invited", portal.StatusInvited, portal.KindClient, pa),
		"ghost":    base("ghost", portal.StatusActive, portal.KindClient, pa),
		"orgadm":   base("orgadm", portal.StatusActive, portal.KindClient, pa),
	}
	g := t["ghost"]
	g.RegistrationComplete = false
	t["ghost"] = g
	k := staff("kept", portal.StatusActive, portal.RoleStaff)
	k.ClientRecord = true
	t["kept"] = k
	o := t["orgadm"]
	o.OrgAdmin = true
	t["orgadm"] = o
	return t
}

var policyActors = map[string]portal.Actor{
	"sys":  {ID: "u-sys", Name: "Sys", SystemAdmin: true, UserSetup: true},
	"set":  {ID: "u-set", Name: "Setup", UserSetup: true},
	"oadA": {ID: "u-oada", Name: "Admin A", OrgAdminOf: pa},
	"oadB": {ID: "u-oadb", Name: "Admin B", OrgAdminOf: pb},
	"none": {ID: "u-none", Name: "Nobody"},
}

// selfActor is the target acting on itself, with what its own roles and status give it:
// a pending, invited or deactivated person holds no powers.
func selfActor(a portal.Account, rs portal.Roles) portal.Actor { return portal.ActorFor(a, rs) }

func runAction(op portal.Op, action string, a portal.Account) error {
	var err error
	switch action {
	case "approve":
		_, _, err = portal.Approve(op, a)
	case "deny":
		_, _, err = portal.Deny(op, a, "no")
	case "restore":
		_, _, err = portal.Restore(op, a)
	case "purge":
		_, err = portal.Purge(op, a)
	case "promote":
		_, _, err = portal.Promote(op, a, portal.RoleStaff, nil, false)
	case "deactivate":
		_, _, err = portal.Deactivate(op, a)
	case "reactivate":
		_, _, err = portal.Reactivate(op, a)
	case "orgadmin":
		_, _, err = portal.SetOrgAdmin(op, a, true)
	case "unorgadmin":
		_, _, err = portal.SetOrgAdmin(op, a, false)
	case "roles":
		_, _, err = portal.SetRoles(op, a, a.CoreRole, append(a.AdditionalRoles, "helpers-a"))
	case "complete":
		_, _, err = portal.CompleteRegistration(op, a)
	case "resend":
		inv := portal.Invitation{ID: "inv-1", AccountID: a.ID, OrganizationID: a.OrganizationID, Email: a.Email, Status: portal.InvitationPending, ExpiresAt: t0.Add(time.Hour)}
		_, _, _, err = portal.Resend(op, a, inv, "inv-2", 0)
	default:
		panic("unknown action " + action)
	}
	return err
}

func TestPolicyCells(t *testing.T) {
	rs := policyRoles()
	targets := policyTargets()
	lines := strings.Split(strings.TrimSpace(policyCells), "\n")
	cols := strings.Fields(lines[0])[2:]
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		action, target := f[0], f[1]
		a, ok := targets[target]
		if !ok {
			t.Fatalf("unknown target %q", target)
		}
		for i, who := range cols {
			want := f[2+i]
			act := policyActors[who]
			if who == "self" {
				act = selfActor(a, rs)
			}
			op := portal.Op{Now: t0, Actor: act, Roles: rs, ActiveSystemAdmins: 3}
			err := runAction(op, action, a)
			got := "ok"
			switch portal.ErrorCode(err) {
			case "":
			case portal.EFORBIDDEN:
				got = "403"
			case portal.ECONFLICT:
				got = "409"
			default:
				got = portal.ErrorCode(err)
			}
			if got != want {
				t.Errorf("%s %s as %s: got %s (%v), want %s", action, target, who, got, err, want)
			}
			if err != nil && portal.ErrorMessage(err) == "" {
				t.Errorf("%s %s as %s: a refusal without a sentence", action, target, who)
			}
		}
	}
}

// The holding rule's sentences name what the account holds.
func TestCanChangeSays(t *testing.T) {
	rs := policyRoles()
	tg := policyTargets()
	oadA := policyActors["oadA"]
	for _, c := range []struct {
		target, want string
	}{
		{"sysadm", "is a system administrator, so only a system administrator can change it"},
		{"approv", "has the user-setup permission, which you do not have"},
	} {
		err := oadA.CanChange(tg[c.target], rs)
		if portal.ErrorCode(err) != portal.EFORBIDDEN || !strings.Contains(portal.ErrorMessage(err), c.want) {
			t.Errorf("%s: %v", c.target, err)
		}
	}
	other := tg["orgadm"]
	other.OrganizationID = pb
	if err := oadA.CanChange(other, rs); portal.ErrorCode(err) != portal.EFORBIDDEN || !strings.Contains(err.Error(), "administers an organisation you do not administer") {
		t.Errorf("another organisation's administrator: %v", err)
	}
	if err := policyActors["oadB"].CanChange(other, rs); err != nil {
		t.Errorf("B's administrator on B's administrator: %v", err)
	}
	if err := policyActors["sys"].CanChange(tg["sysadm"], rs); err != nil {
		t.Errorf("system administrator on one: %v", err)
	}
	if err := policyActors["set"].CanChange(tg["approv"], rs); err != nil {
		t.Errorf("approver on an approver: %v", err)
	}
}

func TestAccountActions(t *testing.T) {
	rs := policyRoles()
	tg := policyTargets()
	type want map[portal.AccountAction]bool // action → allowed; absent = does not apply
	inv := &portal.Invitation{ID: "inv-1", AccountID: "invited", OrganizationID: pa, Email: "invited@example.org", Status: portal.InvitationPending, ExpiresAt: t0.Add(time.Hour)}
	for _, c := range []struct {
		name   string
		actor  string
		target string
		inv    *portal.Invitation
		want   want
	}{
		{"org admin on a system admin of A", "oadA", "sysadm", nil,
			want{portal.DoSetRoles: false, portal.DoMakeOrgAdmin: false, portal.DoDeactivate: false}},
		{"org admin on a member", "oadA", "member", nil,
			want{portal.DoPromote: false, portal.DoMakeOrgAdmin: true, portal.DoDeactivate: true}},
		{"org admin on the invited", "oadA", "invited", inv,
			want{portal.DoMakeOrgAdmin: true, portal.DoResendInvitation: true, portal.DoRevokeInvitation: true}},
		{"org admin on the invited, invitation unknown", "oadA", "invited", nil,
			want{portal.DoMakeOrgAdmin: true, portal.DoResendInvitation: true, portal.DoRevokeInvitation: true}},
		{"other org admin on the invited", "oadB", "invited", inv,
			want{portal.DoMakeOrgAdmin: false, portal.DoResendInvitation: false, portal.DoRevokeInvitation: false}},
		{"approver on pending", "set", "pending", nil, want{portal.DoApprove: true, portal.DoDeny: true}},
		{"approver on a pending administrator", "set", "pendadm", nil, want{portal.DoApprove: false, portal.DoDeny: false}},
		{"system admin on denied", "sys", "denied", nil, want{portal.DoApproveInstead: true, portal.DoRestore: true, portal.DoPurge: true}},
		{"org admin on denied", "oadA", "denied", nil, want{portal.DoApproveInstead: true, portal.DoRestore: true, portal.DoPurge: false}},
		{"org admin on a ghost", "oadA", "ghost", nil,
			want{portal.DoPromote: false, portal.DoMakeOrgAdmin: true, portal.DoDeactivate: true, portal.DoCompleteRegistration: true}},
		{"org admin on another admin", "oadA", "orgadm", nil, want{portal.DoPromote: false, portal.DoRemoveOrgAdmin: true, portal.DoDeactivate: true}},
		{"org admin on a staff user who kept the client record", "oadA", "kept", nil,
			want{portal.DoSetRoles: true, portal.DoMakeOrgAdmin: true, portal.DoDeactivate: true, portal.DoDeleteClientRecord: true}},
		{"other org admin on a staff user who kept the client record", "oadB", "kept", nil,
			want{portal.DoSetRoles: false, portal.DoMakeOrgAdmin: false, portal.DoDeactivate: false, portal.DoDeleteClientRecord: false}},
		{"org admin on a deactivated system admin", "oadA", "deactsys", nil,
			want{portal.DoSetRoles: false, portal.DoMakeOrgAdmin: false, portal.DoReactivate: false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			op := portal.Op{Now: t0, Actor: policyActors[c.actor], Roles: rs, ActiveSystemAdmins: 3}
			got := portal.AccountActions(op, tg[c.target], c.inv)
			seen := map[portal.AccountAction]bool{}
			for _, g := range got {
				seen[g.Action] = true
				w, ok := c.want[g.Action]
				if !ok {
					t.Errorf("%s is offered; it does not apply", g.Action)
					continue
				}
				if g.Allowed != w {
					t.Errorf("%s allowed=%v, want %v (%s)", g.Action, g.Allowed, w, g.Reason)
				}
				if g.Allowed != (g.Reason == "") {
					t.Errorf("%s: allowed=%v with reason %q", g.Action, g.Allowed, g.Reason)
				}
			}
			for a := range c.want {
				if !seen[a] {
					t.Errorf("%s is not offered", a)
				}
			}
		})
	}
}

func TestIssuerTrust(t *testing.T) {
	trust := portal.IssuerTrust{Admins: []string{"admins.example"}, People: []string{"people.example"}}
	tg := policyTargets()
	for _, c := range []struct {
		target, source string
		ok             bool
	}{
		{"sysadm", "admins.example", true},
		{"sysadm", "people.example", false},
		{"orgadm", "admins.example", true},
		{"orgadm", "people.example", false},
		{"member", "people.example", true},
		{"member", "admins.example", false},
		{"member", "elsewhere.example", false},
	} {
		err := trust.MayLink(tg[c.target], c.source)
		if (err == nil) != c.ok || (err != nil && portal.ErrorCode(err) != portal.EFORBIDDEN) {
			t.Errorf("%s from %s: %v", c.target, c.source, err)
		}
	}
}

func TestInvitationIdentity(t *testing.T) {
	inv := portal.Invitation{Email: "dave@bücher.example"}
	for _, c := range []struct {
		email    string
		verified bool
		ok       bool
	}{
		{"dave@bücher.example", true, true},
		{"DAVE@xn--bcher-kva.example", true, true},
		{"dave@bücher.example", false, false},
		{"mallory@evil.example", true, false},
		{"dave@bucher.example", true, false},
		{"", true, false},
	} {
		err := portal.CheckInvitationIdentity(inv, c.email, c.verified)
		if (err == nil) != c.ok {
			t.Errorf("%q verified=%v: %v", c.email, c.verified, err)
		}
		if err != nil && !strings.Contains(portal.ErrorMessage(err), inv.Email) {
			t.Errorf("%q: the refusal does not say whose invitation it is: %v", c.email, err)
		}
	}
	if portal.SameEmail("", "") {
		t.Error("two empty addresses are the same mailbox")
	}
}

func TestIDShapes(t *testing.T) {
	for _, c := range []struct {
		prefix, id string
		ok         bool
	}{
		{"con", "con_0123456789abcdef0123", true},
		{"con", "con_demo_001", true},
		{"org", "org_seed-1", true},
		{"con", "org_0123", false},
		{"con", "con_", false},
		{"con", "con_ABC", false},
		{"con", "../../x", false},
		{"con", "con_" + strings.Repeat("a", 65), false},
		{"con", "con_" + strings.Repeat("a", 64), true},
		{"con", "xcon_abc", false},
	} {
		if err := portal.CheckRecordID(c.prefix, c.id); (err == nil) != c.ok {
			t.Errorf("%s %q: %v", c.prefix, c.id, err)
		}
	}
	if err := portal.CheckRecordID("con", strings.Repeat("x", 500_000)); err == nil || len(portal.ErrorMessage(err)) > 300 {
		t.Errorf("a huge id: %v", err)
	}
	for _, c := range []struct {
		id string
		ok bool
	}{{"helpers-a", true}, {"a", true}, {"", false}, {"-a", false}, {"A", false}, {strings.Repeat("r", 64), true}, {strings.Repeat("r", 65), false}, {"a/b", false}} {
		if err := portal.CheckRoleID(c.id); (err == nil) != c.ok {
			t.Errorf("role %q: %v", c.id, err)
		}
	}
}

func TestInvitationTTLDays(t *testing.T) {
	for _, c := range []struct {
		days int
		want time.Duration
		ok   bool
	}{{-1, 0, false}, {0, 7 * 24 * time.Hour, true}, {1, 24 * time.Hour, true}, {30, 30 * 24 * time.Hour, true}, {31, 0, false}} {
		got, err := portal.InvitationTTLDays(c.days)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%d days: %v %v", c.days, got, err)
		}
		if err != nil {
			if pe, _ := err.(*portal.Error); pe == nil || pe.Field != "expiresInDays" {
				t.Errorf("%d days: error names no field: %#v", c.days, err)
			}
		}
	}
}

func TestCheckEmailList(t *testing.T) {
	if _, err := portal.CheckEmailList(nil); err == nil {
		t.Error("an empty list")
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = "a@example.org"
	}
	if _, err := portal.CheckEmailList(many); err == nil || !strings.Contains(err.Error(), "1,000") {
		t.Errorf("1,001 addresses: %v", err)
	}
	got, err := portal.CheckEmailList([]string{" ann@Example.ORG ", "bob@example.org"})
	if err != nil || got[0] != "ann@example.org" || got[1] != "bob@example.org" {
		t.Errorf("normalised: %v %v", got, err)
	}
	for _, c := range []struct {
		list  []string
		field string
	}{
		{[]string{"ann@example.org", "not an address"}, "emails[1]"},
		{[]string{"ann@example.org", "ANN@example.org"}, "emails[1]"},
	} {
		_, err := portal.CheckEmailList(c.list)
		if pe, _ := err.(*portal.Error); pe == nil || pe.Field != c.field {
			t.Errorf("%v: %v", c.list, err)
		}
	}
}

func TestRoleRules(t *testing.T) {
	rs := policyRoles()
	sys := portal.Op{Now: t0, Actor: policyActors["sys"], Roles: rs}
	oadA := portal.Op{Now: t0, Actor: policyActors["oadA"], Roles: rs}
	own := portal.Role{ID: "drivers-a", Name: "Drivers", Scope: portal.ScopeOrganization, OrganizationID: pa}
	if r, ev, err := portal.PutRole(oadA, nil, own, 0); err != nil || r.Permissions == nil || ev.Action != portal.ActionPutRole || ev.Before != nil {
		t.Errorf("org admin creates an own role: %+v %v", r, err)
	}
	if _, _, err := portal.PutRole(oadA, nil, portal.Role{ID: "reports2", Name: "R", Scope: portal.ScopeSystem}, 0); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("org admin creates a system role: %v", err)
	}
	if _, _, err := portal.PutRole(sys, nil, portal.Role{ID: "Bad ID", Name: "R", Scope: portal.ScopeSystem}, 0); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("a bad role id: %v", err)
	}
	before := own
	before.Version = 4
	moved := own
	moved.OrganizationID = pb
	if _, _, err := portal.PutRole(sys, &before, moved, 2); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("moving a held role: %v", err)
	}
	if r, ev, err := portal.PutRole(sys, &before, moved, 0); err != nil || r.Version != 4 || ev.Before == nil {
		t.Errorf("moving an unheld role: %+v %v", r, err)
	}
	bRole := portal.Role{ID: "b-role", Name: "B", Scope: portal.ScopeOrganization, OrganizationID: pb}
	renamed := bRole
	renamed.OrganizationID = pa
	if _, _, err := portal.PutRole(oadA, &bRole, renamed, 0); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("org admin takes over B's role: %v", err)
	}
	if _, err := portal.DeleteRole(sys, rs[portal.RoleStaff], 0); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("deleting a built-in role: %v", err)
	}
	if _, err := portal.DeleteRole(oadA, own, 1); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("deleting a held role: %v", err)
	}
	if ev, err := portal.DeleteRole(oadA, own, 0); err != nil || ev.Action != portal.ActionDeleteRole || ev.EntityID != own.ID {
		t.Errorf("deleting an own role: %v", err)
	}
	if _, err := portal.DeleteRole(oadA, bRole, 0); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("deleting B's role: %v", err)
	}
}

func TestInviteContact(t *testing.T) {
	op := portal.Op{Now: t0, Actor: policyActors["oadA"], Roles: policyRoles()}
	c := portal.Contact{ID: "con-1", OrganizationID: pa, FullName: "Dave", Email: "dave@a.example"}
	if _, _, _, err := portal.InviteContact(op, portal.Contact{ID: "con-2", OrganizationID: pa, FullName: "No Mail"}, nil, nil, "acc", "inv", 0, nil); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "No Mail has no e-mail") {
		t.Errorf("no address: %v", err)
	}
	if _, _, _, err := portal.InviteContact(op, c, nil, []portal.Account{{Status: portal.StatusActive}}, "acc", "inv", 0, nil); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("the address has an account: %v", err)
	}
	a, inv, _, err := portal.InviteContact(op, c, nil, []portal.Account{{Status: portal.StatusDenied}}, "acc", "inv", 0, nil)
	if err != nil || a.ID != "acc" || a.ContactID != c.ID || a.Source != "invitation" || inv.ID != "inv" || a.Status != portal.StatusInvited {
		t.Errorf("a denied namesake does not block: %+v %+v %v", a, inv, err)
	}
	existing := portal.Account{ID: "acc-old", ContactID: c.ID, OrganizationID: pa, Email: c.Email, Status: portal.StatusInvited}
	if _, _, _, err := portal.InviteContact(op, c, &existing, nil, "acc", "inv", 0, nil); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("already invited: %v", err)
	}
	if _, _, _, err := portal.InviteContact(portal.Op{Now: t0, Actor: policyActors["oadB"], Roles: policyRoles()}, c, nil, nil, "acc", "inv", 0, nil); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("another organisation's administrator: %v", err)
	}
}

// Tests for mutants that survived the first mutation run (make mutate).
func TestRefusalSentences(t *testing.T) {
	inB := portal.Account{ID: "x", Email: "x@example.org", OrganizationID: pb}
	if err := policyActors["oadA"].CanAdminister(pb); !strings.Contains(portal.ErrorMessage(err), "You administer another organisation only") {
		t.Errorf("an administrator of another organisation: %v", err)
	}
	if err := policyActors["none"].CanAdminister(pb); !strings.Contains(portal.ErrorMessage(err), "Only a system administrator or an administrator of this organisation") {
		t.Errorf("nobody: %v", err)
	}
	// A person is named by name, else by address, else as "this account".
	rs := policyRoles()
	admin := portal.Account{ID: "s", Email: "sam@example.org", Kind: portal.KindStaff, CoreRole: portal.RoleAdministrator, OrganizationID: pa, Status: portal.StatusActive}
	if err := policyActors["oadA"].CanChange(admin, rs); !strings.HasPrefix(portal.ErrorMessage(err), "The account of sam@example.org is") {
		t.Errorf("unnamed: %v", err)
	}
	admin.Name = "Sam Patel"
	if err := policyActors["oadA"].CanChange(admin, rs); !strings.HasPrefix(portal.ErrorMessage(err), "The account of Sam Patel is") {
		t.Errorf("named: %v", err)
	}
	_, _, _, err := portal.Invite(sysOp(), portal.Account{Status: portal.StatusActive, OrganizationID: pa}, "i", 0, nil)
	if !strings.HasPrefix(portal.ErrorMessage(err), "This account already has access") {
		t.Errorf("anonymous: %v", err)
	}
	if _, _, err := portal.Approve(sysOp(), portal.Account{Email: "n@example.org"}); !strings.Contains(portal.ErrorMessage(err), "is not created yet") {
		t.Errorf("no account yet: %v", err)
	}
	if _, _, err := portal.Approve(sysOp(), inB); !strings.HasPrefix(portal.ErrorMessage(err), "The account of x@example.org is not created yet") {
		t.Errorf("status word: %v", err)
	}
}

func TestOrganisationRolesStayInTheirOrganisation(t *testing.T) {
	rs := portal.NewRoles(append(portal.DefaultRoles(),
		portal.Role{ID: "helpers-a", Name: "Helpers", Scope: portal.ScopeOrganization, OrganizationID: pa},
		portal.Role{ID: "helpers-b", Name: "B helpers", Scope: portal.ScopeOrganization, OrganizationID: pb})...)
	op := portal.Op{Now: t0, Actor: portal.SystemActor(), Roles: rs, ActiveSystemAdmins: 2}
	member := portal.Account{ID: "m", Name: "M", Kind: portal.KindStaff, CoreRole: portal.RoleStaff, OrganizationID: pa, Status: portal.StatusActive}
	if _, _, err := portal.SetRoles(op, member, portal.RoleStaff, []string{"helpers-b"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("another organisation's role: %v", err)
	}
	if _, _, err := portal.SetRoles(op, member, portal.RoleStaff, []string{"helpers-a", portal.RoleReports}); err != nil {
		t.Errorf("own organisation's role and a system role: %v", err)
	}
}

func TestInvitationEventsCarryBothSides(t *testing.T) {
	inv := portal.Invitation{ID: "inv-1", OrganizationID: pa, Email: "a@example.org", Status: portal.InvitationPending, ExpiresAt: t0.Add(time.Hour)}
	b, ev, err := portal.Revoke(sysOp(), inv)
	if err != nil || b.Status != portal.InvitationRevoked {
		t.Fatal(err)
	}
	if ev.Before == nil || ev.After == nil || ev.EntityID != "inv-1" || ev.OrganizationID != pa || ev.EntityType != "invitation" {
		t.Errorf("revoke event: %+v", ev)
	}
	later := t0.Add(2 * time.Hour)
	_, ev, err = portal.Expire(later, inv)
	if err != nil || ev.Before == nil || ev.After == nil {
		t.Errorf("expire event: %+v %v", ev, err)
	}
}

func TestValidationEdges(t *testing.T) {
	for _, c := range []struct {
		addr string
		ok   bool
	}{{"a@-bad.org", false}, {"a@bad-.org", false}, {"a@x.c", false}, {"a@x.co", true}, {"a@good.org", true}} {
		if _, err := portal.ParseEmail(c.addr); (err == nil) != c.ok {
			t.Errorf("%q: %v", c.addr, err)
		}
	}
	if n := portal.NameFromEmail("@example.org"); n != "" {
		t.Errorf("name of an address with no local part: %q", n)
	}
	if n := portal.NameFromEmail("ann@example.org"); n != "ann" {
		t.Errorf("name: %q", n)
	}
	for _, c := range []struct {
		phone string
		ok    bool
	}{{"1234", false}, {"12345", true}, {strings.Repeat("1", 20), true}, {strings.Repeat("1", 21), false}} {
		err := portal.ValidateOrganization(portal.Organization{Name: "O", Phone: c.phone})
		if (err == nil) != c.ok {
			t.Errorf("phone %q: %v", c.phone, err)
		}
	}
	inv := portal.Invitation{Status: portal.InvitationPending, ExpiresAt: t0}
	if inv.StatusAt(t0) != portal.InvitationExpired || inv.StatusAt(t0.Add(-time.Second)) != portal.InvitationPending {
		t.Error("an invitation expires at its expiry")
	}
	if (portal.Invitation{Status: portal.InvitationAccepted, ExpiresAt: t0}).StatusAt(t0.Add(time.Hour)) != portal.InvitationAccepted {
		t.Error("an accepted invitation does not expire")
	}
}

func TestSurvivorsOfTheSecondRun(t *testing.T) {
	thousand := make([]string, 1000)
	for i := range thousand {
		thousand[i] = "p" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26) + "@example.org"
	}
	if _, err := portal.CheckEmailList(thousand); err != nil {
		t.Errorf("exactly 1,000 addresses: %v", err)
	}
	if _, err := portal.CheckEmailList([]string{"ann@example.org", "bob@example.org", "ANN@example.org"}); !strings.Contains(portal.ErrorMessage(err), "also at position 1") {
		t.Errorf("the position of the first: %v", err)
	}
	if portal.SameEmail("@example.org", "@example.org") {
		t.Error("an address without a local part names no mailbox")
	}
	op := portal.Op{Now: t0, Actor: portal.SystemActor(), Roles: policyRoles(), ActiveSystemAdmins: 2}
	staff := portal.Account{ID: "s", Name: "S", Kind: portal.KindStaff, CoreRole: portal.RoleStaff, OrganizationID: pa, Status: portal.StatusActive}
	b, _, err := portal.SetRoles(op, staff, portal.RoleStaff, []string{portal.RoleReports, " ", portal.RoleReports})
	if err != nil || len(b.AdditionalRoles) != 1 {
		t.Errorf("roles given twice or blank: %v %v", b.AdditionalRoles, err)
	}
	// An expired invitation can be replaced by a new link but not withdrawn; an accepted one
	// neither.
	invited := policyTargets()["invited"]
	for _, c := range []struct {
		status         portal.InvitationStatus
		resend, revoke bool
	}{{portal.InvitationExpired, true, false}, {portal.InvitationAccepted, false, false}, {portal.InvitationPending, true, true}} {
		inv := &portal.Invitation{ID: "i", AccountID: invited.ID, OrganizationID: pa, Email: invited.Email, Status: c.status, ExpiresAt: t0.Add(time.Hour)}
		got := map[portal.AccountAction]bool{}
		for _, a := range portal.AccountActions(portal.Op{Now: t0, Actor: policyActors["oadA"], Roles: policyRoles()}, invited, inv) {
			got[a.Action] = a.Allowed
		}
		if got[portal.DoResendInvitation] != c.resend || got[portal.DoRevokeInvitation] != c.revoke {
			t.Errorf("%s invitation: resend %v revoke %v", c.status, got[portal.DoResendInvitation], got[portal.DoRevokeInvitation])
		}
	}
}

func TestSurvivorsOfTheFinalRun(t *testing.T) {
	sys := portal.Op{Now: t0, Actor: portal.SystemActor(), Roles: policyRoles()}
	before := portal.Role{ID: "drivers", Name: "Drivers", Scope: portal.ScopeSystem, Version: 2}
	toOrg := portal.Role{ID: "drivers", Name: "Drivers", Scope: portal.ScopeOrganization, OrganizationID: pa}
	if _, _, err := portal.PutRole(sys, &before, toOrg, 3); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("a held system role becoming an organisation's: %v", err)
	}
	for _, c := range []struct {
		a     portal.Account
		ghost bool
	}{
		{portal.Account{Kind: portal.KindClient, Status: portal.StatusActive}, true},
		{portal.Account{Kind: portal.KindClient, Status: portal.StatusActive, RegistrationComplete: true}, false},
		{portal.Account{Kind: portal.KindStaff, Status: portal.StatusActive}, false},
		{portal.Account{Kind: portal.KindClient, Status: portal.StatusPending}, false},
	} {
		if c.a.Ghost() != c.ghost {
			t.Errorf("%+v: ghost %v", c.a, !c.ghost)
		}
	}
}

func TestCheckLinkBase(t *testing.T) {
	for base, ok := range map[string]bool{
		"http://127.0.0.1:53211": false, "http://localhost:8080": false, "http://[::1]:80": false, "http://0.0.0.0": false,
		"http://portal.localhost": false, "": false, "not a url": false,
		"https://portal.example.org": true, "http://192.168.1.20:8080": true, "https://council.example.org/": true,
	} {
		err := portal.CheckLinkBase(base)
		if (err == nil) != ok {
			t.Errorf("CheckLinkBase(%q) = %v, want ok=%v", base, err, ok)
		}
		if err != nil && (portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(portal.ErrorMessage(err), "Settings")) {
			t.Errorf("CheckLinkBase(%q): %v does not say what to do", base, err)
		}
	}
}

func TestDeleteClientRecord(t *testing.T) {
	tg := policyTargets()
	op := portal.Op{Now: t0, Actor: policyActors["oadA"], Roles: policyRoles(), ActiveSystemAdmins: 3}
	b, ev, err := portal.DeleteClientRecord(op, tg["kept"])
	if err != nil || b.ClientRecord || b.Kind != portal.KindStaff || b.CoreRole != portal.RoleStaff || ev.Action != portal.ActionDeleteClientRecord || !b.UpdatedAt.Equal(t0) {
		t.Fatalf("DeleteClientRecord = %+v, %+v, %v", b, ev, err)
	}
	for _, target := range []string{"member", "staff"} {
		if _, _, err := portal.DeleteClientRecord(op, tg[target]); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), "no client record") {
			t.Errorf("%s: %v", target, err)
		}
	}
}
