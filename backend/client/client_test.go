package client_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/servertest"
	"gatehouse/backend/server/store"
)

// Every method of the client against a real embedded server.
func TestClientCoversTheAPI(t *testing.T) {
	ctx := context.Background()
	p := servertest.Start(t, server.Config{Embedded: true})
	srv, c := p.Server, client.New(p.URL, p.Token)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Health(ctx))
	me, err := c.Me(ctx)
	must(err)
	if !me.Embedded {
		t.Error("me: not embedded")
	}

	org, err := c.CreateOrganization(ctx, portal.Organization{Name: "Pantry"}, nil)
	must(err)
	org, err = c.UpdateOrganization(ctx, org.ID, portal.Organization{Name: "Pantry", Phone: "+1 555 0100"}, &client.Cmd{IfMatch: org.Version})
	must(err)
	if got, err := c.Organization(ctx, org.ID); err != nil || got.Phone != "+1 555 0100" {
		t.Errorf("organization: %v %+v", err, got)
	}
	if p, err := c.Organizations(ctx, client.ListOptions{Limit: 10}); err != nil || len(p.Items) != 1 {
		t.Errorf("organizations: %v %+v", err, p)
	}
	empty, err := c.CreateOrganization(ctx, portal.Organization{Name: "Empty"}, nil)
	must(err)
	must(c.DeleteOrganization(ctx, empty.ID, nil))

	con, err := c.CreateContact(ctx, portal.Contact{OrganizationID: org.ID, FirstName: "Ann", LastName: "Lee", Email: "ann@example.org"}, nil)
	must(err)
	if con.FullName != "Ann Lee" {
		t.Errorf("full name %q", con.FullName)
	}
	con, err = c.UpdateContact(ctx, con.ID, portal.Contact{OrganizationID: org.ID, FullName: "Ann Lee", Email: "ann@example.org", Phone: "+1 555 0101"}, &client.Cmd{IfMatch: con.Version})
	must(err)
	if got, err := c.Contact(ctx, con.ID); err != nil || got.Phone == "" {
		t.Errorf("contact: %v %+v", err, got)
	}
	if p, err := c.Contacts(ctx, client.ContactQuery{Query: "lee"}); err != nil || len(p.Items) != 1 {
		t.Errorf("contacts q=lee: %v %+v", err, p)
	}
	gone, err := c.CreateContact(ctx, portal.Contact{OrganizationID: org.ID, Email: "gone@example.org"}, nil)
	must(err)
	must(c.DeleteContact(ctx, gone.ID, nil))

	inv, err := c.Invite(ctx, client.CreateInvitation{ContactID: con.ID, ExpiresInDays: 10}, nil)
	must(err)
	if inv.URL == "" {
		t.Error("invite without send gives no link")
	}
	if p, err := c.Invitations(ctx, client.InvitationQuery{Status: portal.InvitationPending}); err != nil || len(p.Items) != 1 {
		t.Errorf("invitations: %v %+v", err, p)
	}
	re, err := c.ResendInvitation(ctx, inv.Invitation.ID, client.ResendInvitation{}, nil)
	must(err)
	if got, err := c.Invitation(ctx, inv.Invitation.ID); err != nil || got.Status != portal.InvitationRevoked {
		t.Errorf("old invitation: %v %+v", err, got)
	}
	_, err = c.RevokeInvitation(ctx, re.Invitation.ID, nil)
	must(err)

	added, err := c.AddUsers(ctx, client.AddUsersRequest{OrganizationID: org.ID, Emails: []string{"bo@example.org"}}, nil)
	must(err)
	if !added.Users[0].ContactCreated {
		t.Error("add users did not create the contact")
	}

	// Accounts in every state, written as SSO sign-ups would be.
	mk := func(id string, st portal.Status, kind portal.Kind) {
		must(srv.Store().Update(ctx, func(tx store.Tx) error {
			a := portal.Account{ID: id, Email: id + "@example.org", Name: id, Status: st, Kind: kind, OrganizationID: org.ID, AdditionalRoles: []string{}}
			return tx.PutAccount(ctx, &a)
		}))
	}
	mk("p1", portal.StatusPending, portal.KindStaff)
	mk("p2", portal.StatusPending, portal.KindStaff)
	mk("p3", portal.StatusPending, portal.KindStaff)
	mk("cl", portal.StatusActive, portal.KindClient)
	_, err = c.Approve(ctx, "p1", nil)
	must(err)
	_, err = c.Deny(ctx, "p2", "unknown", nil)
	must(err)
	_, err = c.ApproveInstead(ctx, "p2", nil)
	must(err)
	_, err = c.Deny(ctx, "p3", "unknown", nil)
	must(err)
	_, err = c.Restore(ctx, "p3", nil)
	must(err)
	_, err = c.Deactivate(ctx, "p3", nil)
	must(err)
	_, err = c.Reactivate(ctx, "p3", nil)
	must(err)
	_, err = c.CompleteRegistration(ctx, "cl", nil)
	must(err)
	role, err := c.PutRole(ctx, portal.Role{ID: "pantry-leads", Name: "Leads", Scope: portal.ScopeOrganization, OrganizationID: org.ID}, nil)
	must(err)
	a, err := c.Promote(ctx, "cl", client.PromoteRequest{CoreRole: portal.RoleVolunteer, AdditionalRoles: []string{role.ID}, DeleteClientRecord: true}, nil)
	must(err)
	if a.Kind != portal.KindStaff || a.ClientRecord {
		t.Errorf("promoted: %+v", a)
	}
	_, err = c.SetRoles(ctx, "cl", client.SetRolesRequest{CoreRole: portal.RoleStaff}, nil)
	must(err)
	_, err = c.SetOrgAdmin(ctx, "cl", true, nil)
	must(err)
	if got, err := c.Account(ctx, "cl"); err != nil || !got.OrgAdmin || got.CoreRole != portal.RoleStaff {
		t.Errorf("account: %v %+v", err, got)
	}
	if p, err := c.Accounts(ctx, client.AccountQuery{Kind: portal.KindStaff, OrganizationID: org.ID}); err != nil || len(p.Items) != 4 {
		t.Errorf("staff accounts: %v %d", err, len(p.Items))
	}
	mk("d1", portal.StatusDenied, portal.KindStaff)
	must(c.Purge(ctx, "d1", nil))
	if _, err := c.Account(ctx, "d1"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("purged account: %v", err)
	}
	roles, err := c.Roles(ctx)
	must(err)
	if len(roles) != len(portal.DefaultRoles())+1 {
		t.Errorf("%d roles", len(roles))
	}
	_, err = c.PutRole(ctx, portal.Role{ID: "temp", Name: "Temp", Scope: portal.ScopeSystem}, nil)
	must(err)
	must(c.DeleteRole(ctx, "temp", nil))

	audit, err := c.Audit(ctx, client.AuditQuery{EntityType: api.EntityAccount, Limit: 3})
	must(err)
	if len(audit.Items) != 3 || audit.Next == "" || audit.Items[0].ID < audit.Items[1].ID {
		t.Errorf("audit page: %+v", audit)
	}
	var before int64
	for _, ev := range audit.Items {
		before = ev.ID
	}
	more, err := c.Audit(ctx, client.AuditQuery{EntityType: api.EntityAccount, Before: before, Limit: 100, Since: time.Now().Add(-time.Hour)})
	must(err)
	if len(more.Items) == 0 || more.Items[0].ID >= before {
		t.Errorf("next audit page: %+v", more.Items)
	}

	ts, err := c.Templates(ctx)
	must(err)
	if len(ts) != len(mail.Defaults()) {
		t.Errorf("%d templates", len(ts))
	}
	tpl, err := c.Template(ctx, mail.KeyInvitation)
	must(err)
	tpl2, err := c.UpdateTemplate(ctx, tpl.Key, client.TemplateUpdate{Name: tpl.Name, Subject: "Welcome to @system.ProductName@", Body: tpl.Body}, &client.Cmd{IfMatch: tpl.Version})
	must(err)
	if tpl2.Version != tpl.Version+1 {
		t.Errorf("template version %d", tpl2.Version)
	}
	if _, err := c.UpdateTemplate(ctx, tpl.Key, client.TemplateUpdate{Name: tpl.Name, Subject: "Hi @Nmae@", Body: tpl.Body}, nil); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("template with an unknown placeholder: %v", err)
	}
	set, err := c.Settings(ctx)
	must(err)
	set.SignUpMode = portal.SignUpClient
	_, err = c.UpdateSettings(ctx, set, &client.Cmd{IfMatch: set.Version})
	must(err)

	// The feed holds all of it; FollowChanges pages to the end.
	n := 0
	cursor, err := c.FollowChanges(ctx, 0, 7, func(p client.ChangesPage) error {
		n += len(p.Changes)
		return nil
	})
	must(err)
	if tail, err := c.Changes(ctx, cursor, 0, api.EntityAccount); err != nil || len(tail.Changes) != 0 || tail.More {
		t.Errorf("after catching up: %v %+v", err, tail)
	}
	if n == 0 || cursor == 0 {
		t.Errorf("followed %d changes to %d", n, cursor)
	}
	accountsOnly, err := c.Changes(ctx, 0, 1000, api.EntityAccount)
	must(err)
	for _, ch := range accountsOnly.Changes {
		if ch.Entity != api.EntityAccount {
			t.Errorf("entity filter let %s through", ch.Entity)
		}
	}
}
