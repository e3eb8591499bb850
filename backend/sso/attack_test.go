package sso

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"gatehouse/backend/portal"
	"gatehouse/backend/sso/ssotest"
)

// Attack and fault cases. Each is its own subtest; the table of what was tried and what
// came of it is printed at the end (go test -v -run TestAttacksAndFaults).

type attackRow struct {
	name, want, got string
	failed          bool
}

func TestAttacksAndFaults(t *testing.T) {
	p := sharedProvider(t)
	var (
		mu   sync.Mutex
		rows []attackRow
	)
	t.Cleanup(func() {
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tcase\texpected\tobserved\tresult")
		for i, r := range rows {
			verdict := "ok"
			if r.failed {
				verdict = "FAILED"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i+1, r.name, r.want, r.got, verdict)
		}
		tw.Flush()
		t.Log("attack and fault cases:\n" + b.String())
	})

	for _, tc := range attackCases(p) {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.run(t)
			mu.Lock()
			rows = append(rows, attackRow{tc.name, tc.want, got, t.Failed()})
			mu.Unlock()
		})
	}
}

type attackCase struct {
	name, want string
	run        func(t *testing.T) string
}

func attackCases(p *ssotest.Provider) []attackCase {
	return []attackCase{
		{"wrong state", "400, keeps waiting", func(t *testing.T) string {
			return strayThenReal(t, p, func(cb string) (int, error) {
				return status(ssotest.Deliver(t, http.MethodGet, setParam(cb, "state", randomString()), ""))
			})
		}},
		{"missing state", "400, keeps waiting", func(t *testing.T) string {
			return strayThenReal(t, p, func(cb string) (int, error) {
				return status(ssotest.Deliver(t, http.MethodGet, setParam(cb, "state", ""), ""))
			})
		}},
		{"duplicated state", "400, keeps waiting", func(t *testing.T) string {
			return strayThenReal(t, p, func(cb string) (int, error) {
				return status(ssotest.Deliver(t, http.MethodGet, cb+"&state=x", ""))
			})
		}},
		{"error= with forged state", "400, keeps waiting", func(t *testing.T) string {
			return strayThenReal(t, p, func(cb string) (int, error) {
				u, _ := url.Parse(cb)
				u.RawQuery = url.Values{"error": {"access_denied"}, "state": {randomString()}, "iss": {p.Issuer}}.Encode()
				return status(ssotest.Deliver(t, http.MethodGet, u.String(), ""))
			})
		}},
		{"real error=access_denied", "cancelled", func(t *testing.T) string {
			c := newTestClient(t, p, nil)
			f := begin(t, c)
			cb, err := ssotest.NewBrowser().SignIn(f.AuthURL(), "anna", true)
			if err != nil {
				t.Fatal(err)
			}
			if q := mustQuery(t, cb); q.Get("error") != "access_denied" {
				t.Fatalf("provider's abort redirected with %v, want error=access_denied", q)
			}
			st, page, err := ssotest.Deliver(t, http.MethodGet, cb, "")
			if err != nil || !strings.Contains(page, "You cancelled the sign-in") {
				t.Errorf("callback page %d %v: %s", st, err, page)
			}
			return expectReason(t, f, ReasonCancelled, portal.EUNAUTHORIZED)
		}},
		{"missing code", "missing_code", func(t *testing.T) string {
			return tamperCallback(t, p, func(cb string) string { return setParam(cb, "code", "") }, ReasonMissingCode)
		}},
		{"iss (RFC 9207) from another issuer", "wrong_issuer", func(t *testing.T) string {
			return tamperCallback(t, p, func(cb string) string { return setParam(cb, "iss", "http://127.0.0.1:9/evil") }, ReasonWrongIssuer)
		}},
		{"iss (RFC 9207) missing though advertised", "wrong_issuer", func(t *testing.T) string {
			return tamperCallback(t, p, func(cb string) string { return setParam(cb, "iss", "") }, ReasonWrongIssuer)
		}},
		{"nonce mismatch (ID token of an earlier sign-in replayed)", "nonce_mismatch", func(t *testing.T) string {
			earlier := signInFully(t, newTestClient(t, p, nil), "anna").RawIDToken
			return swappedToken(t, p, func(string) string { return earlier }, ReasonNonceMismatch)
		}},
		{"wrong issuer (validly signed, iss changed)", "wrong_issuer", func(t *testing.T) string {
			return swappedToken(t, p, func(raw string) string {
				return resign(t, raw, p.Key, jose.RS256, ssotest.KeyID, func(c map[string]any) { c["iss"] = "http://127.0.0.1:9/impostor" })
			}, ReasonWrongIssuer)
		}},
		{"wrong audience (real token of another client)", "wrong_audience", func(t *testing.T) string {
			other := signInFully(t, newTestClient(t, p, func(c *Config) { c.ClientID = ssotest.OtherClientID }), "anna").RawIDToken
			if aud := claimsOf(t, other)["aud"]; aud != ssotest.OtherClientID {
				t.Fatalf("the other client's token has aud %v", aud)
			}
			return swappedToken(t, p, func(string) string { return other }, ReasonWrongAudience)
		}},
		{"expired token (this computer's clock 2h ahead)", "clock_skew", func(t *testing.T) string {
			clock := portal.NewFixedClock(time.Now().Add(2 * time.Hour))
			c := newTestClient(t, p, func(c *Config) { c.Clock = clock })
			return expectFlow(t, c, "anna", ReasonClockSkew)
		}},
		{"token from the future (clock 1h behind)", "clock_skew", func(t *testing.T) string {
			clock := portal.NewFixedClock(time.Now().Add(-time.Hour))
			c := newTestClient(t, p, func(c *Config) { c.Clock = clock })
			return expectFlow(t, c, "anna", ReasonClockSkew)
		}},
		{"foreign signing key (same kid)", "invalid_token", func(t *testing.T) string {
			foreign, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			return swappedToken(t, p, func(raw string) string {
				return resign(t, raw, foreign, jose.RS256, ssotest.KeyID, nil)
			}, ReasonInvalidToken)
		}},
		{"alg none", "invalid_token", func(t *testing.T) string {
			return swappedToken(t, p, func(raw string) string {
				_, payload, _ := strings.Cut(raw, ".")
				payload, _, _ = strings.Cut(payload, ".")
				head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"` + ssotest.KeyID + `"}`))
				return head + "." + payload + "."
			}, ReasonInvalidToken)
		}},
		{"HS256 signed with the provider's public key", "invalid_token", func(t *testing.T) string {
			der, err := x509.MarshalPKIXPublicKey(&p.Key.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			return swappedToken(t, p, func(raw string) string {
				return resign(t, raw, pubPEM, jose.HS256, ssotest.KeyID, nil)
			}, ReasonInvalidToken)
		}},
		{"replayed authorization code", "code_rejected", func(t *testing.T) string {
			c := newTestClient(t, p, nil)
			f := begin(t, c)
			cb := callbackURL(t, f, "anna")
			if st, page, err := ssotest.Deliver(t, http.MethodGet, cb, ""); err != nil || st != http.StatusOK {
				t.Fatalf("first use: %d %v %s", st, err, page)
			}
			if _, err := f.Wait(context.Background()); err != nil {
				t.Fatalf("first use: %v", err)
			}
			_, err := c.redeem(context.Background(), mustQuery(t, cb).Get("code"), f.verifier, f.redirectURI, f.nonce)
			return checkReason(t, "second redemption", err, ReasonCodeRejected, portal.EUNAUTHORIZED)
		}},
		{"wrong PKCE verifier", "code_rejected", func(t *testing.T) string {
			c := newTestClient(t, p, nil)
			f := begin(t, c)
			f.verifier = oauth2.GenerateVerifier()
			return deliverAndExpect(t, f, callbackURL(t, f, "anna"), ReasonCodeRejected)
		}},
		{"wrong redirect URI at the provider (unregistered host)", "provider refuses, no redirect", func(t *testing.T) string {
			c := newTestClient(t, p, nil)
			f, err := c.begin(context.Background(), fmt.Sprintf("http://localhost:%d/callback", ssotest.FreePort(t)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = ssotest.NewBrowser().SignIn(f.AuthURL(), "anna", false)
			var nr *ssotest.NoRedirectError
			if !errors.As(err, &nr) || nr.Status != http.StatusBadRequest || !strings.Contains(nr.Body, "redirect_uri") {
				t.Fatalf("signIn = %v, want the provider's 400 page about redirect_uri", err)
			}
			return fmt.Sprintf("provider answered %d (%s), never redirected", nr.Status, firstMatch(nr.Body, `redirect_uri[^<]*`))
		}},
		{"wrong redirect URI at the token endpoint", "code_rejected", func(t *testing.T) string {
			c := newTestClient(t, p, nil)
			f := begin(t, c)
			cb := callbackURL(t, f, "anna")
			other := fmt.Sprintf("http://127.0.0.1:%d/callback", ssotest.FreePort(t))
			_, err := c.redeem(context.Background(), mustQuery(t, cb).Get("code"), f.verifier, other, f.nonce)
			return checkReason(t, "redeem with another redirect_uri", err, ReasonCodeRejected, portal.EUNAUTHORIZED)
		}},
		{"forged Host header (DNS rebinding)", "400, keeps waiting", func(t *testing.T) string {
			return strayThenReal(t, p, func(cb string) (int, error) {
				u, _ := url.Parse(cb)
				st1, err := status(ssotest.Deliver(t, http.MethodGet, cb, "evil.example:"+u.Port()))
				if err != nil || st1 != http.StatusBadRequest {
					return st1, err
				}
				return status(ssotest.Deliver(t, http.MethodGet, cb, "localhost:"+u.Port()))
			})
		}},
		{"POST to the callback", "405, keeps waiting", func(t *testing.T) string {
			return strayThenReal(t, p, func(cb string) (int, error) {
				return status(ssotest.Deliver(t, http.MethodPost, cb, ""))
			})
		}},
		{"request after completion", "connection refused", func(t *testing.T) string {
			c := newTestClient(t, p, nil)
			f := begin(t, c)
			cb := callbackURL(t, f, "anna")
			ssotest.Deliver(t, http.MethodGet, cb, "")
			if _, err := f.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			stray := f.Rejected()
			st, _, err := ssotest.Deliver(t, http.MethodGet, cb, "")
			if err == nil {
				// The port was freed when the sign-in completed, and another test's listener
				// may have been given it since; this flow's own listener must not answer.
				if f.Rejected() != stray {
					t.Fatalf("the listener still answered (%d) after the sign-in completed", st)
				}
				return fmt.Sprintf("listener closed (the freed port now answers %d for another listener)", st)
			}
			var op *net.OpError
			if !errors.As(err, &op) {
				t.Errorf("err = %v, want a refused connection", err)
			}
			return "listener closed: " + shortErr(err)
		}},
		{"timeout", "timeout", func(t *testing.T) string {
			c := newTestClient(t, p, func(c *Config) { c.Timeout = 300 * time.Millisecond })
			f := begin(t, c)
			_, err := f.Wait(context.Background())
			return checkReason(t, "Wait", err, ReasonTimeout, portal.EUNAUTHORIZED)
		}},
		{"favicon, preconnect, other paths, HEAD", "404/405, flow survives", func(t *testing.T) string {
			c := newTestClient(t, p, nil)
			f := begin(t, c)
			base := strings.TrimSuffix(f.RedirectURI(), "/callback")
			// A preconnect: a TCP connection that never sends a request.
			pre, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer pre.Close()
			var got []string
			for _, r := range []struct{ method, path string }{{"GET", "/favicon.ico"}, {"GET", "/"}, {"HEAD", "/callback"}, {"GET", "/callback/../callback.html"}} {
				st, _, err := ssotest.Deliver(t, r.method, base+r.path, "")
				if err != nil || st/100 != 4 {
					t.Errorf("%s %s = %d %v, want a 4xx", r.method, r.path, st, err)
				}
				got = append(got, fmt.Sprintf("%s %s→%d", r.method, r.path, st))
			}
			out := deliverAndExpect(t, f, callbackURL(t, f, "anna"), "")
			if n := f.Rejected(); n != 4 {
				t.Errorf("Rejected() = %d, want 4", n)
			}
			return strings.Join(got, ", ") + "; then " + out
		}},
		{"provider down (discovery)", "provider_unreachable", func(t *testing.T) string {
			_, err := NewClient(context.Background(), Config{Issuer: fmt.Sprintf("http://127.0.0.1:%d", ssotest.FreePort(t)), ClientID: ssotest.ClientID})
			return checkReason(t, "NewClient", err, ReasonProviderUnreachable, portal.EINVALID)
		}},
		{"provider down (after the browser came back)", "provider_unreachable", func(t *testing.T) string {
			own := ssotest.Start(t)
			c := newTestClient(t, own, nil)
			f := begin(t, c)
			cb := callbackURL(t, f, "anna")
			own.Stop()
			return deliverAndExpect(t, f, cb, ReasonProviderUnreachable)
		}},
		{"discovery issuer mismatch (localhost for 127.0.0.1)", "discovery_issuer_mismatch", func(t *testing.T) string {
			_, err := NewClient(context.Background(), Config{Issuer: strings.Replace(p.Issuer, "127.0.0.1", "localhost", 1), ClientID: ssotest.ClientID})
			if !strings.Contains(portal.ErrorMessage(err), p.Issuer) {
				t.Errorf("message does not name the provider's real issuer: %q", portal.ErrorMessage(err))
			}
			return checkReason(t, "NewClient", err, ReasonDiscoveryIssuerMismatch, portal.EINVALID)
		}},
		{"discovery issuer mismatch (trailing slash)", "discovery_issuer_mismatch", func(t *testing.T) string {
			_, err := NewClient(context.Background(), Config{Issuer: p.Issuer + "/", ClientID: ssotest.ClientID})
			return checkReason(t, "NewClient", err, ReasonDiscoveryIssuerMismatch, portal.EINVALID)
		}},
		{"not an OpenID provider at that address", "discovery_failed", func(t *testing.T) string {
			srv := &http.Server{Handler: http.NotFoundHandler()}
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			_, err = NewClient(context.Background(), Config{Issuer: "http://" + ln.Addr().String(), ClientID: ssotest.ClientID})
			return checkReason(t, "NewClient", err, ReasonDiscoveryFailed, portal.EINVALID)
		}},
		{"cancelled in Gatehouse (Close)", "aborted", func(t *testing.T) string {
			c := newTestClient(t, p, nil)
			f := begin(t, c)
			f.Close()
			if _, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(f.RedirectURI(), "http://"), "/callback")); err == nil {
				t.Error("listener still accepts connections after Close")
			}
			_, err := f.Wait(context.Background())
			return checkReason(t, "Wait", err, ReasonAborted, portal.EUNAUTHORIZED)
		}},
	}
}

// ---- helpers ----

func begin(t *testing.T, c *Client) *Flow {
	t.Helper()
	f, err := c.Begin(context.Background())
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// callbackURL signs in as login in the headless browser and returns the provider's
// redirect to the loopback listener, undelivered.
func callbackURL(t *testing.T, f *Flow, login string) string {
	t.Helper()
	cb, err := ssotest.NewBrowser().SignIn(f.AuthURL(), login, false)
	if err != nil {
		t.Fatalf("sign in at the provider: %v", err)
	}
	if !strings.HasPrefix(cb, f.RedirectURI()+"?") {
		t.Fatalf("provider redirected to %q, want %s?…", cb, f.RedirectURI())
	}
	return cb
}

func signInFully(t *testing.T, c *Client, login string) *Result {
	t.Helper()
	f := begin(t, c)
	ssotest.Deliver(t, http.MethodGet, callbackURL(t, f, login), "")
	res, err := f.Wait(context.Background())
	if err != nil {
		t.Fatalf("sign in as %s: %v", login, err)
	}
	return res
}

// strayThenReal sends a stray or forged request with attack (which gets the real
// callback URL to corrupt), checks it was turned away without ending the flow, then
// delivers the real callback and checks the sign-in still succeeds.
func strayThenReal(t *testing.T, p *ssotest.Provider, attack func(cb string) (int, error)) string {
	t.Helper()
	c := newTestClient(t, p, nil)
	f := begin(t, c)
	cb := callbackURL(t, f, "anna")
	st, err := attack(cb)
	if err != nil {
		t.Fatalf("attack request: %v", err)
	}
	if st != http.StatusBadRequest && st != http.StatusMethodNotAllowed && st != http.StatusNotFound {
		t.Errorf("attack answered %d, want 400/404/405", st)
	}
	return fmt.Sprintf("%d; then ", st) + deliverAndExpect(t, f, cb, "")
}

// deliverAndExpect delivers cb and waits; want "" means success.
func deliverAndExpect(t *testing.T, f *Flow, cb string, want Reason) string {
	t.Helper()
	st, page, err := ssotest.Deliver(t, http.MethodGet, cb, "")
	if err != nil {
		t.Fatalf("deliver callback: %v", err)
	}
	res, werr := f.Wait(context.Background())
	if want == "" {
		if werr != nil || st != http.StatusOK {
			t.Fatalf("real callback: %d, %v (page: %.200s)", st, werr, page)
		}
		return fmt.Sprintf("real callback %d, signed in as %s", st, res.Claims.Subject)
	}
	if st != http.StatusBadRequest || !strings.Contains(page, "Sign-in did not finish") {
		t.Errorf("callback answered %d, want 400 with the failure page: %.300s", st, page)
	}
	return fmt.Sprintf("callback %d; ", st) + checkReason(t, "Wait", werr, want, "")
}

// tamperCallback signs in for real, alters the provider's redirect, and delivers it.
func tamperCallback(t *testing.T, p *ssotest.Provider, alter func(string) string, want Reason) string {
	t.Helper()
	c := newTestClient(t, p, nil)
	f := begin(t, c)
	return deliverAndExpect(t, f, alter(callbackURL(t, f, "anna")), want)
}

func expectFlow(t *testing.T, c *Client, login string, want Reason) string {
	t.Helper()
	f := begin(t, c)
	return deliverAndExpect(t, f, callbackURL(t, f, login), want)
}

func expectReason(t *testing.T, f *Flow, want Reason, code string) string {
	t.Helper()
	_, err := f.Wait(context.Background())
	return checkReason(t, "Wait", err, want, code)
}

func checkReason(t *testing.T, what string, err error, want Reason, code string) string {
	t.Helper()
	if ReasonOf(err) != want {
		t.Errorf("%s: reason %q, want %q (err: %v)", what, ReasonOf(err), want, err)
	}
	if code != "" && portal.ErrorCode(err) != code {
		t.Errorf("%s: code %q, want %q", what, portal.ErrorCode(err), code)
	}
	msg := portal.ErrorMessage(err)
	if err != nil && (msg == "" || strings.HasPrefix(msg, "Something went wrong")) {
		t.Errorf("%s: no administrator sentence: %v", what, err)
	}
	return fmt.Sprintf("%s/%s: %q", ReasonOf(err), portal.ErrorCode(err), clip(msg, 70))
}

// swappedToken runs a real sign-in through an HTTP client that replaces the ID token in
// the provider's token response with swap(original): a man in the middle, or a
// compromised token endpoint. Code redemption and PKCE stay real.
func swappedToken(t *testing.T, p *ssotest.Provider, swap func(string) string, want Reason) string {
	t.Helper()
	hc := &http.Client{Transport: &idTokenSwapper{swap: swap}, Timeout: 20 * time.Second}
	c := newTestClient(t, p, func(c *Config) { c.HTTPClient = hc })
	return expectFlow(t, c, "anna", want)
}

type idTokenSwapper struct{ swap func(string) string }

func (s *idTokenSwapper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || req.URL.Path != "/token" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	raw, _ := body["id_token"].(string)
	body["id_token"] = s.swap(raw)
	b, _ := json.Marshal(body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// resign re-signs raw's claims (edited by edit) with key and alg.
func resign(t *testing.T, raw string, key any, alg jose.SignatureAlgorithm, kid string, edit func(map[string]any)) string {
	t.Helper()
	claims := claimsOf(t, raw)
	if edit != nil {
		edit(claims)
	}
	payload, _ := json.Marshal(claims)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claimsOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func setParam(raw, key, value string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func status(st int, _ string, err error) (int, error) { return st, err }

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func shortErr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Op + ": " + op.Err.Error()
	}
	return clip(err.Error(), 60)
}

func firstMatch(s, expr string) string {
	i := strings.Index(s, "redirect_uri")
	if i < 0 {
		return ""
	}
	return clip(strings.SplitN(s[i:], "<", 2)[0], 60)
}
