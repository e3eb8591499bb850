package server_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

// Password guesses cost the guesser: five wrong tries for one account are answered, the
// sixth waits (429, Retry-After, a page that says how long), even with the right password;
// the wait doubles; after it, the right password lets the person in and clears the count.
// The count is in the database: a restarted server remembers it.
func TestPasswordGuessesAreThrottled(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "portal.db")
	e := newEnv(t, func(c *server.Config) { c.DBPath = dbPath })
	clara := e.account(portal.Account{Kind: portal.KindClient, RegistrationComplete: true, Email: "clara@example.org", Name: "Clara"})
	e.update(func(tx store.Tx) error {
		return tx.SetPasswordHash(e.ctx, clara.ID, service.HashPassword("correct horse battery"), e.clock.Now())
	})
	try := func(e *env, pw string) page {
		t.Helper()
		b := e.browser()
		return b.post(b.get("/"), "/login/password", url.Values{"email": {"clara@example.org"}, "password": {pw}})
	}
	for i := 1; i <= 5; i++ {
		if p := try(e, "wrong password!"); p.Status != http.StatusUnauthorized {
			t.Fatalf("wrong try %d: %d", i, p.Status)
		}
	}
	p := try(e, "wrong password!") // the sixth failure sets the first wait (1 s)
	if p.Status != http.StatusUnauthorized {
		t.Fatalf("sixth try: %d", p.Status)
	}
	p = try(e, "correct horse battery")
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") != "1" || !strings.Contains(p.Body, "Too many tries") {
		t.Fatalf("while waiting, even the right password: %d Retry-After %q\n%s", p.Status, p.Header.Get("Retry-After"), p.Body)
	}

	// The server restarts on the same database: the wait holds.
	e.srv.Shutdown(e.ctx)
	e2 := newEnv(t, func(c *server.Config) { c.DBPath = dbPath })
	if p := try(e2, "correct horse battery"); p.Status != http.StatusTooManyRequests {
		t.Fatalf("after a restart: %d", p.Status)
	}
	e2.clock.Advance(2 * time.Second)
	if p := try(e2, "wrong password!"); p.Status != http.StatusUnauthorized {
		t.Fatalf("after the wait, a wrong try: %d", p.Status)
	}
	if p := try(e2, "correct horse battery"); p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") != "2" {
		t.Fatalf("the second wait doubles: %d %q", p.Status, p.Header.Get("Retry-After"))
	}
	e2.clock.Advance(3 * time.Second)
	if p := try(e2, "correct horse battery"); p.Status != http.StatusOK || !strings.Contains(p.Body, "You are signed in") {
		t.Fatalf("the right password after the wait: %d\n%s", p.Status, p.Body)
	}
	// A success clears the count: the next typo is answered at once.
	if p := try(e2, "wrong password!"); p.Status != http.StatusUnauthorized {
		t.Fatalf("a typo after signing in: %d", p.Status)
	}
}

// One address guessing across many accounts is held back too, later than one account (an
// office shares its address); unknown addresses count like known ones.
func TestPasswordGuessesFromOneAddressAreThrottled(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	home := b.get("/")
	refused := 0
	for i := 0; i < 60; i++ {
		p := b.post(home, "/login/password", url.Values{"email": {"person" + itoa(i) + "@example.org"}, "password": {"guess guess guess"}})
		if p.Status == http.StatusTooManyRequests {
			refused = i
			break
		}
		if p.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, p.Status)
		}
	}
	if refused != 51 {
		t.Fatalf("the address was held back at guess %d, want 51 (50 failures let through, then a wait)", refused)
	}
}

// Starting SSO sign-ins again and again from one address is refused after a while, and
// abandoned sign-ins leave the database when they expire.
func TestSignInStartsAreThrottledAndForgotten(t *testing.T) {
	e := newEnv(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status := 0
	starts := 0
	for starts = 0; starts < 100; starts++ {
		res, err := noRedirect.Get(e.url + "/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if status = res.StatusCode; status != http.StatusSeeOther {
			break
		}
	}
	// 60 starts are free; the 61st goes through and sets the first wait.
	if status != http.StatusTooManyRequests || starts != 61 {
		t.Fatalf("start %d answered %d; want 429 after 61", starts, status)
	}
	// Ten minutes on (the sign-ins expired, the window passed), one more start: the
	// expired ones are gone.
	e.clock.Advance(11 * time.Minute)
	res, err := noRedirect.Get(e.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d", res.StatusCode)
	}
	db := rawDB(t, e.st)
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM oidc_states").Scan(&n); err != nil || n != 1 {
		t.Errorf("sign-ins in flight kept: %d (%v), want only the last", n, err)
	}
}

func urlValues(email, password string) url.Values {
	return url.Values{"email": {email}, "password": {password}}
}

// Behind a trusted proxy, each client is counted by the address the proxy saw; a client
// that writes its own X-Forwarded-For in front changes nothing, and without a trusted
// proxy the header is never believed.
func TestThrottlesBehindATrustedProxy(t *testing.T) {
	guesses := func(e *env, forwarded string, n int) int {
		t.Helper()
		b := e.browser()
		home := b.get("/")
		for i := 0; i < n; i++ {
			req, _ := http.NewRequest("POST", e.url+"/login/password", strings.NewReader(url.Values{
				"email": {"person" + itoa(i) + "@example.org"}, "password": {"guess guess guess"}, "csrf": {csrfRe.FindStringSubmatch(home.Body)[1]},
			}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", forwarded)
			res, err := b.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusTooManyRequests {
				return i
			}
		}
		return -1
	}
	proxied := newEnv(t, func(c *server.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	if at := guesses(proxied, "198.51.100.7", 60); at != 51 {
		t.Fatalf("one client behind the proxy was held back at guess %d, want 51", at)
	}
	// Another client behind the same proxy is not; a forged first entry does not help the first.
	if at := guesses(proxied, "203.0.113.9", 10); at != -1 {
		t.Errorf("another client behind the proxy was held back at guess %d", at)
	}
	if at := guesses(proxied, "203.0.113.250, 198.51.100.7", 1); at != 0 {
		t.Errorf("a forged X-Forwarded-For let the first client through (%d)", at)
	}
	// No trusted proxy: the header is the client's own words, and ignored.
	direct := newEnv(t)
	if at := guesses(direct, "192.0.2.1", 60); at != 51 {
		t.Fatalf("without a trusted proxy, held back at guess %d, want 51 whatever the header says", at)
	}
}

// Invitation links that are not one, opened again and again from one address, are refused
// for a while, on the page as at acceptance.
func TestInvitationLinkGuessesAreThrottled(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	status := 0
	tries := 0
	for tries = 0; tries < 40; tries++ {
		if status = b.get("/invite/not-a-real-token-" + itoa(tries)).Status; status == http.StatusTooManyRequests {
			break
		}
	}
	if status != http.StatusTooManyRequests || tries != 21 {
		t.Fatalf("try %d answered %d; want 429 after 21", tries, status)
	}
}
