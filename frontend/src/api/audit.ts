// Audit: the log of who did what, with the record before and after.
import * as AuditService from '../../wailsjs/go/app/AuditService'
import type { cache, desk } from '../../wailsjs/go/models'
import { call } from './errors'

export type AuditEntry = desk.AuditEntry
export type AuditQuery = desk.AuditQuery
export type AuditPage = desk.AuditPage
export type AuditActor = cache.AuditActor

export const auditLog = (q: AuditQuery): Promise<AuditPage> => call(() => AuditService.AuditLog(q))
export const auditActions = (): Promise<string[]> => call(() => AuditService.AuditActions())
// auditActors lists everyone who acted in the local copy of the log, narrowed by name or
// e-mail address.
export const auditActors = (query = ''): Promise<AuditActor[]> => call(() => AuditService.AuditActors(query))
