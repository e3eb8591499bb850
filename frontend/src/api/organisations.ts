// Organisations: the list, one organisation's profile, its users and roles.
import * as App from '../../wailsjs/go/app/App'
import type { app, portal } from '../../wailsjs/go/models'
import { call } from './errors'

export type OrgRow = app.OrgRow
export type OrgPage = app.OrgPage
export type OrgProfile = app.OrgProfile
export type Organization = portal.Organization
export type Address = portal.Address

export const organisations = (q: Partial<app.OrgQuery> = {}): Promise<OrgPage> =>
  call(() => App.Organisations({ query: '', type: '', offset: 0, limit: 1000, ...q }))
export const organisation = (id: string): Promise<OrgProfile> => call(() => App.Organisation(id))
export const updateOrganisation = (org: Organization): Promise<app.OrgResult> => call(() => App.UpdateOrganisation(org))
