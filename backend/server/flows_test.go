package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

// signInSSO runs the whole end-user SSO sign-in in a browser: /login, the provider's
// authorization endpoint, the callback with code exchange and ID token verification.
func (b *browser) signInSSO(u opUser) page {
	b.t.Helper()
	b.e.op.SignInAs(u)
	return b.get("/login")
}

func TestApprovalFlow(t *testing.T) {
	e := newEnv(t)
	admin := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "admin@example.org", Name: "Ada Admin"})
	approver := e.account(portal.Account{AdditionalRoles: []string{portal.RoleUserSetup}, Email: "setup@example.org", Name: "Sam Setup"})
	e.account(portal.Account{Email: "plain-staff@example.org"}) // no user setup: not e-mailed

	// Pat signs in with SSO for the first time: a pending account, the "not authorised"
	// page with Request access.
	pat := e.browser()
	p := pat.signInSSO(opUser{Sub: "pat-1", Email: "pat@example.org", Name: "Pat Pending"})
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Your account is not authorized to access") || !strings.Contains(p.Body, "Request Access") {
		t.Fatalf("first sign-in: %d %s\n%s", p.Status, p.URL, p.Body)
	}
	accs, err := e.client(admin.ID).Accounts(e.ctx, client.AccountQuery{Status: portal.StatusPending})
	if err != nil || len(accs.Items) != 1 {
		t.Fatalf("pending accounts: %v %+v", err, accs)
	}
	patAcc := accs.Items[0]
	if patAcc.Email != "pat@example.org" || patAcc.Source != strings.TrimPrefix(e.op.URL, "http://") || patAcc.LastLoginAt != nil {
		t.Errorf("Pat's account: %+v", patAcc)
	}

	// Request access: every approver is e-mailed once, with approve and deny links.
	p = pat.post(p, "/account/request-access", nil)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Message Sent") {
		t.Fatalf("request access: %d\n%s", p.Status, p.Body)
	}
	msgs := e.sink.WaitFor(t, 2, 10*time.Second)
	toAdmin, toApprover := messagesTo(msgs, admin.Email), messagesTo(msgs, approver.Email)
	if len(toAdmin) != 1 || len(toApprover) != 1 || len(msgs) != 2 {
		t.Fatalf("access request e-mails: %d to admin, %d to approver, %d in all", len(toAdmin), len(toApprover), len(msgs))
	}
	if s := subject(toApprover[0]); s != "Pat Pending is requesting access to Gatehouse" {
		t.Errorf("subject %q", s)
	}
	body := toApprover[0].Body
	if !strings.Contains(body, "Account Source: "+patAcc.Source) {
		t.Errorf("approver e-mail lacks the account source:\n%s", body)
	}
	approveURL := link(t, body, e.url+"/approvals/approve?token=")
	denyURL := link(t, body, e.url+"/approvals/deny?token=")

	// A second request within the interval is refused and e-mails nobody.
	p2 := pat.post(pat.get("/account"), "/account/request-access", nil)
	if p2.Status != http.StatusTooManyRequests || !strings.Contains(p2.Body, "already sent") {
		t.Errorf("second request: %d\n%s", p2.Status, p2.Body)
	}

	// The approver opens the deny link: a confirmation page that offers "approve instead";
	// opening it changes nothing.
	ap := e.browser()
	d := ap.get(denyURL)
	if d.Status != http.StatusOK || !strings.Contains(d.Body, "Deny the User Access Request") ||
		!strings.Contains(d.Body, "Are you sure you want to deny access to Pat Pending?") || !strings.Contains(d.Body, "Approve Pat Pending instead") {
		t.Fatalf("deny page: %d\n%s", d.Status, d.Body)
	}
	if e.stored(patAcc.ID).Status != portal.StatusPending {
		t.Fatal("opening the deny link changed the account")
	}
	// Denying without a reason is refused with the form shown again.
	if r := ap.post(d, "/approvals/decide", url.Values{"token": {tokenOf(denyURL)}, "decision": {"deny"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Say why") {
		t.Errorf("deny without reason: %d\n%s", r.Status, r.Body)
	}
	// The approver changes their mind: "approve instead" from the deny page.
	r := ap.post(d, "/approvals/decide", url.Values{"token": {tokenOf(denyURL)}, "decision": {"approve"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Access approved") {
		t.Fatalf("approve instead: %d\n%s", r.Status, r.Body)
	}
	got := e.stored(patAcc.ID)
	if got.Status != portal.StatusActive || got.DecidedBy != approver.ID {
		t.Errorf("after approval: status %s decided by %q", got.Status, got.DecidedBy)
	}

	// Pat is e-mailed, and the e-mail's link leads to the portal where Pat is signed in.
	msgs = e.sink.WaitFor(t, 3, 10*time.Second)
	toPat := messagesTo(msgs, "pat@example.org")
	if len(toPat) != 1 || !strings.Contains(subject(toPat[0]), "account has been approved") {
		t.Fatalf("approval e-mail: %+v", toPat)
	}
	signIn := link(t, toPat[0].Body, e.url+"/")
	if p := pat.get(signIn); p.Status != http.StatusOK || !strings.Contains(p.Body, "You are signed in as") {
		t.Errorf("Pat after approval: %d\n%s", p.Status, p.Body)
	}

	// Every link of the request is now used up: the admin's link too.
	adminApprove := link(t, toAdmin[0].Body, e.url+"/approvals/approve?token=")
	if p := e.browser().get(adminApprove); p.Status != http.StatusConflict || !strings.Contains(p.Body, "already used") {
		t.Errorf("admin's link after the decision: %d\n%s", p.Status, p.Body)
	}
	if p := e.browser().get(approveURL); p.Status != http.StatusConflict {
		t.Errorf("approver's link reused: %d", p.Status)
	}

	// The audit log tells who did what.
	evs := e.audit(store.AuditFilter{EntityID: patAcc.ID})
	var actions []string
	for i := len(evs) - 1; i >= 0; i-- {
		actions = append(actions, evs[i].Action)
	}
	want := "account.sign_up account.request_access account.approve"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit of Pat: %v, want %s", actions, want)
	}
}

func tokenOf(u string) string {
	x, _ := url.Parse(u)
	return x.Query().Get("token")
}

func TestDenialFlowAndRateLimit(t *testing.T) {
	e := newEnv(t)
	approver := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "boss@example.org"})
	cAdmin := e.client(approver.ID)
	set, err := cAdmin.Settings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	set.RequestAccessIntervalMinutes = 60
	set.ApproverEmails = []string{"approvals@example.org"}
	if _, err := cAdmin.UpdateSettings(e.ctx, set, &client.Cmd{IfMatch: set.Version}); err != nil {
		t.Fatal(err)
	}

	dan := e.browser()
	p := dan.signInSSO(opUser{Sub: "dan-1", Email: "dan@example.org", Name: "Dan"})
	dan.post(p, "/account/request-access", nil)
	msgs := e.sink.WaitFor(t, 1, 10*time.Second)
	if len(msgs) != 1 || msgs[0].To[0] != "approvals@example.org" {
		t.Fatalf("with configured addresses only they are e-mailed: %+v", msgs)
	}
	// The portal's own messages carry an HTML part made from the same template: the
	// approve link as a button and as its address, the person's name escaped.
	if h := msgs[0].HTML; !strings.Contains(h, "<!DOCTYPE html>") || !strings.Contains(h, `href="`+e.url+`/approvals/approve?token=`) || !strings.Contains(msgs[0].Body, e.url+"/approvals/approve?token=") {
		t.Errorf("the access request's HTML part:\n%s", h)
	}

	// Within the hour: refused, nothing sent. After it: sent again.
	e.clock.Advance(59 * time.Minute)
	if r := dan.post(dan.get("/account"), "/account/request-access", nil); r.Status != http.StatusTooManyRequests {
		t.Errorf("request after 59 min: %d", r.Status)
	}
	e.clock.Advance(2 * time.Minute)
	if r := dan.post(dan.get("/account"), "/account/request-access", nil); r.Status != http.StatusOK {
		t.Errorf("request after 61 min: %d %s", r.Status, r.Body)
	}
	msgs = e.sink.WaitFor(t, 2, 10*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("e-mails after two allowed requests: %d", len(msgs))
	}

	// The configured address denies with a reason through its link.
	denyURL := link(t, msgs[1].Body, e.url+"/approvals/deny?token=")
	ap := e.browser()
	d := ap.get(denyURL)
	r := ap.post(d, "/approvals/decide", url.Values{"token": {tokenOf(denyURL)}, "decision": {"deny"}, "reason": {"Not one of our volunteers"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Request denied") {
		t.Fatalf("deny: %d\n%s", r.Status, r.Body)
	}
	accs, _ := cAdmin.Accounts(e.ctx, client.AccountQuery{Status: portal.StatusDenied})
	if len(accs.Items) != 1 || accs.Items[0].DenyReason != "Not one of our volunteers" || accs.Items[0].DecidedBy != "approver:approvals@example.org" {
		t.Fatalf("denied accounts: %+v", accs.Items)
	}

	// Dan signs in again and is told so.
	again := e.browser()
	p = again.signInSSO(opUser{Sub: "dan-1", Email: "dan@example.org", Name: "Dan"})
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Your account is not authorized to access this system.") {
		t.Errorf("denied sign-in: %d\n%s", p.Status, p.Body)
	}
	if strings.Contains(p.Body, "Request Access") {
		t.Error("a denied person is offered Request access")
	}

	// Restore from the recycle bin through the API, then Dan gets in.
	if _, err := cAdmin.Restore(e.ctx, accs.Items[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	p = e.browser().signInSSO(opUser{Sub: "dan-1", Email: "dan@example.org"})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "You are signed in as") {
		t.Errorf("after restore: %d\n%s", p.Status, p.Body)
	}
	if a := e.stored(accs.Items[0].ID); a.LastLoginAt == nil || !a.LastLoginAt.Equal(e.clock.Now()) {
		t.Errorf("last login not recorded: %v", a.LastLoginAt)
	}
	// A sign-in without a name claim leaves the name; one with a new name brings it over.
	if a := e.stored(accs.Items[0].ID); a.Name != "Dan" {
		t.Errorf("name after a sign-in without a name claim: %q", a.Name)
	}
	before := e.stored(accs.Items[0].ID).Version
	e.browser().signInSSO(opUser{Sub: "dan-1", Email: "dan@example.org", Name: "  Daniel   Okafor "})
	if a := e.stored(accs.Items[0].ID); a.Name != "Daniel Okafor" || a.Version <= before {
		t.Errorf("name after the provider's name changed: %q (version %d, was %d)", a.Name, a.Version, before)
	}
}

// Gatehouse itself (the desktop driving its own portal) names no one inviting: the
// message's own words stand, not "Gatehouse has invited you".
func TestInvitationFromGatehouseItself(t *testing.T) {
	e := newEnv(t)
	org, err := e.svc.CreateOrganization(e.ctx, &service.Cmd{Actor: portal.SystemActor()}, portal.Organization{Name: "Riverside Council", Type: "council",
		LegalAddress: portal.Address{Line1: "1 High St", City: "Riverside", Country: "GB"}})
	if err != nil {
		t.Fatal(err)
	}
	dora, err := e.svc.CreateContact(e.ctx, &service.Cmd{Actor: portal.SystemActor()}, portal.Contact{OrganizationID: org.ID, FullName: "Dora Deputy", Email: "dora@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Invite(e.ctx, &service.Cmd{Actor: portal.SystemActor()}, api.CreateInvitationRequest{ContactID: dora.ID, Send: true}); err != nil {
		t.Fatal(err)
	}
	toDora := messagesTo(e.sink.WaitFor(t, 1, 10*time.Second), "dora@example.org")
	if len(toDora) != 1 || !strings.Contains(toDora[0].Body, "Your administrator has invited you to Gatehouse for Riverside Council") {
		t.Fatalf("invitation e-mail from Gatehouse itself: %+v", toDora)
	}
}

func TestInvitationFlow(t *testing.T) {
	e := newEnv(t)
	admin := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "admin@example.org", Name: "Ada Admin"})
	c := e.client(admin.ID)
	org, err := c.CreateOrganization(e.ctx, portal.Organization{Name: "Riverside Council", Phone: "+44 1632 960000",
		LegalAddress: portal.Address{Line1: "1 High St", City: "Riverside", Country: "GB"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	existing, err := c.CreateContact(e.ctx, portal.Contact{OrganizationID: org.ID, FullName: "Clara Clerk", Email: "clara@example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Add two people by e-mail: one matches a contact, one becomes a new contact named
	// after the address; both are invited and e-mailed by the server.
	res, err := c.AddUsers(e.ctx, api.AddUsersRequest{OrganizationID: org.ID, Emails: []string{"clara@example.org", "john.smith@example.org"}, Invite: true, Send: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Users[0].ContactCreated || res.Users[0].Contact.ID != existing.ID {
		t.Errorf("clara was not matched to her contact: %+v", res.Users[0])
	}
	if !res.Users[1].ContactCreated || res.Users[1].Contact.FullName != "john.smith" {
		t.Errorf("new contact: %+v", res.Users[1].Contact)
	}
	for _, u := range res.Users {
		if u.Invitation == nil || !u.Invitation.Queued || u.Invitation.Token != "" || u.Invitation.Invitation.ExpiresAt != e.clock.Now().Add(7*24*time.Hour) {
			t.Errorf("invitation of %s: %+v", u.Email, u.Invitation)
		}
	}
	msgs := e.sink.WaitFor(t, 2, 10*time.Second)
	toClara := messagesTo(msgs, "clara@example.org")
	if len(toClara) != 1 || !strings.Contains(toClara[0].Body, "Ada Admin has invited you") || !strings.Contains(toClara[0].Body, "Riverside Council") {
		t.Fatalf("invitation e-mail: %+v", toClara)
	}
	inviteURL := link(t, toClara[0].Body, e.url+"/invite/")

	// Clara opens the link and sets a password.
	clara := e.browser()
	p := clara.get(inviteURL)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Set a password") || !strings.Contains(p.Body, "Riverside Council") {
		t.Fatalf("invitation page: %d\n%s", p.Status, p.Body)
	}
	if r := clara.post(p, inviteURL+"/password", url.Values{"password": {"short"}, "confirm": {"short"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "at least 10 characters") {
		t.Errorf("short password: %d", r.Status)
	}
	r := clara.post(p, inviteURL+"/password", url.Values{"password": {"correct horse battery"}, "confirm": {"correct horse battery"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "You are signed in as") {
		t.Fatalf("accept: %d\n%s", r.Status, r.Body)
	}
	acc := e.stored(res.Users[0].Invitation.Account.ID)
	if acc.Status != portal.StatusActive || acc.LastLoginAt == nil || !acc.RegistrationComplete {
		t.Errorf("Clara's account after accepting: %+v", acc)
	}

	// The link works once.
	if p := e.browser().get(inviteURL); p.Status != http.StatusConflict || !strings.Contains(p.Body, "already been used") {
		t.Errorf("second use: %d\n%s", p.Status, p.Body)
	}
	// Clara signs in later with her password; the login is recorded.
	e.clock.Advance(time.Hour)
	later := e.browser()
	home := later.get("/")
	if r := later.post(home, "/login/password", url.Values{"email": {"clara@example.org"}, "password": {"wrong password!"}}); r.Status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", r.Status)
	}
	if r := later.post(home, "/login/password", url.Values{"email": {"clara@example.org"}, "password": {"correct horse battery"}}); r.Status != http.StatusOK || !strings.Contains(r.Body, "You are signed in") {
		t.Errorf("password sign-in: %d\n%s", r.Status, r.Body)
	}
	if a := e.stored(acc.ID); !a.LastLoginAt.Equal(e.clock.Now()) {
		t.Errorf("last login %v, want %v", a.LastLoginAt, e.clock.Now())
	}

	// John lets his link expire; the admin resends; the old link is dead, the new one binds
	// his SSO identity.
	johnInv := res.Users[1].Invitation.Invitation
	johnOld := link(t, messagesTo(msgs, "john.smith@example.org")[0].Body, e.url+"/invite/")
	e.clock.Advance(7 * 24 * time.Hour)
	if p := e.browser().get(johnOld); p.Status != http.StatusConflict || !strings.Contains(p.Body, "expired") {
		t.Errorf("expired link: %d\n%s", p.Status, p.Body)
	}
	if n, err := e.svc.ExpireInvitations(e.ctx); err != nil || n != 1 {
		t.Errorf("expire: %d %v", n, err)
	}
	c.SetToken(e.session(admin.ID)) // a week later the admin's 12-hour session has expired
	fresh, err := c.ResendInvitation(e.ctx, johnInv.ID, api.ResendInvitationRequest{ExpiresInDays: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Token == "" || fresh.URL == "" || fresh.Invitation.ExpiresAt != e.clock.Now().Add(3*24*time.Hour) {
		t.Fatalf("resend: %+v", fresh)
	}
	if p := e.browser().get(johnOld); p.Status == http.StatusOK {
		t.Error("the old link still works after resending")
	}
	// Whoever holds the link signs in with another address: refused, the page says whose
	// invitation it is, and the link still works for John.
	mallory := e.browser()
	p = mallory.get(fresh.URL)
	e.op.SignInAs(opUser{Sub: "mallory-sso", Email: "mallory@evil.example", Name: "Mallory"})
	r = mallory.post(p, fresh.URL+"/sso", nil)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "This invitation is for john.smith@example.org, but you signed in as mallory@evil.example") {
		t.Fatalf("bind another identity: %d\n%s", r.Status, r.Body)
	}
	if ma := e.stored(johnInv.AccountID); ma.Subject != "" || ma.Status != portal.StatusInvited {
		t.Fatalf("after a refused binding the account is %+v", ma)
	}
	john := e.browser()
	p = john.get(fresh.URL)
	e.op.SignInAs(opUser{Sub: "john-sso", Email: "JOHN.SMITH@Example.ORG", Name: "John Smith"})
	r = john.post(p, fresh.URL+"/sso", nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "You are signed in as") {
		t.Fatalf("bind SSO: %d\n%s", r.Status, r.Body)
	}
	ja := e.stored(johnInv.AccountID)
	if ja.Subject != "john-sso" || ja.Status != portal.StatusActive {
		t.Errorf("John after binding: %+v", ja)
	}
	// Now John signs in with SSO directly.
	if p := e.browser().signInSSO(opUser{Sub: "john-sso", Email: "jsmith@corp.example.org"}); p.Status != http.StatusOK {
		t.Errorf("John's SSO sign-in: %d", p.Status)
	}
	// And the bound link cannot be used again.
	if p := e.browser().get(fresh.URL); p.Status != http.StatusConflict {
		t.Errorf("used link: %d", p.Status)
	}

	// Invitations are limited to 30 days.
	if _, err := c.Invite(e.ctx, api.CreateInvitationRequest{ContactID: existing.ID, ExpiresInDays: 31}, nil); err == nil {
		t.Error("a 31-day invitation was accepted")
	} else if ce, _ := client.AsError(err); ce.Status != 400 || ce.Field != "expiresInDays" {
		t.Errorf("31 days: %v", err)
	}
}
