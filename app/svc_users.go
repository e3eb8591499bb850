package app

import (
	"gatehouse/backend/desk"
)

// FindClientByEmail finds the accounts with this e-mail address (any case), so the
// administrator can verify the record before promoting it.
func (svc *UsersService) FindClientByEmail(email string) ([]desk.ClientCandidate, error) {
	return svc.d.FindClientByEmail(email)
}

// Roles returns the role catalogue.
func (svc *UsersService) Roles() (desk.RoleCatalog, error) { return svc.d.Roles() }

// Promote turns an active client into a staff user with one core role and any additional
// roles (system roles, or roles of the person's organisation), deleting the leftover
// client record if asked.
func (svc *UsersService) Promote(id string, coreRole string, additionalRoles []string, deleteClientRecord bool) (desk.ActionResult, error) {
	return svc.d.Promote(id, coreRole, additionalRoles, deleteClientRecord)
}

// SearchUsers returns one page of the Users table.
func (svc *UsersService) SearchUsers(q desk.UserQuery) (desk.UserPage, error) {
	return svc.d.SearchUsers(q)
}

// GetUser returns the detail drawer of one account.
func (svc *UsersService) GetUser(id string) (desk.UserDetail, error) { return svc.d.GetUser(id) }

// Ghosts lists the unfinished client registrations, by name.
func (svc *UsersService) Ghosts() ([]desk.UserRow, error) { return svc.d.Ghosts() }

// DeactivateUser suspends an active account.
func (svc *UsersService) DeactivateUser(id string) (desk.ActionResult, error) {
	return svc.d.DeactivateUser(id)
}

// DeleteClientRecord drops the client record a staff user kept at promotion; they stay a
// staff user with their roles.
func (svc *UsersService) DeleteClientRecord(id string) (desk.ActionResult, error) {
	return svc.d.DeleteClientRecord(id)
}

// ResendUserInvitation sends the invited person a new link; the old one stops working.
// expiresInDays is how long the new link stays valid (0: the portal's usual lifetime,
// at most its longest): a new link with a new expiry is how an invitation's expiry changes.
func (svc *UsersService) ResendUserInvitation(id string, expiresInDays int) (desk.ActionResult, error) {
	return svc.d.ResendUserInvitation(id, expiresInDays)
}

// RevokeUserInvitation withdraws the invited person's link.
func (svc *UsersService) RevokeUserInvitation(id string) (desk.ActionResult, error) {
	return svc.d.RevokeUserInvitation(id)
}

// ReactivateUser lets a deactivated account sign in again.
func (svc *UsersService) ReactivateUser(id string) (desk.ActionResult, error) {
	return svc.d.ReactivateUser(id)
}

// SetOrgAdmin makes an account an administrator of its organisation, or takes it away.
func (svc *UsersService) SetOrgAdmin(id string, admin bool) (desk.ActionResult, error) {
	return svc.d.SetOrgAdmin(id, admin)
}

// SetUserRoles replaces an account's core role and additional roles.
func (svc *UsersService) SetUserRoles(id string, coreRole string, additionalRoles []string) (desk.ActionResult, error) {
	return svc.d.SetUserRoles(id, coreRole, additionalRoles)
}

// CompleteRegistration marks a ghost account's registration as finished.
func (svc *UsersService) CompleteRegistration(id string) (desk.ActionResult, error) {
	return svc.d.CompleteRegistration(id)
}

// DeactivateUsers deactivates each selected account.
func (svc *UsersService) DeactivateUsers(ids []string) (desk.BulkResult, error) {
	return svc.d.DeactivateUsers(ids)
}

// ReactivateUsers reactivates each selected account.
func (svc *UsersService) ReactivateUsers(ids []string) (desk.BulkResult, error) {
	return svc.d.ReactivateUsers(ids)
}

// SetUsersRoles gives each selected account the same roles.
func (svc *UsersService) SetUsersRoles(ids []string, coreRole string, additionalRoles []string) (desk.BulkResult, error) {
	return svc.d.SetUsersRoles(ids, coreRole, additionalRoles)
}

// ResendInvitations sends each selected (invited) account a new invitation link; the old
// link stops working. An account with no invitation is left out with the reason.
func (svc *UsersService) ResendInvitations(ids []string) (desk.BulkResult, error) {
	return svc.d.ResendInvitations(ids)
}
