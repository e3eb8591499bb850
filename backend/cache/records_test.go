package cache

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

// Every record type survives the trip into the cache and back unchanged, a stale version
// does not overwrite a newer one, and a tombstone removes it.
func TestRecordsRoundTrip(t *testing.T) {
	ctx := context.Background()
	org := mkOrg("o1", "Leeds Pantry")
	contact := portal.Contact{
		ID: "c1", OrganizationID: "o1", FullName: "Émile Zola", FirstName: "Émile", LastName: "Zola",
		Email: "emile@example.org", Phone: "0113 496 0000", Position: "Clerk", Member: true,
		RoleUntil: tp(t0.Add(90 * 24 * time.Hour)), CreatedAt: t0, UpdatedAt: t0.Add(time.Nanosecond), Version: 3,
	}
	account := mkAccount("a1", "Anna Smith", "Anna.Smith@Example.org", func(a *portal.Account) {
		a.ContactID, a.OrganizationID, a.Status, a.Kind = "c1", "o1", portal.StatusDenied, portal.KindStaff
		a.OrgAdmin, a.CoreRole, a.AdditionalRoles = true, portal.RoleStaff, []string{portal.RoleReports, "org-driver"}
		a.RegistrationComplete, a.ClientRecord = false, false
		a.AccessRequestedAt, a.DecidedAt, a.LastLoginAt = tp(t0.Add(-3*time.Hour)), tp(t0.Add(-2*time.Hour)), tp(t0.Add(-time.Minute))
		a.DenyReason, a.DecidedBy = "not staff", "admin-1"
	})
	role := portal.Role{ID: "org-driver", Name: "Driver", Scope: portal.ScopeOrganization, OrganizationID: "o1",
		Permissions: []portal.Permission{"drive"}, Version: 2}
	inv := portal.Invitation{ID: "i1", AccountID: "a1", ContactID: "c1", OrganizationID: "o1", Email: "anna@example.org",
		Name: "Anna", Roles: []string{"org-driver"}, Status: portal.InvitationRevoked, BatchID: "b1", CreatedBy: "admin-1",
		CreatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour), AcceptedAt: nil, RevokedAt: tp(t0.Add(time.Hour)), Version: 4}

	type tc struct {
		name   string
		put    func(tx *Tx, version int64) error
		get    func(db *DB) (any, error)
		want   func(version int64) any
		delete func(tx *Tx) error
	}
	cases := []tc{
		{"organization",
			func(tx *Tx, v int64) error { o := org; o.Version = v; return tx.UpsertOrganization(o) },
			func(db *DB) (any, error) { return db.GetOrganization(ctx, "o1") },
			func(v int64) any { o := org; o.Version = v; return o },
			func(tx *Tx) error { return tx.DeleteOrganization("o1") }},
		{"contact",
			func(tx *Tx, v int64) error { c := contact; c.Version = v; return tx.UpsertContact(c) },
			func(db *DB) (any, error) { return db.GetContact(ctx, "c1") },
			func(v int64) any { c := contact; c.Version = v; return c },
			func(tx *Tx) error { return tx.DeleteContact("c1") }},
		{"account",
			func(tx *Tx, v int64) error { a := account; a.Version = v; return tx.UpsertAccount(a) },
			func(db *DB) (any, error) { return db.GetAccount(ctx, "a1") },
			func(v int64) any { a := account; a.Version = v; return a },
			func(tx *Tx) error { return tx.DeleteAccount("a1") }},
		{"role",
			func(tx *Tx, v int64) error { r := role; r.Version = v; return tx.UpsertRole(r) },
			func(db *DB) (any, error) {
				rs, err := db.ListRoles(ctx, "o1")
				if err != nil || len(rs) != 1 {
					return nil, portal.Errorf(portal.ENOTFOUND, "roles: %v %v", rs, err)
				}
				return rs[0], nil
			},
			func(v int64) any { r := role; r.Version = v; return r },
			func(tx *Tx) error { return tx.DeleteRole("org-driver") }},
		{"invitation",
			func(tx *Tx, v int64) error { i := inv; i.Version = v; return tx.UpsertInvitation(i) },
			func(db *DB) (any, error) { return db.GetInvitation(ctx, "i1") },
			func(v int64) any { i := inv; i.Version = v; return i },
			func(tx *Tx) error { return tx.DeleteInvitation("i1") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, _ := openTest(t)
			mustApply(t, db, func(tx *Tx) error { return c.put(tx, 5) })
			got, err := c.get(db)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want(5)) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.want(5))
			}
			// An older version (a late command response) is ignored; the same or a newer one wins.
			mustApply(t, db, func(tx *Tx) error { return c.put(tx, 4) })
			if got, _ := c.get(db); !reflect.DeepEqual(got, c.want(5)) {
				t.Errorf("version 4 overwrote version 5: %+v", got)
			}
			mustApply(t, db, func(tx *Tx) error { return c.put(tx, 6) })
			if got, _ := c.get(db); !reflect.DeepEqual(got, c.want(6)) {
				t.Errorf("version 6 was not stored: %+v", got)
			}
			mustApply(t, db, c.delete)
			if _, err := c.get(db); portal.ErrorCode(err) != portal.ENOTFOUND {
				t.Errorf("after the tombstone: %v, want not_found", err)
			}
			mustApply(t, db, c.delete) // a repeated tombstone is harmless
		})
	}
}

