// Reports: chart figures, report tables, exports with progress, and reminders for a
// selection. The Go side is app/reports.go over backend/reports. The calls go through
// window.go like the generated bindings do; the types mirror backend/reports' JSON.
import { EventsOn } from '../../wailsjs/runtime/runtime'
import { call } from './errors'

export type ReportKind = 'logins' | 'invitations' | 'approvals'
export type LoginState = '' | 'never' | 'inactive' | 'recent'

export interface ReportFilter {
  accountStatus?: string
  login?: LoginState
  inactiveDays?: number
  organizationId?: string
  invitationStatus?: string
  batchId?: string
  stage?: string
  loginFrom?: string // RFC 3339
  loginTo?: string
  decision?: string
  query?: string
  granularity?: '' | 'day' | 'week'
}

export interface ReportSort {
  key: string
  desc: boolean
}

export interface Count {
  key: string
  label: string
  count: number
}

export interface Bucket {
  start: string
  end: string
  label: string
  count: number
}

export interface Figures {
  generatedAt: string
  inactiveDays: number
  funnel: Count[]
  logins: { title: string; granularity: string; buckets: Bucket[]; latestOnly: boolean }
  loginStates: Count[]
  invitationsByStatus: Count[]
  invitationsByBatch: Count[]
  accountsByStatus: Count[]
  accountsByOrganization: Count[]
}

export type ColumnType = 'text' | 'datetime' | 'number'

export interface ReportColumn {
  key: string
  label: string
  type: ColumnType
  width: number
  sortable: boolean
}

export interface ReportRow {
  id: string
  cells: (string | number | null)[]
}

export interface ReportPage {
  kind: ReportKind
  title: string
  columns: ReportColumn[]
  rows: ReportRow[]
  total: number
}

export interface ReportProgress {
  kind: ReportKind
  done: number
  total: number
  path?: string
  finished: boolean
}

export interface ReminderResult {
  batchId: string
  batchName: string
  people: number
  resent: number
  skipped: string[]
}

export const reportEvents = { progress: 'report:progress' } as const

type Bound = Record<string, (...args: unknown[]) => Promise<unknown>>

function bound(): Bound {
  const w = window as unknown as { go?: { app?: { App?: Bound } } }
  const app = w.go?.app?.App
  if (!app) throw new Error('Gatehouse backend is not available')
  return app
}

function invoke<T>(method: string, ...args: unknown[]): Promise<T> {
  return call(() => {
    const fn = bound()[method]
    if (!fn) return Promise.reject(new Error(`The backend has no ${method}: rebuild Gatehouse`))
    return fn(...args) as Promise<T>
  })
}

export const reportFigures = (f: ReportFilter): Promise<Figures> => invoke('ReportFigures', f)

export const reportTable = (
  kind: ReportKind,
  f: ReportFilter,
  sort: ReportSort,
  offset: number,
  limit: number,
): Promise<ReportPage> => invoke('ReportTable', kind, f, sort, offset, limit)

// exportReport asks where to save; '' when the user cancelled.
export const exportReport = (kind: ReportKind, f: ReportFilter, sort: ReportSort, format: 'xlsx' | 'csv'): Promise<string> =>
  invoke('ExportReport', kind, f, sort, format)

export const sendReminders = (accountIds: string[]): Promise<ReminderResult> => invoke('SendReminders', accountIds)

// onReportProgress calls cb while an export is written; the result unsubscribes.
export function onReportProgress(cb: (p: ReportProgress) => void): () => void {
  return EventsOn(reportEvents.progress, cb)
}
