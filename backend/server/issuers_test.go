package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
)

// An issuer configured with a trailing slash its provider does not write is the same
// provider: sign-ins work (before, start-up accepted it and every sign-in then failed).
// At start-up each provider is asked for its discovery document: one that calls itself
// otherwise stops the server with the reason; one that cannot be reached is reported.
func TestIssuersAreCheckedAndNormalised(t *testing.T) {
	var slash string
	e := newEnv(t, func(c *server.Config) {
		slash = c.TrustedIssuers[0].Issuer + "/"
		c.TrustedIssuers[0].Issuer = slash
	})
	e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "ada@example.org", Name: "Ada"})
	if _, err := client.New(e.url, "").CreateSession(e.ctx, e.op.IDToken(desktopAudience, opUser{Sub: "ada-1", Email: "ada@example.org"}, "", time.Hour)); err != nil {
		t.Fatalf("sign-in with the issuer configured as %s: %v", slash, err)
	}
	if unreachable, err := e.srv.CheckIssuers(e.ctx); err != nil || len(unreachable) != 0 {
		t.Errorf("the configured providers: %v %v", unreachable, err)
	}

	// A provider that calls itself something else (here: the issuer with a path added).
	wrong := newEnv(t, func(c *server.Config) { c.TrustedIssuers[0].Issuer += "/realms/other" })
	if _, err := wrong.srv.CheckIssuers(wrong.ctx); err == nil {
		t.Error("an issuer whose discovery document is elsewhere was accepted")
	}
	// A provider that is not there now: reported, not fatal.
	down := newEnv(t, func(c *server.Config) {
		c.TrustedIssuers = []server.TrustedIssuer{{Issuer: "http://127.0.0.1:1", Audiences: []string{"x"}}}
		c.HTTPClient = &http.Client{Timeout: 2 * time.Second}
	})
	unreachable, err := down.srv.CheckIssuers(down.ctx)
	if err != nil || len(unreachable) != 1 || !strings.Contains(unreachable[0].Error(), "127.0.0.1:1") {
		t.Errorf("an unreachable provider: %v %v", unreachable, err)
	}
}
