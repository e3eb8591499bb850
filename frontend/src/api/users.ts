// Users: the Users table, the detail drawer, actions on one account and on a selection,
// ghost accounts and promotion to staff user.
import * as App from '../../wailsjs/go/app/App'
import type { app, portal } from '../../wailsjs/go/models'
import { call } from './errors'

export type UserRow = app.UserRow
export type UserQuery = app.UserQuery
export type UserPage = app.UserPage
export type UserDetail = app.UserDetail
export type ActionResult = app.ActionResult
export type BulkResult = app.BulkResult
export type BulkItem = app.BulkItem
export type RoleCatalog = app.RoleCatalog
export type RoleInfo = app.RoleInfo
export type ClientCandidate = app.ClientCandidate
export type ActionCheck = portal.ActionCheck

// What the policy says about one action on a person: undefined when it does not apply (the
// screen hides it), else allowed or refused with the server's own reason.
export function actionCheck(d: UserDetail | null | undefined, action: string): ActionCheck | undefined {
  return d?.actions?.find((a) => a.action === action)
}

export const searchUsers = (q: UserQuery): Promise<UserPage> => call(() => App.SearchUsers(q))
export const getUser = (id: string): Promise<UserDetail> => call(() => App.GetUser(id))
export const ghosts = (): Promise<UserRow[]> => call(() => App.Ghosts())

export const deactivateUser = (id: string): Promise<ActionResult> => call(() => App.DeactivateUser(id))
export const reactivateUser = (id: string): Promise<ActionResult> => call(() => App.ReactivateUser(id))
export const setOrgAdmin = (id: string, admin: boolean): Promise<ActionResult> => call(() => App.SetOrgAdmin(id, admin))
export const setUserRoles = (id: string, core: string, additional: string[]): Promise<ActionResult> =>
  call(() => App.SetUserRoles(id, core, additional))
export const completeRegistration = (id: string): Promise<ActionResult> => call(() => App.CompleteRegistration(id))
// Drops the client record a staff user kept when promoted; they stay a staff user.
export const deleteClientRecord = (id: string): Promise<ActionResult> => call(() => App.DeleteClientRecord(id))
// A new link, valid for days (0: the portal's usual lifetime); the old one dies.
export const resendUserInvitation = (id: string, days = 0): Promise<ActionResult> => call(() => App.ResendUserInvitation(id, days))
export const revokeUserInvitation = (id: string): Promise<ActionResult> => call(() => App.RevokeUserInvitation(id))

export const deactivateUsers = (ids: string[]): Promise<BulkResult> => call(() => App.DeactivateUsers(ids))
export const reactivateUsers = (ids: string[]): Promise<BulkResult> => call(() => App.ReactivateUsers(ids))
export const setUsersRoles = (ids: string[], core: string, additional: string[]): Promise<BulkResult> =>
  call(() => App.SetUsersRoles(ids, core, additional))
export const resendInvitations = (ids: string[]): Promise<BulkResult> => call(() => App.ResendInvitations(ids))

export const roles = (): Promise<RoleCatalog> => call(() => App.Roles())
export const findClientByEmail = (email: string): Promise<ClientCandidate[]> => call(() => App.FindClientByEmail(email))
export const promote = (id: string, core: string, additional: string[], deleteClientRecord: boolean): Promise<ActionResult> =>
  call(() => App.Promote(id, core, additional, deleteClientRecord))
