package app

import (
	"gatehouse/backend/desk"
	"gatehouse/backend/imports"
)

// ApplyImport turns the reviewed rows into the portal's organisations and contacts, as the
// preview said: each row's change goes to the outbox like any other admin change, so it
// works offline and reaches the portal when it can. Progress arrives as "import:apply".
// Applying again (after a cancel, a crash, or a second click) resumes and never queues a
// row twice. The answer counts what happened to the rows.
func (svc *ImportsService) ApplyImport(id string) (imports.ApplySummary, error) {
	return svc.d.ApplyImport(id)
}

// CancelApplyImport stops an apply in progress after the chunk it is queuing. What was
// queued stays queued; ApplyImport resumes with the rest.
func (svc *ImportsService) CancelApplyImport(id string) { svc.d.CancelApplyImport(id) }

// ImportApplyResults counts what applying the import did so far, row by row, with the
// rows the portal has received since brought up to date.
func (svc *ImportsService) ImportApplyResults(id string) (imports.ApplySummary, error) {
	return svc.d.ImportApplyResults(id)
}

// ExportImportResults asks where to save and writes the sheet as it was read with three
// columns added — Result, Reason, Gatehouse id — so the source system can be corrected. It
// returns the saved file, or "" when the dialog was cancelled.
func (svc *ImportsService) ExportImportResults(id string) (string, error) {
	return svc.d.ExportImportResults(id)
}

// ChooseImportFile asks for a spreadsheet with the native open dialog; "" when cancelled.
func (svc *ImportsService) ChooseImportFile() (string, error) { return svc.d.ChooseImportFile() }

// ImportSheets lists the worksheets of an .xlsx file in workbook order; none for a .csv.
func (svc *ImportsService) ImportSheets(path string) ([]string, error) {
	return svc.d.ImportSheets(path)
}

// StartImport reads a spreadsheet into a new import session and proposes the column
// mapping. While reading it sends EventImportProgress with the rows read so far. A file
// that cannot be read leaves nothing behind and the error names the file, sheet, row and
// column.
func (svc *ImportsService) StartImport(path string, opts desk.ImportOptions) (desk.ImportSessionInfo, error) {
	return svc.d.StartImport(path, opts)
}

// CancelImport stops reading path; StartImport then fails and keeps nothing. It does
// nothing when path is not being read.
func (svc *ImportsService) CancelImport(path string) error { return svc.d.CancelImport(path) }

// ImportSessions lists the import sessions that were not abandoned, most recent first.
func (svc *ImportsService) ImportSessions() ([]desk.ImportSessionInfo, error) {
	return svc.d.ImportSessions()
}

// ImportSession returns one session, to resume it.
func (svc *ImportsService) ImportSession(id string) (desk.ImportSessionInfo, error) {
	return svc.d.ImportSession(id)
}

// SetImportMapping confirms the header row and the columns, remembers them for files with
// the same headers, and checks every row: the session moves to review.
func (svc *ImportsService) SetImportMapping(id string, m desk.ImportMapping) (desk.ImportSessionInfo, error) {
	return svc.d.SetImportMapping(id, m)
}

// SetImportOptions changes the date roles are checked against and how texty dates are
// read, and checks again. Sheet is ignored: read another sheet with StartImport.
func (svc *ImportsService) SetImportOptions(id string, opts desk.ImportOptions) (desk.ImportSessionInfo, error) {
	return svc.d.SetImportOptions(id, opts)
}

// ImportRows returns a page of a session's data rows with their findings.
func (svc *ImportsService) ImportRows(id string, q desk.ImportRowQuery) (imports.RowPage, error) {
	return svc.d.ImportRows(id, q)
}

// ImportRowsAt returns the given rows (at most 100) in the order asked, for choosing which
// of several duplicates to keep.
func (svc *ImportsService) ImportRowsAt(id string, rows []int) ([]imports.RowView, error) {
	return svc.d.ImportRowsAt(id, rows)
}

// FixImportCell sets a cell (1-based column) of a data row; the value as read is kept
// beside it. The findings are out of date until RecheckImport.
func (svc *ImportsService) FixImportCell(id string, row, column int, value string) (imports.RowView, error) {
	return svc.d.FixImportCell(id, row, column, value)
}

// ExcludeImportRows leaves rows out of the import with a reason, or takes them back in
// (excluded false). The findings are out of date until RecheckImport.
func (svc *ImportsService) ExcludeImportRows(id string, rows []int, excluded bool, reason string) (desk.ImportSessionInfo, error) {
	return svc.d.ExcludeImportRows(id, rows, excluded, reason)
}

// MergeImportRows keeps row keep and leaves the others out as merged into it.
func (svc *ImportsService) MergeImportRows(id string, keep int, others []int) (desk.ImportSessionInfo, error) {
	return svc.d.MergeImportRows(id, keep, others)
}

// MarkImportRowsDistinct records that rows flagged as possibly one person are different
// people: the checks stop flagging them, also after later changes.
func (svc *ImportsService) MarkImportRowsDistinct(id string, rows []int) (desk.ImportSessionInfo, error) {
	return svc.d.MarkImportRowsDistinct(id, rows)
}

// RecheckImport runs every check again over the included rows with their fixes.
func (svc *ImportsService) RecheckImport(id string) (desk.ImportSessionInfo, error) {
	return svc.d.RecheckImport(id)
}

// ImportPreview tells for every data row what applying the import would do: create a
// contact, update the one with the same address, or skip the row and why.
func (svc *ImportsService) ImportPreview(id string) (desk.ImportPreviewResult, error) {
	return svc.d.ImportPreview(id)
}

// ExportImport asks where to save and writes the annotated list with a findings report as
// a styled .xlsx workbook. It returns the saved file, or "" when the dialog was cancelled.
// The file appears whole or not at all.
func (svc *ImportsService) ExportImport(id string) (string, error) { return svc.d.ExportImport(id) }

// AbandonImport gives a session up; it disappears from the list.
func (svc *ImportsService) AbandonImport(id string) error { return svc.d.AbandonImport(id) }
