package app

import (
	"gatehouse/backend/desk"
	"gatehouse/backend/portal"
)

// Organisations lists organisations by name, with how many accounts and organisation
// administrators each has.
func (svc *OrganisationsService) Organisations(q desk.OrgQuery) (desk.OrgPage, error) {
	return svc.d.Organisations(q)
}

// Organisation returns one organisation's page: profile, users (administrators first,
// then by name) and organisation roles.
func (svc *OrganisationsService) Organisation(id string) (desk.OrgProfile, error) {
	return svc.d.Organisation(id)
}

// CreateOrgRole adds an organisation role (an additional role only that organisation's
// people can hold). Organisation administrators may do this for their own organisation.
func (svc *OrganisationsService) CreateOrgRole(orgID, name string) (desk.RoleResult, error) {
	return svc.d.CreateOrgRole(orgID, name)
}

// RenameOrgRole renames an organisation role. version is the role's version as loaded: if
// it changed since, the rename is refused so nothing newer is overwritten (0 skips the
// check).
func (svc *OrganisationsService) RenameOrgRole(roleID, name string, version int64) (desk.RoleResult, error) {
	return svc.d.RenameOrgRole(roleID, name, version)
}

// DeleteOrgRole removes an organisation role nobody holds.
func (svc *OrganisationsService) DeleteOrgRole(roleID string) (desk.RoleResult, error) {
	return svc.d.DeleteOrgRole(roleID)
}

// UpdateOrganisation saves an organisation's profile (name, phone, addresses; type and
// membership for system administrators). Send the whole profile as loaded: if it changed
// since (the Version differs), the save is refused so nothing newer is overwritten.
func (svc *OrganisationsService) UpdateOrganisation(org portal.Organization) (desk.OrgResult, error) {
	return svc.d.UpdateOrganisation(org)
}

// CheckAddUsers says, address by address, what adding these people to the organisation
// would do: match a contact, create one (and its name), or nothing for an address that is
// not one. Nothing changes.
func (svc *OrganisationsService) CheckAddUsers(orgID string, inputs []string) ([]desk.AddressCheck, error) {
	return svc.d.CheckAddUsers(orgID, inputs)
}

// AddUsers adds people to an organisation by e-mail address: each is matched to one of its
// contacts or becomes a new contact named after the address, and with InviteNow each is
// e-mailed an invitation. Every address is checked first; one that is not an address
// refuses the whole list with its position. Invitations from a portal whose links only this
// computer could open are refused with what to do, as for a batch.
func (svc *OrganisationsService) AddUsers(req desk.AddUsersRequest) (desk.AddUsersOutcome, error) {
	return svc.d.AddUsers(req)
}

// CreateOrganisation adds an organisation with its profile (system administrators only).
// It shows at once; people can be added to it before the portal has it.
func (svc *OrganisationsService) CreateOrganisation(o portal.Organization) (desk.OrgResult, error) {
	return svc.d.CreateOrganisation(o)
}
