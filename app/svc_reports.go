package app

import (
	"gatehouse/backend/desk"
	"gatehouse/backend/reports"
)

// ReportFigures returns the numbers behind the Reports screen's charts.
func (svc *ReportsService) ReportFigures(f reports.Filter) (reports.Figures, error) {
	return svc.d.ReportFigures(f)
}

// ReportTable returns one page of a report table ("logins", "invitations", "approvals").
func (svc *ReportsService) ReportTable(kind string, f reports.Filter, sort reports.Sort, offset, limit int) (reports.Page, error) {
	return svc.d.ReportTable(kind, f, sort, offset, limit)
}

// ExportReport asks where to save and writes the whole report (not just the page on
// screen) as "xlsx" or "csv", sending "report:progress" events as it goes. It returns the
// saved file, or "" when the dialog was cancelled.
func (svc *ReportsService) ExportReport(kind string, f reports.Filter, sort reports.Sort, format string) (string, error) {
	return svc.d.ExportReport(kind, f, sort, format)
}

// SendReminders forms a reminder batch (backend/batch) for the selected accounts whose
// batch invitation is still waiting: sending it, from the Invitations screen, replaces
// each link and e-mails the new one with the reminder template. The batch is formed, not
// sent, so the administrator previews the messages before anything leaves. People whose
// invitation was made outside a batch have it resent instead, which the portal e-mails.
func (svc *ReportsService) SendReminders(accountIDs []string) (desk.ReminderResult, error) {
	return svc.d.SendReminders(accountIDs)
}
