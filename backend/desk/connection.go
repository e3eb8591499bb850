package desk

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/outreach"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server"
	"gatehouse/backend/session"
)

// connSetting is the cache setting that remembers which portal server to use. Its absence
// means the first-run choice has not been made (the embedded portal runs meanwhile).
const connSetting = "app.connection"

// connTarget is the saved choice of portal server.
type connTarget struct {
	Mode      string    `json:"mode"` // ModeEmbedded or ModeRemote
	ServerURL string    `json:"serverUrl,omitempty"`
	ChosenAt  time.Time `json:"chosenAt"`
}

// connection is a running link between the cache and one portal server: the embedded
// server when there is one, the client and the sync engine.
type connection struct {
	// auth says whether a remote server has a usable sign-in (signin.go).
	auth   *session.Manager
	target connTarget
	url    string // where the server answers (the embedded one's port changes each start)
	srv    *server.Server
	cl     *client.Client
	eng    *replica.Engine

	unsubscribe func()
	stopWatch   context.CancelFunc
	watchDone   chan struct{}
	kick        chan struct{}

	mu     sync.Mutex
	latest replica.Status
	// queueChanged says the changes waiting for the server (pending, conflicts, failed)
	// changed since the watcher last looked. A flag, not a comparison of what the watcher
	// sees: a change queued and confirmed between two of its looks (kicks coalesce) leaves
	// the counts as they were, yet the local copy changed twice.
	queueChanged bool
}

func (a *Desk) savedTarget(ctx context.Context, db *cache.DB) (connTarget, bool, error) {
	var t connTarget
	ok, err := db.GetSetting(ctx, connSetting, &t)
	if err != nil || !ok {
		return connTarget{Mode: ModeEmbedded}, false, err
	}
	if t.Mode != ModeRemote {
		t.Mode, t.ServerURL = ModeEmbedded, ""
	}
	return t, true, nil
}

// embeddedPortalPath is where the embedded portal keeps its database.
func (a *Desk) embeddedPortalPath(db *cache.DB) string {
	if a.cfg.PortalDatabasePath != "" {
		return a.cfg.PortalDatabasePath
	}
	return filepath.Join(filepath.Dir(db.Path()), "portal.db")
}

// connectLocked starts the connection to target. Failing, it records why, for the status
// bar. The caller holds switchMu.
func (a *Desk) connectLocked(ctx context.Context, db *cache.DB, target connTarget) {
	c, err := a.connect(ctx, db, target)
	a.mu.Lock()
	a.conn, a.connErr = c, err
	a.mu.Unlock()
	if err != nil {
		a.log.Error("connect to the portal server", "mode", target.Mode, "url", target.ServerURL, "err", err)
		a.rt.Emit(EventSyncStatus, SyncStatus{Mode: target.Mode, ServerURL: target.ServerURL, LastError: portal.ErrorMessage(err)})
		return
	}
	a.log.Info("connected to the portal server", "mode", target.Mode, "url", c.url)
	c.publish(a, c.eng.Status())
}

