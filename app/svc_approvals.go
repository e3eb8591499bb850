package app

import (
	"gatehouse/backend/desk"
)

// PendingQueue lists the people waiting for approval: those who requested access first
// (earliest request first), then the others by when they signed in. Source is the account
// source (SSO domain); CreatedAt is when they signed in.
func (svc *ApprovalsService) PendingQueue() ([]desk.UserRow, error) { return svc.d.PendingQueue() }

// Approve lets a pending person in.
func (svc *ApprovalsService) Approve(id string) (desk.ActionResult, error) { return svc.d.Approve(id) }

// Deny refuses a pending person; the reason is required and kept in the audit log. The
// account goes to the recycle bin.
func (svc *ApprovalsService) Deny(id string, reason string) (desk.ActionResult, error) {
	return svc.d.Deny(id, reason)
}

// ApproveInstead lets in a person who was denied.
func (svc *ApprovalsService) ApproveInstead(id string) (desk.ActionResult, error) {
	return svc.d.ApproveInstead(id)
}

// ApproveMany approves each selected pending person.
func (svc *ApprovalsService) ApproveMany(ids []string) (desk.BulkResult, error) {
	return svc.d.ApproveMany(ids)
}

// DenyMany denies each selected pending person with the same reason.
func (svc *ApprovalsService) DenyMany(ids []string, reason string) (desk.BulkResult, error) {
	return svc.d.DenyMany(ids, reason)
}

// RecycleBin lists the denied accounts, most recently decided first.
func (svc *ApprovalsService) RecycleBin() ([]desk.UserRow, error) { return svc.d.RecycleBin() }

// Restore takes a denied account out of the recycle bin as an active account.
func (svc *ApprovalsService) Restore(id string) (desk.ActionResult, error) { return svc.d.Restore(id) }

// Purge removes a denied account for good (system administrators only); the audit trail
// stays. The result has no user: the account is gone from every screen.
func (svc *ApprovalsService) Purge(id string) (desk.ActionResult, error) { return svc.d.Purge(id) }

// UndoDecision takes back an approval or denial made a moment ago (changeID is its queued
// change). While the change waits in the outbox it is withdrawn; once the portal has it,
// the answer names the action that reverses it, for the administrator to confirm.
func (svc *ApprovalsService) UndoDecision(changeID int64) (desk.UndoResult, error) {
	return svc.d.UndoDecision(changeID)
}
