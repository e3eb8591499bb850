package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/app"
	"gatehouse/backend/desk"
	"gatehouse/backend/portal"
)

// Seeded accounts reach the App's local copy through the embedded portal and its sync, as
// -seed-users does before the harness listens.
func TestSeedUsersReachTheApp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	portalPath := filepath.Join(dir, "portal.db")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const n = 2345 // in three transactions of 1,000
	if err := seedUsers(ctx, portalPath, n, 1000, now); err != nil {
		t.Fatal(err)
	}
	a := app.New(app.Config{Version: "test", DatabasePath: filepath.Join(dir, "gatehouse.db"), PortalDatabasePath: portalPath,
		Clock: portal.NewFixedClock(now), SyncInterval: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, desk.NewHeadlessRuntime())
	a.Startup(ctx)
	defer a.Shutdown(ctx)
	st, err := a.SyncNow()
	if err != nil || st.LastError != "" {
		t.Fatalf("SyncNow = %+v, %v", st, err)
	}
	all, err := a.SearchUsers(desk.UserQuery{Limit: 1})
	if err != nil || all.Total < n {
		t.Fatalf("the local copy holds %d accounts, want at least %d (%v)", all.Total, n, err)
	}
	one, err := a.SearchUsers(desk.UserQuery{Query: "person001234", Limit: 10})
	if err != nil || len(one.Rows) != 1 || one.Rows[0].ID != "acc_seed_0001234" || one.Rows[0].OrganizationName == "" {
		t.Fatalf("search for one seeded person: %+v, %v", one.Rows, err)
	}
	orgs, err := a.Organisations(desk.OrgQuery{Query: "Seeded Organisation", Limit: 100})
	if err != nil || orgs.Total != seedOrganisations {
		t.Fatalf("seeded organisations: %d, %v", orgs.Total, err)
	}
	// The statuses and last logins are spread, so the filters have work.
	for _, q := range []desk.UserQuery{
		{Status: []string{"pending"}}, {Status: []string{"deactivated"}}, {Kind: "client"}, {LastLogin: desk.LastLoginNever},
		{LastLogin: desk.LastLoginOlderDays, LastLoginDays: 30},
	} {
		q.Limit = 1
		if p, err := a.SearchUsers(q); err != nil || p.Total == 0 || p.Total == all.Total {
			t.Errorf("%+v: %d of %d, %v", q, p.Total, all.Total, err)
		}
	}
}
