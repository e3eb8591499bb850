// Package ssotest is test support, not product code: it runs a real OpenID Provider —
// panva/oidc-provider (certified), from the frontend's npm devDependencies
// (frontend/node_modules), through backend/sso/testdata/oidc-provider.mjs under node on
// 127.0.0.1 — and a headless "browser" (an HTTP client with a cookie jar) that signs in at
// its login and consent pages and delivers the redirect to the loopback callback.
//
// The sso tests, the server-session tests and the App's sign-in tests share it, so that the
// provider is started and the login is driven in one place. Only _test.go files import it.
// A missing node or npm package fails the test under CI=true and skips it otherwise.
package ssotest

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Clients registered at the provider, both native public clients with PKCE and the
// loopback redirect URIs http://127.0.0.1/callback and http://[::1]/callback.
const (
	ClientID      = "gatehouse-desktop"
	OtherClientID = "another-app"
	// KeyID is the kid of the provider's RS256 signing key.
	KeyID = "gatehouse-test-rs256"
)

// NeedExternal fails the test when CI=true and skips it otherwise: the house rule for
// tests whose external part (node, the npm packages, chromium, a keyring) is missing.
func NeedExternal(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and a required test dependency is missing: %s", msg)
	}
	t.Skipf("skipping (set CI=true to make this a failure): %s", msg)
}

// RepoRoot walks up from the test's working directory to the gatehouse module root.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && regexp.MustCompile(`(?m)^module gatehouse\s*$`).Match(b) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the gatehouse module root (go.mod) above the test's working directory")
		}
		dir = parent
	}
}

// NodeModules returns node and the frontend's node_modules holding pkgs.
func NodeModules(t testing.TB, pkgs ...string) (node, modules string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		NeedExternal(t, "node is not installed (apt-get install nodejs npm)")
	}
	modules = filepath.Join(RepoRoot(t), "frontend", "node_modules")
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(modules, p, "package.json")); err != nil {
			NeedExternal(t, "npm package %s is not installed in %s (run npm ci in frontend/)", p, modules)
		}
	}
	return node, modules
}

