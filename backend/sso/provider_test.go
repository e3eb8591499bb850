package sso

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/sso/ssotest"
)

// Most tests share one oidc-provider (it takes about a second to start); it stops when
// the test binary ends.
var (
	sharedOnce sync.Once
	shared     *ssotest.Provider
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	os.Exit(code)
}

func sharedProvider(t testing.TB) *ssotest.Provider {
	t.Helper()
	node, modules := ssotest.NodeModules(t, "oidc-provider")
	root := ssotest.RepoRoot(t)
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-oidc-provider-")
		if err != nil {
			sharedErr = err
			return
		}
		defer os.RemoveAll(dir) // the configuration is read at start only
		shared, sharedErr = ssotest.StartProvider(root, node, modules, dir)
	})
	if sharedErr != nil {
		t.Fatalf("start oidc-provider: %v", sharedErr)
	}
	return shared
}

// newTestClient discovers p as Gatehouse's desktop client, asking for offline access;
// mod changes the configuration first.
func newTestClient(t testing.TB, p *ssotest.Provider, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{Issuer: p.Issuer, ClientID: ssotest.ClientID, Scopes: []string{"openid", "email", "profile", "offline_access"}, Timeout: time.Minute}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}
