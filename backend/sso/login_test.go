package sso

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/sso/ssotest"
)

// headlessOpener is an Opener that signs in as login in the headless browser, in the
// background as a real browser would, and reports what happened on errc.
func headlessOpener(t testing.TB, login string) (Opener, <-chan error) {
	errc := make(chan error, 1)
	return func(authURL string) error {
		go func() {
			cb, err := ssotest.NewBrowser().SignIn(authURL, login, false)
			if err != nil {
				errc <- err
				return
			}
			status, page, err := ssotest.Deliver(t, http.MethodGet, cb, "")
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("callback answered %d: %s", status, page)
			}
			if err == nil && !strings.Contains(page, "You are signed in") {
				err = fmt.Errorf("callback page does not say the person is signed in: %s", page)
			}
			errc <- err
		}()
		return nil
	}, errc
}

func TestLoginHeadless(t *testing.T) {
	p := sharedProvider(t)
	c := newTestClient(t, p, nil)
	open, browserErr := headlessOpener(t, "anna")
	var shown string
	res, err := c.Login(context.Background(), open, func(u string, openErr error) {
		shown = u
		if openErr != nil {
			t.Errorf("opener error = %v, want none", openErr)
		}
	})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if err := <-browserErr; err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.HasPrefix(shown, p.Issuer+"/auth?") {
		t.Errorf("shown URL = %q, want the provider's authorization endpoint", shown)
	}
	for _, want := range []string{"code_challenge_method=S256", "code_challenge=", "state=", "nonce=", "prompt=consent", "redirect_uri=http%3A%2F%2F127.0.0.1%3A"} {
		if !strings.Contains(shown, want) {
			t.Errorf("authorization URL lacks %q: %s", want, shown)
		}
	}
	if strings.Contains(shown, "code_verifier") {
		t.Errorf("authorization URL leaks the PKCE verifier: %s", shown)
	}
	want := Claims{Subject: "anna", Email: "anna@example.org", EmailVerified: true, Name: "Anna", Issuer: p.Issuer, Audience: []string{ssotest.ClientID}}
	got := res.Claims
	if got.Subject != want.Subject || got.Email != want.Email || got.EmailVerified != want.EmailVerified || got.Name != want.Name || got.Issuer != want.Issuer || strings.Join(got.Audience, ",") != ssotest.ClientID {
		t.Errorf("claims = %+v, want %+v", got, want)
	}
	if res.RawIDToken == "" || res.RefreshToken == "" {
		t.Fatalf("want an ID token and (offline_access) a refresh token, got %v", res)
	}
	if !res.Expiry.After(got.IssuedAt) {
		t.Errorf("expiry %s not after issue time %s", res.Expiry, got.IssuedAt)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		if s := fmt.Sprintf(verb, res); strings.Contains(s, res.RawIDToken) || strings.Contains(s, res.RefreshToken) || strings.Contains(s, res.RawIDToken[:20]) {
			t.Errorf("fmt %s of a Result leaks a token: %s", verb, s)
		}
	}

	// The refresh token gets a fresh, verified ID token without the browser, and is
	// rotated by the provider: the old one is dead afterwards.
	again, err := c.Refresh(context.Background(), res.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if again.Claims.Subject != "anna" || again.RawIDToken == "" {
		t.Errorf("refreshed claims = %+v", again.Claims)
	}
	if again.RefreshToken != "" && again.RefreshToken != res.RefreshToken {
		if _, err := c.Refresh(context.Background(), res.RefreshToken); ReasonOf(err) != ReasonCodeRejected {
			t.Errorf("refresh with the rotated-out token: reason %q (%v), want %q", ReasonOf(err), err, ReasonCodeRejected)
		}
	}
}

// A browser that fails to open does not end the sign-in: the URL is shown, and the person
// pastes it into a browser themselves.
func TestLoginBrowserDoesNotOpen(t *testing.T) {
	p := sharedProvider(t)
	c := newTestClient(t, p, nil)
	noBrowser := func(string) error { return errors.New("exec: \"xdg-open\": executable file not found in $PATH") }
	done := make(chan error, 1)
	res, err := c.Login(context.Background(), noBrowser, func(u string, openErr error) {
		if openErr == nil || !strings.Contains(openErr.Error(), "copy the sign-in link") {
			t.Errorf("show got openErr %v, want the opener's error with advice", openErr)
		}
		go func() {
			cb, err := ssotest.NewBrowser().SignIn(u, "bert", false)
			if err == nil {
				_, _, err = ssotest.Deliver(t, http.MethodGet, cb, "")
			}
			done <- err
		}()
	})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res.Claims.Email != "bert@example.org" {
		t.Errorf("email = %q", res.Claims.Email)
	}
}

// Without IPv4 loopback the listener falls back to [::1], and the redirect URI follows
// the address actually bound.
func TestLoginIPv6Fallback(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("this machine has no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	p := sharedProvider(t)
	c := newTestClient(t, p, nil)
	c.listen = func(network, addr string) (net.Listener, error) {
		if network == "tcp4" {
			return nil, errors.New("IPv4 loopback disabled for this test")
		}
		return net.Listen(network, addr)
	}
	f, err := c.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.HasPrefix(f.RedirectURI(), "http://[::1]:") || !strings.HasSuffix(f.RedirectURI(), "/callback") {
		t.Fatalf("redirect URI = %q, want http://[::1]:PORT/callback", f.RedirectURI())
	}
	cb, err := ssotest.NewBrowser().SignIn(f.AuthURL(), "carla", false)
	if err != nil {
		t.Fatal(err)
	}
	if status, page, err := ssotest.Deliver(t, http.MethodGet, cb, ""); err != nil || status != http.StatusOK {
		t.Fatalf("callback: %d %v %s", status, err, page)
	}
	res, err := f.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Claims.Subject != "carla" {
		t.Errorf("subject = %q", res.Claims.Subject)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no issuer", Config{ClientID: "x"}, "issuer"},
		{"plain http to another host", Config{Issuer: "http://login.example.org", ClientID: "x"}, "issuer"},
		{"not a URL", Config{Issuer: "login.example.org", ClientID: "x"}, "issuer"},
		{"query in issuer", Config{Issuer: "https://login.example.org/?a=b", ClientID: "x"}, "issuer"},
		{"no client ID", Config{Issuer: "https://login.example.org"}, "clientId"},
		{"negative timeout", Config{Issuer: "https://login.example.org", ClientID: "x", Timeout: -time.Second}, "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewClient(context.Background(), tc.cfg)
			var pe *portal.Error
			if !errors.As(err, &pe) || pe.Code != portal.EINVALID || pe.Field != tc.field || ReasonOf(err) != ReasonConfig {
				t.Fatalf("err = %v, want invalid %s config error", err, tc.field)
			}
		})
	}
}
