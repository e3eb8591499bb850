// Package sync keeps the desktop's local cache (backend/cache) in step with the portal
// server (backend/server, through backend/client).
//
// Pull follows the server's change feed after the stored cursor and applies each page in
// one cache transaction together with the new cursor, so a crash leaves the cache at a page
// boundary. Push sends the outbox: every administrator action is a named command written
// to the outbox first (Commands), shown at once through the cache's overlay, and sent with
// its Idempotency-Key and the record version it was decided on (If-Match). The server
// applies a command once and replays its answer for the same key, so a command may be sent
// again after any failure. A refusal because someone else changed or decided first is kept
// as a conflict with both versions until the administrator chooses; it is never overwritten.
//
// An Engine runs pull and push in the background and publishes a Status.
package replica

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// Stream is the name of the change-feed cursor in the cache's sync_state.
const Stream = "changes"

// Entities are the feed entities the desktop mirrors. Templates and portal settings are
// read from the server when needed, not mirrored.
var Entities = []string{"organization", "role", "contact", "account", "invitation", "audit", "template", "settings"}

// Defaults for Config. Pages are as large as the server hands out: a first download of
// 100,000 accounts then takes 20 transactions, and a page still commits in well under a
// second, so an administrator's action never waits long for the writer.
const (
	DefaultPageSize = 5000
	DefaultInterval = 30 * time.Second
)

// Config holds an Engine's dependencies.
type Config struct {
	// Cache is the local database; Client talks to the portal server.
	Cache  *cache.DB
	Client *client.Client
	// Clock is the cache's clock unless set; outbox retry times are judged by the cache's
	// clock, so the two should agree.
	Clock portal.Clock
	// Actor, when set, is who the desktop acts as for local checks. Otherwise it is asked
	// from the server (GET /api/v1/me) and remembered in the cache for offline use.
	Actor *portal.Actor
	// PageSize is the number of changes per feed request (and per cache transaction).
	PageSize int
	// Interval is how often the engine pulls when nothing else wakes it.
	Interval time.Duration
	// Backoff spaces out retries of failed sends and of sync attempts while offline.
	Backoff Backoff
	// Sleeper waits between cycles; tests replace it to control time.
	Sleeper Sleeper
	// OnStatus is called with every new Status (see Engine.Subscribe).
	OnStatus func(Status)
	Logger   *slog.Logger
}

// Engine pulls and pushes. Its methods are safe for concurrent use.
type Engine struct {
	db      *cache.DB
	cl      *client.Client
	clock   portal.Clock
	page    int
	every   time.Duration
	backoff Backoff
	sleeper Sleeper
	log     *slog.Logger
	pinned  atomic.Pointer[portal.Actor]

	// writeMu makes "read a record, decide, write" atomic against the other writers of
	// this package: a feed page, a command's acknowledgement, another command.
	writeMu sync.Mutex
	// pullMu and pushMu let one pull and one push pass run at a time.
	pullMu, pushMu sync.Mutex

	trigger chan struct{}

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}

	st status
}

// New prepares an engine; Start runs it in the background. Pull, Push and the Commands
// work without Start too.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Cache == nil {
		return nil, errors.New("sync: no local database given")
	}
	if cfg.Client == nil {
		return nil, errors.New("sync: no portal server client given")
	}
	e := &Engine{
		db: cfg.Cache, cl: cfg.Client, clock: cfg.Clock, page: cfg.PageSize, every: cfg.Interval,
		backoff: cfg.Backoff.withDefaults(), sleeper: cfg.Sleeper, log: cfg.Logger,
		trigger: make(chan struct{}, 1),
	}
	if cfg.Actor != nil {
		e.pinned.Store(cfg.Actor)
	}
	if e.clock == nil {
		e.clock = cfg.Cache.Clock()
	}
	if e.page <= 0 {
		e.page = DefaultPageSize
	}
	if e.every <= 0 {
		e.every = DefaultInterval
	}
	if e.sleeper == nil {
		e.sleeper = realSleeper{}
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e.st.init(cfg.OnStatus)
	if err := ensureSchema(ctx, e.db); err != nil {
		return nil, err
	}
	if err := e.refreshStatus(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Cache is the local database the engine writes to.
func (e *Engine) Cache() *cache.DB { return e.db }

// Client is the portal server client the engine uses.
func (e *Engine) Client() *client.Client { return e.cl }

// Commands returns the administrator's actions, which go through this engine's outbox.
func (e *Engine) Commands() *Commands { return &Commands{e: e} }

// Start runs pull and push in the background until Stop or until ctx ends. A first cycle
// starts at once.
func (e *Engine) Start(ctx context.Context) error {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.cancel != nil {
		return errors.New("sync: the engine is already running")
	}
	if err := e.releaseLeases(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	e.cancel, e.done = cancel, make(chan struct{})
	go e.run(ctx, e.done)
	return nil
}

// Stop ends the background work and waits for it. A request in flight is abandoned; its
// command is sent again (with the same key) on the next start.
func (e *Engine) Stop() {
	e.runMu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel, e.done = nil, nil
	e.runMu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	e.st.update(func(s *Status) { s.Syncing = false })
}

// SyncNow asks the running engine to push and pull at once, without waiting for the
// interval. It does not block.
func (e *Engine) SyncNow() {
	select {
	case e.trigger <- struct{}{}:
	default:
	}
}

func (e *Engine) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	failures := 0
	for {
		err := e.Sync(ctx)
		if ctx.Err() != nil {
			return
		}
		// While the server is out of reach (or refuses the sign-in, or the disk fails) the
		// engine backs off; otherwise it waits for the interval or the next planned retry.
		wait := e.every
		if err != nil {
			failures++
			wait = e.backoff.Delay(failures)
		} else {
			failures = 0
			if next, ok, nerr := e.nextRetry(ctx); nerr == nil && ok {
				if d := next.Sub(e.clock.Now()); d < wait {
					wait = max(d, e.backoff.Initial)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.trigger:
		case <-e.sleeper.After(wait):
		}
	}
}

// Sync runs one cycle: push what is due, pull until caught up, and push again what the
// pull unblocked. Its error is also in Status.LastError.
func (e *Engine) Sync(ctx context.Context) error {
	e.st.update(func(s *Status) { s.Syncing = true })
	defer e.st.update(func(s *Status) { s.Syncing = false })
	e.refreshActor(ctx)
	_, err := e.Push(ctx)
	if err == nil {
		_, err = e.Pull(ctx)
	}
	if err == nil {
		_, err = e.Push(ctx)
	}
	if ctx.Err() == nil {
		e.noteOutcome(err)
	}
	if rerr := e.refreshStatus(context.WithoutCancel(ctx)); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// releaseLeases makes commands left "sending" by an earlier run of this process due again
// at once: nothing of this process can still be sending them, and the server replays its
// answer if it did receive them.
func (e *Engine) releaseLeases(ctx context.Context) error {
	return e.db.Apply(ctx, func(tx *cache.Tx) error { return tx.ReleaseSending() })
}

// nextRetry is the earliest time a waiting command may be sent.
func (e *Engine) nextRetry(ctx context.Context) (time.Time, bool, error) {
	return e.db.NextAttempt(ctx)
}
