// Invitations: batches, sending with progress, follow-up, templates and mail settings. The
// Go side is backend/desk/invitations.go over backend/outreach, backend/batch and backend/mail. Every call goes through
// the generated bindings and every type is the generated model, so a renamed Go method or
// field is a vue-tsc error, not a runtime one. Requests are Partial: Go fills what is left
// out with its zero value, as it would for a missing JSON field.
import * as InvitationsService from '../../wailsjs/go/app/InvitationsService'
import type { api, batch, outreach } from '../../wailsjs/go/models'
import { EventsOn } from '../../wailsjs/runtime/runtime'
import { call } from './errors'

export type BatchState = 'ready' | 'sending' | 'paused' | 'cancelled' | 'done'
export type RecipientState =
  | 'excluded'
  | 'queued'
  | 'inviting'
  | 'invited'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'unknown'
  | 'cancelled'

export type StateCounts = batch.StateCounts
export type Batch = batch.Batch
export type Reason = batch.Reason
export type Recipient = batch.Recipient
export type Override = batch.Override
export type FormBatchRequest = Partial<outreach.FormBatchRequest>
export type FormBatchResult = outreach.FormBatchResult
export type PreviewMessage = batch.PreviewMessage
export type BatchPreview = batch.Preview
export type RecipientQuery = Partial<batch.RecipientQuery>
export type RecipientPage = batch.Page_gatehouse_backend_batch_Recipient_
export type InvitationPage = batch.Page_gatehouse_backend_batch_InvitationRow_
export type SMTPSettings = outreach.SMTPSettings
export type MessageTemplate = outreach.TemplateInfo
export type TemplatePreview = outreach.TemplatePreview
export type InvitationRow = batch.InvitationRow
export type InvitationQuery = Partial<batch.InvitationQuery>

// BatchProgress is the payload of the batch:progress event (events have no generated
// model); it mirrors backend/batch.Progress.
export interface BatchProgress {
  batchId: string
  done: number
  total: number
  rate: number
  etaSeconds: number
  state: BatchState
  counts: StateCounts
  lastError?: string
  finished: boolean
}

export const invitationEvents = { progress: 'batch:progress' } as const

export const batches = (): Promise<Batch[]> => call(() => InvitationsService.Batches())
export const formBatch = (req: FormBatchRequest): Promise<FormBatchResult> => call(() => InvitationsService.FormBatch(req as outreach.FormBatchRequest))
export const batchPreview = (id: string, q: RecipientQuery): Promise<BatchPreview> =>
  call(() => InvitationsService.BatchPreview(id, q as batch.RecipientQuery))
export const batchRecipients = (id: string, q: RecipientQuery): Promise<RecipientPage> =>
  call(() => InvitationsService.BatchRecipients(id, q as batch.RecipientQuery))
export const sendBatch = (id: string): Promise<void> => call(() => InvitationsService.SendBatch(id))
export const resumeBatch = (id: string): Promise<void> => call(() => InvitationsService.ResumeBatch(id))
export const pauseBatch = (id: string): Promise<void> => call(() => InvitationsService.PauseBatch(id))
export const cancelBatch = (id: string): Promise<void> => call(() => InvitationsService.CancelBatch(id))
export const decideUnknown = (id: string, seqs: number[], decision: 'resend' | 'sent'): Promise<number> =>
  call(() => InvitationsService.DecideUnknown(id, seqs, decision))

export const smtpSettings = (): Promise<SMTPSettings> => call(() => InvitationsService.SMTPSettings())

// The portal's own outgoing mail (system administrators): status and reason, never a body.
export type MailItem = api.MailItem
export const portalMail = (status: string): Promise<MailItem[]> => call(() => InvitationsService.PortalMail(status))
export const retryPortalMail = (id: string): Promise<MailItem> => call(() => InvitationsService.RetryPortalMail(id))
export const saveSMTPSettings = (s: SMTPSettings, password: string): Promise<SMTPSettings> =>
  call(() => InvitationsService.SaveSMTPSettings(s, password))
export const sendTestMessage = (to: string): Promise<void> => call(() => InvitationsService.SendTestMessage(to))

export const templates = (): Promise<MessageTemplate[]> => call(() => InvitationsService.Templates())
export const saveTemplate = (key: string, subject: string, body: string): Promise<MessageTemplate> =>
  call(() => InvitationsService.SaveTemplate(key, subject, body))
export const previewTemplate = (key: string, subject: string, body: string): Promise<TemplatePreview> =>
  call(() => InvitationsService.PreviewTemplate(key, subject, body))

export const invitationsList = (q: InvitationQuery): Promise<InvitationPage> => call(() => InvitationsService.InvitationsList(q as batch.InvitationQuery))
export const resendInvitation = (rows: { batchId: string; seq: number }[]): Promise<Batch> =>
  call(() => InvitationsService.ResendInvitation(rows as batch.RecipientRef[]))
export const revokeInvitation = (invitationId: string): Promise<void> => call(() => InvitationsService.RevokeInvitation(invitationId))
export const remindAll = (): Promise<Batch> => call(() => InvitationsService.RemindAll())

export function onBatchProgress(cb: (p: BatchProgress) => void): () => void {
  return EventsOn(invitationEvents.progress, cb)
}

// preNotify forms the "your invitation is coming" batch for an invitation batch (not sent).
export const preNotify = (invitationBatchId: string, includeNotOnPortal = false): Promise<Batch> =>
  call(() => InvitationsService.PreNotify(invitationBatchId, includeNotOnPortal))
