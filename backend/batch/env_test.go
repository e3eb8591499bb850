package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/internal/seal"
	"gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/servertest"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is the real thing on loopback: a portal server with its SQLite file, a go-smtp sink,
// the desktop cache (a SQLite file) mirroring the server's organisations and contacts,
// and the batch store on it. One test clock drives them all.
type env struct {
	t      testing.TB
	ctx    context.Context
	clock  *portal.FixedClock
	srv    *server.Server
	url    string
	token  string
	client *client.Client
	sink   *mailtest.Sink
	db     *cache.DB
	st     *Store
	orgs   []portal.Organization
	people []portal.Contact

	mu     sync.Mutex
	sleeps []time.Duration
}

// orgKinds: three member organisations of two types and one that is not a member.
// Person i belongs to kind i%4; each block of 80 people has its own four organisations
// ("Abbey Parish Council", "Abbey Parish Council 2", ...), 20 people each, with 20
// first names and surnames that no quality check mistakes for one another.
var orgKinds = []portal.Organization{
	{ID: "org_abbey", Name: "Abbey Parish Council", Type: "council", Member: true},
	{ID: "org_brook", Name: "Brook Town Council", Type: "council", Member: true},
	{ID: "org_cedar", Name: "Cedar Food Pantry", Type: "pantry", Member: true},
	{ID: "org_dale", Name: "Dale Parish Council", Type: "council", Member: false},
}

var (
	firstNames = []string{"Alice", "Brian", "Chloe", "David", "Emma", "Felix", "Grace", "Henry", "Isla", "James", "Kate", "Liam",
		"Maya", "Noah", "Olive", "Peter", "Quentin", "Rosa", "Simon", "Tara"}
	surnames = []string{"Adams", "Baker", "Clarke", "Davies", "Évans", "Fisher", "Green", "Hughes", "Irving", "Jones", "King", "Lewis",
		"Morgan", "Nash", "Owen", "Price", "Quinn", "Roberts", "Smith", "Turner"}
)

