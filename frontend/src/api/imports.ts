// The Imports screen's calls to the Go side (backend/desk/imports.go): reading a spreadsheet into an
// import session, mapping its columns, reviewing, fixing, excluding and merging rows,
// previewing and exporting. Every call turns a rejection into an ApiError.
import { AbandonImport, ApplyImport, CancelApplyImport, CancelImport, ChooseImportFile, ExcludeImportRows, ExportImport, ExportImportResults, FixImportCell, ImportApplyResults, ImportPreview, ImportRows, ImportRowsAt, ImportSession, ImportSessions, ImportSheets, MarkImportRowsDistinct, MergeImportRows, RecheckImport, SetImportMapping, SetImportOptions, StartImport } from '../../wailsjs/go/app/ImportsService'
import type { imports, quality } from '../../wailsjs/go/models'
import { EventsOn, OnFileDrop } from '../../wailsjs/runtime/runtime'
import { call } from './errors'

export type ImportSessionInfo = imports.SessionInfo
export type ImportColumn = imports.ColumnInfo
export type ImportField = imports.FieldInfo
export type ImportCount = imports.CountInfo
export type ImportSheetRow = imports.SheetRow
export type ImportRowPage = imports.RowPage
export type ImportRow = imports.RowView
export type Finding = quality.Finding
export type ImportPreviewResult = imports.PreviewSummary
export type ImportPreviewRow = imports.PreviewLine
export type ApplySummary = imports.ApplySummary

// Payload of 'import:apply' (desk.ImportApplyProgress): rows with a result so far.
export interface ApplyProgress {
  id: string
  done: number
  total: number
}

export type ImportState = 'reading' | 'mapping' | 'review' | 'applied' | 'abandoned'
export type RowFilter = '' | 'included' | 'excluded' | 'withFindings' | 'clean'
export type FindingAction = 'exclude' | 'fix' | 'merge'

export interface ImportOptions {
  sheet?: string
  dayFirst: boolean
  // YYYY-MM-DD; empty means today.
  asOf?: string
}

export interface ImportMapping {
  headerRow: number
  // field → 1-based column; 0 (or absent) means not mapped.
  columns: Record<string, number>
}

export interface RowQuery {
  offset: number
  limit: number
  filter: RowFilter
  code: string
  search: string
}

export interface ImportProgress {
  path: string
  fileName: string
  rowsRead: number
}

export interface ImportDropped {
  path: string
  ignored: string[]
}

export const importEvents = { progress: 'import:progress', dropped: 'import:dropped', apply: 'import:apply' } as const

// chooseImportFile opens the native dialog; '' when the user cancelled.
export function chooseImportFile(): Promise<string> {
  return call(() => ChooseImportFile())
}

// importSheets lists an .xlsx file's worksheets (none for a .csv).
export function importSheets(path: string): Promise<string[]> {
  return call(() => ImportSheets(path))
}

// startImport reads the file into a new session; 'import:progress' events follow the read.
export function startImport(path: string, opts: ImportOptions): Promise<ImportSessionInfo> {
  return call(() => StartImport(path, { sheet: opts.sheet ?? '', dayFirst: opts.dayFirst, asOf: opts.asOf ?? '' }))
}

export function cancelImport(path: string): Promise<void> {
  return call(() => CancelImport(path))
}

export function listImports(): Promise<ImportSessionInfo[]> {
  return call(async () => (await ImportSessions()) ?? [])
}

export function getImport(id: string): Promise<ImportSessionInfo> {
  return call(() => ImportSession(id))
}

export function setImportMapping(id: string, m: ImportMapping): Promise<ImportSessionInfo> {
  return call(() => SetImportMapping(id, m))
}

export function setImportOptions(id: string, opts: ImportOptions): Promise<ImportSessionInfo> {
  return call(() => SetImportOptions(id, { sheet: '', dayFirst: opts.dayFirst, asOf: opts.asOf ?? '' }))
}

export function importRows(id: string, q: RowQuery): Promise<ImportRowPage> {
  return call(() => ImportRows(id, q))
}

// importRowsAt returns the given rows in the order asked (for choosing which to keep).
export function importRowsAt(id: string, rows: number[]): Promise<ImportRow[]> {
  return call(async () => (await ImportRowsAt(id, rows)) ?? [])
}

export function fixImportCell(id: string, row: number, column: number, value: string): Promise<ImportRow> {
  return call(() => FixImportCell(id, row, column, value))
}

export function excludeImportRows(id: string, rows: number[], excluded: boolean, reason: string): Promise<ImportSessionInfo> {
  return call(() => ExcludeImportRows(id, rows, excluded, reason))
}

export function mergeImportRows(id: string, keep: number, others: number[]): Promise<ImportSessionInfo> {
  return call(() => MergeImportRows(id, keep, others))
}

// markImportRowsDistinct says rows flagged as possibly one person are different people.
export function markImportRowsDistinct(id: string, rows: number[]): Promise<ImportSessionInfo> {
  return call(() => MarkImportRowsDistinct(id, rows))
}

export function recheckImport(id: string): Promise<ImportSessionInfo> {
  return call(() => RecheckImport(id))
}

export function previewImport(id: string): Promise<ImportPreviewResult> {
  return call(() => ImportPreview(id))
}

// exportImport asks where to save the report; '' when the user cancelled.
export function exportImport(id: string): Promise<string> {
  return call(() => ExportImport(id))
}

// applyImport turns the reviewed rows into contacts and organisations through the outbox;
// 'import:apply' events report progress. Applying again resumes; nothing is done twice.
export function applyImport(id: string): Promise<ApplySummary> {
  return call(() => ApplyImport(id))
}

// cancelApplyImport stops an apply after the rows it is queuing; applying again resumes.
export function cancelApplyImport(id: string): Promise<void> {
  return call(() => CancelApplyImport(id))
}

// importApplyResults counts what applying did so far, with what the portal has received.
export function importApplyResults(id: string): Promise<ApplySummary> {
  return call(() => ImportApplyResults(id))
}

// exportImportResults saves the sheet with Result, Reason and Gatehouse id columns; ''
// when the user cancelled the dialog.
export function exportImportResults(id: string): Promise<string> {
  return call(() => ExportImportResults(id))
}

// onApplyProgress calls cb after each chunk of rows an apply queued; the result unsubscribes.
export function onApplyProgress(cb: (p: ApplyProgress) => void): () => void {
  return EventsOn(importEvents.apply, cb)
}

export function abandonImport(id: string): Promise<void> {
  return call(() => AbandonImport(id))
}

// onImportProgress calls cb while a file is being read; the result unsubscribes.
export function onImportProgress(cb: (p: ImportProgress) => void): () => void {
  return EventsOn(importEvents.progress, cb)
}

// onImportDropped calls cb with the file dropped onto the window; the result unsubscribes.
export function onImportDropped(cb: (d: ImportDropped) => void): () => void {
  return EventsOn(importEvents.dropped, cb)
}

// acceptFileDrops turns on the window's file drops. The Go side hears every drop and sends
// 'import:dropped'; on Windows the drop only reaches Go once JS listens. Never turn it off
// with OnFileDropOff: that also removes the Go side's handler.
export function acceptFileDrops(): void {
  OnFileDrop(() => {}, true)
}
