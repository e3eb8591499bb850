package replica_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

func TestInitialAndIncrementalSync(t *testing.T) {
	p := newPortal(t)
	p.seed(standardSeed())
	d := newDesk(t, p)

	if err := d.eng.Sync(d.ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	sameAsServer(t, p, d.db)
	st := d.eng.Status()
	if !st.Online || st.LastSyncAt == nil || st.LastError != "" || st.Pending != 0 {
		t.Fatalf("status after the first sync: %+v", st)
	}
	state, err := d.db.GetSyncState(d.ctx, replica.Stream)
	if err != nil || !strings.HasSuffix(state.Cursor, ":"+itoa(p.head())) {
		t.Fatalf("cursor %q (%v), server head %d", state.Cursor, err, p.head())
	}

	// Caught up: one request, nothing applied.
	if res := d.pull(); res.Changes != 0 || res.Pages != 1 {
		t.Fatalf("second pull with nothing new: %+v", res)
	}

	// Another administrator works on the server.
	other := p.client()
	before := p.head()
	if _, err := other.Approve(d.ctx, "acc_pending0", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Deny(d.ctx, "acc_pending1", "not one of ours", nil); err != nil {
		t.Fatal(err)
	}
	o, err := other.Organization(d.ctx, "org_b")
	if err != nil {
		t.Fatal(err)
	}
	o.Phone = "+44 1473 555000"
	if _, err := other.UpdateOrganization(d.ctx, o.ID, o, &client.Cmd{IfMatch: o.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.CreateContact(d.ctx, portal.Contact{ID: "con_new", OrganizationID: "org_b", FullName: "Nora New", Email: "nora@example.org"}, nil); err != nil {
		t.Fatal(err)
	}
	res := d.pull()
	if want := int(p.head() - before); res.Changes != want {
		t.Fatalf("incremental pull applied %d changes, the server made %d", res.Changes, want)
	}
	sameAsServer(t, p, d.db)
	if a := d.account("acc_pending1"); a.Status != portal.StatusDenied || a.DenyReason != "not one of ours" {
		t.Fatalf("denied account in the cache: %+v", a)
	}
}

// A page is applied whole or not at all: here the fourth page holds a record this
// Gatehouse cannot store, so the pull stops with the cache at the end of the third page.
// A first download leaves the cache's indexes to a background build; the status says so
// while it runs and stops saying so when the build has finished.
func TestStatusTellsOfTheIndexBuild(t *testing.T) {
	p := newPortal(t)
	p.seed(standardSeed())
	d := newDesk(t, p)
	var mu sync.Mutex
	var seen []bool
	done := make(chan struct{})
	unsubscribe := d.eng.Subscribe(func(st replica.Status) {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || seen[len(seen)-1] != st.Indexing {
			seen = append(seen, st.Indexing)
			if !st.Indexing && len(seen) > 1 {
				close(done)
			}
		}
	})
	defer unsubscribe()
	res := d.pull()
	if !res.IndexesPending {
		t.Fatalf("a first download left no indexes to build: %+v", res)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the status never said the index build had finished")
	}
	mu.Lock()
	if want := []bool{true, false}; !slices.Equal(seen, want) {
		t.Errorf("Indexing went %v, want %v", seen, want)
	}
	mu.Unlock()
	if pending, err := d.db.BulkLoadPending(d.ctx); err != nil || pending {
		t.Errorf("after the status said done: pending %v, %v", pending, err)
	}
	if d.eng.Status().Indexing {
		t.Error("Status().Indexing is still true")
	}
	// An incremental pull has nothing to build.
	if _, err := p.client().Approve(d.ctx, "acc_pending0", nil); err != nil {
		t.Fatal(err)
	}
	if res := d.pull(); res.IndexesPending || d.eng.Status().Indexing {
		t.Errorf("an incremental pull: %+v, indexing %v", res, d.eng.Status().Indexing)
	}
}

func TestPageIsAllOrNothing(t *testing.T) {
	p := newPortal(t)
	var as []portal.Account
	for i := range 30 {
		as = append(as, person(fmt.Sprintf("acc_p%02d", i), fmt.Sprintf("Paged Person %d", i), portal.StatusPending, portal.KindStaff, ""))
	}
	as[17].Status = "archived" // from a newer server, say
	p.seed(seed{accounts: as})
	d := newDesk(t, p, func(c *replica.Config) { c.PageSize = 5 })
	_, err := d.eng.Pull(d.ctx)
	if err == nil || !strings.Contains(err.Error(), "acc_p17") || !strings.Contains(err.Error(), "update Gatehouse") {
		t.Fatalf("pull over an unreadable record: %v", err)
	}
	atPageBoundary(t, p, d.db, "after the failed page")
	n, _ := d.db.CountAccounts(d.ctx)
	if n.Total != 15 {
		t.Fatalf("the cache holds %d accounts; the pages before the bad one hold 15", n.Total)
	}
	// The cursor did not move past the failed page: the next pull stops at the same record.
	if _, err := d.eng.Pull(d.ctx); err == nil || !strings.Contains(err.Error(), "acc_p17") {
		t.Fatalf("second pull: %v", err)
	}
}

// A record the server wrote in a form this Gatehouse cannot decode stops the pull at the
// page before it, and is reported as what it is: the server answered (still online), the
// data is unreadable, and the message names the record.
func TestUndecodableRecordIsNotOffline(t *testing.T) {
	p := newPortal(t)
	var as []portal.Account
	for i := range 12 {
		as = append(as, person(fmt.Sprintf("acc_u%02d", i), fmt.Sprintf("Undecodable %d", i), portal.StatusPending, portal.KindStaff, ""))
	}
	p.seed(seed{accounts: as})
	raw, err := sql.Open("sqlite", "file:"+p.dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// A version that is not a number: from a newer server, or damage.
	if res, err := raw.Exec(`UPDATE changes SET data = json_set(data, '$.version', 'seven') WHERE entity = 'account' AND entity_id = 'acc_u07'`); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("damaged %d feed entries", n)
	}
	d := newDesk(t, p, func(c *replica.Config) { c.PageSize = 4 })
	err = d.eng.Sync(d.ctx)
	if err == nil || !strings.Contains(err.Error(), "acc_u07") || !strings.Contains(err.Error(), "update Gatehouse") {
		t.Fatalf("sync over an undecodable record: %v", err)
	}
	st := d.eng.Status()
	if !st.Online || strings.Contains(st.LastError, "cannot reach") {
		t.Errorf("an undecodable record shows as %+v", st)
	}
	atPageBoundary(t, p, d.db, "after the undecodable record")
	if _, err := d.db.GetAccount(d.ctx, "acc_u07"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("the undecodable account is in the cache: %v", err)
	}
}

func TestTombstones(t *testing.T) {
	p := newPortal(t)
	p.seed(standardSeed())
	d := newDesk(t, p)
	d.pull()

	other := p.client()
	if _, err := other.Deny(d.ctx, "acc_pending2", "spam sign-up", nil); err != nil {
		t.Fatal(err)
	}
	if err := other.Purge(d.ctx, "acc_pending2", nil); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteContact(d.ctx, "con_2", nil); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteRole(d.ctx, "org_a_clerk", nil); err != nil {
		t.Fatal(err)
	}
	d.pull()
	if _, err := d.db.GetAccount(d.ctx, "acc_pending2"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("purged account still in the cache: %v", err)
	}
	if _, err := d.db.GetContact(d.ctx, "con_2"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("deleted contact still in the cache: %v", err)
	}
	rs, _ := d.db.ListRoles(d.ctx, "")
	if slices.ContainsFunc(rs, func(r portal.Role) bool { return r.ID == "org_a_clerk" }) {
		t.Fatal("deleted role still in the cache")
	}
	// The audit trail keeps the purge.
	evs, err := d.db.ListAuditEvents(d.ctx, cache.AuditFilter{EntityID: "acc_pending2", Action: portal.ActionPurge})
	if err != nil || evs.Total != 1 {
		t.Fatalf("purge in the cached audit log: %d, %v", evs.Total, err)
	}
	sameAsServer(t, p, d.db)
}

func TestOfflineQueueIsSentOnceWhenOnline(t *testing.T) {
	p, d := syncedDesk(t)

	p.stop()
	ctx := d.ctx
	if _, err := d.cmds.Approve(ctx, "acc_pending0"); err != nil {
		t.Fatalf("approve offline: %v", err)
	}
	if _, err := d.cmds.Deny(ctx, "acc_pending1", "not staff"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cmds.SetRoles(ctx, "acc_staff0", portal.RoleStaff, []string{portal.RoleReports}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cmds.Deactivate(ctx, "acc_staff1"); err != nil {
		t.Fatal(err)
	}
	// Shown at once, before the server has anything.
	if a := d.account("acc_pending0"); a.Status != portal.StatusActive {
		t.Fatalf("approved account shows %s", a.Status)
	}
	if a := d.account("acc_staff1"); a.Status != portal.StatusDeactivated {
		t.Fatalf("deactivated account shows %s", a.Status)
	}
	if err := d.eng.Sync(ctx); err == nil {
		t.Fatal("sync with the server down worked")
	}
	st := d.eng.Status()
	if st.Online || st.Pending != 4 || !strings.Contains(st.LastError, "cannot reach the portal server") {
		t.Fatalf("status while offline: %+v", st)
	}
	if a := d.account("acc_pending0"); a.Status != portal.StatusActive {
		t.Fatalf("after a failed send the approved account shows %s", a.Status)
	}
	pending, err := d.eng.Pending(ctx)
	if err != nil || len(pending) != 4 {
		t.Fatalf("pending list: %+v %v", pending, err)
	}
	var descs []string
	for _, c := range pending {
		descs = append(descs, c.Description)
	}
	if want := []string{"Approve Pending Person 0", "Deny Pending Person 1", "Change the roles of Staff Member 0", "Deactivate Staff Member 1"}; !slices.Equal(descs, want) {
		t.Fatalf("pending descriptions %q, want %q", descs, want)
	}
	if !strings.Contains(pending[0].Message, "cannot reach the portal server") || pending[0].NextAttemptAt == nil {
		t.Fatalf("the first change after a failed send: %+v", pending[0])
	}

	p.start()
	d.cl.SetToken(p.token) // the embedded portal makes a new token at every start
	d.clock.Advance(time.Minute)
	if err := d.eng.Sync(ctx); err != nil {
		t.Fatalf("sync after the server came back: %v", err)
	}
	st = d.eng.Status()
	if !st.Online || st.Pending != 0 || st.LastError != "" {
		t.Fatalf("status after coming back: %+v", st)
	}
	for _, c := range []struct{ id, action string }{
		{"acc_pending0", portal.ActionApprove}, {"acc_pending1", portal.ActionDeny},
		{"acc_staff0", portal.ActionSetRoles}, {"acc_staff1", portal.ActionDeactivate},
	} {
		if n := p.auditCount(c.id, c.action); n != 1 {
			t.Errorf("%s %s applied %d times", c.action, c.id, n)
		}
	}
	if a := p.account("acc_staff0"); !slices.Equal(a.AdditionalRoles, []string{portal.RoleReports}) {
		t.Fatalf("roles on the server: %v", a.AdditionalRoles)
	}
	sameAsServer(t, p, d.db)
	// Nothing is sent twice.
	if res := d.push(); res.Sent != 0 {
		t.Fatalf("second push sent %d", res.Sent)
	}
}

func TestConflictKeepTheirs(t *testing.T) {
	p, d := syncedDesk(t)
	if _, err := d.cmds.Approve(d.ctx, "acc_pending0"); err != nil {
		t.Fatal(err)
	}
	// Another approver decides first.
	if _, err := p.client().Deny(d.ctx, "acc_pending0", "duplicate of another account", nil); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Conflicts != 1 || res.Sent != 0 {
		t.Fatalf("push: %+v", res)
	}
	cs, err := d.eng.Conflicts(d.ctx)
	if err != nil || len(cs) != 1 {
		t.Fatalf("conflicts: %v, %v", cs, err)
	}
	c := cs[0]
	if c.Mine.Account == nil || c.Mine.Account.Status != portal.StatusActive ||
		c.Theirs.Account == nil || c.Theirs.Account.Status != portal.StatusDenied || c.Theirs.Account.DenyReason != "duplicate of another account" {
		t.Fatalf("both versions: mine %+v theirs %+v", c.Mine, c.Theirs)
	}
	if c.Theirs.Version <= c.Mine.Version || c.Message == "" || !strings.Contains(c.Description, "Pending Person 0") {
		t.Fatalf("conflict: %+v", c)
	}
	if st := d.eng.Status(); st.Conflicts != 1 || st.Pending != 1 {
		t.Fatalf("status: %+v", st)
	}
	// Not silently overwritten: the screen shows the server's decision and marks the row.
	rows, err := d.db.ListAccounts(d.ctx, cache.AccountFilter{Query: "Pending Person 0"})
	if err != nil || len(rows.Rows) != 1 || !rows.Rows[0].Conflict || rows.Rows[0].Status != portal.StatusDenied {
		t.Fatalf("row: %+v %v", rows.Rows, err)
	}
	// "Apply mine again" makes no sense now: approve is for pending people.
	if _, err := d.eng.ApplyMineAgain(d.ctx, c.ID); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), "approve instead") {
		t.Fatalf("apply mine again on a denied account: %v", err)
	}
	if err := d.eng.KeepTheirs(d.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if cs, _ := d.eng.Conflicts(d.ctx); len(cs) != 0 {
		t.Fatalf("conflict left after keep theirs: %+v", cs)
	}
	if n := p.auditCount("acc_pending0", portal.ActionApprove); n != 0 {
		t.Fatalf("the approve reached the server %d times", n)
	}
	d.pull()
	sameAsServer(t, p, d.db)
	if st := d.eng.Status(); st.Conflicts != 0 || st.Pending != 0 {
		t.Fatalf("status: %+v", st)
	}
}

func TestConflictApplyMineAgain(t *testing.T) {
	p, d := syncedDesk(t)
	if _, err := d.cmds.SetRoles(d.ctx, "acc_staff0", portal.RoleStaff, []string{portal.RoleReports, "org_a_clerk"}); err != nil {
		t.Fatal(err)
	}
	o, _ := d.db.GetOrganization(d.ctx, "org_a")
	o.Phone = "+44 20 7946 0001"
	if _, err := d.cmds.UpdateOrganization(d.ctx, o); err != nil {
		t.Fatal(err)
	}
	other := p.client()
	if _, err := other.SetOrgAdmin(d.ctx, "acc_staff0", true, nil); err != nil {
		t.Fatal(err)
	}
	theirOrg, _ := other.Organization(d.ctx, "org_a")
	theirOrg.Name = "Ashby and District Council"
	if _, err := other.UpdateOrganization(d.ctx, "org_a", theirOrg, nil); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Conflicts != 2 {
		t.Fatalf("push: %+v", res)
	}
	cs, _ := d.eng.Conflicts(d.ctx)
	for _, c := range cs {
		if _, err := d.eng.ApplyMineAgain(d.ctx, c.ID); err != nil {
			t.Fatalf("apply mine again (%s): %v", c.Description, err)
		}
	}
	// Mine on top of theirs, shown at once.
	if a := d.account("acc_staff0"); !a.OrgAdmin || !slices.Equal(a.AdditionalRoles, []string{portal.RoleReports, "org_a_clerk"}) {
		t.Fatalf("preview after apply mine again: %+v", a)
	}
	if res := d.push(); res.Sent != 2 {
		t.Fatalf("push after resolving: %+v", res)
	}
	a := p.account("acc_staff0")
	if !a.OrgAdmin || !slices.Equal(a.AdditionalRoles, []string{portal.RoleReports, "org_a_clerk"}) {
		t.Fatalf("server has %+v", a)
	}
	org, _ := other.Organization(d.ctx, "org_a")
	if org.Name != "Ashby and District Council" || org.Phone != "+44 20 7946 0001" {
		t.Fatalf("organisation on the server: name %q phone %q", org.Name, org.Phone)
	}
	if n := p.auditCount("acc_staff0", portal.ActionSetRoles); n != 1 {
		t.Fatalf("set roles applied %d times", n)
	}
	d.pull()
	sameAsServer(t, p, d.db)
}

// The server refuses with 409 when the record is unchanged but someone else's decision
// elsewhere makes the change impossible: here the other administrator was deactivated
// first, so this one is the last.
func TestConflictFromTheServersRules(t *testing.T) {
	p, d := syncedDesk(t)
	if _, err := d.cmds.Deactivate(d.ctx, "acc_admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.client().Deactivate(d.ctx, "acc_admin2", nil); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Conflicts != 1 {
		t.Fatalf("push: %+v", res)
	}
	cs, _ := d.eng.Conflicts(d.ctx)
	if len(cs) != 1 || !strings.Contains(cs[0].Message, "last active system administrator") ||
		cs[0].Theirs.Account == nil || cs[0].Theirs.Account.Status != portal.StatusActive {
		t.Fatalf("conflict: %+v", cs)
	}
	if a := d.account("acc_admin"); a.Status != portal.StatusActive {
		t.Fatalf("cache shows %s", a.Status)
	}
}

func TestPendingEditsAreNotOverwrittenByDownloads(t *testing.T) {
	p, d := syncedDesk(t)
	if _, err := d.cmds.SetOrgAdmin(d.ctx, "acc_staff2", true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.client().SetRoles(d.ctx, "acc_staff2", client.SetRolesRequest{CoreRole: portal.RoleStaff, AdditionalRoles: []string{portal.RoleReports}}, nil); err != nil {
		t.Fatal(err)
	}
	d.pull()
	v, err := d.db.GetAccountView(d.ctx, "acc_staff2")
	if err != nil {
		t.Fatal(err)
	}
	if !v.Account.OrgAdmin || !v.Overlaid() {
		t.Fatalf("the download replaced the pending change: %+v", v.Account)
	}
	if v.Server == nil || v.Server.Version != p.account("acc_staff2").Version || !slices.Contains(v.Server.AdditionalRoles, portal.RoleReports) {
		t.Fatalf("server copy beside the pending change: %+v", v.Server)
	}
	// The change was decided on the old version: the server says so, nothing is lost.
	if res := d.push(); res.Conflicts != 1 {
		t.Fatalf("push: %+v", res)
	}
	cs, _ := d.eng.Conflicts(d.ctx)
	if _, err := d.eng.ApplyMineAgain(d.ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	d.push()
	if a := p.account("acc_staff2"); !a.OrgAdmin || !slices.Contains(a.AdditionalRoles, portal.RoleReports) {
		t.Fatalf("server: %+v", a)
	}
}

// After the server acknowledges a change, older feed entries for the record must not
// bring back the state before it, even when the feed delivers them page by page.
func TestAcknowledgedChangeStaysUntilTheFeedDeliversIt(t *testing.T) {
	p := newPortal(t)
	p.seed(standardSeed())
	var d *desk
	var mu sync.Mutex
	var seen []string
	check := func(msg string, _ map[string]any) {
		if msg != "applied feed page" || d == nil {
			return
		}
		_, err := d.db.GetAccount(context.Background(), "acc_pending3")
		mu.Lock()
		seen = append(seen, portal.ErrorCode(err))
		mu.Unlock()
	}
	d = newDesk(t, p, func(c *replica.Config) { c.PageSize = 1; c.Logger = hookLogger(check) })
	d.pull()
	// Deny and purge, both acknowledged before the feed is read again.
	if _, err := d.cmds.Deny(d.ctx, "acc_pending3", "left the organisation"); err != nil {
		t.Fatal(err)
	}
	d.push()
	if _, err := d.cmds.Purge(d.ctx, "acc_pending3"); err != nil {
		t.Fatal(err)
	}
	d.push()
	mu.Lock()
	seen = nil
	mu.Unlock()
	res := d.pull()
	if res.Pages < 4 {
		t.Fatalf("expected the deny, its audit event, the purge and its audit event on separate pages: %+v", res)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, code := range seen {
		if code != portal.ENOTFOUND {
			t.Fatalf("after page %d the purged account was back in the cache (%q)", i+1, code)
		}
	}
	sameAsServer(t, p, d.db)
	var n int
	if err := d.db.ReadSQL().QueryRow(`SELECT count(*) FROM sync_acked`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("acknowledgements left after the feed caught up: %d %v", n, err)
	}
}

func TestLocalChecksRefuseImpossibleActionsOffline(t *testing.T) {
	p, d := syncedDesk(t)
	p.stop()
	ctx := d.ctx
	cases := []struct {
		name  string
		do    func() error
		code  string
		field string
		text  string
	}{
		{"approve an active account", func() error { _, err := d.cmds.Approve(ctx, "acc_staff0"); return err }, portal.ECONFLICT, "", "already approved"},
		{"deny without reason", func() error { _, err := d.cmds.Deny(ctx, "acc_pending0", "  "); return err }, portal.EINVALID, "reason", ""},
		{"promote a ghost", func() error {
			_, err := d.cmds.Promote(ctx, "acc_ghost", portal.RoleStaff, nil, true)
			return err
		}, portal.ECONFLICT, "", "ghost"},
		{"promote with an additional role as core", func() error {
			_, err := d.cmds.Promote(ctx, "acc_client0", portal.RoleReports, nil, false)
			return err
		}, portal.EINVALID, "coreRole", ""},
		{"unknown account", func() error { _, err := d.cmds.Approve(ctx, "acc_nobody"); return err }, portal.ENOTFOUND, "", ""},
		{"org admin without organisation", func() error { _, err := d.cmds.SetOrgAdmin(ctx, "acc_admin", true); return err }, portal.ECONFLICT, "", "no organisation"},
		{"purge an active account", func() error { _, err := d.cmds.Purge(ctx, "acc_staff0"); return err }, portal.ECONFLICT, "", "recycle bin"},
		{"restore a pending account", func() error { _, err := d.cmds.Restore(ctx, "acc_pending0"); return err }, portal.ECONFLICT, "", ""},
		{"reactivate an active account", func() error { _, err := d.cmds.Reactivate(ctx, "acc_staff0"); return err }, portal.ECONFLICT, "", ""},
		{"bad phone", func() error {
			o, _ := d.db.GetOrganization(ctx, "org_a")
			o.Phone = "call Mary"
			_, err := d.cmds.UpdateOrganization(ctx, o)
			return err
		}, portal.EINVALID, "phone", ""},
		{"bad address in a list", func() error {
			_, err := d.cmds.AddUsersByEmail(ctx, "org_a", []string{"ok@example.org", "Anna <anna@example.org>"}, replica.AddUsersOptions{})
			return err
		}, portal.EINVALID, "emails[1]", ""},
		{"invite someone already invited", func() error { _, err := d.cmds.Invite(ctx, "con_inv", replica.InviteOptions{}); return err }, portal.ECONFLICT, "", "already been invited"},
		{"invitation for 40 days", func() error {
			_, err := d.cmds.Invite(ctx, "con_1", replica.InviteOptions{ExpiresInDays: 40})
			return err
		}, portal.EINVALID, "expiresInDays", ""},
		{"revoke an invitation twice", func() error {
			if _, err := d.cmds.Revoke(ctx, "inv_1"); err != nil {
				return err
			}
			_, err := d.cmds.Revoke(ctx, "inv_1")
			return err
		}, portal.ECONFLICT, "", "nothing to revoke"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := d.db.PendingCount(ctx)
			err := c.do()
			var pe *portal.Error
			if portal.ErrorCode(err) != c.code || (c.field != "" && (!asPortal(err, &pe) || pe.Field != c.field)) ||
				!strings.Contains(portal.ErrorMessage(err), c.text) {
				t.Fatalf("got %v; want code %s field %q text %q", err, c.code, c.field, c.text)
			}
			after, _ := d.db.PendingCount(ctx)
			if c.name != "revoke an invitation twice" && after != before {
				t.Fatalf("a refused action was queued (%d → %d)", before, after)
			}
		})
	}

	// A bulk deactivation of both administrators keeps the last one.
	res, err := d.cmds.DeactivateMany(ctx, []string{"acc_admin", "acc_admin2", "acc_staff0", "acc_off"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queued) != 2 || len(res.Refused) != 2 {
		t.Fatalf("bulk: %+v", res)
	}
	for _, r := range res.Refused {
		switch r.EntityID {
		case "acc_admin2":
			if !strings.Contains(r.Message, "last active system administrator") {
				t.Fatalf("refusal: %+v", r)
			}
		case "acc_off":
			if r.Code != portal.ECONFLICT {
				t.Fatalf("refusal: %+v", r)
			}
		default:
			t.Fatalf("unexpected refusal %+v", r)
		}
	}
}

func asPortal(err error, pe **portal.Error) bool {
	e, ok := err.(*portal.Error)
	if ok {
		*pe = e
	}
	return ok
}

func TestServerRefusalsBecomeFailedChanges(t *testing.T) {
	p, d := syncedDesk(t)
	// The role is deleted on the server after the desktop downloaded it.
	if err := p.client().DeleteRole(d.ctx, "org_a_clerk", nil); err != nil {
		t.Fatal(err)
	}
	q, err := d.cmds.SetRoles(d.ctx, "acc_staff3", portal.RoleStaff, []string{"org_a_clerk"})
	if err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Failed != 1 {
		t.Fatalf("push: %+v", res)
	}
	fs, err := d.eng.Failed(d.ctx)
	if err != nil || len(fs) != 1 || fs[0].ID != q.ID || !strings.Contains(fs[0].Message, `There is no role "org_a_clerk"`) || !fs[0].GivenUp {
		t.Fatalf("failed changes: %+v %v", fs, err)
	}
	if st := d.eng.Status(); st.Failed != 1 {
		t.Fatalf("status: %+v", st)
	}
	// Given up: the screen shows the server's copy again, and nothing is retried alone.
	if a := d.account("acc_staff3"); slices.Contains(a.AdditionalRoles, "org_a_clerk") {
		t.Fatalf("the refused change is still shown: %+v", a)
	}
	d.clock.Advance(time.Hour)
	if res := d.push(); res.Sent+res.Failed != 0 {
		t.Fatalf("a refused change was sent again by itself: %+v", res)
	}
	if err := d.eng.Retry(d.ctx, q.ID); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Failed != 1 {
		t.Fatalf("retry: %+v", res)
	}
	if err := d.eng.Discard(d.ctx, q.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.db.PendingCount(d.ctx); n != 0 {
		t.Fatalf("pending after discard: %d", n)
	}

	// A change this version does not know (written by a newer Gatehouse) is not sent.
	if _, err := d.db.Enqueue(d.ctx, cache.Command{Name: "archive", EntityType: cache.EntityAccount, EntityID: "acc_staff3", BaseVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Failed != 1 || res.Sent != 0 {
		t.Fatalf("push of an unknown change: %+v", res)
	}
	if fs, _ := d.eng.Failed(d.ctx); len(fs) != 1 || !strings.Contains(fs[0].Message, `does not know the change "archive"`) {
		t.Fatalf("failed: %+v", fs)
	}
}

func TestBulkActionsAndInvitations(t *testing.T) {
	p, d := syncedDesk(t)
	ctx := d.ctx
	res, err := d.cmds.DeactivateMany(ctx, []string{"acc_staff0", "acc_staff1", "acc_off", "acc_staff0"})
	if err != nil || len(res.Queued) != 2 || len(res.Refused) != 1 {
		t.Fatalf("deactivate many: %+v %v", res, err)
	}
	if res, err = d.cmds.SetRolesMany(ctx, []string{"acc_staff2", "acc_staff3"}, portal.RoleVolunteer, []string{portal.RoleReports}); err != nil || len(res.Queued) != 2 {
		t.Fatalf("set roles many: %+v %v", res, err)
	}
	if res, err = d.cmds.ResendMany(ctx, []string{"inv_1"}, 14); err != nil || len(res.Queued) != 1 {
		t.Fatalf("resend many: %+v %v", res, err)
	}
	if _, err := d.cmds.Invite(ctx, "con_1", replica.InviteOptions{Roles: []string{"org_a_clerk"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cmds.AddUsersByEmail(ctx, "org_b", []string{"dan@example.org", "erin@example.org"}, replica.AddUsersOptions{Invite: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cmds.Promote(ctx, "acc_client0", portal.RoleStaff, []string{portal.RoleReports}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cmds.CompleteRegistration(ctx, "acc_ghost"); err != nil {
		t.Fatal(err)
	}
	// The resent invitation shows as revoked at once.
	if inv, _ := d.db.GetInvitation(ctx, "inv_1"); inv.Status != portal.InvitationRevoked {
		t.Fatalf("old invitation shows %s", inv.Status)
	}
	if pr := d.push(); pr.Sent != 9 || pr.Conflicts+pr.Failed+pr.Retrying != 0 {
		fs, _ := d.eng.Pending(ctx)
		t.Fatalf("push: %+v, left %+v", pr, fs)
	}
	for _, id := range []string{"acc_staff0", "acc_staff1"} {
		if n := p.auditCount(id, portal.ActionDeactivate); n != 1 {
			t.Errorf("%s deactivated %d times", id, n)
		}
	}
	// The answers brought the new records before the feed did.
	invs, _ := d.db.ListInvitations(ctx, cache.InvitationFilter{Status: portal.InvitationPending})
	if invs.Total != 4 { // the resent one, Carol's, Dan's and Erin's
		t.Fatalf("pending invitations in the cache: %d", invs.Total)
	}
	if a := d.account("acc_client0"); a.Kind != portal.KindStaff || a.ClientRecord {
		t.Fatalf("promoted: %+v", a)
	}
	d.pull()
	sameAsServer(t, p, d.db)
}

// A server that applies a command and dies before answering, then comes back: the
// command is sent again with the same key and the server replays its answer.
func TestServerRestartMidPush(t *testing.T) {
	var drop atomic.Bool
	dropped := make(chan struct{}, 1)
	p := newNormalPortal(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Every attempt is cut off while the server is "dying": net/http's client itself
			// sends a request with an Idempotency-Key again when a kept-alive connection
			// breaks, and that retry must not get through either.
			if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/accounts/") && drop.Load() {
				h.ServeHTTP(httptest.NewRecorder(), r) // applied and committed...
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.(*net.TCPConn).SetLinger(0) //nolint:errcheck
					conn.Close()                     // ...but the answer never leaves
				}
				select {
				case dropped <- struct{}{}:
				default:
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	p.seed(standardSeed())
	d := newDesk(t, p)
	if err := d.eng.Sync(d.ctx); err != nil {
		t.Fatal(err)
	}
	if act, _ := d.eng.Actor(d.ctx); act.ID != p.adminID || !act.SystemAdmin {
		t.Fatalf("actor %+v", act)
	}
	q1, err := d.cmds.Approve(d.ctx, "acc_pending0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.cmds.Deny(d.ctx, "acc_pending1", "wrong person"); err != nil {
		t.Fatal(err)
	}
	drop.Store(true)
	if _, err := d.eng.Push(d.ctx); err == nil {
		t.Fatal("push through a dying server reported no error")
	}
	<-dropped
	drop.Store(false)
	if n := p.auditCount("acc_pending0", portal.ActionApprove); n != 1 {
		t.Fatalf("the server applied the approve %d times before dying", n)
	}
	if a := d.account("acc_pending0"); a.Status != portal.StatusActive {
		t.Fatalf("the pending approve is no longer shown: %s", a.Status)
	}
	p.stop()
	p.start()
	d.clock.Advance(time.Minute)
	if res := d.push(); res.Sent != 2 {
		t.Fatalf("push after the restart: %+v", res)
	}
	if n := p.auditCount("acc_pending0", portal.ActionApprove); n != 1 {
		t.Fatalf("approve applied %d times", n)
	}
	if n := p.auditCount("acc_pending1", portal.ActionDeny); n != 1 {
		t.Fatalf("deny applied %d times", n)
	}
	c, _ := d.db.GetCommand(d.ctx, q1.ID)
	if c.State != cache.OutboxSent || c.Attempts != 2 {
		t.Fatalf("the approve: %s after %d attempts", c.State, c.Attempts)
	}
	d.pull()
	sameAsServer(t, p, d.db)
}

func TestFeedOfAReplacedDatabaseStartsOver(t *testing.T) {
	p1 := newPortal(t)
	p1.seed(standardSeed())
	d := newDesk(t, p1)
	d.pull()
	d.close()

	p2 := newPortal(t) // another database: other records, another feed ID
	p2.seed(seed{orgs: []portal.Organization{{ID: "org_z", Name: "Zeal Trust", CreatedAt: t0, UpdatedAt: t0}},
		accounts: []portal.Account{person("acc_z", "Zed", portal.StatusPending, portal.KindStaff, "org_z")}})
	d.open(p2)
	res := d.pull()
	if !res.Reset {
		t.Fatalf("pull from a replaced database: %+v", res)
	}
	sameAsServer(t, p2, d.db)
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	b := replica.Backoff{Initial: time.Second, Max: 30 * time.Second, Jitter: 0.5, Rand: func() float64 { return 0 }}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second}
	for i, w := range want {
		if got := b.Delay(i + 1); got != w {
			t.Errorf("least delay %d = %v, want %v", i+1, got, w)
		}
	}
	b.Rand = func() float64 { return 0.999999 }
	if got := b.Delay(3); got < 3999*time.Millisecond || got > 4*time.Second {
		t.Errorf("most delay 3 = %v", got)
	}

	// Sends to a server that is down are planned further and further apart.
	p := newPortal(t)
	p.seed(standardSeed())
	d := newDesk(t, p, func(c *replica.Config) {
		c.Backoff = replica.Backoff{Initial: time.Second, Max: time.Hour, Rand: func() float64 { return 0.5 }}
	})
	if err := d.eng.Sync(d.ctx); err != nil {
		t.Fatal(err)
	}
	p.stop()
	q, err := d.cmds.Approve(d.ctx, "acc_pending0")
	if err != nil {
		t.Fatal(err)
	}
	var gaps []time.Duration
	for range 5 {
		if _, err := d.eng.Push(d.ctx); err == nil {
			t.Fatal("push to a stopped server worked")
		}
		c, _ := d.db.GetCommand(d.ctx, q.ID)
		if c.State != cache.OutboxFailed || c.NextAttemptAt == nil {
			t.Fatalf("after a failed send: %+v", c)
		}
		gaps = append(gaps, c.NextAttemptAt.Sub(d.clock.Now()))
		// Not due before its time...
		if res, _ := d.eng.Push(d.ctx); res.Retrying != 0 {
			t.Fatal("sent before its retry time")
		}
		d.clock.Set(*c.NextAttemptAt)
	}
	for i := 1; i < len(gaps); i++ {
		if gaps[i] != 2*gaps[i-1] {
			t.Fatalf("retry gaps %v do not double", gaps)
		}
	}
	if gaps[0] != 750*time.Millisecond {
		t.Fatalf("first gap %v", gaps[0])
	}
}

func TestEngineRunsInTheBackground(t *testing.T) {
	p := newPortal(t)
	p.seed(standardSeed())
	var sl *gateSleeper
	var mu sync.Mutex
	var statuses []replica.Status
	d := newDesk(t, p, func(c *replica.Config) {
		sl = newGateSleeper(c.Cache.Clock().(*portal.FixedClock))
		c.Sleeper, c.Interval = sl, 30*time.Second
		c.Backoff = replica.Backoff{Initial: 2 * time.Second, Max: time.Minute, Rand: func() float64 { return 0 }}
		c.OnStatus = func(s replica.Status) {
			mu.Lock()
			statuses = append(statuses, s)
			mu.Unlock()
		}
	})
	var subCalls atomic.Int32
	unsub := d.eng.Subscribe(func(replica.Status) { subCalls.Add(1) })
	if err := d.eng.Start(d.ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.eng.Start(d.ctx); err == nil {
		t.Fatal("started twice")
	}
	if w := sl.wait(t); w != 30*time.Second {
		t.Fatalf("wait after a good cycle: %v", w)
	}
	if st := d.eng.Status(); !st.Online || st.LastSyncAt == nil || st.Syncing {
		t.Fatalf("status: %+v", st)
	}
	sameAsServer(t, p, d.db)

	// Offline: the command is shown, the engine backs off, doubling its waits.
	p.stop()
	if _, err := d.cmds.Approve(d.ctx, "acc_pending0"); err != nil {
		t.Fatal(err)
	}
	if w := sl.wait(t); w != time.Second { // woken by the command; 2 s with half of it jitter at 0
		t.Fatalf("first offline wait: %v", w)
	}
	if st := d.eng.Status(); st.Online || st.Pending != 1 {
		t.Fatalf("status offline: %+v", st)
	}
	sl.elapse(time.Second)
	if w := sl.wait(t); w != 2*time.Second {
		t.Fatalf("second offline wait: %v", w)
	}
	unsub()
	calls := subCalls.Load()

	p.start()
	d.cl.SetToken(p.token)
	d.clock.Advance(time.Minute) // past the command's own retry time
	sl.elapse(2 * time.Second)
	if w := sl.wait(t); w != 30*time.Second {
		t.Fatalf("wait once back online: %v", w)
	}
	if st := d.eng.Status(); !st.Online || st.Pending != 0 || st.LastError != "" {
		t.Fatalf("status back online: %+v", st)
	}
	if n := p.auditCount("acc_pending0", portal.ActionApprove); n != 1 {
		t.Fatalf("approve applied %d times", n)
	}
	// SyncNow cuts the wait short.
	if _, err := p.client().Approve(d.ctx, "acc_pending1", nil); err != nil {
		t.Fatal(err)
	}
	d.eng.SyncNow()
	sl.wait(t)
	if a := d.account("acc_pending1"); a.Status != portal.StatusActive {
		t.Fatalf("SyncNow did not pull: %s", a.Status)
	}
	d.eng.Stop()
	if subCalls.Load() != calls {
		t.Fatal("an unsubscribed function was still called")
	}
	if st := d.eng.Status(); st.Syncing {
		t.Fatalf("stopped, yet syncing: %+v", st)
	}
	// It starts again after a stop.
	if err := d.eng.Start(d.ctx); err != nil {
		t.Fatal(err)
	}
	sl.wait(t)
	d.eng.Stop()
	mu.Lock()
	defer mu.Unlock()
	var sawOffline, sawSyncing bool
	for _, s := range statuses {
		sawOffline = sawOffline || !s.Online
		sawSyncing = sawSyncing || s.Syncing
	}
	if !sawOffline || !sawSyncing || len(statuses) < 4 {
		t.Fatalf("published statuses: %+v", statuses)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
