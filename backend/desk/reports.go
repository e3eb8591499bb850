package desk

import (
	"path/filepath"
	"strings"

	"gatehouse/backend/batch"
	"gatehouse/backend/portal"
	"gatehouse/backend/reports"
)

// EventReportProgress carries reports.Progress while an export is written.
const EventReportProgress = "report:progress"

// ReportFigures returns the numbers behind the Reports screen's charts.
func (a *Desk) ReportFigures(f reports.Filter) (reports.Figures, error) {
	db, err := a.cache()
	if err != nil {
		return reports.Figures{}, err
	}
	return reports.New(db).Figures(a.ctx(), f)
}

// ReportTable returns one page of a report table ("logins", "invitations", "approvals").
func (a *Desk) ReportTable(kind string, f reports.Filter, sort reports.Sort, offset, limit int) (reports.Page, error) {
	db, err := a.cache()
	if err != nil {
		return reports.Page{}, err
	}
	return reports.New(db).Table(a.ctx(), reports.Kind(kind), f, sort, offset, limit)
}

// ExportReport asks where to save and writes the whole report (not just the page on
// screen) as "xlsx" or "csv", sending "report:progress" events as it goes. It returns the
// saved file, or "" when the dialog was cancelled.
func (a *Desk) ExportReport(kind string, f reports.Filter, sort reports.Sort, format string) (string, error) {
	db, err := a.cache()
	if err != nil {
		return "", err
	}
	k, fm := reports.Kind(kind), reports.Format(strings.ToLower(format))
	if fm != reports.FormatXLSX && fm != reports.FormatCSV {
		return "", portal.FieldErrorf("format", "Reports can be exported as xlsx or csv, not %q.", format)
	}
	filter := FileFilter{DisplayName: "Excel workbook (*.xlsx)", Pattern: "*.xlsx"}
	if fm == reports.FormatCSV {
		filter = FileFilter{DisplayName: "CSV file (*.csv)", Pattern: "*.csv"}
	}
	ctx := a.ctx()
	dest, err := a.rt.SaveFileDialog(SaveFileOptions{
		Title:           "Export the report",
		DefaultFilename: "gatehouse-" + kind + "-" + db.Clock().Now().Format("2006-01-02") + "." + string(fm),
		Filters:         []FileFilter{filter},
	})
	if err != nil {
		return "", portal.Errorf(portal.EINTERNAL, "The save dialog could not be opened: %v", err)
	}
	if dest == "" {
		return "", nil
	}
	if filepath.Ext(dest) == "" {
		dest += "." + string(fm) // the Linux dialog adds no extension
	}
	_, err = reports.New(db).ExportFile(ctx, dest, k, f, sort, fm, func(p reports.Progress) {
		a.rt.Emit(EventReportProgress, p)
	})
	if err != nil {
		return "", err
	}
	return dest, nil
}

// ReminderResult says what SendReminders formed.
type ReminderResult struct {
	BatchID   string `json:"batchId"`
	BatchName string `json:"batchName"`
	People    int    `json:"people"`
	// Resent counts the people whose invitation was made outside a batch: it is resent
	// (new link, old one dead) and the portal e-mails it at the next sync.
	Resent int `json:"resent"`
	// Skipped names the selected people who have nothing to be reminded of, with why.
	Skipped []string `json:"skipped"`
}

// SendReminders forms a reminder batch (backend/batch) for the selected accounts whose
// batch invitation is still waiting: sending it, from the Invitations screen, replaces
// each link and e-mails the new one with the reminder template. The batch is formed, not
// sent, so the administrator previews the messages before anything leaves. People whose
// invitation was made outside a batch have it resent instead, which the portal e-mails.
func (a *Desk) SendReminders(accountIDs []string) (ReminderResult, error) {
	db, err := a.cache()
	if err != nil {
		return ReminderResult{}, err
	}
	if len(accountIDs) == 0 {
		return ReminderResult{}, portal.FieldErrorf("accountIds", "Select the people to remind first.")
	}
	ctx := a.ctx()
	st := batch.NewStore(db)
	want := map[string]bool{}
	for _, id := range accountIDs {
		want[id] = true
	}
	var refs []batch.RecipientRef
	found := map[string]bool{}
	for off := 0; ; off += 1000 {
		page, err := st.Invitations(ctx, batch.InvitationQuery{NotActivated: true, Offset: off, Limit: 1000})
		if err != nil {
			return ReminderResult{}, err
		}
		for _, row := range page.Items {
			if want[row.AccountID] && !found[row.AccountID] {
				refs = append(refs, batch.RecipientRef{BatchID: row.BatchID, Seq: row.Seq})
				found[row.AccountID] = true
			}
		}
		if len(page.Items) < 1000 {
			break
		}
	}
	res := ReminderResult{Skipped: []string{}}
	var outside []string
	for _, id := range accountIDs {
		if !found[id] {
			outside = append(outside, id)
		}
	}
	if len(outside) > 0 {
		resent, err := a.ResendInvitations(outside)
		if err != nil {
			return res, err
		}
		res.Resent = resent.Queued
		for _, it := range resent.Items {
			if !it.OK {
				res.Skipped = append(res.Skipped, it.Message)
			}
		}
	}
	if len(refs) == 0 {
		if res.Resent == 0 {
			return res, portal.Errorf(portal.EINVALID, "None of the selected people is waiting on an invitation, so there is nobody to remind.")
		}
		return res, nil
	}
	b, err := st.CreateReminders(ctx, batch.ReminderOptions{Rows: refs})
	if err != nil {
		return res, err
	}
	res.BatchID, res.BatchName, res.People = b.ID, b.Name, len(refs)
	return res, nil
}
