//go:build !race

// Several server processes on one PostgreSQL database. Real child processes, about
// crashes and sharing rather than data races: built without the race detector, and run
// by make test's PostgreSQL pass (which is without it).

package server_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/internal/pgtest"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/poll"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/servertest"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

// child is a portal server process of the test's.
type child struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startChild starts this test binary as a portal server process with c.
func startChild(t testing.TB, c childConfig) *child {
	t.Helper()
	cfg, _ := json.Marshal(c)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(cfg))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(ch.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-ch.done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-ch.done
		}
	})
	lines := bufio.NewScanner(out)
	got := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if u, ok := strings.CutPrefix(lines.Text(), "LISTENING "); ok {
				got <- u
			}
		}
		close(got)
	}()
	select {
	case u, ok := <-got:
		if !ok {
			t.Fatalf("the server process ended before it listened")
		}
		ch.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("the server process did not start in 60 s")
	}
	go io.Copy(io.Discard, out)
	return ch
}

// kill ends the process as a crash would: SIGKILL, nothing tidied.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.done
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// cluster is a PostgreSQL database with the test's own server beside it (not listening)
// for fixtures and sessions, and the configuration its child processes share.
type cluster struct {
	t    testing.TB
	ctx  context.Context
	st   store.Store
	svc  *service.Service
	sink *mailtest.Sink
	cfg  childConfig
}

func newCluster(t testing.TB) *cluster {
	db := pgtest.URL(t)
	sink := mailtest.NewSink(t)
	key := t.TempDir() + "/mail.key"
	srv := servertest.New(t, server.Config{DBPath: db, MailKeyFile: key})
	return &cluster{t: t, ctx: context.Background(), st: srv.Store(), svc: srv.Service(), sink: sink,
		cfg: childConfig{DB: db, MailKeyFile: key, SMTPHost: sink.Host(), SMTPPort: sink.Port(), MailInterval: 100 * time.Millisecond, MailLease: 2 * time.Second}}
}

// processes starts n server processes behind one base URL (the first one's address).
func (c *cluster) processes(n int) []*child {
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = freeAddr(c.t)
	}
	out := make([]*child, n)
	for i := range out {
		cfg := c.cfg
		cfg.Addr, cfg.BaseURL = addrs[i], "http://"+addrs[0]
		out[i] = startChild(c.t, cfg)
	}
	return out
}

func (c *cluster) put(fn func(tx store.Tx) error) {
	c.t.Helper()
	if err := c.st.Update(c.ctx, fn); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) account(a portal.Account) portal.Account {
	now := time.Now().UTC()
	a.Status, a.Kind, a.Source, a.RegistrationComplete, a.CreatedAt, a.UpdatedAt = portal.StatusActive, portal.KindStaff, "sso.example.org", true, now, now
	if a.CoreRole == "" {
		a.CoreRole = portal.RoleStaff
	}
	a.AdditionalRoles = []string{}
	c.put(func(tx store.Tx) error { return tx.PutAccount(c.ctx, &a) })
	return a
}

