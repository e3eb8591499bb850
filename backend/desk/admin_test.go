package desk

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/poll"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/servertest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// eventLog records what the App sends the window.
type eventLog struct {
	mu  sync.Mutex
	all []Event
}

func (e *eventLog) add(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

func (e *eventLog) named(name string) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Event
	for _, ev := range e.all {
		if ev.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

func (e *eventLog) statuses() []SyncStatus {
	var out []SyncStatus
	for _, ev := range e.named(EventSyncStatus) {
		out = append(out, ev.Data[0].(SyncStatus))
	}
	return out
}

type testApp struct {
	*Desk
	t      *testing.T
	dir    string
	events *eventLog
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestApp starts an App as the desktop does with no server configured: cache and
// embedded portal in a temporary folder. The clock stands still, so the demo's times and
// the last-login filters agree exactly.
func newTestApp(t *testing.T, dir string) *testApp {
	t.Helper()
	rt := NewHeadlessRuntime()
	ev := &eventLog{}
	rt.Subscribe(ev.add)
	a := New(Config{Version: "test", DatabasePath: filepath.Join(dir, "gatehouse.db"), Clock: portal.NewFixedClock(t0),
		SyncInterval: time.Hour, Logger: quietLog()}, rt)
	a.Startup(context.Background())
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	return &testApp{Desk: a, t: t, dir: dir, events: ev}
}

// withDemo starts an App on a copy of a data folder in which LoadDemoData ran: loading
// takes 1.8 s under the race detector and seventeen tests start from it, so it runs once
// per test binary (TestFirstRunAndDemoThroughTheEmbeddedPortal loads it as a person does).
// The folder was closed by Shutdown, so its files are whole and the copy is the state
// LoadDemoData leaves, first run ended.
func withDemo(t *testing.T) *testApp {
	t.Helper()
	src, err := demoFolder()
	if err != nil {
		t.Fatalf("LoadDemoData: %v", err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatalf("copy the demo folder: %v", err)
	}
	return newTestApp(t, dir)
}

// demoFolder loads the demo once into a folder that TestMain removes.
var demoFolder = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gatehouse-demo-")
	if err != nil {
		return "", err
	}
	demoDirs = append(demoDirs, dir)
	a := New(Config{Version: "test", DatabasePath: filepath.Join(dir, "gatehouse.db"), Clock: portal.NewFixedClock(t0),
		SyncInterval: time.Hour, Logger: quietLog()}, NewHeadlessRuntime())
	a.Startup(context.Background())
	defer a.Shutdown(context.Background())
	_, err = a.LoadDemoData()
	return dir, err
})

var demoDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range demoDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// manual stops the background sync, so that changes reach the server only when the test
// calls SyncNow: every "pending, then confirmed" is then observed, never raced.
func (a *testApp) manual() {
	c, err := a.current()
	if err != nil {
		a.t.Fatal(err)
	}
	c.eng.Stop()
}

func (a *testApp) syncNow() SyncStatus {
	a.t.Helper()
	st, err := a.SyncNow()
	if err != nil {
		a.t.Fatalf("SyncNow: %v", err)
	}
	if st.LastError != "" {
		a.t.Fatalf("sync failed: %s", st.LastError)
	}
	return st
}

// other is a second administrator working on the same portal through its API.
func (a *testApp) other() *client.Client {
	u, tok, ok := a.EmbeddedPortal()
	if !ok {
		a.t.Fatal("no embedded portal")
	}
	return client.New(u, tok)
}

func (a *testApp) serverAccount(id string) portal.Account {
	a.t.Helper()
	acc, err := a.other().Account(context.Background(), id)
	if err != nil {
		a.t.Fatalf("account %s on the server: %v", id, err)
	}
	return acc
}

func (a *testApp) user(id string) UserRow {
	a.t.Helper()
	d, err := a.GetUser(id)
	if err != nil {
		a.t.Fatalf("GetUser(%s): %v", id, err)
	}
	return d.User
}

func (a *testApp) search(q UserQuery) UserPage {
	a.t.Helper()
	if q.Limit == 0 {
		q.Limit = 1000
	}
	p, err := a.SearchUsers(q)
	if err != nil {
		a.t.Fatalf("SearchUsers(%+v): %v", q, err)
	}
	return p
}

// find returns the one account whose name is given.
func (a *testApp) find(name string) UserRow {
	a.t.Helper()
	p := a.search(UserQuery{Query: name})
	for _, r := range p.Rows {
		if r.Name == name {
			return r
		}
	}
	a.t.Fatalf("no account named %q", name)
	return UserRow{}
}

func wantCode(t *testing.T, err error, code, field string) {
	t.Helper()
	p := payloadOf(err)
	if err == nil || p.Code != code || (field != "" && p.Field != field) || p.Message == "" {
		t.Fatalf("error = %v (%+v), want code %s field %q with a message", err, p, code, field)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !poll.Until(30*time.Second, cond) {
		t.Fatalf("gave up waiting for %s", what)
	}
}

func TestFirstRunAndDemoThroughTheEmbeddedPortal(t *testing.T) {
	dir := t.TempDir()
	a := newTestApp(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "portal.db")); err != nil {
		t.Fatalf("the embedded portal's database is not beside the cache: %v", err)
	}
	waitFor(t, "the first sync", func() bool { st, _ := a.SyncStatus(); return st.LastSyncAt != nil && !st.Syncing })
	st, err := a.SyncStatus()
	if err != nil || st.Mode != ModeEmbedded || !strings.HasPrefix(st.ServerURL, "http://127.0.0.1:") || !st.Online || st.LastError != "" {
		t.Fatalf("status = %+v, %v", st, err)
	}
	fr, err := a.FirstRunState()
	if err != nil || !fr.NeedsSetup || fr.DemoLoaded || fr.Mode != ModeEmbedded {
		t.Fatalf("first run before the choice = %+v, %v", fr, err)
	}
	if p := a.search(UserQuery{}); p.Total != 0 {
		t.Fatalf("a new portal has %d accounts", p.Total)
	}

	sum, err := a.LoadDemoData()
	if err != nil {
		t.Fatal(err)
	}
	if sum.AlreadyLoaded || sum.Organizations != 6 || sum.Pending != 6 || sum.Accounts < 70 {
		t.Errorf("demo summary = %+v", sum)
	}
	// In the local copy when LoadDemoData returns, and the first run is over.
	if p := a.search(UserQuery{}); p.Total != sum.Accounts {
		t.Errorf("%d accounts in the local copy, the demo has %d", p.Total, sum.Accounts)
	}
	if fr, _ := a.FirstRunState(); fr.NeedsSetup || !fr.DemoLoaded {
		t.Errorf("first run after the demo = %+v", fr)
	}
	if len(a.events.named(EventSyncStatus)) == 0 {
		t.Error("no sync:status event")
	}
	waitFor(t, "a data:changed event from the sync", func() bool {
		for _, ev := range a.events.named(EventDataChanged) {
			if ev.Data[0].(DataChanged).Reason == "sync" {
				return true
			}
		}
		return false
	})

	again, err := a.LoadDemoData()
	if err != nil || !again.AlreadyLoaded {
		t.Fatalf("second load = %+v, %v", again, err)
	}
	if p := a.search(UserQuery{}); p.Total != sum.Accounts {
		t.Errorf("after a second load: %d accounts, want %d", p.Total, sum.Accounts)
	}

	// The choice and the data survive a restart.
	a.Shutdown(context.Background())
	b := newTestApp(t, dir)
	if fr, err := b.FirstRunState(); err != nil || fr.NeedsSetup || !fr.DemoLoaded || fr.Mode != ModeEmbedded {
		t.Fatalf("after a restart = %+v, %v", fr, err)
	}
	if p := b.search(UserQuery{}); p.Total != sum.Accounts {
		t.Errorf("after a restart: %d accounts", p.Total)
	}
}

func TestSearchAndFilters(t *testing.T) {
	a := withDemo(t)
	all := a.search(UserQuery{}).Rows
	count := func(pred func(UserRow) bool) int {
		n := 0
		for _, r := range all {
			if pred(r) {
				n++
			}
		}
		return n
	}
	yes, no := true, false
	day := 24 * time.Hour
	loggedWithin := func(d time.Duration) func(UserRow) bool {
		return func(r UserRow) bool { return r.LastLoginAt != nil && !r.LastLoginAt.Before(t0.Add(-d)) }
	}
	for _, tc := range []struct {
		name string
		q    UserQuery
		want int
		pred func(UserRow) bool
	}{
		{"pending", UserQuery{Status: []string{"pending"}}, 6, func(r UserRow) bool { return r.Status == "pending" }},
		{"pending or denied", UserQuery{Status: []string{"pending", "denied"}}, 7, nil},
		{"ghosts", UserQuery{Ghost: true}, 2, func(r UserRow) bool { return r.Ghost }},
		{"staff", UserQuery{Kind: "staff", Status: []string{"active"}}, 8, nil},
		{"org admins", UserQuery{OrgAdmin: &yes}, 6, func(r UserRow) bool { return r.OrgAdmin }},
		{"not org admins", UserQuery{OrgAdmin: &no}, -1, func(r UserRow) bool { return !r.OrgAdmin }},
		{"user setup", UserQuery{Role: portal.RoleUserSetup}, 2, nil},
		{"an organisation", UserQuery{OrganizationID: "org_demo_dunmore"}, -1, func(r UserRow) bool { return r.OrganizationID == "org_demo_dunmore" }},
		{"within 7 days", UserQuery{LastLogin: LastLoginWithin7}, -1, loggedWithin(7 * day)},
		{"within 30 days", UserQuery{LastLogin: LastLoginWithin30}, -1, loggedWithin(30 * day)},
		{"within 90 days", UserQuery{LastLogin: LastLoginWithin90}, -1, loggedWithin(90 * day)},
		{"older than 90 days", UserQuery{LastLogin: LastLoginOlder90}, -1, func(r UserRow) bool { return r.LastLoginAt != nil && r.LastLoginAt.Before(t0.Add(-90*day)) }},
		{"never", UserQuery{LastLogin: LastLoginNever}, 13, func(r UserRow) bool { return r.LastLoginAt == nil }},
		{"search", UserQuery{Query: "garc"}, -1, func(r UserRow) bool {
			return strings.Contains(strings.ToLower(r.Name+" "+r.Email+" "+r.OrganizationName), "garc")
		}},
		{"search by organisation", UserQuery{Query: "eastgate", Kind: "client"}, -1, func(r UserRow) bool {
			return r.Kind == "client" && strings.Contains(strings.ToLower(r.Name+" "+r.Email+" "+r.OrganizationName), "eastgate")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := a.search(tc.q)
			want := tc.want
			if tc.pred != nil {
				if n := count(tc.pred); want >= 0 && n != want {
					t.Fatalf("the demo has %d such accounts, the test expects %d", n, want)
				} else {
					want = n
				}
			}
			if p.Total != want || len(p.Rows) != want {
				t.Fatalf("total %d, %d rows; want %d", p.Total, len(p.Rows), want)
			}
			for _, r := range p.Rows {
				if tc.pred != nil && !tc.pred(r) {
					t.Errorf("row %s (%s) does not match", r.Name, r.Email)
				}
			}
		})
	}
	if n := count(loggedWithin(90 * day)); n < 30 || n == count(loggedWithin(7*day)) {
		t.Errorf("last logins are not spread: %d in 90 days, %d in 7", n, count(loggedWithin(7*day)))
	}

	p := a.search(UserQuery{Sort: "lastLogin", Desc: true, LastLogin: LastLoginWithin90, Limit: 10, Offset: 5})
	if len(p.Rows) != 10 || !slices.IsSortedFunc(p.Rows, func(x, y UserRow) int { return y.LastLoginAt.Compare(*x.LastLoginAt) }) {
		t.Errorf("sorted by last login: %d rows, not in order", len(p.Rows))
	}
	ghosts, err := a.Ghosts()
	if err != nil || len(ghosts) != 2 || !ghosts[0].Ghost {
		t.Errorf("Ghosts() = %d rows, %v", len(ghosts), err)
	}

	_, err = a.SearchUsers(UserQuery{LastLogin: "yesterday"})
	wantCode(t, err, portal.EINVALID, "lastLogin")
	_, err = a.SearchUsers(UserQuery{Sort: "shoe size"})
	wantCode(t, err, portal.EINVALID, "sort")
	_, err = a.SearchUsers(UserQuery{Status: []string{"asleep"}})
	wantCode(t, err, portal.EINVALID, "status")
}

func TestApprovals(t *testing.T) {
	a := withDemo(t)
	a.manual()
	queue, err := a.PendingQueue()
	if err != nil || len(queue) != 6 {
		t.Fatalf("PendingQueue = %d, %v", len(queue), err)
	}
	for i, r := range queue {
		if r.Status != "pending" || r.Source == "" {
			t.Errorf("queue row %+v", r)
		}
		if i > 0 && r.AccessRequested && !queue[i-1].AccessRequested {
			t.Errorf("%s asked for access but comes after %s, who did not", r.Name, queue[i-1].Name)
		}
	}
	if !queue[0].AccessRequested || queue[len(queue)-1].AccessRequested {
		t.Errorf("those who asked for access are not first")
	}

	// Approve: pending at once, confirmed after the sync, with the audit history.
	first := queue[0]
	res, err := a.Approve(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.User == nil || res.User.Status != "active" || !res.User.Pending || res.Change.Command != "approve" || res.Change.ID == 0 {
		t.Fatalf("Approve result = %+v", res)
	}
	d, err := a.GetUser(first.ID)
	if err != nil || d.Server == nil || d.Server.Status != "pending" || len(d.Pending) != 1 {
		t.Fatalf("detail while pending: server %+v, pending %+v, %v", d.Server, d.Pending, err)
	}
	if st, _ := a.SyncStatus(); st.Pending != 1 {
		t.Errorf("status pending = %d", st.Pending)
	}
	a.syncNow()
	if u := a.user(first.ID); u.Pending || u.Status != "active" {
		t.Errorf("after sync: %+v", u)
	}
	if acc := a.serverAccount(first.ID); acc.Status != portal.StatusActive {
		t.Errorf("server has %s", acc.Status)
	}
	d, _ = a.GetUser(first.ID)
	if len(d.History) == 0 || d.History[0].Action != portal.ActionApprove || d.History[0].Before["status"] != "pending" || d.History[0].After["status"] != "active" {
		t.Errorf("history = %+v", d.History)
	}
	// The status bar went pending and back.
	sts := a.events.statuses()
	sawPending := slices.ContainsFunc(sts, func(s SyncStatus) bool { return s.Pending > 0 })
	if !sawPending || sts[len(sts)-1].Pending != 0 {
		t.Errorf("sync:status events did not show the change pending then sent: %+v", sts)
	}

	// Deny needs a reason; denied people go to the recycle bin; approve instead.
	_, err = a.Deny(queue[1].ID, "  ")
	wantCode(t, err, portal.EINVALID, "reason")
	if _, err := a.Deny(queue[1].ID, "Not one of our volunteers."); err != nil {
		t.Fatal(err)
	}
	bin, err := a.RecycleBin()
	if err != nil || len(bin) != 2 || bin[0].ID != queue[1].ID || bin[0].DenyReason != "Not one of our volunteers." {
		t.Fatalf("recycle bin = %+v, %v", bin, err)
	}
	// Who denied, in the audit log's words: Gatehouse itself, not its ID.
	for _, u := range bin {
		if u.DecidedBy == portal.SystemActor().ID && u.DecidedByName != "Gatehouse" {
			t.Errorf("%s was denied by %q", u.Name, u.DecidedByName)
		}
	}
	a.syncNow()
	if acc := a.serverAccount(queue[1].ID); acc.Status != portal.StatusDenied || acc.DenyReason == "" {
		t.Fatalf("denied on the server: %+v", acc)
	}
	if _, err := a.ApproveInstead(queue[1].ID); err != nil {
		t.Fatal(err)
	}
	zed := a.find("Zed Unknown")
	if _, err := a.Restore(zed.ID); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	for _, id := range []string{queue[1].ID, zed.ID} {
		if acc := a.serverAccount(id); acc.Status != portal.StatusActive {
			t.Errorf("%s on the server: %s", acc.Name, acc.Status)
		}
	}
	if bin, _ := a.RecycleBin(); len(bin) != 0 {
		t.Errorf("recycle bin after restoring: %+v", bin)
	}
	// Approving someone already active is refused at once, in the portal's words.
	_, err = a.Approve(queue[1].ID)
	wantCode(t, err, portal.ECONFLICT, "")

	// Purge: gone from the screens after the sync; the audit trail stays.
	if _, err := a.Deny(queue[2].ID, "Duplicate sign-up."); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	res, err = a.Purge(queue[2].ID)
	if err != nil || res.User != nil || res.Change.Command != "purge" {
		t.Fatalf("Purge = %+v, %v", res, err)
	}
	a.syncNow()
	_, err = a.GetUser(queue[2].ID)
	wantCode(t, err, portal.ENOTFOUND, "")
	log, err := a.AuditLog(AuditQuery{EntityType: "account", EntityID: queue[2].ID})
	if err != nil || log.Total == 0 || log.Rows[0].Action != portal.ActionPurge || log.Rows[0].Before == nil {
		t.Fatalf("audit of the purged account = %+v, %v", log, err)
	}

	// Bulk approve and deny report per person.
	rest, _ := a.PendingQueue()
	ids := []string{rest[0].ID, rest[1].ID, first.ID}
	br, err := a.ApproveMany(ids)
	if err != nil || br.Queued != 2 || br.Refused != 1 || len(br.Items) != 3 || br.Items[2].OK || br.Items[2].Code != portal.ECONFLICT || br.Items[2].ID != first.ID {
		t.Fatalf("ApproveMany = %+v, %v", br, err)
	}
	_, err = a.DenyMany(nil, "x")
	wantCode(t, err, portal.EINVALID, "ids")
	a.syncNow()
	if left, _ := a.PendingQueue(); len(left) != 1 {
		t.Errorf("%d left in the queue", len(left))
	}
}

func TestPromoteOrganisationsAndRoles(t *testing.T) {
	a := withDemo(t)
	a.manual()
	_, err := a.FindClientByEmail("not an address")
	wantCode(t, err, portal.EINVALID, "email")
	_, err = a.FindClientByEmail("nobody@example.org")
	wantCode(t, err, portal.ENOTFOUND, "email")

	ghost := a.search(UserQuery{Ghost: true}).Rows[0]
	cs, err := a.FindClientByEmail(strings.ToUpper(ghost.Email))
	if err != nil || len(cs) != 1 || cs[0].Promotable || !strings.Contains(cs[0].Blocker, "ghost") {
		t.Fatalf("ghost candidate = %+v, %v", cs, err)
	}
	var client UserRow
	for _, r := range a.search(UserQuery{Kind: "client", Status: []string{"active"}, OrganizationID: "org_demo_eastgate"}).Rows {
		if !r.Ghost {
			client = r
			break
		}
	}
	cs, err = a.FindClientByEmail(client.Email)
	if err != nil || len(cs) != 1 || !cs[0].Promotable || cs[0].Blocker != "" || cs[0].Contact == nil || cs[0].User.OrganizationName != "Eastgate Food Bank" {
		t.Fatalf("candidate = %+v, %v", cs, err)
	}

	cat, err := a.Roles()
	if err != nil {
		t.Fatal(err)
	}
	var cores []string
	for _, r := range cat.Core {
		cores = append(cores, r.ID)
	}
	orgRoles := cat.ByOrganization["org_demo_eastgate"]
	if !slices.Contains(cores, portal.RoleAdministrator) || !slices.Contains(cores, portal.RoleVolunteer) || len(cat.Additional) == 0 || len(orgRoles) != 2 {
		t.Fatalf("roles = %+v", cat)
	}

	// An organisation role of another organisation is refused at once.
	_, err = a.Promote(client.ID, portal.RoleVolunteer, []string{cat.ByOrganization["org_demo_ashby"][0].ID}, false)
	wantCode(t, err, portal.EINVALID, "additionalRoles")
	_, err = a.Promote(client.ID, "", nil, false)
	wantCode(t, err, portal.EINVALID, "coreRole")
	res, err := a.Promote(client.ID, portal.RoleVolunteer, []string{portal.RoleReports, orgRoles[0].ID}, true)
	if err != nil || res.User == nil || res.User.Kind != "staff" || !res.User.Pending {
		t.Fatalf("Promote = %+v, %v", res, err)
	}
	if _, err := a.SetOrgAdmin(client.ID, true); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	acc := a.serverAccount(client.ID)
	if acc.Kind != portal.KindStaff || acc.CoreRole != portal.RoleVolunteer || !slices.Equal(acc.AdditionalRoles, []string{portal.RoleReports, orgRoles[0].ID}) || acc.ClientRecord || !acc.OrgAdmin {
		t.Fatalf("promoted on the server: %+v", acc)
	}

	// The organisation page and list show the new administrator.
	prof, err := a.Organisation("org_demo_eastgate")
	if err != nil {
		t.Fatal(err)
	}
	o := prof.Organization
	if o.Phone == "" || o.ActualAddress.Line1 == "" || o.LegalAddress.Line1 == "" || o.ShippingAddress.Line1 == "" || len(prof.Roles) != 2 {
		t.Fatalf("profile = %+v", prof)
	}
	if !prof.Users[0].OrgAdmin || !slices.ContainsFunc(prof.Users, func(u UserRow) bool { return u.ID == client.ID && u.OrgAdmin }) {
		t.Errorf("administrators are not listed first or the new one is missing")
	}
	orgs, err := a.Organisations(OrgQuery{Query: "food"})
	if err != nil || orgs.Total != 1 || orgs.Rows[0].ID != "org_demo_eastgate" || orgs.Rows[0].Users != len(prof.Users) || orgs.Rows[0].Admins != 1 {
		t.Fatalf("Organisations = %+v, %v", orgs, err)
	}
	if all, _ := a.Organisations(OrgQuery{Type: "council"}); all.Total != 3 {
		t.Errorf("%d councils", all.Total)
	}
	if _, err := a.SetOrgAdmin(client.ID, false); err != nil {
		t.Fatal(err)
	}

	// Edit the profile: a bad phone is refused with its field, a stale copy with a
	// conflict, a good edit goes to the server.
	bad := o
	bad.Phone = "call the office"
	_, err = a.UpdateOrganisation(bad)
	wantCode(t, err, portal.EINVALID, "phone")
	edit := o
	edit.Phone = "+1 (503) 555-0199"
	edit.ShippingAddress.Line1 = "Warehouse 4, 47 NE Columbia Blvd"
	or, err := a.UpdateOrganisation(edit)
	if err != nil || or.Organization.Phone != edit.Phone || or.Change.EntityID != o.ID {
		t.Fatalf("UpdateOrganisation = %+v, %v", or, err)
	}
	if rows, _ := a.Organisations(OrgQuery{Query: "eastgate"}); !rows.Rows[0].Pending {
		t.Errorf("the organisation's change is not shown as pending")
	}
	a.syncNow()
	srvOrg, err := a.other().Organization(context.Background(), o.ID)
	if err != nil || srvOrg.Phone != edit.Phone || srvOrg.ShippingAddress.Line1 != edit.ShippingAddress.Line1 {
		t.Fatalf("organisation on the server: %+v, %v", srvOrg, err)
	}
	_, err = a.UpdateOrganisation(o) // the copy loaded before the edit
	wantCode(t, err, portal.ECONFLICT, "")

	// Completing a ghost's registration makes it promotable.
	if _, err := a.CompleteRegistration(ghost.ID); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	if cs, _ := a.FindClientByEmail(ghost.Email); !cs[0].Promotable {
		t.Errorf("still not promotable: %s", cs[0].Blocker)
	}
	if gs, _ := a.Ghosts(); len(gs) != 1 {
		t.Errorf("%d ghosts left", len(gs))
	}

	log, err := a.AuditLog(AuditQuery{Action: portal.ActionPromote})
	if err != nil || log.Total < 9 || log.Rows[0].EntityID != client.ID || log.Rows[0].After["kind"] != "staff" {
		t.Errorf("audit of promotions: total %d, %v", log.Total, err)
	}
	from, to := t0, t0.Add(-time.Hour)
	_, err = a.AuditLog(AuditQuery{From: &from, To: &to})
	wantCode(t, err, portal.EINVALID, "to")
	if !slices.Contains(a.AuditActions(), portal.ActionApproveInstead) {
		t.Error("AuditActions lacks approve instead")
	}
}

func TestDeactivateReactivateAndBulk(t *testing.T) {
	a := withDemo(t)
	a.manual()
	clients := a.search(UserQuery{Kind: "client", Status: []string{"active"}, Sort: "email"}).Rows[:3]
	one := clients[0]
	res, err := a.DeactivateUser(one.ID)
	if err != nil || res.User.Status != "deactivated" || !res.User.Pending {
		t.Fatalf("DeactivateUser = %+v, %v", res, err)
	}
	if p := a.search(UserQuery{PendingOnly: true}); p.Total != 1 || p.Rows[0].ID != one.ID {
		t.Errorf("pending-only filter = %+v", p.Rows)
	}
	a.syncNow()
	if acc := a.serverAccount(one.ID); acc.Status != portal.StatusDeactivated {
		t.Fatalf("server: %s", acc.Status)
	}
	if _, err := a.ReactivateUser(one.ID); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	if acc := a.serverAccount(one.ID); acc.Status != portal.StatusActive {
		t.Fatalf("server after reactivate: %s", acc.Status)
	}

	// Bulk: the selection may hold people the action does not fit; each gets its answer.
	pending := a.search(UserQuery{Status: []string{"pending"}}).Rows[0]
	ids := []string{clients[0].ID, clients[1].ID, pending.ID, clients[2].ID, clients[1].ID}
	br, err := a.DeactivateUsers(ids)
	if err != nil {
		t.Fatal(err)
	}
	if br.Queued != 3 || br.Refused != 1 || len(br.Items) != 4 {
		t.Fatalf("DeactivateUsers = %+v", br)
	}
	for _, it := range br.Items {
		if (it.ID == pending.ID) == it.OK {
			t.Errorf("item %+v", it)
		}
		if it.ID == pending.ID && (it.Code != portal.ECONFLICT || !strings.Contains(it.Message, "pending")) {
			t.Errorf("refusal = %+v", it)
		}
	}
	a.syncNow()
	for _, c := range clients {
		if acc := a.serverAccount(c.ID); acc.Status != portal.StatusDeactivated {
			t.Errorf("%s: %s", c.Name, acc.Status)
		}
	}
	br, err = a.ReactivateUsers([]string{clients[0].ID, clients[1].ID, clients[2].ID})
	if err != nil || br.Queued != 3 {
		t.Fatalf("ReactivateUsers = %+v, %v", br, err)
	}

	staff := a.search(UserQuery{Kind: "staff", Role: portal.RoleStaff}).Rows
	var staffIDs []string
	for _, s := range staff {
		staffIDs = append(staffIDs, s.ID)
	}
	br, err = a.SetUsersRoles(append(staffIDs, clients[0].ID), portal.RoleStaff, []string{portal.RoleReports})
	if err != nil || br.Queued != len(staff) || br.Refused != 1 || br.Items[len(br.Items)-1].Code != portal.EINVALID {
		t.Fatalf("SetUsersRoles = %+v, %v", br, err)
	}
	a.syncNow()
	for _, s := range staff {
		if acc := a.serverAccount(s.ID); !slices.Equal(acc.AdditionalRoles, []string{portal.RoleReports}) || acc.CoreRole != portal.RoleStaff {
			t.Errorf("%s roles on the server: %s %v", s.Name, acc.CoreRole, acc.AdditionalRoles)
		}
	}

	// Resend: a pending and an expired invitation get new links; someone never invited
	// is left out with the reason.
	invited := a.search(UserQuery{Status: []string{"invited"}, Sort: "email"}).Rows
	var pendingInv, expiredInv UserRow
	for _, u := range invited {
		d, _ := a.GetUser(u.ID)
		switch d.Invitations[0].Status {
		case "pending":
			pendingInv = u
		case "expired":
			expiredInv = u
		}
	}
	if pendingInv.ID == "" || expiredInv.ID == "" {
		t.Fatalf("the demo lacks a pending or an expired invitation: %+v", invited)
	}
	br, err = a.ResendInvitations([]string{pendingInv.ID, clients[0].ID, expiredInv.ID})
	if err != nil || br.Queued != 2 || br.Refused != 1 || br.Items[1].OK || !strings.Contains(br.Items[1].Message, "never been invited") {
		t.Fatalf("ResendInvitations = %+v, %v", br, err)
	}
	a.syncNow()
	for _, u := range []UserRow{pendingInv, expiredInv} {
		d, err := a.GetUser(u.ID)
		if err != nil || len(d.Invitations) != 2 || d.Invitations[0].Status != "pending" || !d.Invitations[0].ExpiresAt.After(t0) {
			t.Errorf("%s invitations after resend: %+v, %v", u.Name, d.Invitations, err)
		}
	}
}

// A second administrator changes a record the App is changing too: the App's change is
// refused by the server and shown with both versions; the administrator keeps theirs or
// applies mine again.
func TestConflictsResolvedBothWays(t *testing.T) {
	a := withDemo(t)
	a.manual()
	ctx := context.Background()
	other := a.other()

	// Theirs: they deny while I approve.
	p := a.find("Lucia Romano")
	if _, err := other.Deny(ctx, p.ID, "Not on the volunteer rota.", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Approve(p.ID); err != nil {
		t.Fatal(err)
	}
	st := a.syncNow()
	if st.Conflicts != 1 || st.Pending != 1 {
		t.Fatalf("status after the refused change = %+v", st)
	}
	cs, err := a.Conflicts()
	if err != nil || len(cs) != 1 {
		t.Fatalf("Conflicts = %+v, %v", cs, err)
	}
	c := cs[0]
	if c.Mine.Account == nil || c.Mine.Account.Status != portal.StatusActive || c.Theirs.Account == nil ||
		c.Theirs.Account.Status != portal.StatusDenied || !strings.Contains(c.Description, "Lucia Romano") || c.Message == "" {
		t.Fatalf("conflict = %+v", c)
	}
	if u := a.user(p.ID); !u.Conflict || u.Status != "denied" {
		t.Errorf("row while in conflict: %+v", u)
	}
	_, err = a.ResolveConflict(c.ID, "both")
	wantCode(t, err, portal.EINVALID, "choice")
	// Approving a denied person makes no sense: the conflict stays.
	_, err = a.ResolveConflict(c.ID, KeepMine)
	wantCode(t, err, portal.ECONFLICT, "")
	if cs, _ := a.Conflicts(); len(cs) != 1 {
		t.Fatal("the conflict went away after a refused resolution")
	}
	st, err = a.ResolveConflict(c.ID, KeepTheirs)
	if err != nil || st.Conflicts != 0 || st.Pending != 0 {
		t.Fatalf("keep theirs = %+v, %v", st, err)
	}
	if u := a.user(p.ID); u.Conflict || u.Status != "denied" {
		t.Errorf("row after keeping theirs: %+v", u)
	}

	// Mine: they make someone an organisation administrator while I change the roles.
	s := a.find("Casey Nguyen")
	if _, err := other.SetOrgAdmin(ctx, s.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetUserRoles(s.ID, portal.RoleStaff, []string{portal.RoleUserSetup}); err != nil {
		t.Fatal(err)
	}
	if st := a.syncNow(); st.Conflicts != 1 {
		t.Fatalf("status = %+v", st)
	}
	cs, _ = a.Conflicts()
	if len(cs) != 1 || cs[0].Payload["coreRole"] != portal.RoleStaff {
		t.Fatalf("conflict = %+v", cs)
	}
	if _, err := a.ResolveConflict(cs[0].ID, KeepMine); err != nil {
		t.Fatal(err)
	}
	if st := a.syncNow(); st.Conflicts != 0 || st.Pending != 0 {
		t.Fatalf("status after applying mine = %+v", st)
	}
	acc := a.serverAccount(s.ID)
	if !acc.OrgAdmin || !slices.Equal(acc.AdditionalRoles, []string{portal.RoleUserSetup}) {
		t.Fatalf("server has %+v; want their org admin and my roles", acc)
	}
	if sts := a.events.statuses(); !slices.ContainsFunc(sts, func(s SyncStatus) bool { return s.Conflicts == 1 }) {
		t.Error("no sync:status event showed the conflict")
	}
}

// Without SyncNow, the running engine sends a change on its own and the window hears it.
func TestBackgroundSyncSendsAndTells(t *testing.T) {
	a := withDemo(t)
	p := a.find("Oscar Bell")
	if _, err := a.Approve(p.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the approval to reach the server", func() bool {
		acc, err := a.other().Account(context.Background(), p.ID)
		return err == nil && acc.Status == portal.StatusActive
	})
	waitFor(t, "the change to be confirmed locally", func() bool { u := a.user(p.ID); return !u.Pending && u.Status == "active" })
	waitFor(t, "a data:changed event for the local change", func() bool {
		for _, ev := range a.events.named(EventDataChanged) {
			if ev.Data[0].(DataChanged).Reason == "local" {
				return true
			}
		}
		return false
	})
	// Someone else's change arrives with the next pull.
	q := a.find("Wen Li")
	if _, err := a.other().Approve(context.Background(), q.ID, nil); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	if u := a.user(q.ID); u.Status != "active" {
		t.Errorf("someone else's approval did not arrive: %+v", u)
	}
}

func TestConnectServer(t *testing.T) {
	dir := t.TempDir()
	a := newTestApp(t, dir)
	_, err := a.ConnectServer("portal dot example")
	wantCode(t, err, portal.EINVALID, "url")
	_, err = a.ConnectServer("ftp://portal.example.org")
	wantCode(t, err, portal.EINVALID, "url")
	// An address where no portal answers changes nothing.
	_, err = a.ConnectServer("http://127.0.0.1:1")
	wantCode(t, err, portal.EINVALID, "url")
	if st, _ := a.SyncStatus(); st.Mode != ModeEmbedded || !strings.Contains(portal.ErrorMessage(err), "stays as it was") {
		t.Fatalf("after a server that does not answer: %+v, %v", st, err)
	}

	// A change not yet on the local portal keeps Gatehouse from switching.
	if _, err := a.LoadDemoData(); err != nil {
		t.Fatal(err)
	}
	a.manual()
	if _, err := a.Approve(a.find("Oscar Bell").ID); err != nil {
		t.Fatal(err)
	}
	remote := servertest.Start(t, server.Config{}).URL
	_, err = a.ConnectServer(remote)
	wantCode(t, err, portal.ECONFLICT, "")
	a.syncNow()

	fr, err := a.ConnectServer(remote + "/")
	if err != nil || fr.Mode != ModeRemote || fr.ServerURL != remote || fr.NeedsSetup {
		t.Fatalf("ConnectServer = %+v, %v", fr, err)
	}
	// Not signed in yet: the status says so; demo data is refused.
	waitFor(t, "the remote server to ask for a sign-in", func() bool {
		st, _ := a.SyncStatus()
		return st.Mode == ModeRemote && st.ServerURL == remote && strings.Contains(st.LastError, "Sign in")
	})
	_, err = a.LoadDemoData()
	wantCode(t, err, portal.ECONFLICT, "")
	if _, err := os.Stat(filepath.Join(dir, "portal.db")); err != nil {
		t.Errorf("the local portal's database is gone: %v", err)
	}

	// The choice is kept across restarts, and the local portal can be chosen again.
	a.Shutdown(context.Background())
	b := newTestApp(t, dir)
	if st, _ := b.SyncStatus(); st.Mode != ModeRemote || st.ServerURL != remote {
		t.Fatalf("after restart: %+v", st)
	}
	if fr, err := b.UseEmbedded(); err != nil || fr.Mode != ModeEmbedded {
		t.Fatalf("UseEmbedded = %+v, %v", fr, err)
	}
	waitFor(t, "the local portal to sync", func() bool {
		st, _ := b.SyncStatus()
		return st.Mode == ModeEmbedded && st.LastError == "" && st.Online && st.LastSyncAt != nil
	})
	if p := b.search(UserQuery{Query: "Oscar Bell"}); p.Total != 1 || p.Rows[0].Status != "active" {
		t.Errorf("local portal data after switching back: %+v", p.Rows)
	}
}

func TestPortalThatCannotStart(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-folder")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rt := NewHeadlessRuntime()
	ev := &eventLog{}
	rt.Subscribe(ev.add)
	a := New(Config{DatabasePath: filepath.Join(dir, "gatehouse.db"), PortalDatabasePath: filepath.Join(blocker, "portal.db"), Logger: quietLog()}, rt)
	a.Startup(context.Background())
	defer a.Shutdown(context.Background())
	st, err := a.SyncStatus()
	if err != nil || st.Mode != "" || !strings.Contains(st.LastError, "portal database") {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if sts := ev.statuses(); len(sts) == 0 || sts[0].LastError == "" {
		t.Errorf("the failure was not sent to the window: %+v", sts)
	}
	_, err = a.Approve("acc_x")
	wantCode(t, err, portal.EINTERNAL, "")
	if !strings.Contains(payloadOf(err).Message, "portal database") {
		t.Errorf("message = %q", payloadOf(err).Message)
	}
	// Reading the local copy still works.
	if _, err := a.SearchUsers(UserQuery{}); err != nil {
		t.Errorf("SearchUsers: %v", err)
	}
}

// errorPayload is what an error shows the frontend; app.ErrorFormatter sends the same.
type errorPayload struct{ Code, Message, Field string }

func payloadOf(err error) errorPayload {
	return errorPayload{Code: portal.ErrorCode(err), Message: portal.ErrorMessage(err), Field: portal.ErrorField(err)}
}
