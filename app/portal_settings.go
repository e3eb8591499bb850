package app

import (
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// PortalSettings returns the settings of the portal Gatehouse is connected to (the local
// one or a server): its name, sign-up mode, approver addresses and public address.
func (a *App) PortalSettings() (client.Settings, error) {
	c, err := a.current()
	if err != nil {
		return client.Settings{}, err
	}
	return c.cl.Settings(a.ctx())
}

// SavePortalSettings changes the portal's settings (system administrators only), checked
// against the version they were read at: someone else's change in between is refused,
// not overwritten. The public address is where every e-mailed link points; while the
// local portal has none, messages with links are not sent (portal.CheckLinkBase).
//
// It goes to the portal at once rather than through the outbox: a setting takes effect
// for the next message only once the portal has it.
func (a *App) SavePortalSettings(s client.Settings) (client.Settings, error) {
	c, err := a.current()
	if err != nil {
		return client.Settings{}, err
	}
	if s.Version <= 0 {
		return client.Settings{}, portal.FieldErrorf("version", "Read the settings before changing them, so that nobody else's change is overwritten.")
	}
	return c.cl.UpdateSettings(a.ctx(), s, &client.Cmd{IfMatch: s.Version})
}
