package desk

import (
	"strings"
	"testing"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
)

// A new organisation, then people added to it by e-mail: each address checked as typed,
// an existing contact matched, new ones named from the address; "later" adds them without
// mail, "now" e-mails the invitations, which the local portal refuses while its links
// would point at this computer.
func TestAddPeopleAndOrganisations(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	a.syncNow()
	sink := mailtest.NewSink(t)
	org0, err := a.CreateOrganisation(portal.Organization{Name: "Westgate Council"})
	if err != nil {
		t.Fatal(err)
	}
	// No mail server yet: inviting now would e-mail nobody, so it is refused.
	if _, err := a.AddUsers(AddUsersRequest{OrganizationID: org0.Organization.ID, Emails: []string{"x@westgate.example.org"}, InviteNow: true}); portal.ErrorCode(err) != portal.EINVALID ||
		!strings.Contains(portal.ErrorMessage(err), "No mail server") {
		t.Fatalf("inviting without a mail server: %v", err)
	}
	if _, err := a.SaveSMTPSettings(SMTPSettings{Host: sink.Host(), Port: sink.Port(), Security: mail.SecurityNone, From: "Eastgate <portal@eastgate.example.org>"}, ""); err != nil {
		t.Fatal(err)
	}

	if _, err := a.CreateOrganisation(portal.Organization{Name: "  "}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("an organisation without a name: %v", err)
	}
	res, err := a.CreateOrganisation(portal.Organization{Name: "Eastgate Pantry", Type: "pantry", Phone: "0161 496 0000"})
	if err != nil {
		t.Fatal(err)
	}
	org := res.Organization
	if !strings.HasPrefix(org.ID, "org_") || org.Name != "Eastgate Pantry" {
		t.Fatalf("the new organisation: %+v", org)
	}
	a.syncNow()
	if _, err := a.other().Organization(a.ctx(), org.ID); err != nil {
		t.Fatalf("the portal has no %s: %v", org.ID, err)
	}
	if _, err := a.other().CreateContact(a.ctx(), portal.Contact{OrganizationID: org.ID, FullName: "Ann Reed", Email: "ann.reed@eastgate.example.org"}, nil); err != nil {
		t.Fatal(err)
	}
	a.syncNow()

	checks, err := a.CheckAddUsers(org.ID, []string{"Ann.Reed@eastgate.example.org", "bob.lane@eastgate.example.org", "not an address", "BOB.LANE@eastgate.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if c := checks[0]; c.ContactName != "Ann Reed" || c.NewName != "" || c.Error != "" {
		t.Errorf("an existing contact: %+v", c)
	}
	if c := checks[1]; c.NewName != "bob.lane" || c.ContactName != "" || c.Error != "" {
		t.Errorf("a new contact: %+v", c)
	}
	if c := checks[2]; c.Error == "" || c.Email != "" {
		t.Errorf("not an address: %+v", c)
	}
	if c := checks[3]; !strings.Contains(c.Error, "twice") {
		t.Errorf("the same address twice: %+v", c)
	}
	if _, err := a.AddUsers(AddUsersRequest{OrganizationID: org.ID, Emails: []string{"ann.reed@eastgate.example.org", "not an address"}}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("a list with a wrong address: %v", err)
	}

	// Later: added as contacts, nobody e-mailed; their invitations, with the role chosen,
	// wait in a batch of exactly these two.
	drivers, err := a.CreateOrgRole(org.ID, "Drivers")
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.AddUsers(AddUsersRequest{OrganizationID: org.ID, Emails: []string{"ann.reed@eastgate.example.org", "bob.lane@eastgate.example.org"}, Roles: []string{drivers.Role.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Sent || len(out.People) != 2 || out.People[0].Created || out.People[0].Invited || !out.People[1].Created || out.People[1].Name != "bob.lane" {
		t.Fatalf("added later: %+v", out)
	}
	if out.Batch == nil || out.Batch.Counts.Total != 2 || !strings.HasPrefix(out.Batch.Name, "Added to Eastgate Pantry, ") {
		t.Fatalf("the batch of the people added for later: %+v", out.Batch)
	}
	recips, err := a.BatchRecipients(out.Batch.ID, batch.RecipientQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recips.Items {
		if len(r.Roles) != 1 || r.Roles[0] != drivers.Role.ID || (r.Email != "ann.reed@eastgate.example.org" && r.Email != "bob.lane@eastgate.example.org") {
			t.Errorf("a recipient of the batch: %s with roles %v", r.Email, r.Roles)
		}
	}
	if n := sink.Count(); n != 0 {
		t.Fatalf("%d messages before the batch is sent", n)
	}
	// Now: the local portal has no public address yet, so nothing is queued.
	if _, err := a.AddUsers(AddUsersRequest{OrganizationID: org.ID, Emails: []string{"cy.moss@eastgate.example.org"}, InviteNow: true}); portal.ErrorCode(err) != portal.EINVALID ||
		!strings.Contains(portal.ErrorMessage(err), "public address") {
		t.Fatalf("invitations with links to this computer: %v", err)
	}
	set, err := a.PortalSettings()
	if err != nil {
		t.Fatal(err)
	}
	set.Settings.PublicURL = "https://portal.eastgate.example.org"
	if _, err := a.SavePortalSettings(set.Settings); err != nil {
		t.Fatal(err)
	}
	out, err = a.AddUsers(AddUsersRequest{OrganizationID: org.ID, Emails: []string{"cy.moss@eastgate.example.org"}, InviteNow: true})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Sent || len(out.People) != 1 || !out.People[0].Invited {
		t.Fatalf("invited now: %+v", out)
	}
	got := sink.WaitFor(t, 1, 30*time.Second)
	if got[0].To[0] != "cy.moss@eastgate.example.org" || !strings.Contains(got[0].Body, "https://portal.eastgate.example.org/invite/") {
		t.Fatalf("the invitation: to %v\n%s", got[0].To, got[0].Body)
	}
	if n := sink.Count(); n != 1 {
		t.Fatalf("%d messages, want only Cy's invitation", n)
	}
}
