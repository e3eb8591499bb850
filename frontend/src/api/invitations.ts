// Invitations: batches, sending with progress, follow-up, templates and mail settings. The
// Go side is app/invitations.go over backend/batch and backend/mail; types mirror their JSON.
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

export interface StateCounts {
  total: number
  excluded: number
  queued: number
  inviting: number
  invited: number
  sending: number
  sent: number
  failed: number
  unknown: number
  cancelled: number
}

export interface Batch {
  id: string
  kind: 'invitation' | 'pre_notification' | 'reminder'
  name: string
  source: string
  state: BatchState
  lastError?: string
  createdAt: string
  counts: StateCounts
}

export interface Reason {
  code: string
  label: string
  message: string
}

export interface Recipient {
  batchId: string
  seq: number
  rowRef: string
  name: string
  email: string
  organizationName: string
  outcome: string
  reasons: Reason[] | null
  overridden: Reason[] | null
  state: RecipientState
  lastError?: string
}

export interface Override {
  rowRef: string
  code: string
  reason: string
}

export interface FormBatchRequest {
  name?: string
  importSessionId?: string
  contactIds?: string[]
  letterFrom?: string
  letterTo?: string
  sortBy?: '' | 'organization' | 'surname'
  organizationType?: string
  membersOnly?: boolean
  overrides?: Override[]
  roles?: string[]
  expiresInDays?: number
}

export interface FormBatchResult {
  batch: Batch
  excluded: Recipient[]
}

export interface PreviewMessage {
  to: string
  from: string
  subject: string
  body: string
  messageId: string
  link: string
}

export interface BatchPreview {
  batch: Batch
  total: number
  items: { recipient: Recipient; message?: PreviewMessage }[]
  excludedBy: Record<string, number>
}

export interface RecipientQuery {
  states?: RecipientState[]
  search?: string
  offset?: number
  limit?: number
}

export interface Page<T> {
  total: number
  items: T[]
}

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

export interface SMTPSettings {
  host: string
  port: number
  security: '' | 'none' | 'starttls' | 'tls'
  username: string
  from: string
  ratePerSecond: number
  hasPassword: boolean
}

export interface MessageTemplate {
  key: string
  name: string
  subject: string
  body: string
  placeholders: string[]
  customised: boolean
}

export interface TemplatePreview {
  recipient: string
  subject: string
  body: string
  problems: string[]
}

export interface InvitationRow {
  batchId: string
  batchName: string
  kind: string
  seq: number
  name: string
  email: string
  organizationName: string
  delivery: RecipientState
  sentAt?: string
  lastError?: string
  invitationId?: string
  status: '' | 'pending' | 'accepted' | 'expired' | 'revoked'
  expiresAt?: string
}

export interface InvitationQuery {
  status?: string
  notActivated?: boolean
  search?: string
  offset?: number
  limit?: number
}

export const invitationEvents = { progress: 'batch:progress' } as const

type Bound = Record<string, (...args: unknown[]) => Promise<unknown>>

function invoke<T>(method: string, ...args: unknown[]): Promise<T> {
  return call(() => {
    const w = window as unknown as { go?: { app?: { App?: Bound } } }
    const fn = w.go?.app?.App?.[method]
    if (!fn) return Promise.reject(new Error(`The backend has no ${method}: rebuild Gatehouse`))
    return fn(...args) as Promise<T>
  })
}

export const batches = (): Promise<Batch[]> => invoke('Batches')
export const formBatch = (req: FormBatchRequest): Promise<FormBatchResult> => invoke('FormBatch', req)
export const batchPreview = (id: string, q: RecipientQuery): Promise<BatchPreview> => invoke('BatchPreview', id, q)
export const batchRecipients = (id: string, q: RecipientQuery): Promise<Page<Recipient>> =>
  invoke('BatchRecipients', id, q)
export const sendBatch = (id: string): Promise<void> => invoke('SendBatch', id)
export const resumeBatch = (id: string): Promise<void> => invoke('ResumeBatch', id)
export const pauseBatch = (id: string): Promise<void> => invoke('PauseBatch', id)
export const cancelBatch = (id: string): Promise<void> => invoke('CancelBatch', id)
export const decideUnknown = (id: string, seqs: number[], decision: 'resend' | 'sent'): Promise<number> =>
  invoke('DecideUnknown', id, seqs, decision)

export const smtpSettings = (): Promise<SMTPSettings> => invoke('SMTPSettings')
export const saveSMTPSettings = (s: SMTPSettings, password: string): Promise<SMTPSettings> =>
  invoke('SaveSMTPSettings', s, password)
export const sendTestMessage = (to: string): Promise<void> => invoke('SendTestMessage', to)

export const templates = (): Promise<MessageTemplate[]> => invoke('Templates')
export const saveTemplate = (key: string, subject: string, body: string): Promise<MessageTemplate> =>
  invoke('SaveTemplate', key, subject, body)
export const previewTemplate = (key: string, subject: string, body: string): Promise<TemplatePreview> =>
  invoke('PreviewTemplate', key, subject, body)

export const invitationsList = (q: InvitationQuery): Promise<Page<InvitationRow>> => invoke('InvitationsList', q)
export const resendInvitation = (rows: { batchId: string; seq: number }[]): Promise<Batch> =>
  invoke('ResendInvitation', rows)
export const revokeInvitation = (invitationId: string): Promise<void> => invoke('RevokeInvitation', invitationId)
export const remindAll = (): Promise<Batch> => invoke('RemindAll')

// onBatchProgress calls cb while a batch is sent; the result unsubscribes.
export function onBatchProgress(cb: (p: BatchProgress) => void): () => void {
  return EventsOn(invitationEvents.progress, cb)
}

// preNotify forms the "your invitation is coming" batch for an invitation batch (not sent).
export const preNotify = (invitationBatchId: string): Promise<Batch> => invoke('PreNotify', invitationBatchId)
