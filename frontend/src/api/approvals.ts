// Approvals: the pending queue and the recycle bin of denied sign-ins.
import * as App from '../../wailsjs/go/app/App'
import type { app } from '../../wailsjs/go/models'
import { call } from './errors'

type UserRow = app.UserRow
type ActionResult = app.ActionResult
type BulkResult = app.BulkResult

export const pendingQueue = (): Promise<UserRow[]> => call(() => App.PendingQueue())
export const approve = (id: string): Promise<ActionResult> => call(() => App.Approve(id))
export const deny = (id: string, reason: string): Promise<ActionResult> => call(() => App.Deny(id, reason))
export const approveInstead = (id: string): Promise<ActionResult> => call(() => App.ApproveInstead(id))
export const approveMany = (ids: string[]): Promise<BulkResult> => call(() => App.ApproveMany(ids))
export const denyMany = (ids: string[], reason: string): Promise<BulkResult> => call(() => App.DenyMany(ids, reason))
export const recycleBin = (): Promise<UserRow[]> => call(() => App.RecycleBin())
export const restore = (id: string): Promise<ActionResult> => call(() => App.Restore(id))
export const purge = (id: string): Promise<ActionResult> => call(() => App.Purge(id))

// Undo of a decision made a moment ago: withdrawn while it waits in the outbox; once the
// portal has it, the answer names the reverse action to offer.
export type UndoResult = app.UndoResult
export const undoDecision = (changeId: number): Promise<UndoResult> => call(() => App.UndoDecision(changeId))
