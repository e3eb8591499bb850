package desk

import (
	"context"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/session"
)

// Sign-in to a remote portal server lives in backend/session; these are its bound methods,
// and sessionHost is what the Manager asks of the App.

// Events about sign-in, as the window subscribes to them.
const (
	EventSignInURL      = session.EventURL
	EventSignInDone     = session.EventDone
	EventSignInRequired = session.EventRequired
	EventSignInState    = session.EventState
)

// sessionHost gives the session Manager the App's cache, connection and events.
type sessionHost struct{ a *Desk }

func (h sessionHost) Cache() (*cache.DB, error) { return h.a.cache() }
func (h sessionHost) Emit(event string, data any) {
	if d, ok := data.(session.Done); ok && event == session.EventDone {
		h.a.signedIn(d) // going live switches once the server accepted the sign-in (golive.go)
	}
	h.a.rt.Emit(event, data)
}
func (h sessionHost) SyncNow() {
	if eng, _, err := h.a.engine(); err == nil {
		eng.SyncNow()
	}
}

func (h sessionHost) Server() (mode, serverURL string, err error) {
	fr, err := h.a.FirstRunState()
	if err != nil {
		return "", "", err
	}
	return fr.Mode, fr.ServerURL, nil
}

// remoteClient is the client sync uses for the remote portal server at serverURL (see
// session.Manager.Client).
func (a *Desk) remoteClient(ctx context.Context, db *cache.DB, serverURL string) *client.Client {
	return a.auth.Client(ctx, db, serverURL)
}

// needsSignIn reports whether sync waits for a sign-in: remote mode and no usable session.
func (a *Desk) needsSignIn(ctx context.Context) bool {
	st, err := a.auth.State(ctx)
	return err == nil && st.NeedsSignIn
}

// SignInSettings returns the portal server and identity provider Gatehouse signs in with.
func (a *Desk) SignInSettings() (session.Settings, error) {
	return a.auth.Settings(context.Background())
}

// SaveSignInSettings checks and stores the sign-in settings. A new server address switches
// sync to that server (refused while changes for the old one are unsent) and forgets the
// sign-in to the old one; an empty one leaves the connection as it is.
func (a *Desk) SaveSignInSettings(set session.Settings) (session.Settings, error) {
	ctx := context.Background()
	set, err := session.CheckSettings(set)
	if err != nil {
		return session.Settings{}, err
	}
	current, err := a.auth.Settings(ctx)
	if err != nil {
		return session.Settings{}, err
	}
	if set.ServerURL != "" && set.ServerURL != current.ServerURL {
		if _, err := a.ConnectServer(set.ServerURL); err != nil {
			return session.Settings{}, err
		}
		a.auth.ForgetOtherServers(ctx, set.ServerURL)
	}
	if err := a.auth.SaveSettings(ctx, set); err != nil {
		return session.Settings{}, err
	}
	return a.auth.Settings(ctx)
}

// BeginSignIn starts signing in: it opens the identity provider's page in the system
// browser and returns its address at once (also sent as "signin:url", so it can be copied if
// no browser opens). The outcome arrives as "signin:done". Starting again abandons a
// sign-in still waiting.
func (a *Desk) BeginSignIn() (session.Start, error) { return a.auth.Begin(false) }

// TestSignIn runs the same sign-in to check the settings end to end — identity provider,
// this computer's clock, and the portal server's acceptance of the account — and then ends
// the session it got at once. The current sign-in, if any, is not touched.
func (a *Desk) TestSignIn() (session.Start, error) { return a.auth.Begin(true) }

// CancelSignIn abandons the sign-in waiting for the browser, if any.
func (a *Desk) CancelSignIn() (session.State, error) {
	a.auth.Cancel()
	return a.auth.State(context.Background())
}

// SignOut ends the session at the portal server and forgets it on this computer. Signing
// out when not signed in is not an error.
func (a *Desk) SignOut() (session.State, error) {
	return a.auth.SignOut(context.Background())
}

// SessionState says whether, as whom and until when this computer is signed in.
func (a *Desk) SessionState() (session.State, error) {
	return a.auth.State(context.Background())
}