func (a *Desk) connect(ctx context.Context, db *cache.DB, target connTarget) (*connection, error) {
	c := &connection{target: target, kick: make(chan struct{}, 1), auth: a.auth}
	var actor *portal.Actor
	switch target.Mode {
	case ModeEmbedded:
		path := a.embeddedPortalPath(db)
		a.loadLocalAdmin(ctx, db)
		srv, err := server.New(ctx, server.Config{Embedded: true, DBPath: path, Clock: a.cfg.Clock, Logger: a.log.With("component", "portal"),
			Sender: outreach.PortalMail{Mail: a.mailer, Clock: a.cfg.Clock}, EmbeddedActor: a.localAdmin.actor})
		if err != nil {
			return nil, portal.Errorf(portal.EINTERNAL, "Gatehouse could not open its local portal database at %q (%v). Check that the folder is writable and the disk is not full, then restart Gatehouse.", path, err)
		}
		u, token, err := srv.StartEmbedded(ctx)
		if err != nil {
			_ = srv.Shutdown(context.WithoutCancel(ctx))
			return nil, portal.Errorf(portal.EINTERNAL, "Gatehouse could not start its local portal on 127.0.0.1 (%v). Restart Gatehouse; if it keeps happening, send the log file to your support contact.", err)
		}
		c.srv, c.url, c.cl = srv, u, client.New(u, token)
		// Wait until the portal answers. Besides proving it works, this keeps a quick
		// Shutdown from racing the server's own start (server.Start's serving goroutine
		// reads a field that Shutdown clears).
		if err := c.cl.Health(ctx); err != nil {
			c.stopServer(ctx, a)
			return nil, portal.Errorf(portal.EINTERNAL, "Gatehouse started its local portal but cannot reach it on %s (%v). Check that no firewall blocks 127.0.0.1, then restart Gatehouse.", u, err)
		}
		// The embedded portal's token acts for the administrator who said who they are
		// (localadmin.go), or as the system; no need to ask.
		act := a.localAdmin.actor()
		if act.ID == "" {
			act = portal.SystemActor()
		}
		actor = &act
	case ModeRemote:
		// The API session comes with the SSO sign-in; until then the server refuses and
		// the status bar asks the administrator to sign in.
		c.url, c.cl = target.ServerURL, a.remoteClient(ctx, db, target.ServerURL)
	default:
		return nil, fmt.Errorf("unknown connection mode %q", target.Mode)
	}
	eng, err := replica.New(ctx, replica.Config{Cache: db, Client: c.cl, Clock: a.cfg.Clock, Actor: actor,
		Interval: a.cfg.SyncInterval, Logger: a.log.With("component", "sync")})
	if err != nil {
		c.stopServer(ctx, a)
		return nil, err
	}
	c.eng = eng
	c.latest = eng.Status()
	c.unsubscribe = eng.Subscribe(func(st replica.Status) { c.publish(a, st) })
	wctx, stop := context.WithCancel(ctx)
	c.stopWatch, c.watchDone = stop, make(chan struct{})
	go c.watch(wctx, a, db)
	if err := eng.Start(ctx); err != nil {
		c.stop(ctx, a)
		return nil, err
	}
	return c, nil
}

// disconnectLocked stops the current connection. The caller holds switchMu.
func (a *Desk) disconnectLocked(ctx context.Context) {
	a.mu.Lock()
	c := a.conn
	a.conn, a.connErr = nil, nil
	a.mu.Unlock()
	if c != nil {
		c.stop(ctx, a)
	}
}

func (c *connection) stop(ctx context.Context, a *Desk) {
	if c.unsubscribe != nil {
		c.unsubscribe()
	}
	if c.eng != nil {
		c.eng.Stop()
	}
	if c.stopWatch != nil {
		c.stopWatch()
		<-c.watchDone
	}
	c.stopServer(ctx, a)
}

func (c *connection) stopServer(ctx context.Context, a *Desk) {
	if c.srv == nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(sctx); err != nil {
		a.log.Error("stop the local portal", "err", err)
	}
}

// status is what the status bar shows for an engine status.
func (c *connection) status(st replica.Status) SyncStatus {
	return SyncStatus{
		Mode: c.target.Mode, ServerURL: c.url, Online: st.Online, Syncing: st.Syncing, LastSyncAt: st.LastSyncAt,
		Pending: st.Pending, Conflicts: st.Conflicts, Failed: st.Failed, LastError: st.LastError, Indexing: st.Indexing,
		NeedsSignIn: c.target.Mode == ModeRemote && c.auth != nil && !c.auth.SignedInTo(c.url),
		Unencrypted: unencrypted(c.url),
	}
}

// unencrypted reports whether url is plain HTTP to another computer.
func unencrypted(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "http" && !portal.IsLoopbackHost(u.Hostname())
}

