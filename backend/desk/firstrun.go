package desk

import (
	"context"
	"errors"
	"fmt"
	"gatehouse/backend/client"
	"gatehouse/backend/demo"
	"gatehouse/backend/portal"
	"strings"
)

// FirstRunState tells the frontend whether to show the first-run screen.
type FirstRunState struct {
	// NeedsSetup is true until the administrator chose: demo data, an empty local
	// portal, or a server. The local portal runs meanwhile.
	NeedsSetup bool   `json:"needsSetup"`
	Mode       string `json:"mode"` // "embedded" | "remote"
	ServerURL  string `json:"serverUrl"`
	// DemoLoaded is true when the local copy holds the demo data.
	DemoLoaded bool `json:"demoLoaded"`
}

// DemoSummary says what LoadDemoData put into the local portal.
type DemoSummary struct {
	Organizations int  `json:"organizations"`
	Accounts      int  `json:"accounts"`
	Pending       int  `json:"pending"`
	Invitations   int  `json:"invitations"`
	AlreadyLoaded bool `json:"alreadyLoaded"`
}

// FirstRunState reports whether the first-run choice is still to be made.
func (a *Desk) FirstRunState() (FirstRunState, error) {
	db, err := a.cache()
	if err != nil {
		return FirstRunState{}, err
	}
	ctx := a.ctx()
	t, chosen, err := a.savedTarget(ctx, db)
	if err != nil {
		return FirstRunState{}, err
	}
	st := FirstRunState{NeedsSetup: !chosen, Mode: t.Mode, ServerURL: t.ServerURL}
	if _, err := db.GetOrganization(ctx, demo.MarkerOrganizationID); err == nil {
		st.DemoLoaded = true
	} else if portal.ErrorCode(err) != portal.ENOTFOUND {
		return FirstRunState{}, err
	}
	return st, nil
}

// LoadDemoData fills the local (embedded) portal with demo organisations, clients,
// pending sign-ups, staff and invitations, waits until they are in the local copy, and
// ends the first run. Loading twice adds nothing.
func (a *Desk) LoadDemoData() (DemoSummary, error) {
	c, err := a.current()
	if err != nil {
		return DemoSummary{}, err
	}
	if c.srv == nil {
		return DemoSummary{}, portal.Errorf(portal.ECONFLICT, "Demo data can only be loaded into the local portal, and Gatehouse is connected to %s. Demo data must never reach a real portal.", c.url)
	}
	ctx := a.ctx()
	sum, err := demo.Load(ctx, c.srv.Service(), c.srv.Store())
	if err != nil {
		a.log.Error("load demo data", "err", err)
		return DemoSummary{}, portal.Errorf(portal.EINTERNAL, "The demo data could not be loaded completely. Try again: what is there already is kept and the rest is added.")
	}
	// Into the local copy before the screens ask for it.
	if err := c.eng.Sync(ctx); err != nil {
		return DemoSummary{}, err
	}
	if err := a.switchTo(connTarget{Mode: ModeEmbedded}); err != nil {
		return DemoSummary{}, err
	}
	return DemoSummary{Organizations: sum.Organizations, Accounts: sum.Accounts, Pending: sum.Pending,
		Invitations: sum.Invitations, AlreadyLoaded: sum.AlreadyLoaded}, nil
}

// shortCause says in a few words why a server did not answer.
func shortCause(err error) string {
	if ce, ok := client.AsError(err); ok {
		return fmt.Sprintf("it answered HTTP %d", ce.Status)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "it did not answer within 15 seconds"
	case strings.Contains(err.Error(), "connection refused"):
		return "nothing listens there"
	case strings.Contains(err.Error(), "no such host"):
		return "there is no such host name"
	}
	return "it could not be reached"
}

// UseEmbedded keeps (or goes back to) the local portal and ends the first run.
func (a *Desk) UseEmbedded() (FirstRunState, error) {
	if err := a.switchTo(connTarget{Mode: ModeEmbedded}); err != nil {
		return FirstRunState{}, err
	}
	return a.FirstRunState()
}

// ConnectServer saves the portal server's address and syncs with it from now on; the
// local portal stops. Signing in to the server comes with the SSO sign-in: until then the
// status says the server wants a sign-in.
func (a *Desk) ConnectServer(url string) (FirstRunState, error) {
	// Switch only to a server that answers: a mistyped address would otherwise leave the
	// administrator offline with an empty Users list and their local portal out of sight.
	u, err := a.answering(url)
	if err != nil {
		return FirstRunState{}, err
	}
	if err := a.switchTo(connTarget{Mode: ModeRemote, ServerURL: u}); err != nil {
		return FirstRunState{}, err
	}
	return a.FirstRunState()
}
