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

func allAccounts(t *testing.T, st store.Store) []portal.Account {
	t.Helper()
	var out []portal.Account
	err := st.View(context.Background(), func(r store.Reader) error {
		var err error
		out, err = r.Accounts(context.Background(), store.AccountFilter{Limit: 10000})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
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
	var roles []portal.Role
	if err := st.View(ctx, func(r store.Reader) error { var err error; roles, err = r.Roles(ctx); return err }); err != nil {
		t.Fatal(err)
	}
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

	var invs []portal.Invitation
	if err := st.View(ctx, func(r store.Reader) error {
		var err error
		invs, err = r.Invitations(ctx, store.InvitationFilter{Limit: 1000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
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
	if err := l.signUpMode(ctx, portal.SignUpClient); err != nil {
		t.Fatal(err)
	}
	for _, p := range people()[:30] {
		if _, err := srv.Service().SignInSSO(ctx, identity(p), true); err != nil {
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
