package portal_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const orgA, orgB = "org-a", "org-b"

func roles() portal.Roles {
	rs := portal.DefaultRoles()
	rs = append(rs,
		portal.Role{ID: "a-managers", Name: "Portal managers", Scope: portal.ScopeOrganization, OrganizationID: orgA},
		portal.Role{ID: "b-managers", Name: "B managers", Scope: portal.ScopeOrganization, OrganizationID: orgB},
	)
	return portal.NewRoles(rs...)
}

func account(status portal.Status) portal.Account {
	return portal.Account{
		ID: "acc-1", Email: "ann@example.org", Name: "Ann Example", OrganizationID: orgA,
		Status: status, Kind: portal.KindClient, RegistrationComplete: true, ClientRecord: true,
		AdditionalRoles: []string{}, Version: 3,
	}
}

func sysOp() portal.Op {
	return portal.Op{Now: t0, Actor: portal.SystemActor(), Roles: roles(), ActiveSystemAdmins: 2}
}

func code(err error) string { return portal.ErrorCode(err) }

// transition runs one named action on a and reports the resulting status.
type transition func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error)

func accountStep(f func(portal.Op, portal.Account) (portal.Account, portal.AuditEvent, error)) transition {
	return func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error) {
		b, ev, err := f(op, a)
		return b.Status, ev, err
	}
}

var transitions = map[string]transition{
	"approve":         accountStep(portal.Approve),
	"approve_instead": accountStep(portal.ApproveInstead),
	"restore":         accountStep(portal.Restore),
	"deactivate":      accountStep(portal.Deactivate),
	"reactivate":      accountStep(portal.Reactivate),
	"deny": accountStep(func(op portal.Op, a portal.Account) (portal.Account, portal.AuditEvent, error) {
		return portal.Deny(op, a, "not a member of staff")
	}),
	"purge": func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error) {
		ev, err := portal.Purge(op, a)
		return "purged", ev, err
	},
	"invite": func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error) {
		b, _, ev, err := portal.Invite(op, a, "inv-1", 0, nil)
		return b.Status, ev, err
	},
	"request_access": func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error) {
		b, ev, err := portal.RequestAccess(op.Now, a, time.Hour)
		return b.Status, ev, err
	},
	"sign_in": func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error) {
		b, ev, err := portal.SignIn(op.Now, a)
		return b.Status, ev, err
	},
	"promote": func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error) {
		b, ev, err := portal.Promote(op, a, portal.RoleStaff, nil, false)
		return b.Status, ev, err
	},
	"set_org_admin": func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error) {
		b, ev, err := portal.SetOrgAdmin(op, a, true)
		return b.Status, ev, err
	},
	"accept": func(op portal.Op, a portal.Account) (portal.Status, portal.AuditEvent, error) {
		inv := portal.Invitation{ID: "inv-1", AccountID: a.ID, Email: a.Email, Status: portal.InvitationPending, ExpiresAt: op.Now.Add(time.Hour)}
		b, _, ev, err := portal.Accept(op.Now, a, inv)
		return b.Status, ev, err
	},
}

// allowed lists, per action, every status it may start from and where it leads. Every
// pair not listed must be refused.
var allowed = map[string]map[portal.Status]portal.Status{
	"approve":         {portal.StatusPending: portal.StatusActive},
	"deny":            {portal.StatusPending: portal.StatusDenied},
	"approve_instead": {portal.StatusDenied: portal.StatusActive},
	"restore":         {portal.StatusDenied: portal.StatusActive},
	"purge":           {portal.StatusDenied: "purged"},
	"deactivate":      {portal.StatusActive: portal.StatusDeactivated},
	"reactivate":      {portal.StatusDeactivated: portal.StatusActive},
	"invite":          {portal.StatusNone: portal.StatusInvited},
	"accept":          {portal.StatusInvited: portal.StatusActive},
	"request_access":  {portal.StatusPending: portal.StatusPending},
	"sign_in":         {portal.StatusActive: portal.StatusActive},
	"promote":         {portal.StatusActive: portal.StatusActive},
	"set_org_admin": {
		portal.StatusActive: portal.StatusActive, portal.StatusInvited: portal.StatusInvited,
		portal.StatusDeactivated: portal.StatusDeactivated,
	},
}

