// Sync: the status bar's figures, the changes waiting for the server, conflicts, and the
// first-run choice between the local portal, demo data and a server.
import * as App from '../../wailsjs/go/app/App'
import type { app, replica } from '../../wailsjs/go/models'
import { call } from './errors'

export type SyncStatusInfo = app.SyncStatus
export type Conflict = app.Conflict
export type Change = replica.Change
export type Version = replica.Version
export type FirstRun = app.FirstRunState
export type DemoSummary = app.DemoSummary

export const syncStatus = (): Promise<SyncStatusInfo> => call(() => App.SyncStatus())
export const syncNow = (): Promise<SyncStatusInfo> => call(() => App.SyncNow())
export const pendingChanges = (): Promise<Change[]> => call(() => App.PendingChanges())
export const discardChange = (id: number): Promise<SyncStatusInfo> => call(() => App.DiscardChange(id))
export const retryChange = (id: number): Promise<SyncStatusInfo> => call(() => App.RetryChange(id))
export const conflicts = (): Promise<Conflict[]> => call(() => App.Conflicts())
export const resolveConflict = (id: number, choice: 'theirs' | 'mine'): Promise<SyncStatusInfo> =>
  call(() => App.ResolveConflict(id, choice))

export const firstRunState = (): Promise<FirstRun> => call(() => App.FirstRunState())
export const loadDemoData = (): Promise<DemoSummary> => call(() => App.LoadDemoData())
export const useEmbedded = (): Promise<FirstRun> => call(() => App.UseEmbedded())
export const connectServer = (url: string): Promise<FirstRun> => call(() => App.ConnectServer(url))

// Who works on the local portal (app/localadmin.go): their name is on every change there.
export type LocalAdmin = app.LocalAdmin
export const localAdmin = (): Promise<LocalAdmin> => call(() => App.LocalAdmin())
export const saveLocalAdmin = (l: LocalAdmin): Promise<LocalAdmin> => call(() => App.SaveLocalAdmin(l))
