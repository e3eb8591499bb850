// Reports: chart figures, report tables, exports with progress, and reminders for a
// selection. The Go side is backend/desk/reports.go over backend/reports. Calls go through the
// generated bindings and the types are the generated models (a filter is Partial: Go fills
// what is left out with its zero value); only the progress event, which has no model, is
// written here.
import * as ReportsService from '../../wailsjs/go/app/ReportsService'
import type { desk, reports } from '../../wailsjs/go/models'
import { EventsOn } from '../../wailsjs/runtime/runtime'
import { call } from './errors'

export type ReportKind = 'logins' | 'invitations' | 'approvals'
export type LoginState = '' | 'never' | 'inactive' | 'recent'

export type ReportFilter = Partial<Omit<reports.Filter, 'login' | 'granularity'>> & {
  login?: LoginState
  granularity?: '' | 'day' | 'week'
}
export type ReportSort = reports.Sort
export type Count = reports.Count
export type Bucket = reports.Bucket
export type Figures = reports.Figures
export type ColumnType = 'text' | 'datetime' | 'number'
export type ReportColumn = reports.Column
export type ReportRow = reports.Row
export type ReportPage = reports.Page
export type ReminderResult = desk.ReminderResult

// ReportProgress is the payload of the report:progress event (events have no generated
// model); it mirrors desk.ReportProgress.
export interface ReportProgress {
  kind: ReportKind
  done: number
  total: number
  path?: string
  finished: boolean
}

export const reportEvents = { progress: 'report:progress' } as const

const filter = (f: ReportFilter) => f as reports.Filter

export const reportFigures = (f: ReportFilter): Promise<Figures> => call(() => ReportsService.ReportFigures(filter(f)))

export const reportTable = (
  kind: ReportKind,
  f: ReportFilter,
  sort: ReportSort,
  offset: number,
  limit: number,
): Promise<ReportPage> => call(() => ReportsService.ReportTable(kind, filter(f), sort, offset, limit))

// exportReport asks where to save; '' when the user cancelled.
export const exportReport = (kind: ReportKind, f: ReportFilter, sort: ReportSort, format: 'xlsx' | 'csv'): Promise<string> =>
  call(() => ReportsService.ExportReport(kind, filter(f), sort, format))

export const sendReminders = (accountIds: string[]): Promise<ReminderResult> => call(() => ReportsService.SendReminders(accountIds))

// onReportProgress calls cb while an export is written; the result unsubscribes.
export function onReportProgress(cb: (p: ReportProgress) => void): () => void {
  return EventsOn(reportEvents.progress, cb)
}
