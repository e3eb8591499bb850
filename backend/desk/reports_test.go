package desk

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gatehouse/backend/portal"
	"gatehouse/backend/reports"
)

func TestReportsOnDemoData(t *testing.T) {
	a := withDemo(t)
	fig, err := a.ReportFigures(reports.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Funnel) != 4 || fig.Funnel[0].Count == 0 || fig.Funnel[1].Count == 0 {
		t.Fatalf("funnel = %+v, want contacts and invitations from the demo", fig.Funnel)
	}
	never := fig.LoginStates[0]
	if never.Key != "never" || never.Count == 0 {
		t.Fatalf("login states = %+v", fig.LoginStates)
	}
	// A chart click: the never-logged-in slice filters the table to exactly its count.
	page, err := a.ReportTable("logins", reports.Filter{Login: reports.LoginNever}, reports.Sort{Key: "name"}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != never.Count || len(page.Rows) != never.Count {
		t.Fatalf("never logged in: table has %d (%d rows), chart says %d", page.Total, len(page.Rows), never.Count)
	}
	for _, r := range page.Rows {
		if last, ok := r.Cells[5].(*time.Time); !ok || last != nil {
			t.Errorf("%v has a last login: %#v", r.Cells[0], r.Cells[5])
		}
	}

	// Export: cancelled dialog, then a real file with progress.
	if p, err := a.ExportReport("logins", reports.Filter{}, reports.Sort{}, "xlsx"); err != nil || p != "" {
		t.Fatalf("cancelled export = %q, %v", p, err)
	}
	dest := filepath.Join(t.TempDir(), "never") // no extension, as the Linux dialog answers
	a.rt.(*HeadlessRuntime).AnswerSaveFile(dest)
	got, err := a.ExportReport("logins", reports.Filter{Login: reports.LoginNever}, reports.Sort{}, "xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if got != dest+".xlsx" {
		t.Fatalf("saved as %q, want %q", got, dest+".xlsx")
	}
	evs := a.events.named(EventReportProgress)
	if len(evs) == 0 {
		t.Fatal("no progress events")
	}
	last := evs[len(evs)-1].Data[0].(reports.Progress)
	if !last.Finished || last.Done != never.Count || last.Path != got {
		t.Errorf("last progress = %+v", last)
	}
	f, err := excelize.OpenFile(got)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil || len(rows) != never.Count+1 {
		t.Fatalf("the workbook holds %d rows (%v), want %d and a header", len(rows)-1, err, never.Count)
	}

	if _, err := a.ExportReport("logins", reports.Filter{}, reports.Sort{}, "pdf"); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("pdf export: %v, want invalid", err)
	}
	if _, err := a.ReportTable("everything", reports.Filter{}, reports.Sort{}, 0, 10); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("unknown report: %v, want invalid", err)
	}

	// Someone already active has nothing to be reminded of.
	active, err := a.SearchUsers(UserQuery{Status: []string{"active"}, Limit: 1})
	if err != nil || len(active.Rows) == 0 {
		t.Fatalf("no active account in the demo data: %v", err)
	}
	res, err := a.SendReminders([]string{active.Rows[0].ID})
	if portal.ErrorCode(err) != portal.EINVALID || len(res.Skipped) != 1 {
		t.Errorf("SendReminders = %+v, %v; want invalid with the person skipped", res, err)
	}
	// An invited person whose invitation was made outside a batch has it resent: a new link
	// the portal e-mails, the old one dead.
	invited, err := a.SearchUsers(UserQuery{Status: []string{"invited"}, Limit: 1})
	if err != nil || len(invited.Rows) == 0 {
		t.Fatalf("no invited account in the demo data: %v", err)
	}
	res, err = a.SendReminders([]string{invited.Rows[0].ID})
	if err != nil || res.Resent != 1 || res.BatchID != "" {
		t.Errorf("SendReminders(invited) = %+v, %v; want one invitation resent", res, err)
	}
	if _, err := a.SendReminders(nil); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("SendReminders(nil) = %v, want invalid", err)
	}
}
