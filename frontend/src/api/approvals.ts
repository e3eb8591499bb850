// Approvals: the pending queue and the recycle bin of denied sign-ins.
import * as ApprovalsService from '../../wailsjs/go/app/ApprovalsService'
import type { desk } from '../../wailsjs/go/models'
import { call } from './errors'

type UserRow = desk.UserRow
type ActionResult = desk.ActionResult
type BulkResult = desk.BulkResult

export const pendingQueue = (): Promise<UserRow[]> => call(() => ApprovalsService.PendingQueue())
export const approve = (id: string): Promise<ActionResult> => call(() => ApprovalsService.Approve(id))
export const deny = (id: string, reason: string): Promise<ActionResult> => call(() => ApprovalsService.Deny(id, reason))
export const approveInstead = (id: string): Promise<ActionResult> => call(() => ApprovalsService.ApproveInstead(id))
export const approveMany = (ids: string[]): Promise<BulkResult> => call(() => ApprovalsService.ApproveMany(ids))
export const denyMany = (ids: string[], reason: string): Promise<BulkResult> => call(() => ApprovalsService.DenyMany(ids, reason))
export const recycleBin = (): Promise<UserRow[]> => call(() => ApprovalsService.RecycleBin())
export const restore = (id: string): Promise<ActionResult> => call(() => ApprovalsService.Restore(id))
export const purge = (id: string): Promise<ActionResult> => call(() => ApprovalsService.Purge(id))

// Undo of a decision made a moment ago: withdrawn while it waits in the outbox; once the
// portal has it, the answer names the reverse action to offer.
export type UndoResult = desk.UndoResult
export const undoDecision = (changeId: number): Promise<UndoResult> => call(() => ApprovalsService.UndoDecision(changeId))
