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
)

// TestPortalSettingsTakeEffect: the sender, the invitation lifetimes and the length of a
// sign-in, set through the API as the desktop's Portal settings do, govern the next
// message, invitation and session; wrong values are refused at their field.
func TestPortalSettingsTakeEffect(t *testing.T) {
	e := newEnv(t)
	admin := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "admin@example.org", Name: "Ada Admin"})
	c := e.client(admin.ID)
	set, err := c.Settings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if set.InvitationDays != 7 || set.MaxInvitationDays != 30 || set.SessionHours != 8 || set.SenderAddress != "" {
		t.Fatalf("defaults: %+v", set)
	}
	for _, tc := range []struct {
		change func(*api.Settings)
		field  string
	}{
		{func(s *api.Settings) { s.InvitationDays, s.MaxInvitationDays = 12, 10 }, "invitationDays"},
		{func(s *api.Settings) { s.MaxInvitationDays = 31 }, "maxInvitationDays"},
		{func(s *api.Settings) { s.SessionHours = 0 }, "sessionHours"},
		{func(s *api.Settings) { s.SenderName = "Registrations" }, "senderAddress"},
		{func(s *api.Settings) { s.SenderAddress = "not an address" }, "senderAddress"},
	} {
		bad := set
		tc.change(&bad)
		_, err := c.UpdateSettings(e.ctx, bad, &client.Cmd{IfMatch: set.Version})
		if ce, ok := client.AsError(err); !ok || ce.Field != tc.field {
			t.Errorf("%+v refused at %v, want %s", bad, err, tc.field)
		}
	}
	set.SenderName, set.SenderAddress = "Riverside Registrations", "registrations@riverside.example.org"
	set.InvitationDays, set.MaxInvitationDays, set.SessionHours = 3, 10, 2
	if set, err = c.UpdateSettings(e.ctx, set, &client.Cmd{IfMatch: set.Version}); err != nil {
		t.Fatal(err)
	}

	// An invitation without a lifetime lasts the portal's 3 days; one longer than its 10 is refused.
	org, err := c.CreateOrganization(e.ctx, portal.Organization{Name: "Riverside Council"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddUsers(e.ctx, api.AddUsersRequest{OrganizationID: org.ID, Emails: []string{"late@example.org"}, Invite: true, ExpiresInDays: 15}, nil); err == nil ||
		!strings.Contains(err.Error(), "10 days at most") {
		t.Errorf("an invitation longer than the portal allows: %v", err)
	}
	res, err := c.AddUsers(e.ctx, api.AddUsersRequest{OrganizationID: org.ID, Emails: []string{"clara@example.org"}, Invite: true, Send: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv := res.Users[0].Invitation; inv == nil || !inv.Invitation.ExpiresAt.Equal(e.clock.Now().Add(3*24*time.Hour)) {
		t.Errorf("invitation: %+v", inv)
	}

	// Its e-mail comes from the portal's sender.
	msgs := e.sink.WaitFor(t, 1, 10*time.Second)
	if from := msgs[0].Header.Get("From"); !strings.Contains(from, "Riverside Registrations") || !strings.Contains(from, "<registrations@riverside.example.org>") {
		t.Errorf("From: %q", from)
	}

	// Clara sets her password and is signed in for the portal's 2 hours, not the usual 8.
	clara := e.browser()
	inviteURL := link(t, msgs[0].Body, e.url+"/invite/")
	p := clara.get(inviteURL)
	p = clara.post(p, inviteURL+"/password", url.Values{"password": {"correct horse battery staple"}, "confirm": {"correct horse battery staple"}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "You are signed in as") {
		t.Fatalf("after setting the password: %d\n%s", p.Status, p.Body)
	}
	e.clock.Advance(119 * time.Minute)
	if p := clara.get(e.url + "/account"); !strings.Contains(p.Body, "You are signed in as") {
		t.Errorf("signed out before 2 hours: %d\n%s", p.Status, p.Body)
	}
	e.clock.Advance(2 * time.Minute)
	if p := clara.get(e.url + "/account"); strings.Contains(p.Body, "You are signed in as") {
		t.Errorf("still signed in after 2 hours")
	}
}
