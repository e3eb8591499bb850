// Package desk is what the desktop does, without its window: the use cases behind every
// screen. app binds a thin service per area of the screen over one Desk; each bound method
// is one call here. Business rules are asked of backend/portal; the tables belong to cache,
// imports, batch and replica; desk wires them together for one administrator at a time.
//
// At Startup the Desk opens the local cache and connects it to a portal server: the one
// saved in the settings, or, with none, the same portal server started in-process on
// 127.0.0.1 (embedded mode) with its database beside the cache. A sync engine follows the
// server's change feed into the cache and sends the administrator's changes from the
// outbox; reads come from the cache and actions go through the engine's commands.
//
// Methods take no context: every call runs under the Desk's life, which ends at Shutdown,
// because the window's calls carry none and work must stop when the window closes.
package desk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/imports"
	"gatehouse/backend/keychain"
	"gatehouse/backend/outreach"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/session"
)

// Config is what main (or the harness) knows before the window exists.
type Config struct {
	// Version is the build's version, set with -ldflags "-X main.version=…"; "dev" otherwise.
	Version string
	// DatabasePath is where the local cache lives; "" means cache.DefaultPath().
	DatabasePath string
	// PortalDatabasePath is the embedded portal server's database; "" means portal.db in
	// the cache's folder.
	PortalDatabasePath string
	// Clock tells the cache, the embedded portal and the sync the time; nil is the system
	// clock.
	Clock portal.Clock
	// SyncInterval is how often the sync pulls when nothing else wakes it; 0 is the sync
	// package's default (30 s). Every change the administrator makes is sent at once.
	SyncInterval time.Duration
	// Logger receives what the user is not shown; nil discards it.
	Logger *slog.Logger
	// Keychain keeps the session and refresh tokens; nil means keychain.NewSystem().
	Keychain keychain.Keychain
	// OpenURL opens the sign-in page in the system browser; nil means sso.SystemBrowser.
	OpenURL func(url string) error
}

// Desk holds the desktop's state between calls.
type Desk struct {
	cfg Config
	rt  Runtime
	log *slog.Logger

	auth *session.Manager // sign-in to a remote portal server (signin.go)

	mu     sync.RWMutex
	db     *cache.DB
	dbPath string
	dbErr  error // why the cache could not be opened, if it could not
	// conn is the current portal connection; nil before Startup, after Shutdown, or when
	// it could not be made (connErr says why).
	conn    *connection
	connErr error
	// life is cancelled by Shutdown; bound methods run under it.
	life   context.Context
	cancel context.CancelFunc

	// switchMu serialises connecting and disconnecting.
	switchMu sync.Mutex
	// carrying is held while local work is carried to a server (golive.go).
	carrying sync.Mutex
	// goLive is a switch to a server waiting for the sign-in to it (golive.go); under mu.
	goLive *goLiveWait
	// localAdmin is who works on the local portal (localadmin.go).
	localAdmin localAdminHolder

	// imports keeps the Imports screen's store and reads in progress between calls.
	imports *importer
	// runs are the invitation batches being sent.
	runs *outreach.Runs
}

// New returns a Desk that talks to its window through rt. Nothing is opened until Startup:
// Wails runs main once at build time to generate the JS bindings, and that run must not
// create files in the builder's config folder.
func New(cfg Config, rt Runtime) *Desk {
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Clock == nil {
		cfg.Clock = portal.SystemClock{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d := &Desk{cfg: cfg, rt: rt, log: log, imports: &importer{reading: map[string]context.CancelFunc{}, applying: map[string]context.CancelFunc{}},
		runs: outreach.NewRuns()}
	d.auth = session.New(sessionHost{d}, session.Config{Keychain: cfg.Keychain, OpenURL: cfg.OpenURL, Clock: cfg.Clock, Log: log})
	return d
}

// Startup opens the cache and connects to the portal; app calls it from Wails' OnStartup. A cache that cannot be opened does not stop the window from
// opening: the About screen shows why, and bound methods that need the cache say so. A
// portal that cannot be reached or started does not either: the status bar says why.
func (a *Desk) Startup(ctx context.Context) {
	// The Wails context lives as long as the window; the App's work stops at Shutdown.
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	path := a.cfg.DatabasePath
	var err error
	if path == "" {
		path, err = cache.DefaultPath()
	}
	var db *cache.DB
	if err == nil {
		db, err = cache.Open(ctx, path, cache.WithClock(a.cfg.Clock),
			cache.WithSchema(imports.Schema()), cache.WithSchema(batch.Schema()), cache.WithSchema(replica.Schema()))
	}
	a.mu.Lock()
	a.life, a.cancel = life, cancel
	a.dbPath = path
	if err != nil {
		a.dbErr = portal.Errorf(portal.EINTERNAL,
			"Gatehouse could not open its local database at %q (%v). Check that the folder exists, is writable and the disk is not full, then restart Gatehouse.", path, err)
		a.log.Error("open local database", "path", path, "err", err)
		a.mu.Unlock()
		return
	}
	a.db = db
	a.mu.Unlock()
	a.log.Info("local database open", "path", db.Path())

	a.switchMu.Lock()
	defer a.switchMu.Unlock()
	target, _, err := a.savedTarget(life, db)
	if err != nil {
		a.log.Error("read the connection setting", "err", err)
		target = connTarget{Mode: ModeEmbedded}
	}
	a.connectLocked(life, db, target)
}

// Shutdown stops the sync, the embedded portal and closes
// the cache so the WAL is checkpointed.
func (a *Desk) Shutdown(ctx context.Context) {
	a.auth.Close()
	a.switchMu.Lock()
	a.disconnectLocked(ctx)
	a.switchMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cancel != nil {
		a.cancel()
	}
	if a.db != nil {
		if err := a.db.Close(); err != nil {
			a.log.Error("close local database", "err", err)
		}
		a.db = nil
	}
	a.log.Info("gatehouse shut down cleanly")
}

// cache returns the open cache, or an error that tells the user why there is none.
func (a *Desk) cache() (*cache.DB, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	switch {
	case a.db != nil:
		return a.db, nil
	case a.dbErr != nil:
		return nil, a.dbErr
	default:
		return nil, fmt.Errorf("local database used before the app started")
	}
}

// ctx is the context bound methods run under: it ends when the App shuts down.
func (a *Desk) ctx() context.Context {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.life == nil {
		return context.Background()
	}
	return a.life
}

// keychain is where secrets go: the configured one, or the OS keychain.
func (a *Desk) keychain() keychain.Keychain {
	if a.cfg.Keychain != nil {
		return a.cfg.Keychain
	}
	return keychain.NewSystem()
}

// Runtime is the window the Desk was made with.
func (a *Desk) Runtime() Runtime { return a.rt }
