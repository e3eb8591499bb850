package desk

import (
	"context"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// PortalSettingsView is the portal's settings as the administrator sees them here.
type PortalSettingsView struct {
	Settings client.Settings `json:"settings"`
	// Pending is true while a change waits to reach the portal.
	Pending bool `json:"pending"`
}

// PortalSettings returns the settings of the portal Gatehouse is connected to (the local
// one or a server) from the local copy, a change on its way included: its name, sign-up
// mode, approver addresses and public address.
func (a *Desk) PortalSettings() (PortalSettingsView, error) {
	_, db, err := a.engine()
	if err != nil {
		return PortalSettingsView{}, err
	}
	return portalSettingsOf(a, db)
}

func portalSettingsOf(a *Desk, db *cache.DB) (PortalSettingsView, error) {
	var s client.Settings
	ok, err := db.Document(a.ctx(), cache.EntitySettings, portal.SettingsID, &s)
	if err != nil {
		return PortalSettingsView{}, err
	}
	if !ok {
		return PortalSettingsView{}, portal.Errorf(portal.ENOTFOUND, "The portal's settings have not reached this computer yet. Let Gatehouse sync once with the portal, then look again.")
	}
	pending, err := db.PendingFor(a.ctx(), cache.EntitySettings, portal.SettingsID)
	if err != nil {
		return PortalSettingsView{}, err
	}
	return PortalSettingsView{Settings: s.WithDefaults(), Pending: len(pending) > 0}, nil
}

// SavePortalSettings changes the portal's settings (system administrators only). The
// change is checked at once with the portal's own rules, queued like any other change
// (offline too) and audited by the portal when it arrives; s.Version is the version they
// were read at, so a change that arrived meanwhile is refused here rather than
// overwritten. The public address is where every e-mailed link points; while the local
// portal has none, messages with links are not sent (portal.CheckLinkBase).
func (a *Desk) SavePortalSettings(s client.Settings) (PortalSettingsView, error) {
	eng, db, err := a.engine()
	if err != nil {
		return PortalSettingsView{}, err
	}
	cur, err := portalSettingsOf(a, db)
	if err != nil {
		return PortalSettingsView{}, err
	}
	if s.Version <= 0 {
		return PortalSettingsView{}, portal.FieldErrorf("version", "Read the settings before changing them, so that nobody else's change is overwritten.")
	}
	if s.Version != cur.Settings.Version {
		return PortalSettingsView{}, portal.Errorf(portal.ECONFLICT, "Someone changed the portal's settings after you opened them. Reload them, then make your change again.")
	}
	if _, err := eng.Commands().UpdateSettings(a.ctx(), s); err != nil {
		return PortalSettingsView{}, err
	}
	a.pushSoon(eng)
	return portalSettingsOf(a, db)
}

// pushSoon sends the changes waiting in the outbox now, for a few seconds at most: a
// setting or message takes effect for the next e-mail only once the portal has it, so
// the answer says whether it has (Pending false) rather than leaving it to the next sync.
// Offline, the change stays queued and is sent when the portal can be reached.
func (a *Desk) pushSoon(eng *replica.Engine) {
	ctx, cancel := context.WithTimeout(a.ctx(), 10*time.Second)
	defer cancel()
	if _, err := eng.Push(ctx); err != nil {
		a.log.Info("send the change now", "err", err)
	}
}
