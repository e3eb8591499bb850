package app

import (
	"gatehouse/backend/desk"
)

// AuditLog returns one page of the audit log, newest first.
func (svc *AuditService) AuditLog(q desk.AuditQuery) (desk.AuditPage, error) {
	return svc.d.AuditLog(q)
}

// AuditActors lists everyone who acted in the cached audit log, by name, not only those in
// the page on screen. query narrows it to names or e-mail addresses containing it (any
// case).
func (svc *AuditService) AuditActors(query string) ([]desk.AuditActor, error) {
	return svc.d.AuditActors(query)
}

// AuditActions lists the actions the audit log filter offers.
func (svc *AuditService) AuditActions() []string { return svc.d.AuditActions() }