func (c *cluster) session(accountID string) string {
	tok, err := c.svc.IssueSession(c.ctx, accountID, service.SessionAPI)
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

func (c *cluster) client(url, accountID string) *client.Client {
	return client.New(url, c.session(accountID))
}

// mailOnce waits until every address of want got mail, then checks that none got more
// than one message (allowed more: how many duplicates may be forgiven).
func (c *cluster) mailOnce(want []string, allowed int) {
	c.t.Helper()
	count := func() map[string]int {
		got := map[string]int{}
		for _, m := range c.sink.Messages() {
			for _, to := range m.To {
				got[strings.ToLower(to)]++
			}
		}
		return got
	}
	ok := poll.Until(60*time.Second, func() bool {
		got := count()
		for _, w := range want {
			if got[strings.ToLower(w)] == 0 {
				return false
			}
		}
		return true
	})
	if !ok {
		c.t.Fatalf("not every e-mail arrived: %d of %d", len(count()), len(want))
	}
	time.Sleep(1500 * time.Millisecond) // past the sending processes' next rounds
	dups := 0
	for to, n := range count() {
		if n > 1 {
			dups += n - 1
			c.t.Logf("%s got %d messages", to, n)
		}
	}
	if dups > allowed {
		c.t.Errorf("%d messages sent more than once (allowed %d)", dups, allowed)
	}
}

// Two server processes on one PostgreSQL database behave as one server: six writers spread
// over both, a follower paging the change feed through either ends with exactly the
// database's state, each invitation's e-mail is sent once though both processes deliver
// mail, and the last system administrator cannot be deactivated even when the two
// administrators deactivate each other through different processes at the same moment.
func TestTwoServerProcessesActAsOne(t *testing.T) {
	c := newCluster(t)
	org := portal.Organization{ID: "org_multi", Name: "Multi", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	c.put(func(tx store.Tx) error { return tx.PutOrganization(c.ctx, &org) })
	adminA := c.account(portal.Account{ID: "acc_admin_a", Email: "a@example.org", Name: "Admin A", CoreRole: portal.RoleAdministrator})
	adminB := c.account(portal.Account{ID: "acc_admin_b", Email: "b@example.org", Name: "Admin B", CoreRole: portal.RoleAdministrator})
	procs := c.processes(2)

	const writers, each = 6, 15
	var wg sync.WaitGroup
	var mu sync.Mutex
	var invited []string
	errs := make(chan error, writers)
	for w := range writers {
		writer := c.account(portal.Account{ID: fmt.Sprintf("acc_writer_%d", w), Email: fmt.Sprintf("w%d@example.org", w), Name: fmt.Sprintf("Writer %d", w),
			OrganizationID: org.ID, OrgAdmin: true})
		cl := c.client(procs[w%2].url, writer.ID)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				email := fmt.Sprintf("person-%d-%d@example.org", w, i)
				con, err := cl.CreateContact(c.ctx, portal.Contact{OrganizationID: org.ID, Email: email, FullName: fmt.Sprintf("Person %d %d", w, i)}, nil)
				if err != nil {
					errs <- fmt.Errorf("writer %d: create contact: %w", w, err)
					return
				}
				con.Phone = "0123 456"
				if con, err = cl.UpdateContact(c.ctx, con.ID, con, &client.Cmd{IfMatch: con.Version}); err != nil {
					errs <- fmt.Errorf("writer %d: update contact: %w", w, err)
					return
				}
				if _, err := cl.Invite(c.ctx, api.CreateInvitationRequest{ContactID: con.ID, Send: true}, nil); err != nil {
					errs <- fmt.Errorf("writer %d: invite: %w", w, err)
					return
				}
				mu.Lock()
				invited = append(invited, email)
				mu.Unlock()
			}
		}()
	}

	// The follower pages the feed through one process, then the other, while they write.
	follower := []*client.Client{c.client(procs[0].url, adminA.ID), c.client(procs[1].url, adminA.ID)}
	seen := map[string]int64{} // entity/id → version, "" when deleted
	var after int64
	page := func(i int) int {
		res, err := follower[i%2].Changes(c.ctx, after, 37)
		if err != nil {
			t.Fatalf("follow the feed: %v", err)
		}
		for _, ch := range res.Changes {
			if ch.Op == api.OpDelete {
				delete(seen, ch.Entity+"/"+ch.ID)
			} else {
				seen[ch.Entity+"/"+ch.ID] = ch.Version
			}
		}
		after = res.Next
		return len(res.Changes)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for i := 0; ; i++ {
		select {
		case <-done:
		default:
			page(i)
			continue
		}
		break
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := 0; page(i) > 0; i++ {
	}

	// Exactly the database's state.
	want := map[string]int64{}
	if err := c.st.View(c.ctx, func(r store.Reader) error {
		orgs, err := r.Organizations(c.ctx, store.OrgFilter{})
		versions(want, "organization", orgs, func(x portal.Organization) (string, int64) { return x.ID, x.Version })
		cons, err2 := r.Contacts(c.ctx, store.ContactFilter{})
		versions(want, "contact", cons, func(x portal.Contact) (string, int64) { return x.ID, x.Version })
		accs, err3 := r.Accounts(c.ctx, store.AccountFilter{})
		versions(want, "account", accs, func(x portal.Account) (string, int64) { return x.ID, x.Version })
		invs, err4 := r.Invitations(c.ctx, store.InvitationFilter{})
		versions(want, "invitation", invs, func(x portal.Invitation) (string, int64) { return x.ID, x.Version })
		roles, err5 := r.Roles(c.ctx)
		versions(want, "role", roles, func(x portal.Role) (string, int64) { return x.ID, x.Version })
		return errors.Join(err, err2, err3, err4, err5)
	}); err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("%s: the follower has version %d, the database %d", k, seen[k], v)
		}
	}
	for k := range seen {
		if _, ok := want[k]; !ok && !strings.HasPrefix(k, "template/") && !strings.HasPrefix(k, "settings/") && !strings.HasPrefix(k, "audit") {
			t.Errorf("%s: the follower has it, the database does not", k)
		}
	}
	if len(invited) != writers*each {
		t.Fatalf("%d invitations made, want %d", len(invited), writers*each)
	}
	c.mailOnce(invited, 0)

	// The two administrators deactivate each other through different processes at once.
	clA, clB := c.client(procs[0].url, adminA.ID), c.client(procs[1].url, adminB.ID)
	start := make(chan struct{})
	results := make(chan error, 2)
	go func() { <-start; _, err := clA.Deactivate(c.ctx, adminB.ID, nil); results <- err }()
	go func() { <-start; _, err := clB.Deactivate(c.ctx, adminA.ID, nil); results <- err }()
	close(start)
	ok := 0
	for range 2 {
		if err := <-results; err == nil {
			ok++
		}
	}
	var active int
	if err := c.st.View(c.ctx, func(r store.Reader) (err error) { active, err = r.CountActiveSystemAdmins(c.ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if ok != 1 || active != 1 {
		t.Errorf("deactivations that succeeded: %d, active system administrators left: %d; want 1 and 1", ok, active)
	}
}

// versions notes each record's version under "entity/id".
func versions[T any](m map[string]int64, entity string, recs []T, idVersion func(T) (string, int64)) {
	for _, r := range recs {
		id, v := idVersion(r)
		m[entity+"/"+id] = v
	}
}

// A server process killed (SIGKILL) in the middle of a bulk invitation loses nothing and
// applies nothing twice: the administrator sends the same request again through the other
// process, and every contact ends with one invitation and its e-mail. The only message
// that may arrive twice is one the killed process was handing to the mail server.
func TestKillOneOfTwoProcessesDuringABulkInvitation(t *testing.T) {
	c := newCluster(t)
	org := portal.Organization{ID: "org_kill", Name: "Kill", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	c.put(func(tx store.Tx) error { return tx.PutOrganization(c.ctx, &org) })
	admin := c.account(portal.Account{ID: "acc_kill_admin", Email: "k@example.org", Name: "Kim Admin", OrganizationID: org.ID, OrgAdmin: true})
	watch, err := sql.Open("pgx", c.cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	// stuck says whether a server process's bulk transaction has written invitations and
	// waits to queue their e-mail, which the test holds up (below) to kill it right there.
	stuck := func() bool {
		var n int
		watch.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
			AND query LIKE '%INSERT INTO mail_outbox%'`).Scan(&n)
		return n > 0
	}
	// Killed inside the bulk transaction (twice), then just after its answer, while the
	// process sends the e-mail.
	for round, inside := range []bool{true, true, false} {
		procs := c.processes(2)
		// Let the new processes finish what they do on starting (tidying the outbox),
		// so that the lock below holds up the request and nothing else.
		time.Sleep(time.Second)
		var items []api.BulkInvitationItem
		var emails []string
		c.put(func(tx store.Tx) error {
			for i := range client.MaxBulkInvitations {
				email := fmt.Sprintf("r%d-p%03d@example.org", round, i)
				con := portal.Contact{ID: fmt.Sprintf("con_kill_%d_%03d", round, i), OrganizationID: org.ID, Email: email, FullName: "P", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
				if err := tx.PutContact(c.ctx, &con); err != nil {
					return err
				}
				items = append(items, api.BulkInvitationItem{CreateInvitationRequest: api.CreateInvitationRequest{ContactID: con.ID, Send: true},
					IdempotencyKey: fmt.Sprintf("kill-%d-%03d", round, i)})
				emails = append(emails, email)
			}
			return nil
		})
		first := c.client(procs[1].url, admin.ID)
		sent := make(chan error, 1)
		var hold *sql.Tx
		if inside {
			// The test takes the outbox, so that the request's transaction stops in the
			// middle: invitations written, their e-mail waiting for the table.
			if hold, err = watch.Begin(); err != nil {
				t.Fatal(err)
			}
			if _, err := hold.Exec(`LOCK TABLE mail_outbox IN EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
		}
		go func() { _, err := first.InviteBulk(c.ctx, items); sent <- err }()
		var firstErr error
		if inside {
			if !poll.Until(10*time.Second, stuck) {
				t.Fatalf("round %d: the request's transaction was not seen waiting for the outbox", round)
			}
			procs[1].kill()
			// The dead process's transaction goes on, finds its client gone and is
			// rolled back: it never committed.
			hold.Rollback()
			if firstErr = <-sent; firstErr == nil {
				t.Fatalf("round %d: the request was answered though its process was killed", round)
			}
		} else {
			if firstErr = <-sent; firstErr != nil {
				t.Fatalf("round %d: %v", round, firstErr)
			}
			procs[1].kill()
		}

		res, err := c.client(procs[0].url, admin.ID).InviteBulk(c.ctx, items)
		if err != nil {
			t.Fatalf("round %d: the same request through the other process: %v", round, err)
		}
		replayed := 0
		for i, o := range res.Items {
			if err := client.ItemError(o); err != nil {
				t.Fatalf("round %d: item %d refused after the kill: %v", round, i, err)
			}
			if o.Replayed {
				replayed++
			}
		}
		t.Logf("round %d: killed %s (first request: %v); sent again through the other process: %d of %d items replayed", round,
			map[bool]string{true: "inside the bulk transaction", false: "after its answer"}[inside], firstErr, replayed, len(items))
		// Nothing of a transaction killed midway was kept; everything of an answered one was.
		if want := map[bool]int{true: 0, false: len(items)}[inside]; replayed != want {
			t.Errorf("round %d: %d items replayed, want %d", round, replayed, want)
		}
		if err := c.st.View(c.ctx, func(r store.Reader) error {
			for _, it := range items {
				invs, err := r.Invitations(c.ctx, store.InvitationFilter{})
				if err != nil {
					return err
				}
				n := 0
				for _, inv := range invs {
					if inv.ContactID == it.ContactID {
						n++
					}
				}
				if n != 1 {
					return fmt.Errorf("contact %s has %d invitations", it.ContactID, n)
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		c.mailOnce(emails, 1)
	}
}

// BenchmarkApproveDeny50Clients2Processes is BenchmarkApproveDeny50Clients against two
// server processes on one PostgreSQL database, the 50 clients spread over both.
func BenchmarkApproveDeny50Clients2Processes(b *testing.B) {
	const clients = 50
	c := newCluster(b)
	org := portal.Organization{ID: "org_bench", Name: "Bench org", CreatedAt: start, UpdatedAt: start}
	c.put(func(tx store.Tx) error { return tx.PutOrganization(c.ctx, &org) })
	admin := c.account(portal.Account{ID: "acc_bench_admin", Email: "admin@example.org", Name: "Admin", CoreRole: portal.RoleAdministrator})
	ids := pendingAccounts(c.put, org.ID, b.N)
	c.cfg.MailInterval = 0 // no SMTP sink is needed: the default retry round
	procs := c.processes(2)
	tok := c.session(admin.ID)
	approveDeny(b, clients, ids, procs[0].url+" "+tok, procs[1].url+" "+tok)
}
