package app

import (
	"gatehouse/backend/client"
	"gatehouse/backend/desk"
	"gatehouse/backend/server/api"
	"gatehouse/backend/session"
)

// LocalAdmin says who works on the local portal; empty until they said.
func (svc *SettingsService) LocalAdmin() (desk.LocalAdmin, error) { return svc.d.LocalAdmin() }

// SaveLocalAdmin records who works on the local portal: their name and e-mail address
// appear on every change they make there from now on.
func (svc *SettingsService) SaveLocalAdmin(l desk.LocalAdmin) (desk.LocalAdmin, error) {
	return svc.d.SaveLocalAdmin(l)
}

// PortalSettings returns the settings of the portal Gatehouse is connected to (the local
// one or a server) from the local copy, a change on its way included: its name, sign-up
// mode, approver addresses and public address.
func (svc *SettingsService) PortalSettings() (desk.PortalSettingsView, error) {
	return svc.d.PortalSettings()
}

// SavePortalSettings changes the portal's settings (system administrators only). The
// change is checked at once with the portal's own rules, queued like any other change
// (offline too) and audited by the portal when it arrives; s.Version is the version they
// were read at, so a change that arrived meanwhile is refused here rather than
// overwritten. The public address is where every e-mailed link points; while the local
// portal has none, messages with links are not sent (portal.CheckLinkBase).
func (svc *SettingsService) SavePortalSettings(s client.Settings) (desk.PortalSettingsView, error) {
	return svc.d.SavePortalSettings(s)
}

// SignInSettings returns the portal server and identity provider Gatehouse signs in with.
func (svc *SettingsService) SignInSettings() (session.Settings, error) { return svc.d.SignInSettings() }

// SaveSignInSettings checks and stores the sign-in settings. A new server address switches
// sync to that server (refused while changes for the old one are unsent) and forgets the
// sign-in to the old one; an empty one leaves the connection as it is.
func (svc *SettingsService) SaveSignInSettings(set session.Settings) (session.Settings, error) {
	return svc.d.SaveSignInSettings(set)
}

// BeginSignIn starts signing in: it opens the identity provider's page in the system
// browser and returns its address at once (also sent as "signin:url", so it can be copied if
// no browser opens). The outcome arrives as "signin:done". Starting again abandons a
// sign-in still waiting.
func (svc *SettingsService) BeginSignIn() (session.Start, error) { return svc.d.BeginSignIn() }

// TestSignIn runs the same sign-in to check the settings end to end — identity provider,
// this computer's clock, and the portal server's acceptance of the account — and then ends
// the session it got at once. The current sign-in, if any, is not touched.
func (svc *SettingsService) TestSignIn() (session.Start, error) { return svc.d.TestSignIn() }

// CancelSignIn abandons the sign-in waiting for the browser, if any.
func (svc *SettingsService) CancelSignIn() (session.State, error) { return svc.d.CancelSignIn() }

// SignOut ends the session at the portal server and forgets it on this computer. Signing
// out when not signed in is not an error.
func (svc *SettingsService) SignOut() (session.State, error) { return svc.d.SignOut() }

// SessionState says whether, as whom and until when this computer is signed in.
func (svc *SettingsService) SessionState() (session.State, error) { return svc.d.SessionState() }

// DirectoryTokens lists the directories (SCIM) connected to the portal that the
// administrator may see, with each one's last use; never a token.
func (svc *SettingsService) DirectoryTokens() ([]api.DirectoryToken, error) {
	return svc.d.DirectoryTokens()
}

// CreateDirectoryToken connects a directory (Microsoft Entra ID, Okta, Google Workspace)
// and returns its token, shown this once, and the SCIM address to give the directory.
func (svc *SettingsService) CreateDirectoryToken(req api.DirectoryTokenRequest) (api.NewDirectoryToken, error) {
	return svc.d.CreateDirectoryToken(req)
}

// RevokeDirectoryToken disconnects a directory: its token is refused from now on, and the
// people it provisioned stay.
func (svc *SettingsService) RevokeDirectoryToken(id string) (api.DirectoryToken, error) {
	return svc.d.RevokeDirectoryToken(id)
}
