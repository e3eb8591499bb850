package app

import (
	"gatehouse/backend/desk"
	"gatehouse/backend/golive"
	"gatehouse/backend/replica"
	"gatehouse/backend/session"
)

// About describes this build and where its data lives. It answers even when the local
// database could not be opened, because that is when the user needs the path most.
func (svc *ConnectionService) About() (desk.AboutInfo, error) { return svc.d.About() }

// CurrentActor says who the administrator is and what the server would refuse them. In
// embedded mode the desktop is the local portal's own administrator and may do everything.
// When Gatehouse cannot know yet (a remote server not reached since sign-in) the answer is
// not an error: Known is false and every refusal says what to do.
func (svc *ConnectionService) CurrentActor() (desk.ActorInfo, error) { return svc.d.CurrentActor() }

// FirstRunState reports whether the first-run choice is still to be made.
func (svc *ConnectionService) FirstRunState() (desk.FirstRunState, error) {
	return svc.d.FirstRunState()
}

// LoadDemoData fills the local (embedded) portal with demo organisations, clients,
// pending sign-ups, staff and invitations, waits until they are in the local copy, and
// ends the first run. Loading twice adds nothing.
func (svc *ConnectionService) LoadDemoData() (desk.DemoSummary, error) { return svc.d.LoadDemoData() }

// UseEmbedded keeps (or goes back to) the local portal and ends the first run.
func (svc *ConnectionService) UseEmbedded() (desk.FirstRunState, error) { return svc.d.UseEmbedded() }

// ConnectServer saves the portal server's address and syncs with it from now on; the
// local portal stops. Signing in to the server comes with the SSO sign-in: until then the
// status says the server wants a sign-in.
func (svc *ConnectionService) ConnectServer(url string) (desk.FirstRunState, error) {
	return svc.d.ConnectServer(url)
}

// GoLivePlan says what connecting to the portal server at serverURL would carry from the
// local portal and what it would not, once the server answered there. Nothing changes.
func (svc *ConnectionService) GoLivePlan(serverURL string) (golive.Plan, error) {
	return svc.d.GoLivePlan(serverURL)
}

// GoLive starts going live to the portal server in set: once it answered, the sign-in
// settings are kept and the sign-in to it begins (its outcome arrives as signin:done, as
// for BeginSignIn). Only when the server accepted the sign-in does Gatehouse switch to it
// and, with carry, carry the local portal's organisations, contacts and reworded messages
// after the first sync. A failure at any step leaves Gatehouse on the local portal.
func (svc *ConnectionService) GoLive(set session.Settings, carry bool) (session.Start, error) {
	return svc.d.GoLive(set, carry)
}

// GoLiveStatus says whether local work waits to be carried to the server, or what the last
// carry did.
func (svc *ConnectionService) GoLiveStatus() (desk.GoLiveResult, error) { return svc.d.GoLiveStatus() }

// SyncStatus returns the current status. When Gatehouse could not connect, the status
// says why in LastError rather than failing, so the status bar can show it.
func (svc *ConnectionService) SyncStatus() (desk.SyncStatus, error) { return svc.d.SyncStatus() }

// SyncNow pushes the waiting changes and pulls the server's, then returns the status. A
// failure to reach the server is not an error: the status says it.
func (svc *ConnectionService) SyncNow() (desk.SyncStatus, error) { return svc.d.SyncNow() }

// PendingChanges lists the changes the server does not have yet, oldest first.
func (svc *ConnectionService) PendingChanges() ([]replica.Change, error) {
	return svc.d.PendingChanges()
}

// DiscardChange undoes a change the server does not have yet (or gives up a failed one);
// the server's version shows again.
func (svc *ConnectionService) DiscardChange(id int64) (desk.SyncStatus, error) {
	return svc.d.DiscardChange(id)
}

// RetryChange sends a failed change again.
func (svc *ConnectionService) RetryChange(id int64) (desk.SyncStatus, error) {
	return svc.d.RetryChange(id)
}

// Conflicts lists the changes waiting for the administrator's choice, oldest first.
func (svc *ConnectionService) Conflicts() ([]desk.Conflict, error) { return svc.d.Conflicts() }

// ResolveConflict settles a conflict: choice "theirs" drops my change, "mine" applies it
// again on the server's version (refused with the portal's reason when it no longer makes
// sense there; the conflict then stays).
func (svc *ConnectionService) ResolveConflict(id int64, choice string) (desk.SyncStatus, error) {
	return svc.d.ResolveConflict(id, choice)
}
