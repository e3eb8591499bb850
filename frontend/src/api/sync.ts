// Sync: the status bar's figures, the changes waiting for the server, conflicts, and the
// first-run choice between the local portal, demo data and a server.
import * as ConnectionService from '../../wailsjs/go/app/ConnectionService'
import * as SettingsService from '../../wailsjs/go/app/SettingsService'
import type { desk, replica } from '../../wailsjs/go/models'
import { call } from './errors'

export type SyncStatusInfo = desk.SyncStatus
export type Conflict = desk.Conflict
export type Change = replica.Change
export type Version = replica.Version
export type FirstRun = desk.FirstRunState
export type DemoSummary = desk.DemoSummary

export const syncStatus = (): Promise<SyncStatusInfo> => call(() => ConnectionService.SyncStatus())
export const syncNow = (): Promise<SyncStatusInfo> => call(() => ConnectionService.SyncNow())
export const pendingChanges = (): Promise<Change[]> => call(() => ConnectionService.PendingChanges())
export const discardChange = (id: number): Promise<SyncStatusInfo> => call(() => ConnectionService.DiscardChange(id))
export const retryChange = (id: number): Promise<SyncStatusInfo> => call(() => ConnectionService.RetryChange(id))
export const conflicts = (): Promise<Conflict[]> => call(() => ConnectionService.Conflicts())
export const resolveConflict = (id: number, choice: 'theirs' | 'mine'): Promise<SyncStatusInfo> =>
  call(() => ConnectionService.ResolveConflict(id, choice))

export const firstRunState = (): Promise<FirstRun> => call(() => ConnectionService.FirstRunState())
export const loadDemoData = (): Promise<DemoSummary> => call(() => ConnectionService.LoadDemoData())
export const useEmbedded = (): Promise<FirstRun> => call(() => ConnectionService.UseEmbedded())
export const connectServer = (url: string): Promise<FirstRun> => call(() => ConnectionService.ConnectServer(url))

// Who works on the local portal (backend/desk/localadmin.go): their name is on every change there.
export type LocalAdmin = desk.LocalAdmin
export const localAdmin = (): Promise<LocalAdmin> => call(() => SettingsService.LocalAdmin())
export const saveLocalAdmin = (l: LocalAdmin): Promise<LocalAdmin> => call(() => SettingsService.SaveLocalAdmin(l))
