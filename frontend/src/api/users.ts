// Users: the Users table, the detail drawer, actions on one account and on a selection,
// ghost accounts and promotion to staff user.
import * as UsersService from '../../wailsjs/go/app/UsersService'
import type { desk, portal } from '../../wailsjs/go/models'
import { call } from './errors'

export type UserRow = desk.UserRow
export type UserQuery = desk.UserQuery
export type UserPage = desk.UserPage
export type UserDetail = desk.UserDetail
export type ActionResult = desk.ActionResult
export type BulkResult = desk.BulkResult
export type BulkItem = desk.BulkItem
export type RoleCatalog = desk.RoleCatalog
export type RoleInfo = desk.RoleInfo
export type ClientCandidate = desk.ClientCandidate
export type ActionCheck = portal.ActionCheck

// What the policy says about one action on a person: undefined when it does not apply (the
// screen hides it), else allowed or refused with the server's own reason.
export function actionCheck(d: UserDetail | null | undefined, action: string): ActionCheck | undefined {
  return d?.actions?.find((a) => a.action === action)
}

export const searchUsers = (q: UserQuery): Promise<UserPage> => call(() => UsersService.SearchUsers(q))
export const getUser = (id: string): Promise<UserDetail> => call(() => UsersService.GetUser(id))
export const ghosts = (): Promise<UserRow[]> => call(() => UsersService.Ghosts())

export const deactivateUser = (id: string): Promise<ActionResult> => call(() => UsersService.DeactivateUser(id))
export const reactivateUser = (id: string): Promise<ActionResult> => call(() => UsersService.ReactivateUser(id))
export const setOrgAdmin = (id: string, admin: boolean): Promise<ActionResult> => call(() => UsersService.SetOrgAdmin(id, admin))
export const setUserRoles = (id: string, core: string, additional: string[]): Promise<ActionResult> =>
  call(() => UsersService.SetUserRoles(id, core, additional))
export const completeRegistration = (id: string): Promise<ActionResult> => call(() => UsersService.CompleteRegistration(id))
// Drops the client record a staff user kept when promoted; they stay a staff user.
export const deleteClientRecord = (id: string): Promise<ActionResult> => call(() => UsersService.DeleteClientRecord(id))
// A new link, valid for days (0: the portal's usual lifetime); the old one dies.
export const resendUserInvitation = (id: string, days = 0): Promise<ActionResult> => call(() => UsersService.ResendUserInvitation(id, days))
export const revokeUserInvitation = (id: string): Promise<ActionResult> => call(() => UsersService.RevokeUserInvitation(id))

export const deactivateUsers = (ids: string[]): Promise<BulkResult> => call(() => UsersService.DeactivateUsers(ids))
export const reactivateUsers = (ids: string[]): Promise<BulkResult> => call(() => UsersService.ReactivateUsers(ids))
export const setUsersRoles = (ids: string[], core: string, additional: string[]): Promise<BulkResult> =>
  call(() => UsersService.SetUsersRoles(ids, core, additional))
export const resendInvitations = (ids: string[]): Promise<BulkResult> => call(() => UsersService.ResendInvitations(ids))

export const roles = (): Promise<RoleCatalog> => call(() => UsersService.Roles())
export const findClientByEmail = (email: string): Promise<ClientCandidate[]> => call(() => UsersService.FindClientByEmail(email))
export const promote = (id: string, core: string, additional: string[], deleteClientRecord: boolean): Promise<ActionResult> =>
  call(() => UsersService.Promote(id, core, additional, deleteClientRecord))
