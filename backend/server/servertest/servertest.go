// Package servertest starts a real portal server for tests: the same server.Server that
// production runs, on 127.0.0.1, with its SQLite file in the test's temporary folder (or,
// with GATEHOUSE_TEST_DB=postgres, a PostgreSQL database of its own: see pgtest), and
// stopped when the test ends. Tests in every package start it this one way.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/backend/internal/pgtest"
	"gatehouse/backend/server"
	"gatehouse/backend/server/store"
)

// Portal is a running portal server.
type Portal struct {
	*server.Server
	// URL is where it listens, such as http://127.0.0.1:41234.
	URL string
	// Token is the embedded server's start token (Embedded only).
	Token string
}

// New makes a server from cfg without starting it. Unset, DBPath is a file in a temporary
// folder (a PostgreSQL database on PostgreSQL runs), Addr 127.0.0.1:0 and the logger
// discards; it is shut down when t ends.
func New(t testing.TB, cfg server.Config) *server.Server {
	t.Helper()
	if cfg.DBPath == "" && cfg.Store == nil {
		cfg.DBPath = filepath.Join(t.TempDir(), "portal.db")
		if pgtest.Enabled() && !cfg.Embedded {
			cfg.DBPath = pgtest.URL(t)
		}
	}
	if store.IsPostgres(cfg.DBPath) && cfg.MailKeyFile == "" {
		cfg.MailKeyFile = filepath.Join(t.TempDir(), "mail.key")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start the portal server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shut the portal server down: %v", err)
		}
	})
	return srv
}

// Start makes a server from cfg as New does and starts it: embedded (cfg.Embedded) with its
// start token, or as the standalone server.
func Start(t testing.TB, cfg server.Config) *Portal {
	t.Helper()
	srv := New(t, cfg)
	p := &Portal{Server: srv}
	var err error
	if cfg.Embedded {
		p.URL, p.Token, err = srv.StartEmbedded(context.Background())
	} else {
		p.URL, err = srv.Start(context.Background())
	}
	if err != nil {
		t.Fatalf("start the portal server: %v", err)
	}
	return p
}
