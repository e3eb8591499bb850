package desk

import (
	"context"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/golive"
	"gatehouse/backend/portal"
	"gatehouse/backend/session"
)

// Going live: from the portal inside Gatehouse to a portal server, keeping the work done
// here (backend/golive).

// goLivePending is the cache setting of a carry waiting for the first sync with the
// server; goLiveResult is the last carry's outcome.
const (
	goLivePending = "golive.pending"
	goLiveResult  = "golive.result"
)

type pendingCarry struct {
	ServerURL  string    `json:"serverUrl"`
	PortalPath string    `json:"portalPath"`
	ChosenAt   time.Time `json:"chosenAt"`
}

// answering returns serverURL checked and normalised, once a portal server answered there.
func (a *Desk) answering(serverURL string) (string, error) {
	u, err := checkServerURL(serverURL)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(a.ctx(), 15*time.Second)
	defer cancel()
	if err := client.New(u, "").Health(ctx); err != nil {
		return "", portal.FieldErrorf("url", "No portal server answered at %s (%s). Check the address and this computer's network; Gatehouse stays as it was.", u, shortCause(err))
	}
	return u, nil
}

// GoLivePlan says what connecting to the portal server at serverURL would carry from the
// local portal and what it would not, once the server answered there. Nothing changes.
func (a *Desk) GoLivePlan(serverURL string) (golive.Plan, error) {
	c, err := a.current()
	if err != nil {
		return golive.Plan{}, err
	}
	if c.target.Mode != ModeEmbedded {
		return golive.Plan{}, portal.Errorf(portal.ECONFLICT, "Gatehouse already uses the portal server at %s; there is no local work to carry.", c.url)
	}
	u, err := a.answering(serverURL)
	if err != nil {
		return golive.Plan{}, err
	}
	return golive.MakePlan(a.ctx(), a.embeddedPortalPath(c.eng.Cache()), u)
}

// goLiveWait is a switch to a server waiting for the administrator's sign-in to it.
type goLiveWait struct {
	set   session.Settings
	carry bool
	path  string
}

// GoLive starts going live to the portal server in set: once it answered, the sign-in
// settings are kept and the sign-in to it begins (its outcome arrives as signin:done, as
// for BeginSignIn). Only when the server accepted the sign-in does Gatehouse switch to it
// and, with carry, carry the local portal's organisations, contacts and reworded messages
// after the first sync. A failure at any step leaves Gatehouse on the local portal.
func (a *Desk) GoLive(set session.Settings, carry bool) (session.Start, error) {
	c, err := a.current()
	if err != nil {
		return session.Start{}, err
	}
	if c.target.Mode != ModeEmbedded {
		return session.Start{}, portal.Errorf(portal.ECONFLICT, "Gatehouse already uses the portal server at %s.", c.url)
	}
	set, err = session.CheckSettings(set)
	if err != nil {
		return session.Start{}, err
	}
	if set.Issuer == "" || set.ClientID == "" {
		return session.Start{}, portal.FieldErrorf("issuer", "Enter the identity provider and the client ID registered for Gatehouse: the switch waits for your sign-in to the server.")
	}
	if set.ServerURL, err = a.answering(set.ServerURL); err != nil {
		return session.Start{}, err
	}
	db := c.eng.Cache()
	if n, err := db.PendingCount(a.ctx()); err != nil {
		return session.Start{}, err
	} else if n > 0 {
		return session.Start{}, portal.Errorf(portal.ECONFLICT, "%d of your changes have not reached the local portal yet. Let them sync (or discard them) before you connect to a server.", n)
	}
	if err := a.auth.SaveSettings(a.ctx(), set); err != nil {
		return session.Start{}, err
	}
	a.mu.Lock()
	a.goLive = &goLiveWait{set: set, carry: carry, path: a.embeddedPortalPath(db)}
	a.mu.Unlock()
	st, err := a.auth.BeginAt(set.ServerURL)
	if err != nil {
		a.mu.Lock()
		a.goLive = nil
		a.mu.Unlock()
	}
	return st, err
}

