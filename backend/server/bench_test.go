package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// noMail leaves the SMTP server out: e-mails are still queued and recorded, not sent.
func noMail(cfg *server.Config) { cfg.SMTP = nil }

// BenchmarkApproveDeny50Clients: 50 admin clients at once approve or deny pending
// accounts through the HTTP API (each command one write transaction with its audit
// event, feed entries, approval-link retirement and queued e-mail).
func BenchmarkApproveDeny50Clients(b *testing.B) {
	const clients = 50
	e := newEnv(b, noMail)
	admin := e.sysAdmin()
	org := e.org("Bench org")
	ids := pendingAccounts(e.update, org.ID, b.N)
	approveDeny(b, clients, ids, e.url+" "+e.session(admin.ID))
}

// pendingAccounts stores n accounts waiting for approval and returns their IDs.
func pendingAccounts(update func(func(store.Tx) error), orgID string, n int) []string {
	ids := make([]string, n)
	update(func(tx store.Tx) error {
		for i := range ids {
			a := portal.Account{ID: fmt.Sprintf("bench-%d", i), Email: fmt.Sprintf("p%d@example.org", i), Name: "P", Status: portal.StatusPending,
				Kind: portal.KindStaff, OrganizationID: orgID, AdditionalRoles: []string{}}
			if err := tx.PutAccount(context.Background(), &a); err != nil {
				return err
			}
			ids[i] = a.ID
		}
		return nil
	})
	return ids
}

