package app

import (
	"gatehouse/backend/batch"
	"gatehouse/backend/client"
	"gatehouse/backend/desk"
)

// Batches lists every batch, newest first.
func (svc *InvitationsService) Batches() ([]batch.Batch, error) { return svc.d.Batches() }

// FormBatch forms an invitation batch from an import session or the cache's contacts.
func (svc *InvitationsService) FormBatch(req desk.FormBatchRequest) (desk.FormBatchResult, error) {
	return svc.d.FormBatch(req)
}

// BatchPreview returns the exact messages of a page of recipients and the counts.
func (svc *InvitationsService) BatchPreview(id string, q batch.RecipientQuery) (batch.Preview, error) {
	return svc.d.BatchPreview(id, q)
}

// BatchRecipients returns a page of a batch's recipients (for the unknowns to decide).
func (svc *InvitationsService) BatchRecipients(id string, q batch.RecipientQuery) (batch.Page[batch.Recipient], error) {
	return svc.d.BatchRecipients(id, q)
}

// SendBatch starts sending a batch in the background; progress arrives as
// "batch:progress". Sending a paused or interrupted batch resumes it.
func (svc *InvitationsService) SendBatch(id string) error { return svc.d.SendBatch(id) }

// ResumeBatch sends what is left of a paused or interrupted batch.
func (svc *InvitationsService) ResumeBatch(id string) error { return svc.d.ResumeBatch(id) }

// PauseBatch stops a running batch after the message in flight.
func (svc *InvitationsService) PauseBatch(id string) error { return svc.d.PauseBatch(id) }

// CancelBatch stops a batch for good; the rest is not sent.
func (svc *InvitationsService) CancelBatch(id string) error { return svc.d.CancelBatch(id) }

// DecideUnknown settles recipients whose e-mail may or may not have arrived: "resend" or
// "sent". It returns how many were settled.
func (svc *InvitationsService) DecideUnknown(id string, seqs []int, decision string) (int, error) {
	return svc.d.DecideUnknown(id, seqs, decision)
}

// SMTPSettings returns the saved mail server settings.
func (svc *InvitationsService) SMTPSettings() (desk.SMTPSettings, error) { return svc.d.SMTPSettings() }

// SaveSMTPSettings checks and saves the settings; a non-empty password goes to the OS
// keychain, never to the local database.
func (svc *InvitationsService) SaveSMTPSettings(s desk.SMTPSettings, password string) (desk.SMTPSettings, error) {
	return svc.d.SaveSMTPSettings(s, password)
}

// SendTestMessage sends a test message with the saved settings.
func (svc *InvitationsService) SendTestMessage(to string) error { return svc.d.SendTestMessage(to) }

// Templates lists every message as the portal has it; Customised marks those that differ
// from the built-in text.
func (svc *InvitationsService) Templates() ([]desk.TemplateInfo, error) { return svc.d.Templates() }

// SaveTemplate changes a message on the portal, so that every message it or a batch sends
// from now on reads so. The change goes through the outbox: offline it waits (Pending),
// and someone else's change since it was read comes back as a conflict showing both.
func (svc *InvitationsService) SaveTemplate(key, subject, body string) (desk.TemplateInfo, error) {
	return svc.d.SaveTemplate(key, subject, body)
}

// PreviewTemplate renders subject and body (as being edited) for a real contact of the
// cache, or the sample person when there is none, with the portal's name and the expiry
// of an invitation sent now, from the local copy of its settings (sample ones before the
// first sync).
func (svc *InvitationsService) PreviewTemplate(key, subject, body string) (desk.TemplatePreview, error) {
	return svc.d.PreviewTemplate(key, subject, body)
}

// InvitationsList returns a page of the invitations e-mailed by batches, with status.
func (svc *InvitationsService) InvitationsList(q batch.InvitationQuery) (batch.Page[batch.InvitationRow], error) {
	return svc.d.InvitationsList(q)
}

// ResendInvitation forms a reminder batch for these lines of the invitations list: sending
// it gives each person a new link (the old one dies). The batch is formed, not sent.
func (svc *InvitationsService) ResendInvitation(rows []batch.RecipientRef) (batch.Batch, error) {
	return svc.d.ResendInvitation(rows)
}

// RevokeInvitation revokes an invitation on the portal server: its link stops working.
func (svc *InvitationsService) RevokeInvitation(invitationID string) error {
	return svc.d.RevokeInvitation(invitationID)
}

// RemindAll forms a reminder batch for everyone who has not activated their invitation.
func (svc *InvitationsService) RemindAll() (batch.Batch, error) { return svc.d.RemindAll() }

// PreNotify forms the "your invitation is coming" batch for the people an invitation batch
// will invite. It is formed, not sent. People who are not contacts on the portal yet (an
// import not applied) are left out unless includeNotOnPortal.
func (svc *InvitationsService) PreNotify(invitationBatchID string, includeNotOnPortal bool) (batch.Batch, error) {
	return svc.d.PreNotify(invitationBatchID, includeNotOnPortal)
}

// PortalMail lists the portal's outgoing mail; status "" lists all, otherwise queued,
// sent, skipped or failed.
func (svc *InvitationsService) PortalMail(status string) ([]client.MailItem, error) {
	return svc.d.PortalMail(status)
}

// RetryPortalMail sends a waiting or failed message again.
func (svc *InvitationsService) RetryPortalMail(id string) (client.MailItem, error) {
	return svc.d.RetryPortalMail(id)
}