// signedIn ends a going live waiting for the sign-in d reports: accepted, Gatehouse
// switches to the server (and keeps the carry for after the first sync); refused or
// abandoned, it stays where it is. It runs before the window hears of d, so that the
// window finds the switch made.
func (a *Desk) signedIn(d session.Done) {
	if d.Test {
		return
	}
	a.mu.Lock()
	w := a.goLive
	a.goLive = nil
	a.mu.Unlock()
	if w == nil || !d.OK {
		return
	}
	if err := a.switchTo(connTarget{Mode: ModeRemote, ServerURL: w.set.ServerURL}); err != nil {
		a.log.Error("switch to the portal server after signing in", "server", w.set.ServerURL, "err", err)
		return
	}
	a.auth.ForgetOtherServers(a.ctx(), w.set.ServerURL)
	if w.carry {
		p := pendingCarry{ServerURL: w.set.ServerURL, PortalPath: w.path, ChosenAt: a.cfg.Clock.Now()}
		db, err := a.cache()
		if err == nil {
			err = db.SetSetting(a.ctx(), goLivePending, p)
		}
		if err != nil {
			a.log.Error("remember to carry the local work to the server", "err", err)
			return
		}
		a.carrySoon()
	}
}

// GoLiveResult is the outcome of the last carry to a portal server; nil when none ran.
// Waiting says a carry waits for the first sync with the server (a sign-in).
type GoLiveResult struct {
	Waiting   bool           `json:"waiting"`
	ServerURL string         `json:"serverUrl"`
	Result    *golive.Result `json:"result,omitempty"`
}

// GoLiveStatus says whether local work waits to be carried to the server, or what the last
// carry did.
func (a *Desk) GoLiveStatus() (GoLiveResult, error) {
	db, err := a.cache()
	if err != nil {
		return GoLiveResult{}, err
	}
	var p pendingCarry
	if ok, err := db.GetSetting(a.ctx(), goLivePending, &p); err != nil {
		return GoLiveResult{}, err
	} else if ok {
		return GoLiveResult{Waiting: true, ServerURL: p.ServerURL}, nil
	}
	var r golive.Result
	if ok, err := db.GetSetting(a.ctx(), goLiveResult, &r); err != nil || !ok {
		return GoLiveResult{}, err
	}
	return GoLiveResult{ServerURL: r.ServerURL, Result: &r}, nil
}

// carrySoon carries the pending local work once the cache mirrors the server it is for:
// after a sync with it that downloaded its records. It runs beside the connection's
// watcher, one at a time.
func (a *Desk) carrySoon() {
	if !a.carrying.TryLock() {
		return
	}
	go func() {
		defer a.carrying.Unlock()
		if err := a.carryIfDue(); err != nil {
			a.log.Error("carry the local portal's work to the server", "err", err)
		}
	}()
}

func (a *Desk) carryIfDue() error {
	c, err := a.current()
	if err != nil {
		return nil // not connected: the next connection tries
	}
	db := c.eng.Cache()
	ctx := a.ctx()
	var p pendingCarry
	if ok, err := db.GetSetting(ctx, goLivePending, &p); err != nil || !ok {
		return err
	}
	st := c.eng.Status()
	if c.target.Mode != ModeRemote || c.url != p.ServerURL || st.LastSyncAt == nil || !st.LastSyncAt.After(p.ChosenAt) {
		return nil // the cache does not mirror that server yet
	}
	res, err := golive.Carry(ctx, p.PortalPath, db, c.eng.Commands(), p.ServerURL, a.cfg.Clock.Now())
	if err != nil {
		return err
	}
	if err := db.SetSetting(ctx, goLiveResult, res); err != nil {
		return err
	}
	if err := db.DeleteSetting(ctx, goLivePending); err != nil {
		return err
	}
	a.log.Info("carried the local portal's work to the server", "server", p.ServerURL, "organisations", res.Organizations,
		"contacts", res.Contacts, "messages", res.Messages, "already there", res.AlreadyThere, "refused", len(res.Refused))
	a.rt.Emit(EventDataChanged, DataChanged{Reason: "local"})
	return nil
}
