package demo

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/servertest"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newPortal(t *testing.T) *server.Server {
	t.Helper()
	return servertest.New(t, server.Config{Embedded: true, Clock: portal.NewFixedClock(t0)})
}

// read returns what fn reads from the store.
func read[T any](t *testing.T, st store.Store, fn func(ctx context.Context, r store.Reader) (T, error)) T {
	t.Helper()
	var out T
	err := st.View(context.Background(), func(r store.Reader) error {
		var err error
		out, err = fn(context.Background(), r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func allAccounts(t *testing.T, st store.Store) []portal.Account {
	return read(t, st, func(ctx context.Context, r store.Reader) ([]portal.Account, error) {
		return r.Accounts(ctx, store.AccountFilter{Limit: 10000})
	})
}

func allInvitations(t *testing.T, st store.Store) []portal.Invitation {
	return read(t, st, func(ctx context.Context, r store.Reader) ([]portal.Invitation, error) {
		return r.Invitations(ctx, store.InvitationFilter{Limit: 1000})
	})
}

func feedHead(t *testing.T, st store.Store) int64 {
	t.Helper()
	var head int64
	err := st.View(context.Background(), func(r store.Reader) error {
		var err error
		_, head, err = r.Changes(context.Background(), 0, 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return head
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	srv := newPortal(t)
	st := srv.Store()
	if orgs[0].id() != MarkerOrganizationID {
		t.Fatalf("the first organisation is %s, not the marker", orgs[0].id())
	}
	if ok, err := Loaded(ctx, st); err != nil || ok {
		t.Fatalf("Loaded before loading = %v, %v", ok, err)
	}
	sum, err := Load(ctx, srv.Service(), st)
	if err != nil {
		t.Fatal(err)
	}
	if sum.AlreadyLoaded || sum.Organizations != 6 || sum.Pending != 6 || sum.Invitations != 8 {
		t.Errorf("summary = %+v", sum)
	}
	if ok, err := Loaded(ctx, st); err != nil || !ok {
		t.Fatalf("Loaded after loading = %v, %v", ok, err)
	}

	accs := allAccounts(t, st)
	if len(accs) != sum.Accounts {
		t.Errorf("%d accounts stored, summary says %d", len(accs), sum.Accounts)
	}
	roles := read(t, st, func(ctx context.Context, r store.Reader) ([]portal.Role, error) { return r.Roles(ctx) })
	catalog := portal.NewRoles(roles...)
	count := map[string]int{}
	now := srv.Service().Clock().Now()
	for _, a := range accs {
		count[string(a.Status)]++
		if a.Ghost() {
			count["ghost"]++
		}
		if catalog.IsActiveSystemAdmin(a) {
			count["sysadmin"]++
		}
		if a.Kind == portal.KindStaff && a.Status == portal.StatusActive && catalog.Grants(a, portal.PermUserSetup) && !catalog.Grants(a, portal.PermSystemAdmin) {
			count["usersetup"]++
		}
		if a.OrgAdmin {
			count["orgadmin"]++
		}
		if a.Status == portal.StatusPending {
			if a.Source == "" || a.CreatedAt.After(now) {
				t.Errorf("pending %s: source %q created %v", a.Email, a.Source, a.CreatedAt)
			}
			if a.AccessRequestedAt != nil {
				count["requested"]++
			}
		}
		if a.Status == portal.StatusActive && a.Kind == portal.KindClient {
			count["client"]++
		}
		if a.LastLoginAt != nil {
			if age := now.Sub(*a.LastLoginAt); age < 0 || age > 90*day {
				t.Errorf("%s last logged in %v ago; the demo spreads logins over 90 days", a.Email, age)
			}
			count["loggedin"]++
		}
	}
	for k, want := range map[string]int{
		"pending": 6, "denied": 1, "ghost": 2, "sysadmin": 2, "usersetup": 2, "orgadmin": 6,
		"deactivated": 2, "requested": 3, "invited": 6,
	} {
		if count[k] != want {
			t.Errorf("%s: %d, want %d (all counts %v)", k, count[k], want, count)
		}
	}
	if count["client"] < 50 {
		t.Errorf("%d active clients, want about 60", count["client"])
	}

	invs := allInvitations(t, st)
	byStatus := map[portal.InvitationStatus]int{}
	for _, inv := range invs {
		byStatus[inv.StatusAt(now)]++
	}
	if byStatus[portal.InvitationPending] != 4 || byStatus[portal.InvitationExpired] != 2 || byStatus[portal.InvitationAccepted] != 2 {
		t.Errorf("invitations by status = %v", byStatus)
	}

	// The change feed carries everything, so a desktop syncs it like any change.
	page, err := srv.Service().Changes(ctx, portal.SystemActor(), service.ChangesQuery{Limit: 5000})
	if err != nil || len(page.Changes) == 0 {
		t.Fatalf("feed: %v, %d changes", err, len(page.Changes))
	}

	// A second load adds nothing: not a record, not a feed entry.
	head := feedHead(t, st)
	again, err := Load(ctx, srv.Service(), st)
	if err != nil {
		t.Fatal(err)
	}
	if !again.AlreadyLoaded {
		t.Error("second load does not say the data was there")
	}
	if h := feedHead(t, st); h != head {
		t.Errorf("second load wrote %d changes", h-head)
	}
	if n := len(allAccounts(t, st)); n != len(accs) {
		t.Errorf("second load: %d accounts, had %d", n, len(accs))
	}
}

// The records and the audit log tell one story: a person's first entry in the log is at
// the time their account says they signed up or were invited, their last sign-in in the
// log is their last login, nothing happens before the organisations were set up or after
// the load, and the login report has sign-ins to count over the last 90 days.
func TestLoadHistoryAgreesWithTheRecords(t *testing.T) {
	ctx := context.Background()
	srv := newPortal(t)
	st := srv.Store()
	if _, err := Load(ctx, srv.Service(), st); err != nil {
		t.Fatal(err)
	}
	events := read(t, st, func(ctx context.Context, r store.Reader) ([]portal.AuditEvent, error) {
		return r.AuditEvents(ctx, store.AuditFilter{Limit: 100000})
	})
	invs := allInvitations(t, st)
	// An invitation's entries belong to the invited person's history, as in the drawer.
	invited := map[string]string{}
	for _, inv := range invs {
		invited[inv.ID] = inv.AccountID
	}
	byAccount := map[string][]portal.AuditEvent{} // oldest first
	signIns := 0
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if ev.At.Before(t0.Add(-orgAge)) || ev.At.After(t0) {
			t.Errorf("%s on %s %s at %v: outside the demo's past (%v to %v)", ev.Action, ev.EntityType, ev.EntityID, ev.At, t0.Add(-orgAge), t0)
		}
		switch ev.EntityType {
		case "account":
			byAccount[ev.EntityID] = append(byAccount[ev.EntityID], ev)
		case "invitation":
			byAccount[invited[ev.EntityID]] = append(byAccount[invited[ev.EntityID]], ev)
		}
		if ev.Action == portal.ActionSignIn && t0.Sub(ev.At) <= 90*day {
			signIns++
		}
	}
	for _, a := range allAccounts(t, st) {
		evs := byAccount[a.ID]
		if len(evs) == 0 {
			t.Errorf("%s: no history", a.Email)
			continue
		}
		if first := evs[0]; !first.At.Equal(a.CreatedAt) {
			t.Errorf("%s: created %v, but the history starts with %s at %v", a.Email, a.CreatedAt, first.Action, first.At)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].At.Before(evs[i-1].At) {
				t.Errorf("%s: %s at %v is logged after %s at %v", a.Email, evs[i].Action, evs[i].At, evs[i-1].Action, evs[i-1].At)
			}
		}
		var lastSignIn *time.Time
		for _, ev := range evs {
			if ev.Action == portal.ActionSignIn || ev.Action == portal.ActionSignUp || ev.Action == portal.ActionAccept {
				at := ev.At
				lastSignIn = &at
			}
		}
		if a.LastLoginAt != nil && (lastSignIn == nil || !lastSignIn.Equal(*a.LastLoginAt)) {
			t.Errorf("%s: last login %v, last sign-in in the history %v", a.Email, a.LastLoginAt, lastSignIn)
		}
	}
	if signIns < 50 {
		t.Errorf("%d sign-ins in the last 90 days in the audit log; the login report needs the clients' own", signIns)
	}
}

// A load that stopped half-way is finished by the next one.
func TestLoadFinishesAnInterruptedLoad(t *testing.T) {
	ctx := context.Background()
	srv := newPortal(t)
	st := srv.Store()
	l := &loader{svc: srv.Service(), st: st, anchor: t0, cmd: nil}
	sys := portal.SystemActor()
	l.cmd = func() *service.Cmd { return &service.Cmd{Actor: sys} }
	for _, step := range []func(context.Context) error{l.organisations, l.roles, l.contacts} {
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Half the clients signed up, in client mode, when the load stopped.
	if err := l.signUpMode(ctx, l.setUp().Add(day), portal.SignUpClient); err != nil {
		t.Fatal(err)
	}
	for _, p := range people()[:30] {
		if _, err := l.at(l.joined(p)).SignInSSO(ctx, identity(p), true); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := Load(ctx, srv.Service(), st)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.AlreadyLoaded {
		t.Error("the interrupted load's organisations were not noticed")
	}
	if n := len(allAccounts(t, st)); n != sum.Accounts {
		t.Errorf("%d accounts after finishing, want %d", n, sum.Accounts)
	}
	set, err := srv.Service().GetSettings(ctx, sys)
	if err != nil || set.SignUpMode != portal.SignUpApproval {
		t.Errorf("sign-up mode after the load = %q, %v; new sign-ins must wait for approval", set.SignUpMode, err)
	}
}

// BenchmarkLoad measures the first-run "load demo data" into an empty embedded portal
// (without the desktop's sync of it).
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		srv, err := server.New(ctx, server.Config{Embedded: true, DBPath: filepath.Join(b.TempDir(), "portal.db"),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := Load(ctx, srv.Service(), srv.Store())
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.Accounts), "accounts/op")
		srv.Shutdown(ctx)
		b.StartTimer()
	}
}