// approveDeny approves and denies the pending accounts ids with the given number of
// clients at once, spread over the servers (each "URL token"), and reports throughput and
// latency.
func approveDeny(b *testing.B, clients int, ids []string, servers ...string) {
	cls := make([]*client.Client, len(servers))
	for i, srv := range servers {
		url, tok, _ := strings.Cut(srv, " ")
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		cls[i] = client.New(url, tok, client.WithHTTPClient(hc))
	}
	lat := make([]time.Duration, len(ids))
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cls[w%len(cls)]
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				t0 := time.Now()
				var err error
				if i%2 == 0 {
					_, err = c.Approve(context.Background(), ids[i], nil)
				} else {
					_, err = c.Deny(context.Background(), ids[i], "benchmark", nil)
				}
				lat[i] = time.Since(t0)
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(len(ids))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// feedEnv is a portal with 20,000 accounts and their audit events: 40,000 changes.
func feedEnv(b *testing.B) (*env, portal.Account) {
	const accounts = 20000
	e := newEnv(b, noMail)
	admin := e.sysAdmin()
	org := e.org("Bench org")
	e.update(func(tx store.Tx) error {
		for i := range accounts {
			a := portal.Account{ID: fmt.Sprintf("feed-%06d", i), Email: fmt.Sprintf("f%d@example.org", i), Name: fmt.Sprintf("Person %d", i),
				Status: portal.StatusActive, Kind: portal.KindClient, OrganizationID: org.ID, AdditionalRoles: []string{}, RegistrationComplete: true,
				CreatedAt: start, UpdatedAt: start}
			if err := tx.PutAccount(e.ctx, &a); err != nil {
				return err
			}
			if err := tx.AddAudit(e.ctx, &portal.AuditEvent{At: start, ActorID: "system", Action: portal.ActionSignUp, EntityType: "account", EntityID: a.ID, OrganizationID: org.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	return e, admin
}

// BenchmarkChangeFeedPaging: a follower pages the feed of a portal with 20,000 accounts
// (plus their audit events) through the HTTP API, 1,000 changes a page.
func BenchmarkChangeFeedPaging(b *testing.B) {
	e, admin := feedEnv(b)
	c := e.client(admin.ID)
	rows := 0
	var cursor int64
	b.ResetTimer()
	began := time.Now()
	for b.Loop() {
		// One iteration is one page of 1,000 changes; at the end the follower starts over.
		p, err := c.Changes(context.Background(), cursor, 1000)
		if err != nil {
			b.Fatal(err)
		}
		rows += len(p.Changes)
		cursor = p.Next
		if !p.More {
			cursor = 0
		}
	}
	b.ReportMetric(float64(rows)/time.Since(began).Seconds(), "rows/s")
}

// BenchmarkChangeFeedStore is the same paging straight from the store, without HTTP and
// JSON: the floor under BenchmarkChangeFeedPaging.
func BenchmarkChangeFeedStore(b *testing.B) {
	e, _ := feedEnv(b)
	rows := 0
	var cursor int64
	b.ResetTimer()
	began := time.Now()
	for b.Loop() {
		err := e.st.View(e.ctx, func(r store.Reader) error {
			cs, head, err := r.Changes(e.ctx, cursor, 1000)
			rows += len(cs)
			if len(cs) > 0 {
				cursor = cs[len(cs)-1].Seq
			}
			if cursor >= head {
				cursor = 0
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)/time.Since(began).Seconds(), "rows/s")
}

// BenchmarkMeDuringPasswordFlood: a signed-in administrator's GET /api/v1/me, median
// latency while idle and while 8 attackers send 1,000 wrong passwords (throttled: after a
// few, each is refused before any argon2 check). Reported: idle-ms, flood-ms and
// flood-x-idle (the goal is ≤ 2×). A figure, never an assertion.
func BenchmarkMeDuringPasswordFlood(b *testing.B) {
	for range b.N {
		e := newEnv(b, noMail)
		admin := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "admin@example.org", Name: "Ada"})
		c := e.client(admin.ID)
		median := func(n int) float64 {
			var ds []time.Duration
			for range n {
				t0 := time.Now()
				if _, err := c.Me(e.ctx); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
			}
			slices.Sort(ds)
			return float64(ds[len(ds)/2].Microseconds()) / 1000
		}
		idle := median(200)
		var sent atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				br := e.browser()
				home := br.get("/")
				for sent.Add(1) <= 1000 {
					select {
					case <-stop:
						return
					default:
					}
					br.post(home, "/login/password", urlValues("victim"+fmt.Sprint(w)+"@example.org", "guess"))
				}
			}()
		}
		flood := median(200)
		close(stop)
		wg.Wait()
		b.ReportMetric(idle, "idle-ms")
		b.ReportMetric(flood, "flood-ms")
		b.ReportMetric(flood/idle, "flood-x-idle")
	}
}

// BenchmarkBulkInvitations: 10,000 contacts invited through the bulk endpoint in requests
// of 128, as the desktop's batch engine sends them, one request at a time (each item its
// own idempotent command, audit event and feed entries; links returned, no e-mail). The
// invitation stage of Send10k, without the sending.
func BenchmarkBulkInvitations(b *testing.B) {
	const n, chunk = 10_000, 128
	for range b.N {
		b.StopTimer()
		e := newEnv(b, noMail)
		org := e.org("Riverside")
		c := e.client(e.sysAdmin().ID)
		ids := make([]string, n)
		e.update(func(tx store.Tx) error {
			for i := range ids {
				con := portal.Contact{ID: fmt.Sprintf("con_b%05d", i), OrganizationID: org.ID, Email: fmt.Sprintf("person%05d@example.org", i),
					FullName: fmt.Sprintf("Person %05d", i), CreatedAt: start, UpdatedAt: start}
				if err := tx.PutContact(e.ctx, &con); err != nil {
					return err
				}
				ids[i] = con.ID
			}
			return nil
		})
		b.StartTimer()
		t0 := time.Now()
		for lo := 0; lo < n; lo += chunk {
			items := make([]client.BulkInvitation, 0, chunk)
			for i := lo; i < min(lo+chunk, n); i++ {
				items = append(items, client.BulkInvitation{CreateInvitationRequest: api.CreateInvitationRequest{ContactID: ids[i], BatchID: "bench"},
					IdempotencyKey: fmt.Sprintf("bench-%05d", i)})
			}
			res, err := c.InviteBulk(e.ctx, items)
			if err != nil || res.Created != len(items) {
				b.Fatalf("chunk at %d: %v (%d created, %d failed)", lo, err, res.Created, res.Failed)
			}
		}
		b.ReportMetric(float64(n)/time.Since(t0).Seconds(), "invitations/s")
	}
}