func TestUpsertRefusesBadRecords(t *testing.T) {
	db, _ := openTest(t)
	for name, fn := range map[string]func(tx *Tx) error{
		"account without ID": func(tx *Tx) error { return tx.UpsertAccount(mkAccount("", "A", "a@example.org")) },
		"unknown status": func(tx *Tx) error {
			return tx.UpsertAccount(mkAccount("x", "A", "a@example.org", func(a *portal.Account) { a.Status = "archived" }))
		},
		"unknown kind": func(tx *Tx) error {
			return tx.UpsertAccount(mkAccount("x", "A", "a@example.org", func(a *portal.Account) { a.Kind = "robot" }))
		},
		"organisation without ID": func(tx *Tx) error { return tx.UpsertOrganization(portal.Organization{Name: "x"}) },
		"audit event without ID":  func(tx *Tx) error { return tx.UpsertAuditEvent(portal.AuditEvent{Action: "x"}) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := db.Apply(context.Background(), fn); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestInvitationsByStatusFollowTheClock(t *testing.T) {
	db, clock := openTest(t)
	ctx := context.Background()
	mk := func(id string, status portal.InvitationStatus, expires time.Time, batch string) portal.Invitation {
		return portal.Invitation{ID: id, AccountID: "acc-" + id, Email: id + "@example.org", Status: status,
			BatchID: batch, CreatedAt: t0.Add(-time.Duration(len(id)) * time.Hour), ExpiresAt: expires, Roles: []string{}, Version: 1}
	}
	mustApply(t, db, func(tx *Tx) error {
		for _, inv := range []portal.Invitation{
			mk("p1", portal.InvitationPending, t0.Add(time.Hour), "b1"),
			mk("p22", portal.InvitationPending, t0.Add(48*time.Hour), "b1"),
			mk("e333", portal.InvitationExpired, t0.Add(-time.Hour), "b2"),
			mk("a4444", portal.InvitationAccepted, t0.Add(time.Hour), ""),
		} {
			if err := tx.UpsertInvitation(inv); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(f InvitationFilter) []string {
		t.Helper()
		page, err := db.ListInvitations(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range page.Rows {
			out = append(out, r.ID)
		}
		if page.Total != len(out) {
			t.Errorf("total %d for %d rows", page.Total, len(out))
		}
		return out
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	check("pending", ids(InvitationFilter{Status: portal.InvitationPending}), []string{"p1", "p22"})
	check("expired", ids(InvitationFilter{Status: portal.InvitationExpired}), []string{"e333"})
	check("batch b1", ids(InvitationFilter{BatchID: "b1"}), []string{"p1", "p22"})
	check("account", ids(InvitationFilter{AccountID: "acc-a4444"}), []string{"a4444"})
	clock.Advance(2 * time.Hour) // p1's link has run out, though nothing wrote that down yet
	check("pending later", ids(InvitationFilter{Status: portal.InvitationPending}), []string{"p22"})
	check("expired later", ids(InvitationFilter{Status: portal.InvitationExpired}), []string{"p1", "e333"})
}

func TestAuditEventsFilterAndPage(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	var all []portal.AuditEvent
	actions := []string{portal.ActionApprove, portal.ActionDeny, portal.ActionDeactivate}
	for i := 1; i <= 30; i++ {
		all = append(all, portal.AuditEvent{
			ID: int64(i), At: t0.Add(time.Duration(i) * time.Minute), ActorID: []string{"admin-1", "admin-2"}[i%2],
			ActorName: "Admin", Action: actions[i%3], EntityType: "account", EntityID: []string{"a1", "a2", "a3", "a4", "a5"}[i%5],
			OrganizationID: "o1", Reason: "r", Before: json.RawMessage(`{"status":"pending"}`), After: json.RawMessage(`{"status":"active"}`),
		})
	}
	mustApply(t, db, func(tx *Tx) error {
		for _, ev := range all {
			if err := tx.UpsertAuditEvent(ev); err != nil {
				return err
			}
		}
		return tx.UpsertAuditEvent(all[0]) // delivered twice
	})
	cases := []struct {
		name string
		f    AuditFilter
		keep func(portal.AuditEvent) bool
	}{
		{"all", AuditFilter{}, func(portal.AuditEvent) bool { return true }},
		{"entity", AuditFilter{EntityType: "account", EntityID: "a2"}, func(e portal.AuditEvent) bool { return e.EntityID == "a2" }},
		{"actor", AuditFilter{ActorID: "admin-2"}, func(e portal.AuditEvent) bool { return e.ActorID == "admin-2" }},
		{"action", AuditFilter{Action: portal.ActionDeny}, func(e portal.AuditEvent) bool { return e.Action == portal.ActionDeny }},
		{"time", AuditFilter{From: t0.Add(10 * time.Minute), To: t0.Add(20 * time.Minute)}, func(e portal.AuditEvent) bool {
			return !e.At.Before(t0.Add(10*time.Minute)) && e.At.Before(t0.Add(20*time.Minute))
		}},
		{"combined", AuditFilter{ActorID: "admin-1", Action: portal.ActionApprove, OrganizationID: "o1"}, func(e portal.AuditEvent) bool {
			return e.ActorID == "admin-1" && e.Action == portal.ActionApprove
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []portal.AuditEvent
			for i := len(all) - 1; i >= 0; i-- { // newest first
				if c.keep(all[i]) {
					want = append(want, all[i])
				}
			}
			var got []portal.AuditEvent
			for offset := 0; ; offset += 4 {
				f := c.f
				f.Limit, f.Offset = 4, offset
				page, err := db.ListAuditEvents(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != len(want) {
					t.Fatalf("total %d, want %d", page.Total, len(want))
				}
				if len(page.Rows) == 0 {
					break
				}
				got = append(got, page.Rows...)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %d events, want %d; first got %+v", len(got), len(want), first(got))
			}
		})
	}
}

func first[T any](xs []T) any {
	if len(xs) == 0 {
		return nil
	}
	return xs[0]
}

func TestAccessRequests(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	r1 := portal.AccessRequest{ID: "r1", AccountID: "a1", RequestedAt: t0, NotifiedTo: []string{"x@example.org"}}
	r2 := portal.AccessRequest{ID: "r2", AccountID: "a1", RequestedAt: t0.Add(time.Hour), NotifiedTo: []string{}}
	mustApply(t, db, func(tx *Tx) error {
		if err := tx.UpsertAccessRequest(r1); err != nil {
			return err
		}
		return tx.UpsertAccessRequest(r2)
	})
	got, err := db.ListAccessRequests(ctx, "a1")
	if err != nil || !reflect.DeepEqual(got, []portal.AccessRequest{r2, r1}) {
		t.Fatalf("got %+v %v", got, err)
	}
	mustApply(t, db, func(tx *Tx) error { return tx.DeleteAccessRequest("r2") })
	if got, _ := db.ListAccessRequests(ctx, "a1"); !reflect.DeepEqual(got, []portal.AccessRequest{r1}) {
		t.Errorf("after delete: %+v", got)
	}
}

func TestRolesCatalogAndOrganizations(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	mustApply(t, db, func(tx *Tx) error {
		for _, r := range append(portal.DefaultRoles(),
			portal.Role{ID: "o1-driver", Name: "Driver", Scope: portal.ScopeOrganization, OrganizationID: "o1"},
			portal.Role{ID: "o2-cook", Name: "Cook", Scope: portal.ScopeOrganization, OrganizationID: "o2"}) {
			if r.Permissions == nil {
				r.Permissions = []portal.Permission{}
			}
			if err := tx.UpsertRole(r); err != nil {
				return err
			}
		}
		for _, o := range []portal.Organization{mkOrg("o1", "York Council"), mkOrg("o2", "Hull Food Bank"), mkOrg("o3", "Leeds Pantry")} {
			if err := tx.UpsertOrganization(o); err != nil {
				return err
			}
		}
		return nil
	})
	cat, err := db.RoleCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat) != 7 || !cat[portal.RoleAdministrator].Has(portal.PermSystemAdmin) {
		t.Errorf("catalogue %+v", cat)
	}
	rs, _ := db.ListRoles(ctx, "o1")
	var names []string
	for _, r := range rs {
		names = append(names, r.ID)
	}
	want := []string{portal.RoleStaff, portal.RoleAdministrator, portal.RoleVolunteer, portal.RoleReports, portal.RoleUserSetup, "o1-driver"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("roles for o1: %v, want %v", names, want)
	}
	page, err := db.ListOrganizations(ctx, OrganizationFilter{Query: "foo"})
	if err != nil || page.Total != 1 || page.Rows[0].ID != "o2" {
		t.Errorf("organisations matching foo: %+v %v", page, err)
	}
	page, _ = db.ListOrganizations(ctx, OrganizationFilter{})
	if page.Total != 3 || page.Rows[0].Name != "Hull Food Bank" || page.Rows[2].Name != "York Council" {
		t.Errorf("organisations by name: %+v", page.Rows)
	}
}
