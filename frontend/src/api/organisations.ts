// Organisations: the list, one organisation's profile, its users and roles.
import * as OrganisationsService from '../../wailsjs/go/app/OrganisationsService'
import type { desk, portal } from '../../wailsjs/go/models'
import { call } from './errors'

export type OrgRow = desk.OrgRow
export type OrgPage = desk.OrgPage
export type OrgProfile = desk.OrgProfile
export type Organization = portal.Organization
export type Address = portal.Address

export const organisations = (q: Partial<desk.OrgQuery> = {}): Promise<OrgPage> =>
  call(() => OrganisationsService.Organisations({ query: '', type: '', offset: 0, limit: 1000, ...q }))
export const organisation = (id: string): Promise<OrgProfile> => call(() => OrganisationsService.Organisation(id))
export const updateOrganisation = (org: Organization): Promise<desk.OrgResult> => call(() => OrganisationsService.UpdateOrganisation(org))

// Organisation roles: created, renamed and deleted through the outbox (pending until the
// server has them).
export type RoleResult = desk.RoleResult
export const createOrgRole = (orgId: string, name: string): Promise<RoleResult> => call(() => OrganisationsService.CreateOrgRole(orgId, name))
export const renameOrgRole = (roleId: string, name: string, version: number): Promise<RoleResult> =>
  call(() => OrganisationsService.RenameOrgRole(roleId, name, version))
export const deleteOrgRole = (roleId: string): Promise<RoleResult> => call(() => OrganisationsService.DeleteOrgRole(roleId))

// A new organisation (system administrators), shown at once and sent through the outbox.
export const createOrganisation = (org: Partial<Organization>): Promise<desk.OrgResult> =>
  call(() => OrganisationsService.CreateOrganisation(org as Organization))

// Adding people by e-mail (Creatio's "add users"): each address checked as typed, then
// added to the organisation and invited now or later.
export type AddressCheck = desk.AddressCheck
export type AddUsersRequest = desk.AddUsersRequest
export type AddUsersOutcome = desk.AddUsersOutcome
export const checkAddUsers = (orgId: string, inputs: string[]): Promise<AddressCheck[]> => call(() => OrganisationsService.CheckAddUsers(orgId, inputs))
export const addUsers = (req: AddUsersRequest): Promise<AddUsersOutcome> => call(() => OrganisationsService.AddUsers(req))
