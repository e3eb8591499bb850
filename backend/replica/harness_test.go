package replica_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// portalEnv is the real portal server, in this process, on 127.0.0.1, with its SQLite
// database in a temporary folder. It can be stopped and started again on the same
// database and port.
type portalEnv struct {
	t      testing.TB
	ctx    context.Context
	dbPath string
	addr   string
	clock  *portal.FixedClock
	// embedded selects the desktop's embedded mode (a start token acting as the system);
	// otherwise a normal server with an API session of a seeded system administrator,
	// served on our own listener so tests can step into the connection.
	embedded bool
	wrap     func(http.Handler) http.Handler
	// smtp, when set, is the server's mail server (a mailtest sink); the server's mailer
	// runs while it is started.
	smtp       *mail.SMTPConfig
	stopMailer func()

	mu      sync.Mutex
	srv     *server.Server
	hs      *http.Server
	url     string
	token   string
	adminID string
}

func newPortal(t testing.TB) *portalEnv {
	p := &portalEnv{t: t, ctx: context.Background(), dbPath: filepath.Join(t.TempDir(), "portal.db"),
		addr: "127.0.0.1:0", clock: portal.NewFixedClock(t0), embedded: true}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// newNormalPortal starts a non-embedded server; wrap, if set, wraps its handler.
func newNormalPortal(t testing.TB, wrap func(http.Handler) http.Handler) *portalEnv {
	p := &portalEnv{t: t, ctx: context.Background(), dbPath: filepath.Join(t.TempDir(), "portal.db"),
		addr: "127.0.0.1:0", clock: portal.NewFixedClock(t0), wrap: wrap}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *portalEnv) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		return
	}
	srv, err := server.New(p.ctx, server.Config{Addr: p.addr, DBPath: p.dbPath, Embedded: p.embedded, Clock: p.clock, Logger: quiet(), SMTP: p.smtp})
	if err != nil {
		p.t.Fatalf("start the portal server: %v", err)
	}
	if p.embedded {
		u, tok, err := srv.StartEmbedded(p.ctx)
		if err != nil {
			p.t.Fatalf("start the embedded portal: %v", err)
		}
		p.url, p.token = u, tok
		p.addr = u[len("http://"):]
	} else {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Fatalf("listen: %v", err)
		}
		p.addr = ln.Addr().String()
		p.url = "http://" + p.addr
		srv.Service().SetBaseURL(p.url)
		h := srv.Handler()
		if p.wrap != nil {
			h = p.wrap(h)
		}
		p.hs = &http.Server{Handler: h}
		go p.hs.Serve(ln) //nolint:errcheck // ends with Shutdown
		if p.smtp != nil {
			mctx, cancel := context.WithCancel(p.ctx)
			done := make(chan struct{})
			go func() { defer close(done); srv.Service().RunMailer(mctx, time.Second) }()
			p.stopMailer = func() { cancel(); <-done }
		}
		if p.adminID == "" {
			admin := portal.Account{ID: "acc_desk_admin", Email: "desk.admin@example.org", Name: "Desk Admin",
				Status: portal.StatusActive, Kind: portal.KindStaff, CoreRole: portal.RoleAdministrator,
				AdditionalRoles: []string{}, RegistrationComplete: true, CreatedAt: t0, UpdatedAt: t0}
			if err := srv.Store().Update(p.ctx, func(tx store.Tx) error { return tx.PutAccount(p.ctx, &admin) }); err != nil {
				p.t.Fatal(err)
			}
			p.adminID = admin.ID
			if p.token, err = srv.Service().IssueSession(p.ctx, admin.ID, service.SessionAPI); err != nil {
				p.t.Fatal(err)
			}
		}
	}
	p.srv = srv
}

func (p *portalEnv) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if p.stopMailer != nil {
		p.stopMailer()
		p.stopMailer = nil
	}
	if p.hs != nil {
		_ = p.hs.Close()
		p.hs = nil
	}
	if err := p.srv.Shutdown(ctx); err != nil {
		p.t.Errorf("stop the portal server: %v", err)
	}
	p.srv = nil
}

func (p *portalEnv) server() *server.Server {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.srv
}

// client is another admin client of the server (as a second desktop would be).
func (p *portalEnv) client() *client.Client { return client.New(p.url, p.token) }

func (p *portalEnv) update(fn func(tx store.Tx) error) {
	p.t.Helper()
	if err := p.server().Store().Update(p.ctx, fn); err != nil {
		p.t.Fatal(err)
	}
}

func (p *portalEnv) view(fn func(r store.Reader) error) {
	p.t.Helper()
	if err := p.server().Store().View(p.ctx, fn); err != nil {
		p.t.Fatal(err)
	}
}

