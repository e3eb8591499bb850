package client_test

import (
	"context"
	"net/http"
	"testing"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/servertest"
)

// InviteBulk against a real embedded server: per-item outcomes, ItemError's status and
// code, and a repeated item replayed without its link.
func TestInviteBulk(t *testing.T) {
	ctx := context.Background()
	p := servertest.Start(t, server.Config{Embedded: true})
	c := client.New(p.URL, p.Token)
	org, err := c.CreateOrganization(ctx, portal.Organization{Name: "Pantry"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	con, err := c.CreateContact(ctx, portal.Contact{OrganizationID: org.ID, FirstName: "Ann", LastName: "Lee", Email: "ann@example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	items := []client.BulkInvitation{
		{CreateInvitationRequest: client.CreateInvitation{ContactID: con.ID}, IdempotencyKey: "k1"},
		{CreateInvitationRequest: client.CreateInvitation{ContactID: "con_missing"}, IdempotencyKey: "k2"},
		{CreateInvitationRequest: client.CreateInvitation{ContactID: con.ID}, IdempotencyKey: "k3", IfMatch: con.Version + 1},
	}
	res, err := c.InviteBulk(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 3 || res.Created != 1 || res.Failed != 2 {
		t.Fatalf("answer %+v", res)
	}
	if o := res.Items[0]; client.ItemError(o) != nil || o.Result == nil || o.Result.URL == "" || o.Email != "ann@example.org" {
		t.Errorf("item 0: %+v", o)
	}
	for i, want := range []struct {
		status int
		code   string
	}{1: {http.StatusNotFound, portal.ENOTFOUND}, 2: {http.StatusPreconditionFailed, portal.ECONFLICT}} {
		if i == 0 {
			continue
		}
		ce, ok := client.AsError(client.ItemError(res.Items[i]))
		if !ok || ce.Status != want.status || ce.Code != want.code || portal.ErrorCode(ce) != want.code {
			t.Errorf("item %d: %v, want %d %s", i, ce, want.status, want.code)
		}
	}
	again, err := c.InviteBulk(ctx, items[:1])
	if err != nil || !again.Items[0].Replayed || again.Items[0].Result.URL != "" || !again.Items[0].Result.LinkWithheld ||
		again.Items[0].Result.Invitation.ID != res.Items[0].Result.Invitation.ID {
		t.Errorf("again: %v %+v", err, again)
	}
}
