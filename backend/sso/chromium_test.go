package sso

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/sso/ssotest"
)

// TestLoginChromium signs in once through a real browser: Debian Chromium driven by
// playwright-core is the "system browser" the opener starts.
func TestLoginChromium(t *testing.T) {
	node, modules := ssotest.NodeModules(t, "oidc-provider", "playwright-core")
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		ssotest.NeedExternal(t, "chromium is not installed at %s (apt-get install chromium)", chromium)
	}
	p := sharedProvider(t)
	c := newTestClient(t, p, nil)
	script, err := filepath.Abs(filepath.Join("testdata", "browser-login.mjs"))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var (
		cmd            *exec.Cmd
		stdout, stderr bytes.Buffer
		werr           error
		exited         = make(chan struct{})
	)
	// Like a real opener, this one starts the browser and returns at once. A browser
	// script that dies stops the sign-in instead of leaving it to time out.
	open := func(authURL string) error {
		cmd = exec.CommandContext(ctx, node, script, modules, authURL, "dora@example.org")
		cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		go func() {
			defer close(exited)
			if werr = cmd.Wait(); werr != nil {
				cancel()
			}
		}()
		return nil
	}
	var redirect string
	res, err := c.Login(ctx, open, func(u string, openErr error) {
		if openErr != nil {
			t.Errorf("opener: %v", openErr)
		}
		redirect = mustQuery(t, u).Get("redirect_uri")
	})
	if cmd == nil {
		t.Fatalf("the opener was never called: %v", err)
	}
	<-exited
	if err != nil {
		t.Fatalf("Login: %v\nbrowser stderr:\n%s", err, stderr.String())
	}
	if werr != nil {
		t.Fatalf("browser script: %v\n%s", werr, stderr.String())
	}
	if res.Claims.Email != "dora@example.org" || res.Claims.Subject != "dora@example.org" {
		t.Errorf("claims = %+v", res.Claims)
	}
	var page struct {
		Heading, Message, Landed string
		Blocked                  []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &page); err != nil {
		t.Fatalf("browser script output %q: %v", stdout.String(), err)
	}
	if page.Heading != "You are signed in" || !strings.Contains(page.Message, "close this tab") {
		t.Errorf("the browser shows %q / %q, want the success page", page.Heading, page.Message)
	}
	if page.Landed != redirect {
		t.Errorf("the browser landed on %q, want the loopback redirect %q", page.Landed, redirect)
	}
	t.Logf("signed in through Chromium as %s; requests kept off the network: %v", res.Claims.Email, page.Blocked)
}