func (p *portalEnv) account(id string) portal.Account {
	p.t.Helper()
	var a portal.Account
	p.view(func(r store.Reader) error {
		var err error
		a, err = r.Account(p.ctx, id)
		return err
	})
	return a
}

// auditCount counts the audit events of an action on one record.
func (p *portalEnv) auditCount(entityID, action string) int {
	p.t.Helper()
	var evs []portal.AuditEvent
	p.view(func(r store.Reader) error {
		var err error
		evs, err = r.AuditEvents(p.ctx, store.AuditFilter{EntityID: entityID, Action: action})
		return err
	})
	return len(evs)
}

func (p *portalEnv) head() int64 {
	p.t.Helper()
	var head int64
	p.view(func(r store.Reader) error {
		_, h, err := r.Changes(p.ctx, 0, 1)
		head = h
		return err
	})
	return head
}

// ---- fixtures written straight to the server's store ----

type seed struct {
	orgs        []portal.Organization
	contacts    []portal.Contact
	accounts    []portal.Account
	invitations []portal.Invitation
	roles       []portal.Role
}

func person(id, name string, st portal.Status, kind portal.Kind, org string) portal.Account {
	a := portal.Account{ID: id, Name: name, Email: id + "@example.org", Status: st, Kind: kind, OrganizationID: org,
		AdditionalRoles: []string{}, Source: "sso.example.org", Subject: "sub-" + id,
		RegistrationComplete: true, CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Hour)}
	switch kind {
	case portal.KindStaff:
		a.CoreRole = portal.RoleStaff
	case portal.KindClient:
		a.ClientRecord = true
	}
	return a
}

func (p *portalEnv) seed(s seed) {
	p.t.Helper()
	p.update(func(tx store.Tx) error {
		for i := range s.orgs {
			if err := tx.PutOrganization(p.ctx, &s.orgs[i]); err != nil {
				return err
			}
		}
		for i := range s.roles {
			if err := tx.PutRole(p.ctx, &s.roles[i]); err != nil {
				return err
			}
		}
		for i := range s.contacts {
			if err := tx.PutContact(p.ctx, &s.contacts[i]); err != nil {
				return err
			}
		}
		for i := range s.accounts {
			if err := tx.PutAccount(p.ctx, &s.accounts[i]); err != nil {
				return err
			}
		}
		for i := range s.invitations {
			_, hash := portal.NewToken()
			if err := tx.PutInvitation(p.ctx, &s.invitations[i], hash); err != nil {
				return err
			}
		}
		return nil
	})
}

// standardSeed is a small portal: two organisations, an organisation role, pending
// sign-ups, staff, clients (one a ghost), a denied person, contacts and an invitation.
func standardSeed() seed {
	orgA := portal.Organization{ID: "org_a", Name: "Ashby Parish Council", Type: "council", Member: true, CreatedAt: t0, UpdatedAt: t0}
	orgB := portal.Organization{ID: "org_b", Name: "Bramford Food Pantry", Type: "pantry", Member: true, CreatedAt: t0, UpdatedAt: t0}
	s := seed{orgs: []portal.Organization{orgA, orgB}}
	s.roles = []portal.Role{{ID: "org_a_clerk", Name: "Clerk", Scope: portal.ScopeOrganization, OrganizationID: "org_a"}}
	admin := person("acc_admin", "Ada Admin", portal.StatusActive, portal.KindStaff, "")
	admin.CoreRole = portal.RoleAdministrator
	admin2 := person("acc_admin2", "Alan Admin", portal.StatusActive, portal.KindStaff, "")
	admin2.CoreRole = portal.RoleAdministrator
	s.accounts = append(s.accounts, admin, admin2)
	for i := range 5 {
		s.accounts = append(s.accounts, person(fmt.Sprintf("acc_pending%d", i), fmt.Sprintf("Pending Person %d", i), portal.StatusPending, portal.KindStaff, "org_a"))
	}
	for i := range 4 {
		s.accounts = append(s.accounts, person(fmt.Sprintf("acc_staff%d", i), fmt.Sprintf("Staff Member %d", i), portal.StatusActive, portal.KindStaff, "org_a"))
	}
	for i := range 3 {
		s.accounts = append(s.accounts, person(fmt.Sprintf("acc_client%d", i), fmt.Sprintf("Client %d", i), portal.StatusActive, portal.KindClient, "org_b"))
	}
	ghost := person("acc_ghost", "Ghost Client", portal.StatusActive, portal.KindClient, "org_b")
	ghost.RegistrationComplete = false
	denied := person("acc_denied", "Denied Person", portal.StatusDenied, portal.KindStaff, "org_a")
	denied.DenyReason = "unknown domain"
	off := person("acc_off", "Deactivated Person", portal.StatusDeactivated, portal.KindStaff, "org_a")
	s.accounts = append(s.accounts, ghost, denied, off)
	s.contacts = []portal.Contact{
		{ID: "con_1", OrganizationID: "org_a", FullName: "Carol Contact", Email: "carol@example.org", CreatedAt: t0, UpdatedAt: t0},
		{ID: "con_2", OrganizationID: "org_b", FullName: "Dan Contact", Email: "dan@example.org", CreatedAt: t0, UpdatedAt: t0},
		{ID: "con_inv", OrganizationID: "org_a", FullName: "Ivy Invited", Email: "ivy@example.org", CreatedAt: t0, UpdatedAt: t0},
	}
	inv := person("acc_invited", "Ivy Invited", portal.StatusInvited, portal.KindClient, "org_a")
	inv.ContactID, inv.Email, inv.Source = "con_inv", "ivy@example.org", "invitation"
	s.accounts = append(s.accounts, inv)
	s.invitations = []portal.Invitation{{ID: "inv_1", AccountID: "acc_invited", ContactID: "con_inv", OrganizationID: "org_a",
		Email: "ivy@example.org", Name: "Ivy Invited", Status: portal.InvitationPending, CreatedBy: "acc_admin",
		CreatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)}}
	return s
}

