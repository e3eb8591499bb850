package desk

import (
	"encoding/json"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/session"
)

// Events the App sends the frontend (runtime.EventsOn(name, cb)).
const (
	// EventSyncStatus carries a SyncStatus every time any of its fields changes.
	EventSyncStatus = "sync:status"
	// EventDataChanged carries a DataChanged whenever the local copy changed: the sync
	// brought records from the server, or the administrator queued or settled a change.
	// Screens reload what they show.
	EventDataChanged = "data:changed"
)

// Connection modes.
const (
	ModeEmbedded = session.ModeEmbedded // the portal server runs inside Gatehouse, on 127.0.0.1
	ModeRemote   = session.ModeRemote   // a portal server elsewhere
)

// SyncStatus is what the status bar shows.
type SyncStatus struct {
	// Mode is "embedded" or "remote"; "" while Gatehouse is starting or could not start.
	Mode      string `json:"mode"`
	ServerURL string `json:"serverUrl"`
	Online    bool   `json:"online"`
	Syncing   bool   `json:"syncing"`
	// LastSyncAt is when the local copy last caught up with the server.
	LastSyncAt *time.Time `json:"lastSyncAt"`
	// Pending counts changes the server does not have yet (conflicts and failures
	// included); Conflicts and Failed are the ones waiting for the administrator.
	Pending   int `json:"pending"`
	Conflicts int `json:"conflicts"`
	Failed    int `json:"failed"`
	// LastError says why the last sync failed, as a sentence; "" when it worked.
	LastError string `json:"lastError"`
	// NeedsSignIn is true when the server is a remote one and this computer has no usable
	// sign-in for it: changes wait until someone signs in (Settings → Server and sign-in).
	NeedsSignIn bool `json:"needsSignIn"`
	// Indexing is true while the local copy's search indexes are built after a first
	// download: every screen works, search and filters are slower until it is done.
	Indexing bool `json:"indexing"`
	// Unencrypted is true when the portal server is reached over plain HTTP off this
	// computer (allowed only with GATEHOUSE_INSECURE_HTTP=1): the status bar says so.
	Unencrypted bool `json:"unencrypted"`
}

// DataChanged is the payload of EventDataChanged.
type DataChanged struct {
	// Reason is "sync" (records arrived from the server) or "local" (a change was queued,
	// sent, or settled).
	Reason string `json:"reason"`
}

// Conflict is a change the server refused because someone else changed or decided first,
// with both versions. Resolve it with ResolveConflict.
type Conflict struct {
	ID          int64     `json:"id"`
	Command     string    `json:"command"`
	Description string    `json:"description"` // "Approve Ann Smith"
	EntityType  string    `json:"entityType"`
	EntityID    string    `json:"entityId"`
	Message     string    `json:"message"` // the server's words
	QueuedAt    time.Time `json:"queuedAt"`
	// Mine is the record as the administrator's change would make it; Theirs is the
	// record as the server has it now.
	Mine   replica.Version `json:"mine"`
	Theirs replica.Version `json:"theirs"`
	// Payload is what the administrator asked for (reason, roles, ...).
	Payload map[string]any `json:"payload"`
}

// Conflict choices.
const (
	KeepTheirs = "theirs" // drop my change; the server's version stays
	KeepMine   = "mine"   // decide my change again on the server's version and send it
)

// SyncStatus returns the current status. When Gatehouse could not connect, the status
// says why in LastError rather than failing, so the status bar can show it.
func (a *Desk) SyncStatus() (SyncStatus, error) {
	if _, err := a.cache(); err != nil {
		return SyncStatus{}, err
	}
	a.mu.RLock()
	c, connErr := a.conn, a.connErr
	a.mu.RUnlock()
	if c == nil {
		st := SyncStatus{LastError: portal.ErrorMessage(connErr)}
		if connErr == nil {
			st.LastError = "Gatehouse is still starting."
		}
		return st, nil
	}
	return c.status(c.eng.Status()), nil
}

// SyncNow pushes the waiting changes and pulls the server's, then returns the status. A
// failure to reach the server is not an error: the status says it.
func (a *Desk) SyncNow() (SyncStatus, error) {
	c, err := a.current()
	if err != nil {
		return SyncStatus{}, err
	}
	if err := c.eng.Sync(a.ctx()); err != nil {
		a.log.Info("sync now", "err", err)
	}
	return c.status(c.eng.Status()), nil
}

// PendingChanges lists the changes the server does not have yet, oldest first.
func (a *Desk) PendingChanges() ([]replica.Change, error) {
	eng, _, err := a.engine()
	if err != nil {
		return nil, err
	}
	return eng.Pending(a.ctx())
}

// DiscardChange undoes a change the server does not have yet (or gives up a failed one);
// the server's version shows again.
func (a *Desk) DiscardChange(id int64) (SyncStatus, error) {
	c, err := a.current()
	if err != nil {
		return SyncStatus{}, err
	}
	if err := c.eng.Discard(a.ctx(), id); err != nil {
		return SyncStatus{}, err
	}
	return c.status(c.eng.Status()), nil
}

// RetryChange sends a failed change again.
func (a *Desk) RetryChange(id int64) (SyncStatus, error) {
	c, err := a.current()
	if err != nil {
		return SyncStatus{}, err
	}
	if err := c.eng.Retry(a.ctx(), id); err != nil {
		return SyncStatus{}, err
	}
	return c.status(c.eng.Status()), nil
}

// Conflicts lists the changes waiting for the administrator's choice, oldest first.
func (a *Desk) Conflicts() ([]Conflict, error) {
	eng, _, err := a.engine()
	if err != nil {
		return nil, err
	}
	cs, err := eng.Conflicts(a.ctx())
	if err != nil {
		return nil, err
	}
	out := make([]Conflict, 0, len(cs))
	for _, c := range cs {
		out = append(out, Conflict{
			ID: c.ID, Command: c.Command, Description: c.Description, EntityType: c.EntityType, EntityID: c.EntityID,
			Message: c.Message, QueuedAt: c.QueuedAt, Mine: c.Mine, Theirs: c.Theirs, Payload: jsonObject(c.Payload),
		})
	}
	return out, nil
}

// ResolveConflict settles a conflict: choice "theirs" drops my change, "mine" applies it
// again on the server's version (refused with the portal's reason when it no longer makes
// sense there; the conflict then stays).
func (a *Desk) ResolveConflict(id int64, choice string) (SyncStatus, error) {
	c, err := a.current()
	if err != nil {
		return SyncStatus{}, err
	}
	switch choice {
	case KeepTheirs:
		err = c.eng.KeepTheirs(a.ctx(), id)
	case KeepMine:
		_, err = c.eng.ApplyMineAgain(a.ctx(), id)
	default:
		err = portal.FieldErrorf("choice", "Choose %q to keep the server's version or %q to apply your change again.", KeepTheirs, KeepMine)
	}
	if err != nil {
		return SyncStatus{}, err
	}
	return c.status(c.eng.Status()), nil
}

// jsonObject decodes a JSON object for the frontend; anything else becomes nil.
func jsonObject(raw []byte) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}