// Provider is a running oidc-provider.
type Provider struct {
	Issuer string
	Key    *rsa.PrivateKey // the provider's own signing key, so tests can forge "valid" tokens
	cmd    *exec.Cmd
	stdin  io.Closer
	done   chan struct{}
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start runs a provider for t and stops it when t ends.
func Start(t testing.TB) *Provider { return StartOn(t, 0) }

// StartOn runs a provider for t on port (0: any free port) and stops it when t ends. A
// provider started again on the port of a stopped one has the same issuer, but none of its
// grants or keys: like a provider that lost its state while it was down.
func StartOn(t testing.TB, port int) *Provider {
	t.Helper()
	node, modules := NodeModules(t, "oidc-provider")
	p, err := StartProviderOn(RepoRoot(t), node, modules, t.TempDir(), port)
	if err != nil {
		t.Fatalf("start oidc-provider: %v", err)
	}
	t.Cleanup(p.Stop)
	return p
}

// StartProvider runs a provider with a fresh RS256 key until Stop. dir holds its
// configuration file (read at start only).
func StartProvider(root, node, modules, dir string) (*Provider, error) {
	return StartProviderOn(root, node, modules, dir, 0)
}

// StartProviderOn is StartProvider on port (0: any free port).
func StartProviderOn(root, node, modules, dir string, port int) (*Provider, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	jwk, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: KeyID, Algorithm: "RS256", Use: "sig"})
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`{"port":%d,"idTokenTTL":3600,"jwks":{"keys":[%s]}}`, port, jwk)
	cfgFile := filepath.Join(dir, "oidc-provider.json")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	script := filepath.Join(root, "backend", "sso", "testdata", "oidc-provider.mjs")
	cmd := exec.Command(node, script, modules, cfgFile)
	p := &Provider{Key: key, cmd: cmd, done: make(chan struct{}), stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	// The script exits when its stdin closes: it cannot outlive a crashed test binary.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p.stdin = stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(p.done) }()

	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			ready <- fmt.Errorf("oidc-provider exited before it was ready: %v; stderr:\n%s", err, p.stderr.String())
			return
		}
		var hello struct{ Issuer string }
		if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Issuer == "" {
			ready <- fmt.Errorf("oidc-provider printed %q instead of its ready line", line)
			return
		}
		p.Issuer = hello.Issuer
		go io.Copy(io.Discard, stdout)
		ready <- nil
	}()
	select {
	case err = <-ready:
	case <-time.After(30 * time.Second):
		err = errors.New("oidc-provider did not start within 30s")
	}
	if err == nil {
		err = waitDiscovery(p.Issuer)
	}
	if err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func waitDiscovery(issuer string) error {
	var last error
	for range 100 {
		resp, err := http.Get(issuer + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("discovery answered %s", resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("oidc-provider discovery never answered: %v", last)
}

// Stop ends the provider and waits for it.
func (p *Provider) Stop() {
	p.stdin.Close()
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// ---- the headless browser: an HTTP client with a cookie jar ----

// Browser drives oidc-provider's devInteractions pages like a person would: it
// follows redirects, posts the login form, then the consent form, and stops when the
// provider redirects to the loopback callback, returning that URL undelivered.
type Browser struct {
	hc *http.Client
}

// NewBrowser returns a browser with an empty cookie jar: a person not yet signed in.
func NewBrowser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{hc: &http.Client{
		Jar:     jar,
		Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if isLoopbackCallback(req.URL) {
				return http.ErrUseLastResponse
			}
			if len(via) > 20 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}}
}

func isLoopbackCallback(u *url.URL) bool { return u.Path == "/callback" }

var (
	formAction  = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
	promptInput = regexp.MustCompile(`name="prompt" value="([^"]+)"`)
	abortLink   = regexp.MustCompile(`href="([^"]*/abort)"`)
)

// NoRedirectError is returned when the provider answers with a page instead of a redirect
// to the callback (for example its error page for an unregistered redirect URI).
type NoRedirectError struct {
	Status int
	Body   string
}

func (e *NoRedirectError) Error() string {
	return fmt.Sprintf("provider answered %d without redirecting to the callback: %.300s", e.Status, e.Body)
}

// SignIn walks the provider's pages as login and returns the callback URL. With cancel it
// presses the page's abort link instead of signing in.
func (b *Browser) SignIn(authURL, login string, cancel bool) (string, error) {
	resp, err := b.hc.Get(authURL)
	for step := 0; ; step++ {
		if err != nil {
			return "", err
		}
		if step > 6 {
			return "", errors.New("the provider kept asking; gave up after 6 pages")
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			u, err := resp.Request.URL.Parse(loc)
			if err != nil {
				return "", err
			}
			return u.String(), nil
		}
		page := string(body)
		action, prompt := formAction.FindStringSubmatch(page), promptInput.FindStringSubmatch(page)
		if resp.StatusCode != http.StatusOK || action == nil || prompt == nil {
			return "", &NoRedirectError{resp.StatusCode, page}
		}
		if cancel {
			link := abortLink.FindStringSubmatch(page)
			if link == nil {
				return "", errors.New("no abort link on the provider's page")
			}
			u, _ := resp.Request.URL.Parse(unescapeHTML(link[1]))
			resp, err = b.hc.Get(u.String())
			continue
		}
		target, _ := resp.Request.URL.Parse(unescapeHTML(action[1]))
		form := url.Values{"prompt": {prompt[1]}}
		if prompt[1] == "login" {
			form.Set("login", login)
			form.Set("password", "any password will do")
		}
		resp, err = b.hc.PostForm(target.String(), form)
	}
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#39;", "'", "&quot;", `"`).Replace(s)
}

// Deliver sends the browser's request to the loopback callback, as the browser would
// after the provider's redirect, and returns status and page.
func Deliver(t testing.TB, method, rawURL string, host string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	hc := &http.Client{Timeout: 20 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s %s: Cache-Control = %q, want no-store", method, rawURL, cc)
	}
	return readPage(resp)
}

// Open plays the system browser that an application hands authURL to: it signs in as
// login (or, with cancel, presses the provider's abort link), then follows the provider's
// redirect to the loopback callback and returns the callback's status and page. It takes
// no testing.TB because applications open the browser from goroutines of their own.
func (b *Browser) Open(authURL, login string, cancel bool) (int, string, error) {
	cb, err := b.SignIn(authURL, login, cancel)
	if err != nil {
		return 0, "", err
	}
	resp, err := b.hc.Get(cb)
	if err != nil {
		return 0, "", fmt.Errorf("deliver the redirect to the callback %s: %w", cb, err)
	}
	return readPage(resp)
}

func readPage(resp *http.Response) (int, string, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("read the page of %s: %w", resp.Request.URL, err)
	}
	return resp.StatusCode, string(b), nil
}

// FreePort returns a loopback port nobody listens on (just closed).
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
