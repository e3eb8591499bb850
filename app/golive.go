package app

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
func (a *App) answering(serverURL string) (string, error) {
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
func (a *App) GoLivePlan(serverURL string) (golive.Plan, error) {
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

// GoLive connects to the portal server in set (as SaveSignInSettings does: only once it
// answered; a failure changes nothing) and, with carry, carries the local portal's
// organisations, contacts and reworded messages to it after the first sync with it, that
// is once the administrator has signed in.
func (a *App) GoLive(set session.Settings, carry bool) (session.Settings, error) {
	c, err := a.current()
	if err != nil {
		return session.Settings{}, err
	}
	if c.target.Mode != ModeEmbedded {
		return session.Settings{}, portal.Errorf(portal.ECONFLICT, "Gatehouse already uses the portal server at %s.", c.url)
	}
	db := c.eng.Cache()
	path := a.embeddedPortalPath(db)
	out, err := a.SaveSignInSettings(set)
	if err != nil {
		return session.Settings{}, err
	}
	if carry {
		p := pendingCarry{ServerURL: out.ServerURL, PortalPath: path, ChosenAt: a.cfg.Clock.Now()}
		if err := db.SetSetting(a.ctx(), goLivePending, p); err != nil {
			return session.Settings{}, err
		}
		a.carrySoon()
	}
	return out, nil
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
func (a *App) GoLiveStatus() (GoLiveResult, error) {
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
func (a *App) carrySoon() {
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

func (a *App) carryIfDue() error {
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
