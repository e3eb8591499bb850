package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestEmbeddedRefusesNonLoopbackAddresses(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0", "[::1]:0", "192.0.2.1:0"} {
		_, err := server.New(context.Background(), server.Config{Embedded: true, Addr: addr, DBPath: filepath.Join(t.TempDir(), "x.db"), Logger: quiet()})
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("embedded on %q: %v", addr, err)
		}
	}
}

func startEmbedded(t *testing.T, db string) (*server.Server, string, string) {
	t.Helper()
	srv, err := server.New(context.Background(), server.Config{Embedded: true, DBPath: db, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	url, token, err := srv.StartEmbedded(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return srv, url, token
}

func TestEmbeddedMode(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "portal.db")
	srv, url, token := startEmbedded(t, db)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || len(token) < 40 {
		t.Fatalf("embedded url %q token %q", url, token)
	}
	c := client.New(url, token)
	me, err := c.Me(ctx)
	if err != nil || !me.Embedded || me.Actor != portal.SystemActor() {
		t.Fatalf("me: %v %+v", err, me)
	}
	// Only the start token works; no sign-in endpoint.
	for _, tok := range []string{"", "not-the-token", token + "x"} {
		if _, err := client.New(url, tok).Me(ctx); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	if _, err := client.New(url, "").CreateSession(ctx, "a.b.c"); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("session endpoint in embedded mode: %v", err)
	}
	// A request addressed to another host name (DNS rebinding) is refused.
	req, _ := http.NewRequest("GET", url+"/api/v1/me", nil)
	req.Host = "attacker.example:80"
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %d", resp.StatusCode)
	}

	// The desktop drives the portal as the system.
	org, err := c.CreateOrganization(ctx, portal.Organization{Name: "Local pantry"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.AddUsers(ctx, api.AddUsersRequest{OrganizationID: org.ID, Emails: []string{"vol@example.org"}, Invite: true}, nil)
	if err != nil || res.Users[0].Invitation == nil || res.Users[0].Invitation.URL == "" {
		t.Fatalf("add users: %v %+v", err, res)
	}
	page, err := c.Changes(ctx, 0, 0)
	if err != nil || len(page.Changes) == 0 || page.FeedID == "" {
		t.Fatalf("feed: %v %+v", err, page)
	}

	// Stopping kills the token; a restart on the same database makes a new one.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	srv2, url2, token2 := startEmbedded(t, db)
	defer srv2.Shutdown(context.Background())
	if token2 == token {
		t.Fatal("the restarted portal reuses the old token")
	}
	if _, err := client.New(url2, token).Me(ctx); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Errorf("old token after restart: %v", err)
	}
	c2 := client.New(url2, token2)
	page2, err := c2.Changes(ctx, 0, 0)
	if err != nil || page2.FeedID != page.FeedID || len(page2.Changes) < len(page.Changes) {
		t.Errorf("after restart the data and feed are kept: %v %d vs %d", err, len(page2.Changes), len(page.Changes))
	}
}

// Many concurrent deactivations of the last system administrators, all sent by the
// system: exactly one administrator is left, whatever the interleaving.
func TestEmbeddedLastAdminGuardConcurrent(t *testing.T) {
	ctx := context.Background()
	srv, url, token := startEmbedded(t, filepath.Join(t.TempDir(), "portal.db"))
	defer srv.Shutdown(context.Background())
	const n = 10
	var ids []string
	err := srv.Store().Update(ctx, func(tx store.Tx) error {
		for i := range n {
			a := portal.Account{ID: "admin" + itoa(i), Email: "admin" + itoa(i) + "@example.org", Status: portal.StatusActive,
				Kind: portal.KindStaff, CoreRole: portal.RoleAdministrator, RegistrationComplete: true}
			if err := tx.PutAccount(ctx, &a); err != nil {
				return err
			}
			ids = append(ids, a.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(url, token)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Deactivate(ctx, id, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case portal.ErrorCode(err) == portal.ECONFLICT && strings.Contains(err.Error(), "last active system administrator"):
				refused++
			default:
				t.Errorf("deactivate %s: %v", id, err)
			}
		}()
	}
	wg.Wait()
	if ok != n-1 || refused != 1 {
		t.Errorf("%d deactivated, %d refused; want %d and 1", ok, refused, n-1)
	}
}