var wantAction = map[string]string{
	"approve": portal.ActionApprove, "deny": portal.ActionDeny, "approve_instead": portal.ActionApproveInstead,
	"restore": portal.ActionRestore, "purge": portal.ActionPurge, "deactivate": portal.ActionDeactivate,
	"reactivate": portal.ActionReactivate, "invite": portal.ActionInvite, "accept": portal.ActionAccept,
	"request_access": portal.ActionRequestAccess, "sign_in": portal.ActionSignIn, "promote": portal.ActionPromote,
	"set_org_admin": portal.ActionSetOrgAdmin,
}

// TestEveryTransitionFromEveryStatus is the lifecycle table of DESIGN.md run exhaustively:
// each action from each status is either allowed (and lands where the table says, with an
// audit event) or refused with a coded error that explains itself.
func TestEveryTransitionFromEveryStatus(t *testing.T) {
	all := append([]portal.Status{portal.StatusNone}, portal.Statuses...)
	for name, run := range transitions {
		for _, from := range all {
			t.Run(fmt.Sprintf("%s/from_%s", name, statusName(from)), func(t *testing.T) {
				a := account(from)
				got, ev, err := run(sysOp(), a)
				want, ok := allowed[name][from]
				if !ok {
					if err == nil {
						t.Fatalf("%s from %q was allowed, want refused", name, from)
					}
					if c := code(err); c != portal.ECONFLICT && c != portal.EFORBIDDEN && c != portal.ENOTFOUND {
						t.Fatalf("refusal code = %q (%v), want conflict/forbidden/not_found", c, err)
					}
					if msg := portal.ErrorMessage(err); len(msg) < 20 || !strings.HasSuffix(msg, ".") {
						t.Fatalf("refusal message %q does not read as a sentence", msg)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s from %q: %v", name, from, err)
				}
				if got != want {
					t.Fatalf("%s from %q led to %q, want %q", name, from, got, want)
				}
				if ev.Action != wantAction[name] || ev.At != t0 || ev.EntityID == "" {
					t.Fatalf("audit event = %+v", ev)
				}
			})
		}
	}
}

func statusName(s portal.Status) string {
	if s == portal.StatusNone {
		return "none"
	}
	return string(s)
}

func TestAuditEventCarriesBeforeAndAfter(t *testing.T) {
	a := account(portal.StatusPending)
	b, ev, err := portal.Deny(sysOp(), a, "  duplicate sign-up  ")
	if err != nil {
		t.Fatal(err)
	}
	if b.DenyReason != "duplicate sign-up" || ev.Reason != "duplicate sign-up" {
		t.Fatalf("reason not trimmed/recorded: %q / %q", b.DenyReason, ev.Reason)
	}
	var before, after portal.Account
	if err := json.Unmarshal(ev.Before, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ev.After, &after); err != nil {
		t.Fatal(err)
	}
	if before.Status != portal.StatusPending || after.Status != portal.StatusDenied || after.DecidedBy != "system" {
		t.Fatalf("before %+v after %+v", before, after)
	}
	if a.Status != portal.StatusPending {
		t.Fatal("transition changed its input")
	}
}

func TestDenyNeedsReason(t *testing.T) {
	_, _, err := portal.Deny(sysOp(), account(portal.StatusPending), " \t")
	var e *portal.Error
	if code(err) != portal.EINVALID || !asError(err, &e) || e.Field != "reason" {
		t.Fatalf("err = %v", err)
	}
}

func asError(err error, target **portal.Error) bool {
	e, ok := err.(*portal.Error)
	*target = e
	return ok
}

func admin(id string) portal.Account {
	a := account(portal.StatusActive)
	a.ID, a.Kind, a.CoreRole, a.OrganizationID = id, portal.KindStaff, portal.RoleAdministrator, ""
	return a
}

func TestLastActiveSystemAdminIsKept(t *testing.T) {
	rs := roles()
	a := admin("root")
	op := func(n int) portal.Op {
		return portal.Op{Now: t0, Actor: portal.ActorFor(admin("other"), rs), Roles: rs, ActiveSystemAdmins: n}
	}
	cases := []struct {
		name string
		run  func(portal.Op) error
	}{
		{"deactivate", func(op portal.Op) error { _, _, err := portal.Deactivate(op, a); return err }},
		{"demote", func(op portal.Op) error { _, _, err := portal.SetRoles(op, a, portal.RoleStaff, nil); return err }},
		{"demote to no role", func(op portal.Op) error { _, _, err := portal.SetRoles(op, a, "", nil); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(op(1)); code(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "last active system administrator") {
				t.Fatalf("with one admin: err = %v", err)
			}
			if err := c.run(op(2)); err != nil {
				t.Fatalf("with two admins: %v", err)
			}
		})
	}
	// An admin who keeps the permission through an additional role is not demoted.
	b := a
	b.AdditionalRoles = []string{}
	if _, _, err := portal.SetRoles(op(1), b, portal.RoleStaff, []string{portal.RoleUserSetup}); err == nil {
		t.Fatal("user-setup does not grant system admin; demotion must be refused")
	}
	// Deactivating a staff member who is not an admin is unaffected by the count.
	s := admin("staff")
	s.CoreRole = portal.RoleStaff
	if _, _, err := portal.Deactivate(op(1), s); err != nil {
		t.Fatal(err)
	}
}

func TestWhoMayDoWhat(t *testing.T) {
	rs := roles()
	mk := func(mut func(*portal.Account)) portal.Actor {
		a := account(portal.StatusActive)
		a.ID = "actor"
		mut(&a)
		return portal.ActorFor(a, rs)
	}
	actors := map[string]portal.Actor{
		"client": mk(func(a *portal.Account) {}),
		"staff":  mk(func(a *portal.Account) { a.Kind, a.CoreRole = portal.KindStaff, portal.RoleStaff }),
		"user_setup": mk(func(a *portal.Account) {
			a.Kind, a.CoreRole, a.AdditionalRoles = portal.KindStaff, portal.RoleStaff, []string{portal.RoleUserSetup}
		}),
		"org_admin_same":  mk(func(a *portal.Account) { a.OrgAdmin = true }),
		"org_admin_other": mk(func(a *portal.Account) { a.OrgAdmin, a.OrganizationID = true, orgB }),
		"system_admin":    mk(func(a *portal.Account) { a.Kind, a.CoreRole = portal.KindStaff, portal.RoleAdministrator }),
		"deactivated_admin": mk(func(a *portal.Account) {
			a.Kind, a.CoreRole, a.Status = portal.KindStaff, portal.RoleAdministrator, portal.StatusDeactivated
		}),
		"client_with_admin_role": mk(func(a *portal.Account) { a.CoreRole = portal.RoleAdministrator }),
	}
	type want map[string]bool // actor -> allowed
	yes := func(names ...string) want {
		w := want{}
		for _, n := range names {
			w[n] = true
		}
		return w
	}
	cases := []struct {
		action string
		from   portal.Status
		run    transition
		want   want
	}{
		{"approve", portal.StatusPending, transitions["approve"], yes("user_setup", "org_admin_same", "system_admin")},
		{"deny", portal.StatusPending, transitions["deny"], yes("user_setup", "org_admin_same", "system_admin")},
		{"approve_instead", portal.StatusDenied, transitions["approve_instead"], yes("user_setup", "org_admin_same", "system_admin")},
		{"purge", portal.StatusDenied, transitions["purge"], yes("system_admin")},
		{"deactivate", portal.StatusActive, transitions["deactivate"], yes("org_admin_same", "system_admin")},
		{"reactivate", portal.StatusDeactivated, transitions["reactivate"], yes("org_admin_same", "system_admin")},
		{"invite", portal.StatusNone, transitions["invite"], yes("org_admin_same", "system_admin")},
		{"promote", portal.StatusActive, transitions["promote"], yes("system_admin")},
		{"set_org_admin", portal.StatusActive, transitions["set_org_admin"], yes("org_admin_same", "system_admin")},
	}
	for _, c := range cases {
		for name, actor := range actors {
			t.Run(c.action+"/"+name, func(t *testing.T) {
				op := portal.Op{Now: t0, Actor: actor, Roles: rs, ActiveSystemAdmins: 2}
				_, _, err := c.run(op, account(c.from))
				if c.want[name] && err != nil {
					t.Fatalf("want allowed, got %v", err)
				}
				if !c.want[name] && code(err) != portal.EFORBIDDEN {
					t.Fatalf("want forbidden, got %v", err)
				}
			})
		}
	}
}

func TestPromote(t *testing.T) {
	ghost := account(portal.StatusActive)
	ghost.RegistrationComplete = false
	staff := account(portal.StatusActive)
	staff.Kind = portal.KindStaff
	cases := []struct {
		name       string
		a          portal.Account
		core       string
		additional []string
		delete     bool
		wantCode   string
		wantField  string
	}{
		{"core and additional, keep client record", account(portal.StatusActive), portal.RoleStaff, []string{portal.RoleUserSetup, "a-managers"}, false, "", ""},
		{"delete leftover client record", account(portal.StatusActive), portal.RoleVolunteer, nil, true, "", ""},
		{"ghost account", ghost, portal.RoleStaff, nil, false, portal.ECONFLICT, ""},
		{"already staff", staff, portal.RoleStaff, nil, false, portal.ECONFLICT, ""},
		{"no core role", account(portal.StatusActive), "", nil, false, portal.EINVALID, "coreRole"},
		{"unknown core role", account(portal.StatusActive), "chef", nil, false, portal.EINVALID, "coreRole"},
		{"additional role as core", account(portal.StatusActive), portal.RoleUserSetup, nil, false, portal.EINVALID, "coreRole"},
		{"core repeated as additional", account(portal.StatusActive), portal.RoleStaff, []string{portal.RoleStaff}, false, portal.EINVALID, "additionalRoles"},
		{"other organisation's role", account(portal.StatusActive), portal.RoleStaff, []string{"b-managers"}, false, portal.EINVALID, "additionalRoles"},
		{"unknown additional role", account(portal.StatusActive), portal.RoleStaff, []string{"ghost"}, false, portal.EINVALID, "additionalRoles"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, ev, err := portal.Promote(sysOp(), c.a, c.core, c.additional, c.delete)
			if c.wantCode != "" {
				var e *portal.Error
				if code(err) != c.wantCode || (c.wantField != "" && (!asError(err, &e) || e.Field != c.wantField)) {
					t.Fatalf("err = %#v, want %s on %q", err, c.wantCode, c.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Kind != portal.KindStaff || b.CoreRole != c.core || len(b.AdditionalRoles) != len(c.additional) || b.ClientRecord == c.delete {
				t.Fatalf("promoted = %+v", b)
			}
			if ev.Action != portal.ActionPromote {
				t.Fatal(ev.Action)
			}
		})
	}
}

func TestOrgAdminMayOnlyChangeOwnOrgRoles(t *testing.T) {
	rs := roles()
	orgAdmin := account(portal.StatusActive)
	orgAdmin.ID, orgAdmin.OrgAdmin = "boss", true
	op := portal.Op{Now: t0, Actor: portal.ActorFor(orgAdmin, rs), Roles: rs, ActiveSystemAdmins: 1}

	member := account(portal.StatusActive)
	b, _, err := portal.SetRoles(op, member, "", []string{"a-managers"})
	if err != nil || len(b.AdditionalRoles) != 1 {
		t.Fatalf("own org role: %v %+v", err, b)
	}
	if _, _, err := portal.SetRoles(op, member, "", []string{"b-managers"}); code(err) != portal.EINVALID {
		t.Fatalf("other org role: %v", err)
	}
	staff := member
	staff.Kind, staff.CoreRole = portal.KindStaff, portal.RoleStaff
	if _, _, err := portal.SetRoles(op, staff, portal.RoleStaff, []string{portal.RoleUserSetup}); code(err) != portal.EFORBIDDEN {
		t.Fatalf("system role by org admin: %v", err)
	}
	if _, _, err := portal.SetRoles(op, staff, portal.RoleStaff, []string{"a-managers"}); err != nil {
		t.Fatalf("org role beside unchanged system core role: %v", err)
	}
	other := member
	other.OrganizationID = orgB
	if _, _, err := portal.SetRoles(op, other, "", nil); code(err) != portal.EFORBIDDEN {
		t.Fatalf("other org's member: %v", err)
	}
	if _, _, err := portal.SetOrgAdmin(op, other, true); code(err) != portal.EFORBIDDEN {
		t.Fatalf("appoint in other org: %v", err)
	}
}

func TestSetOrgAdmin(t *testing.T) {
	a := account(portal.StatusActive)
	b, ev, err := portal.SetOrgAdmin(sysOp(), a, true)
	if err != nil || !b.OrgAdmin || ev.Action != portal.ActionSetOrgAdmin {
		t.Fatalf("%v %+v", err, b)
	}
	if _, _, err := portal.SetOrgAdmin(sysOp(), b, true); code(err) != portal.ECONFLICT {
		t.Fatalf("twice: %v", err)
	}
	c, ev, err := portal.SetOrgAdmin(sysOp(), b, false)
	if err != nil || c.OrgAdmin || ev.Action != portal.ActionUnsetOrgAdmin {
		t.Fatalf("unset: %v %+v", err, c)
	}
	noOrg := a
	noOrg.OrganizationID = ""
	if _, _, err := portal.SetOrgAdmin(sysOp(), noOrg, true); code(err) != portal.ECONFLICT {
		t.Fatalf("no organisation: %v", err)
	}
}

func TestInvitationLifecycle(t *testing.T) {
	clock := portal.NewFixedClock(t0)
	op := func() portal.Op {
		return portal.Op{Now: clock.Now(), Actor: portal.SystemActor(), Roles: roles(), ActiveSystemAdmins: 1}
	}
	contact := portal.Account{ID: "acc-9", ContactID: "c-9", OrganizationID: orgA, Email: "Clerk@Parish.Example.ORG"}

	a, inv, ev, err := portal.Invite(op(), contact, "inv-1", 0, []string{"a-managers"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != portal.StatusInvited || a.Name != "Clerk" || a.Email != "Clerk@parish.example.org" || a.Kind != portal.KindClient {
		t.Fatalf("account = %+v", a)
	}
	if inv.ExpiresAt != t0.Add(7*24*time.Hour) || inv.Status != portal.InvitationPending || ev.EntityType != "invitation" {
		t.Fatalf("invitation = %+v", inv)
	}
	if _, _, _, err := portal.Invite(op(), a, "inv-x", 0, nil); code(err) != portal.ECONFLICT {
		t.Fatalf("second invite: %v", err)
	}

	clock.Advance(24 * time.Hour)
	old, fresh, _, err := portal.Resend(op(), a, inv, "inv-2", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != portal.InvitationRevoked || fresh.Status != portal.InvitationPending || fresh.ExpiresAt != clock.Now().Add(30*24*time.Hour) {
		t.Fatalf("resend: old %+v fresh %+v", old, fresh)
	}
	if _, _, _, err := portal.Accept(clock.Now(), a, old); code(err) != portal.ECONFLICT {
		t.Fatalf("old link still works: %v", err)
	}
	if _, _, _, err := portal.Resend(op(), a, fresh, "inv-3", 31*24*time.Hour); code(err) != portal.EINVALID {
		t.Fatalf("ttl over 30 days: %v", err)
	}

	clock.Advance(30 * 24 * time.Hour)
	if fresh.StatusAt(clock.Now()) != portal.InvitationExpired {
		t.Fatal("not expired at its expiry time")
	}
	if _, _, _, err := portal.Accept(clock.Now(), a, fresh); code(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired link accepted: %v", err)
	}
	expired, _, err := portal.Expire(clock.Now(), fresh)
	if err != nil || expired.Status != portal.InvitationExpired {
		t.Fatalf("expire: %v", err)
	}
	if _, _, err := portal.Revoke(op(), expired); code(err) != portal.ECONFLICT {
		t.Fatalf("revoke expired: %v", err)
	}

	_, again, _, err := portal.Resend(op(), a, expired, "inv-4", 0)
	if err != nil {
		t.Fatal(err)
	}
	active, used, _, err := portal.Accept(clock.Now(), a, again)
	if err != nil || active.Status != portal.StatusActive || used.Status != portal.InvitationAccepted {
		t.Fatalf("accept: %v", err)
	}
	if _, _, _, err := portal.Accept(clock.Now(), active, used); code(err) != portal.ECONFLICT {
		t.Fatalf("link used twice: %v", err)
	}
	if _, _, err := portal.Expire(clock.Now(), again); code(err) != portal.ECONFLICT {
		t.Fatalf("expire before time: %v", err)
	}
}

func TestInvitationTTL(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want time.Duration
		code string
	}{
		{0, 7 * 24 * time.Hour, ""},
		{48 * time.Hour, 48 * time.Hour, ""},
		{30 * 24 * time.Hour, 30 * 24 * time.Hour, ""},
		{30*24*time.Hour + time.Second, 0, portal.EINVALID},
		{time.Minute, 0, portal.EINVALID},
	} {
		got, err := portal.InvitationTTL(c.in)
		if got != c.want || code(err) != c.code {
			t.Errorf("InvitationTTL(%v) = %v, %v", c.in, got, err)
		}
	}
}

func TestSignUpModes(t *testing.T) {
	id := portal.SSOIdentity{Email: "new@agency.example", Subject: "sub-1", Source: "agency.example"}
	p, ev, err := portal.SignUp(t0, portal.SignUpApproval, id, "acc-5")
	if err != nil || p.Status != portal.StatusPending || p.Name != "new" || ev.Action != portal.ActionSignUp {
		t.Fatalf("approval mode: %v %+v", err, p)
	}
	c, _, err := portal.SignUp(t0, portal.SignUpClient, id, "acc-6")
	if err != nil || c.Status != portal.StatusActive || c.Kind != portal.KindClient || !c.Ghost() {
		t.Fatalf("client mode: %v %+v", err, c)
	}
	fixed, _, err := portal.CompleteRegistration(portal.Op{Now: t0, Actor: portal.SelfActor(c)}, c)
	if err != nil || fixed.Ghost() {
		t.Fatalf("complete registration: %v", err)
	}
	if _, _, err := portal.SignUp(t0, "open", id, "x"); code(err) != portal.EINVALID {
		t.Fatalf("unknown mode: %v", err)
	}
	if _, _, err := portal.SignUp(t0, portal.SignUpClient, portal.SSOIdentity{Email: "x@y.example"}, "x"); code(err) != portal.EINVALID {
		t.Fatalf("missing subject: %v", err)
	}
}

func TestSignInRecordsLoginAndTellsWhyNot(t *testing.T) {
	b, _, err := portal.SignIn(t0, account(portal.StatusActive))
	if err != nil || b.LastLoginAt == nil || !b.LastLoginAt.Equal(t0) {
		t.Fatalf("%v %+v", err, b)
	}
	_, _, err = portal.SignIn(t0, account(portal.StatusDenied))
	if portal.ErrorMessage(err) != "Your account is not authorized to access this system." {
		t.Fatalf("denied user told %q", portal.ErrorMessage(err))
	}
}

func TestRequestAccessIsRateLimited(t *testing.T) {
	a := account(portal.StatusPending)
	b, _, err := portal.RequestAccess(t0, a, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := portal.RequestAccess(t0.Add(59*time.Minute), b, time.Hour); code(err) != portal.ECONFLICT {
		t.Fatalf("second request within the hour: %v", err)
	}
	if _, _, err := portal.RequestAccess(t0.Add(time.Hour), b, time.Hour); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestUpdateOrganization(t *testing.T) {
	before := portal.Organization{ID: orgA, Name: "Ashby Parish Council", Type: "council", Member: true, Version: 4}
	after := before
	after.Phone = "+44 1473 123456"
	after.LegalAddress = portal.Address{Line1: "1 High St", City: "Ipswich", PostalCode: "IP1 1AA", Country: "GB"}
	got, ev, err := portal.UpdateOrganization(sysOp(), before, after)
	if err != nil || got.LegalAddress.City != "Ipswich" || ev.Action != portal.ActionUpdateOrg || got.Version != 4 {
		t.Fatalf("%v %+v", err, got)
	}
	bad := after
	bad.Phone = "call Mary"
	if _, _, err := portal.UpdateOrganization(sysOp(), before, bad); code(err) != portal.EINVALID {
		t.Fatalf("bad phone: %v", err)
	}
	orgAdmin := account(portal.StatusActive)
	orgAdmin.OrgAdmin = true
	op := portal.Op{Now: t0, Actor: portal.ActorFor(orgAdmin, roles())}
	lapsed := after
	lapsed.Member = false
	if _, _, err := portal.UpdateOrganization(op, before, lapsed); code(err) != portal.EFORBIDDEN {
		t.Fatalf("org admin changing membership: %v", err)
	}
	if _, _, err := portal.UpdateOrganization(op, before, after); err != nil {
		t.Fatalf("org admin editing own profile: %v", err)
	}
}

func TestBindIdentity(t *testing.T) {
	base := portal.Account{ID: "acc_1", Email: "ada@example.org", Name: "admin"}
	for _, tc := range []struct {
		name    string
		a       portal.Account
		id      portal.SSOIdentity
		want    portal.Account
		changed bool
	}{
		{"first SSO sign-in binds the subject and takes the name", base, portal.SSOIdentity{Subject: "s1", Source: "idp.example.org", Name: "Ada Lovelace"},
			portal.Account{ID: "acc_1", Email: "ada@example.org", Name: "Ada Lovelace", Subject: "s1", Source: "idp.example.org"}, true},
		{"a bound subject is not replaced", portal.Account{ID: "acc_1", Name: "Ada", Subject: "s1", Source: "a"}, portal.SSOIdentity{Subject: "s2", Source: "b", Name: "Ada"},
			portal.Account{ID: "acc_1", Name: "Ada", Subject: "s1", Source: "a"}, false},
		{"no name claim keeps the name", portal.Account{ID: "acc_1", Name: "Ada", Subject: "s1"}, portal.SSOIdentity{Subject: "s1"},
			portal.Account{ID: "acc_1", Name: "Ada", Subject: "s1"}, false},
		{"spaces are tidied", portal.Account{ID: "acc_1", Name: "Ada", Subject: "s1"}, portal.SSOIdentity{Subject: "s1", Name: " Ada\n  King "},
			portal.Account{ID: "acc_1", Name: "Ada King", Subject: "s1"}, true},
		{"the same name is no change", portal.Account{ID: "acc_1", Name: "Ada King", Subject: "s1"}, portal.SSOIdentity{Subject: "s1", Name: "Ada  King"},
			portal.Account{ID: "acc_1", Name: "Ada King", Subject: "s1"}, false},
		{"a directory's account keeps the directory's name", portal.Account{ID: "acc_1", Name: "Sam Rivera", Directory: &portal.DirectoryLink{UserName: "sam"}},
			portal.SSOIdentity{Subject: "s1", Source: "idp", Name: "Sam"},
			portal.Account{ID: "acc_1", Name: "Sam Rivera", Subject: "s1", Source: "idp"}, true},
		{"a name longer than any is left out", portal.Account{ID: "acc_1", Name: "Ada", Subject: "s1"}, portal.SSOIdentity{Subject: "s1", Name: strings.Repeat("x", 201)},
			portal.Account{ID: "acc_1", Name: "Ada", Subject: "s1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := portal.BindIdentity(tc.a, tc.id)
			if changed != tc.changed || got.Name != tc.want.Name || got.Subject != tc.want.Subject || got.Source != tc.want.Source {
				t.Errorf("BindIdentity = %+v, %v; want %+v, %v", got, changed, tc.want, tc.changed)
			}
		})
	}
}