// publish sends the status to the window and wakes the watcher. It runs on the engine's
// goroutines and must not block.
func (c *connection) publish(a *Desk, st replica.Status) {
	c.mu.Lock()
	prev := c.latest
	c.latest = st
	if st.Pending != prev.Pending || st.Conflicts != prev.Conflicts || st.Failed != prev.Failed {
		c.queueChanged = true
	}
	c.mu.Unlock()
	a.rt.Emit(EventSyncStatus, c.status(st))
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// watch tells the window when the local copy changed: when a finished sync moved the
// change-feed cursor, or when the changes waiting for the server changed.
func (c *connection) watch(ctx context.Context, a *Desk, db *cache.DB) {
	defer close(c.watchDone)
	cursor := func() string {
		s, err := db.GetSyncState(ctx, replica.Stream)
		if err != nil {
			return ""
		}
		return s.Cursor
	}
	lastCursor := cursor()
	c.mu.Lock()
	c.queueChanged = false
	c.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		c.mu.Lock()
		st, changed := c.latest, c.queueChanged
		c.queueChanged = false
		c.mu.Unlock()
		if changed {
			a.rt.Emit(EventDataChanged, DataChanged{Reason: "local"})
		}
		if !st.Syncing {
			if cur := cursor(); cur != lastCursor && ctx.Err() == nil {
				lastCursor = cur
				a.rt.Emit(EventDataChanged, DataChanged{Reason: "sync"})
				a.carrySoon() // local work waiting for this server's records (golive.go)
			}
		}
	}
}

// current returns the running connection, or an error that says why there is none.
func (a *Desk) current() (*connection, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	switch {
	case a.conn != nil:
		return a.conn, nil
	case a.dbErr != nil:
		return nil, a.dbErr
	case a.connErr != nil:
		return nil, a.connErr
	default:
		return nil, portal.Errorf(portal.ECONFLICT, "Gatehouse is still starting. Try again in a moment.")
	}
}

// engine returns the sync engine and the cache for a bound method.
func (a *Desk) engine() (*replica.Engine, *cache.DB, error) {
	c, err := a.current()
	if err != nil {
		return nil, nil, err
	}
	return c.eng, c.eng.Cache(), nil
}

// checkServerURL validates an address typed on the first-run screen.
func checkServerURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", portal.FieldErrorf("url", "Enter the address of your portal server, like https://portal.example.org.")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", portal.FieldErrorf("url", "%q is not a server address. Enter one like https://portal.example.org.", s)
	}
	if err := portal.RequireHTTPS("url", u, session.InsecureHTTPAllowed()); err != nil {
		return "", err
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// switchTo saves target as the connection and reconnects to it. Changes the current server
// does not have yet would otherwise be sent to the new one, so it refuses while there are
// any.
func (a *Desk) switchTo(target connTarget) error {
	db, err := a.cache()
	if err != nil {
		return err
	}
	ctx := a.ctx()
	a.switchMu.Lock()
	defer a.switchMu.Unlock()
	a.mu.RLock()
	c := a.conn
	a.mu.RUnlock()
	same := c != nil && c.target.Mode == target.Mode && c.target.ServerURL == target.ServerURL
	if c != nil && !same {
		if n, err := db.PendingCount(ctx); err != nil {
			return err
		} else if n > 0 {
			return portal.Errorf(portal.ECONFLICT, "%d of your changes have not reached %s yet. Let them sync (or discard them) before you switch servers.", n, c.url)
		}
	}
	target.ChosenAt = a.cfg.Clock.Now()
	if err := db.SetSetting(ctx, connSetting, target); err != nil {
		return err
	}
	if same {
		return nil
	}
	a.disconnectLocked(ctx)
	a.connectLocked(ctx, db, target)
	_, err = a.current()
	return err
}

// EmbeddedPortal returns the address and token of the running embedded portal, for the
// browser-test harness, which plays a second administrator through the portal's API.
func (a *Desk) EmbeddedPortal() (baseURL, token string, ok bool) {
	a.mu.RLock()
	c := a.conn
	a.mu.RUnlock()
	if c == nil || c.srv == nil {
		return "", "", false
	}
	return c.url, c.cl.Token(), true
}