type envOptions struct {
	sink   []mailtest.Option
	people int
	// person customises contact i before it is stored.
	person func(i int, c *portal.Contact)
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, clock: portal.NewFixedClock(start), sink: mailtest.NewSink(t, o.sink...)}
	dir := t.TempDir()
	p := servertest.Start(t, server.Config{Clock: e.clock})
	srv := p.Server
	e.url, e.srv = p.URL, srv
	admin := portal.Account{ID: "acc_admin", Email: "admin@example.org", Name: "Maria Admin", Status: portal.StatusActive, Kind: portal.KindStaff,
		CoreRole: portal.RoleAdministrator, AdditionalRoles: []string{}, RegistrationComplete: true, Source: "sso.example.org", CreatedAt: start, UpdatedAt: start}
	for block := 0; block*80 < max(o.people, 1); block++ {
		for _, k := range orgKinds {
			org := k
			if block > 0 {
				org.ID, org.Name = fmt.Sprintf("%s_%d", k.ID, block+1), fmt.Sprintf("%s %d", k.Name, block+1)
			}
			org.CreatedAt, org.UpdatedAt = start, start
			e.orgs = append(e.orgs, org)
		}
	}
	for i := range o.people {
		org := e.orgs[4*(i/80)+i%4]
		j := (i / 4) % 20
		c := portal.Contact{ID: fmt.Sprintf("con_%05d", i), OrganizationID: org.ID, FirstName: firstNames[j], LastName: surnames[j],
			Email: fmt.Sprintf("p%05d@example.org", i), Member: org.Member, CreatedAt: start, UpdatedAt: start}
		c.FullName = c.FirstName + " " + c.LastName
		if o.person != nil {
			o.person(i, &c)
		}
		e.people = append(e.people, c)
	}
	if err := srv.Store().Update(ctx, func(tx store.Tx) error {
		if err := tx.PutAccount(ctx, &admin); err != nil {
			return err
		}
		for i := range e.orgs {
			if err := tx.PutOrganization(ctx, &e.orgs[i]); err != nil {
				return err
			}
		}
		for i := range e.people {
			if err := tx.PutContact(ctx, &e.people[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.token, err = srv.Service().IssueSession(ctx, admin.ID, service.SessionAPI); err != nil {
		t.Fatal(err)
	}
	e.client = client.New(e.url, e.token)

	e.db = openCache(t, filepath.Join(dir, "gatehouse.db"), e.clock)
	e.mirror()
	e.st = NewStore(e.db)
	return e
}

func openCache(t testing.TB, path string, clock portal.Clock) *cache.DB {
	t.Helper()
	db, err := cache.Open(context.Background(), path, cache.WithClock(clock), cache.WithSchema(imports.Schema()), cache.WithSchema(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// mirror copies the server's organisations, contacts, accounts and invitations into the
// cache, as the sync would.
func (e *env) mirror() {
	e.t.Helper()
	var orgs []portal.Organization
	var contacts []portal.Contact
	var accounts []portal.Account
	var invs []portal.Invitation
	if err := e.srv.Store().View(e.ctx, func(r store.Reader) error {
		var err error
		if orgs, err = r.Organizations(e.ctx, store.OrgFilter{Limit: 100000}); err != nil {
			return err
		}
		if contacts, err = r.Contacts(e.ctx, store.ContactFilter{Limit: 100000}); err != nil {
			return err
		}
		if accounts, err = r.Accounts(e.ctx, store.AccountFilter{Limit: 100000}); err != nil {
			return err
		}
		invs, err = r.Invitations(e.ctx, store.InvitationFilter{Limit: 100000})
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.Apply(e.ctx, func(tx *cache.Tx) error {
		for _, o := range orgs {
			if err := tx.UpsertOrganization(o); err != nil {
				return err
			}
		}
		for _, c := range contacts {
			if err := tx.UpsertContact(c); err != nil {
				return err
			}
		}
		for _, a := range accounts {
			if err := tx.UpsertAccount(a); err != nil {
				return err
			}
		}
		for _, inv := range invs {
			if err := tx.UpsertInvitation(inv); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// sender is an SMTPSender to the sink on the test clock.
func (e *env) sender() *mail.SMTPSender {
	s := mail.NewSMTPSender(mail.SMTPConfig{Host: e.sink.Host(), Port: e.sink.Port(), Security: mail.SecurityNone,
		From: "Riverside Portal <portal@example.org>", Clock: e.clock})
	e.t.Cleanup(func() { s.Close() })
	return s
}

// engine returns an engine whose waits move the test clock instead of taking time.
func (e *env) engine(opt EngineOptions) *Engine {
	if opt.Sleep == nil {
		opt.Sleep = func(ctx context.Context, d time.Duration) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			e.mu.Lock()
			e.sleeps = append(e.sleeps, d)
			e.mu.Unlock()
			e.clock.Advance(d)
			return nil
		}
	}
	if opt.LinkKey == nil {
		opt.LinkKey = testLinkKey
	}
	return NewEngine(e.st, ClientInviter{Client: e.client}, e.sender(), opt)
}

func (e *env) candidates() []Candidate {
	e.t.Helper()
	cands, err := FromCache(e.ctx, e.db, CacheQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	return cands
}

func (e *env) form(opt FormOptions) Batch {
	e.t.Helper()
	if opt.ProductName == "" {
		opt.ProductName = "Riverside Portal"
	}
	if opt.InvitedBy == "" {
		opt.InvitedBy = "Maria Admin"
	}
	b, err := e.st.Create(e.ctx, e.candidates(), opt)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) recipients(batchID string, states ...State) []Recipient {
	e.t.Helper()
	var out []Recipient
	for off := 0; ; off += 1000 {
		p, err := e.st.Recipients(e.ctx, batchID, RecipientQuery{States: states, Offset: off, Limit: 1000})
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, p.Items...)
		if off+len(p.Items) >= p.Total {
			return out
		}
	}
}

// received counts the sink's messages per envelope recipient.
func (e *env) received() map[string][]mailtest.Received {
	out := map[string][]mailtest.Received{}
	for _, m := range e.sink.Messages() {
		for _, to := range m.To {
			out[to] = append(out[to], m)
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https?://[^\s<>]+/invite/[A-Za-z0-9_-]+`)

func linkIn(t testing.TB, m mailtest.Received) string {
	t.Helper()
	l := linkRE.FindString(m.Body)
	if l == "" {
		t.Fatalf("no invitation link in the message to %v:\n%s", m.To, m.Body)
	}
	return l
}

// visit opens an invitation link the way a browser does and returns the status and page.
func visit(t testing.TB, jar http.CookieJar, link string) (int, string) {
	t.Helper()
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := hc.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// accept uses an invitation link: opens it, sets a password with the page's form.
func accept(t testing.TB, link string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	status, page := visit(t, jar, link)
	if status != http.StatusOK {
		return status, page
	}
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("invitation page has no form:\n%s", page)
	}
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := hc.PostForm(link+"/password", url.Values{"csrf": {m[1]}, "password": {"correct horse battery staple"}, "confirm": {"correct horse battery staple"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serverInvitations returns the server's invitations by contact.
func (e *env) serverInvitations() map[string][]portal.Invitation {
	e.t.Helper()
	out := map[string][]portal.Invitation{}
	if err := e.srv.Store().View(e.ctx, func(r store.Reader) error {
		invs, err := r.Invitations(e.ctx, store.InvitationFilter{Limit: 100000})
		for _, inv := range invs {
			out[inv.ContactID] = append(out[inv.ContactID], inv)
		}
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

type mimeDecoder = mime.WordDecoder

func newClient(baseURL, token string) *client.Client { return client.New(baseURL, token) }

// testLinkKey seals the tests' invitation links: fixed, so that a crashed child's links
// open in the parent that resumes its batch.
var testLinkKey = bytes.Repeat([]byte{7}, seal.KeySize)
