package server_test

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/servertest"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

const (
	desktopAudience = "gatehouse-desktop"
	portalClientID  = "gatehouse-portal"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a running portal server with its parts: a test clock, an SMTP sink, an OpenID
// Provider, and a SQLite file in a temporary folder.
type env struct {
	t     testing.TB
	ctx   context.Context
	srv   *server.Server
	svc   *service.Service
	st    store.Store
	url   string
	clock *portal.FixedClock
	sink  *mailtest.Sink
	op    *testOP
}

type envOption func(*server.Config)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, clock: portal.NewFixedClock(start), sink: mailtest.NewSink(t)}
	e.op = newTestOP(t, e.clock)
	cfg := server.Config{
		TrustedIssuers: []server.TrustedIssuer{{Issuer: e.op.URL, Audiences: []string{desktopAudience}}},
		SSO:            &server.SSOConfig{Issuer: e.op.URL, ClientID: portalClientID, ClientSecret: e.op.secret},
		SMTP:           &mail.SMTPConfig{Host: e.sink.Host(), Port: e.sink.Port(), Security: mail.SecurityNone, From: "Portal <portal@example.org>"},
		Clock:          e.clock,
	}
	for _, o := range opts {
		o(&cfg)
	}
	p := servertest.Start(t, cfg)
	srv := p.Server
	e.url, e.srv, e.svc, e.st = p.URL, srv, srv.Service(), srv.Store()
	return e
}

// ---- fixtures, written straight to the store ----

var seq atomic.Int64

func (e *env) id(prefix string) string {
	return prefix + "_" + strings.ReplaceAll(e.t.Name(), "/", "_") + "_" + itoa(int(seq.Add(1)))
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{digits[n%10]}, b...)
	}
	return string(b)
}

func (e *env) update(fn func(tx store.Tx) error) {
	e.t.Helper()
	if err := e.st.Update(e.ctx, fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) org(name string) portal.Organization {
	o := portal.Organization{ID: e.id("org"), Name: name, CreatedAt: start, UpdatedAt: start}
	e.update(func(tx store.Tx) error { return tx.PutOrganization(e.ctx, &o) })
	return o
}

func (e *env) contact(orgID, email string) portal.Contact {
	c := portal.Contact{ID: e.id("con"), OrganizationID: orgID, Email: email, FullName: portal.NameFromEmail(email), CreatedAt: start, UpdatedAt: start}
	e.update(func(tx store.Tx) error { return tx.PutContact(e.ctx, &c) })
	return c
}

// account stores a; missing fields get defaults (an active staff user).
func (e *env) account(a portal.Account) portal.Account {
	if a.ID == "" {
		a.ID = e.id("acc")
	}
	if a.Email == "" {
		a.Email = strings.ToLower(a.ID) + "@example.org"
	}
	if a.Name == "" {
		a.Name = "Person " + a.ID
	}
	if a.Status == "" {
		a.Status = portal.StatusActive
	}
	if a.Kind == "" {
		a.Kind = portal.KindStaff
	}
	if a.Kind == portal.KindStaff && a.CoreRole == "" {
		a.CoreRole = portal.RoleStaff
	}
	if a.Kind == portal.KindClient {
		a.CoreRole = ""
	}
	if a.AdditionalRoles == nil {
		a.AdditionalRoles = []string{}
	}
	a.CreatedAt, a.UpdatedAt, a.RegistrationComplete = start, start, a.RegistrationComplete || a.Kind == portal.KindStaff
	if a.Source == "" {
		a.Source = "sso.example.org"
	}
	e.update(func(tx store.Tx) error { return tx.PutAccount(e.ctx, &a) })
	return a
}

func (e *env) sysAdmin() portal.Account {
	return e.account(portal.Account{CoreRole: portal.RoleAdministrator})
}

// session opens an API session for an account without signing in.
func (e *env) session(accountID string) string {
	e.t.Helper()
	tok, err := e.svc.IssueSession(e.ctx, accountID, service.SessionAPI)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) client(accountID string) *client.Client {
	return client.New(e.url, e.session(accountID))
}

func (e *env) stored(id string) portal.Account {
	return storedRecord(e, func(r store.Reader) (portal.Account, error) { return r.Account(e.ctx, id) })
}

// storedRecord reads one record straight from the server's store.
func storedRecord[T any](e *env, read func(store.Reader) (T, error)) T {
	e.t.Helper()
	var v T
	if err := e.st.View(e.ctx, func(r store.Reader) error {
		var err error
		v, err = read(r)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) audit(f store.AuditFilter) []portal.AuditEvent {
	e.t.Helper()
	var evs []portal.AuditEvent
	if err := e.st.View(e.ctx, func(r store.Reader) error {
		var err error
		evs, err = r.AuditEvents(e.ctx, f)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// ---- a browser: cookies, redirects, forms ----

type browser struct {
	t  testing.TB
	hc *http.Client
	e  *env
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

type page struct {
	Status int
	URL    string
	Body   string
	Header http.Header
}

func (b *browser) get(u string) page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.url + u
	}
	resp, err := b.hc.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return readPage(b.t, resp)
}

func readPage(t testing.TB, resp *http.Response) page {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{Status: resp.StatusCode, URL: resp.Request.URL.String(), Body: string(body), Header: resp.Header}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// post submits a form of the page p, with the CSRF token the page carries.
func (b *browser) post(p page, action string, form url.Values) page {
	b.t.Helper()
	m := csrfRe.FindStringSubmatch(p.Body)
	if m == nil {
		b.t.Fatalf("page %s has no CSRF token:\n%s", p.URL, p.Body)
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", m[1])
	if strings.HasPrefix(action, "/") {
		action = b.e.url + action
	}
	resp, err := b.hc.PostForm(action, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return readPage(b.t, resp)
}

// link finds the first URL in text that starts with prefix.
func link(t testing.TB, text, prefix string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `[^\s<>"]*`)
	m := re.FindString(text)
	if m == "" {
		t.Fatalf("no link starting with %s in:\n%s", prefix, text)
	}
	return strings.ReplaceAll(m, "&amp;", "&")
}

// messagesTo returns the sink's messages to addr.
func messagesTo(msgs []mailtest.Received, addr string) []mailtest.Received {
	var out []mailtest.Received
	for _, m := range msgs {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

func subject(m mailtest.Received) string {
	if m.Header == nil {
		return ""
	}
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}