// ---- the desktop side ----

type desk struct {
	t     testing.TB
	ctx   context.Context
	db    *cache.DB
	path  string
	clock *portal.FixedClock
	cl    *client.Client
	eng   *replica.Engine
	cmds  *replica.Commands
}

type deskOption func(*replica.Config)

func newDesk(t testing.TB, p *portalEnv, opts ...deskOption) *desk {
	t.Helper()
	d := &desk{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "gatehouse.db"), clock: portal.NewFixedClock(t0)}
	d.open(p, opts...)
	t.Cleanup(d.close)
	return d
}

// syncedDesk is the usual start: a portal with the standard seed and a desk that has
// synced it once.
func syncedDesk(t testing.TB) (*portalEnv, *desk) {
	t.Helper()
	p := newPortal(t)
	p.seed(standardSeed())
	d := newDesk(t, p)
	if err := d.eng.Sync(d.ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	return p, d
}

func (d *desk) open(p *portalEnv, opts ...deskOption) {
	d.t.Helper()
	db, err := cache.Open(d.ctx, d.path, cache.WithClock(d.clock), cache.WithSchema(replica.Schema()))
	if err != nil {
		d.t.Fatal(err)
	}
	d.db = db
	d.cl = client.New(p.url, p.token, client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	cfg := replica.Config{Cache: db, Client: d.cl, Logger: quiet(), Backoff: replica.Backoff{Initial: time.Second, Max: time.Minute, Rand: func() float64 { return 0.5 }}}
	for _, o := range opts {
		o(&cfg)
	}
	if d.eng, err = replica.New(d.ctx, cfg); err != nil {
		d.t.Fatal(err)
	}
	d.cmds = d.eng.Commands()
}

func (d *desk) close() {
	if d.db == nil {
		return
	}
	d.eng.Stop()
	if err := d.db.Close(); err != nil {
		d.t.Errorf("close the cache: %v", err)
	}
	d.db = nil
}

func (d *desk) pull() replica.PullResult {
	d.t.Helper()
	res, err := d.eng.Pull(d.ctx)
	if err != nil {
		d.t.Fatalf("pull: %v", err)
	}
	return res
}

func (d *desk) push() replica.PushResult {
	d.t.Helper()
	res, err := d.eng.Push(d.ctx)
	if err != nil {
		d.t.Fatalf("push: %v", err)
	}
	return res
}

func (d *desk) account(id string) portal.Account {
	d.t.Helper()
	a, err := d.db.GetAccount(d.ctx, id)
	if err != nil {
		d.t.Fatalf("account %s in the cache: %v", id, err)
	}
	return a
}

// ---- comparing the cache with the server ----

func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mirrorOf is every mirrored record of the server, by entity and ID, as JSON.
func serverMirror(p *portalEnv) map[string]string {
	p.t.Helper()
	m := map[string]string{}
	p.view(func(r store.Reader) error {
		orgs, err := r.Organizations(p.ctx, store.OrgFilter{})
		if err != nil {
			return err
		}
		for _, o := range orgs {
			m["organization/"+o.ID] = asJSON(p.t, o)
		}
		cs, err := r.Contacts(p.ctx, store.ContactFilter{})
		if err != nil {
			return err
		}
		for _, c := range cs {
			m["contact/"+c.ID] = asJSON(p.t, c)
		}
		as, err := r.Accounts(p.ctx, store.AccountFilter{})
		if err != nil {
			return err
		}
		for _, a := range as {
			m["account/"+a.ID] = asJSON(p.t, a)
		}
		rs, err := r.Roles(p.ctx)
		if err != nil {
			return err
		}
		for _, x := range rs {
			m["role/"+x.ID] = asJSON(p.t, x)
		}
		is, err := r.Invitations(p.ctx, store.InvitationFilter{})
		if err != nil {
			return err
		}
		for _, x := range is {
			m["invitation/"+x.ID] = asJSON(p.t, x)
		}
		ts, err := r.Templates(p.ctx)
		if err != nil {
			return err
		}
		for _, x := range ts {
			m["template/"+x.Key] = asJSON(p.t, x)
		}
		set, err := r.Settings(p.ctx)
		if err != nil {
			return err
		}
		m["settings/portal"] = asJSON(p.t, set.WithDefaults())
		evs, err := r.AuditEvents(p.ctx, store.AuditFilter{})
		if err != nil {
			return err
		}
		m["audit-count"] = fmt.Sprint(len(evs))
		return nil
	})
	return m
}

func cacheMirror(t testing.TB, db *cache.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	m := map[string]string{}
	for off := 0; ; off += 1000 {
		pg, err := db.ListOrganizations(ctx, cache.OrganizationFilter{Limit: 1000, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range pg.Rows {
			m["organization/"+o.ID] = asJSON(t, o)
		}
		if off+1000 >= pg.Total {
			break
		}
	}
	for off := 0; ; off += 1000 {
		pg, err := db.ListContacts(ctx, cache.ContactFilter{Limit: 1000, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pg.Rows {
			m["contact/"+c.ID] = asJSON(t, c.Contact)
		}
		if off+1000 >= pg.Total {
			break
		}
	}
	for off := 0; ; off += 1000 {
		pg, err := db.ListAccounts(ctx, cache.AccountFilter{Limit: 1000, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range pg.Rows {
			m["account/"+a.ID] = asJSON(t, a.Account)
		}
		if off+1000 >= pg.Total {
			break
		}
	}
	rs, err := db.ListRoles(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rs {
		m["role/"+x.ID] = asJSON(t, x)
	}
	for off := 0; ; off += 1000 {
		pg, err := db.ListInvitations(ctx, cache.InvitationFilter{Limit: 1000, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range pg.Rows {
			m["invitation/"+x.ID] = asJSON(t, x)
		}
		if off+1000 >= pg.Total {
			break
		}
	}
	ts, err := db.Documents(ctx, cache.EntityTemplate)
	if err != nil {
		t.Fatal(err)
	}
	for key, raw := range ts {
		var x client.Template
		if err := json.Unmarshal(raw, &x); err != nil {
			t.Fatal(err)
		}
		m["template/"+key] = asJSON(t, x)
	}
	var set client.Settings
	if ok, err := db.Document(ctx, cache.EntitySettings, portal.SettingsID, &set); err != nil || !ok {
		t.Fatalf("the portal's settings are not in the local copy: %v", err)
	}
	m["settings/portal"] = asJSON(t, set.WithDefaults())
	pg, err := db.ListAuditEvents(ctx, cache.AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	m["audit-count"] = fmt.Sprint(pg.Total)
	return m
}

// sameAsServer fails the test unless the cache mirrors the server exactly.
func sameAsServer(t testing.TB, p *portalEnv, db *cache.DB) {
	t.Helper()
	want, got := serverMirror(p), cacheMirror(t, db)
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, "missing in the cache: "+k)
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s differs:\n  server %s\n  cache  %s", k, w, g))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "only in the cache: "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 10 {
		diffs = append(diffs[:10], fmt.Sprintf("... and %d more", len(diffs)-10))
	}
	for _, d := range diffs {
		t.Error(d)
	}
	if len(want) < 3 {
		t.Fatalf("the server holds almost nothing (%d entries); the comparison proves little", len(want))
	}
}

// gateSleeper lets a test decide when the engine's waits end; it records what the engine
// asked to wait and moves the test clock by that much when a wait ends.
type gateSleeper struct {
	clock *portal.FixedClock
	asked chan time.Duration
	mu    sync.Mutex
	fire  chan time.Time
}

func newGateSleeper(clock *portal.FixedClock) *gateSleeper {
	return &gateSleeper{clock: clock, asked: make(chan time.Duration, 100)}
}

func (s *gateSleeper) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	s.mu.Lock()
	s.fire = ch
	s.mu.Unlock()
	s.asked <- d
	return ch
}

// wait returns the next wait the engine asked for.
func (s *gateSleeper) wait(t testing.TB) time.Duration {
	t.Helper()
	select {
	case d := <-s.asked:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("the engine never finished its cycle")
		return 0
	}
}

// elapse ends the current wait, moving the clock by d.
func (s *gateSleeper) elapse(d time.Duration) {
	s.mu.Lock()
	ch := s.fire
	s.mu.Unlock()
	s.clock.Advance(d)
	ch <- s.clock.Now()
}
