package imports

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

// Export writes the session as a styled workbook an administrator can send to a
// colleague: a summary, every row annotated with its findings, and the findings one per
// line. Stale findings are refreshed first.
func (s *Store) Export(ctx context.Context, id string, w io.Writer) error {
	ss, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if (ss.State == StateMapping || ss.State == StateReview) && (ss.Stale || ss.CheckedAt == nil) && ss.Mapping.Validate() == nil {
		if ss, err = s.Recheck(ctx, id); err != nil {
			return err
		}
	}
	findings, err := s.Findings(ctx, id)
	if err != nil {
		return err
	}
	byRow := map[int][]quality.Finding{}
	for _, f := range findings {
		byRow[f.Row] = append(byRow[f.Row], f)
	}
	summary := s.summaryTable(ss)
	contacts := s.contactsTable(ctx, ss, byRow)
	if err := sheets.WriteTables(w, summary, contacts, FindingsTable(findings)); err != nil {
		return fmt.Errorf("export the import of %s: %w", ss.FileName, err)
	}
	return nil
}

func (s *Store) summaryTable(ss Session) sheets.Table {
	rows := [][]any{
		{"File", ss.FileName},
		{"Sheet", ss.Sheet},
		{"Read on", ss.CreatedAt},
		{"Roles checked against", ss.AsOf},
		{"Rows", ss.DataRows},
		{"Excluded rows", ss.Excluded},
		{"Rows to import", ss.DataRows - ss.Excluded},
	}
	if ss.CheckedAt != nil {
		rows = append(rows, []any{"Checked on", *ss.CheckedAt})
	}
	rows = append(rows, []any{"", ""})
	for _, c := range quality.Codes {
		rows = append(rows, []any{c.Label() + " (" + string(c) + ")", ss.Summary[c]})
	}
	return sheets.Table{Name: "Summary", Columns: []sheets.Column{{Header: "Item", Width: 44}, {Header: "Value", Width: 40}}, Rows: rows}
}

func (s *Store) contactsTable(ctx context.Context, ss Session, byRow map[int][]quality.Finding) sheets.Table {
	cols := []sheets.Column{{Header: "Row", Width: 7}}
	ncells := len(ss.Mapping.Headers)
	for i, h := range ss.Mapping.Headers {
		if strings.TrimSpace(h) == "" {
			h = "Column " + sheets.ColumnName(i+1)
		}
		cols = append(cols, sheets.Column{Header: h, Width: 18})
	}
	cols = append(cols,
		sheets.Column{Header: "Included", Width: 10},
		sheets.Column{Header: "Excluded because", Width: 30, Wrap: true},
		sheets.Column{Header: "Findings", Width: 30, Wrap: true},
		sheets.Column{Header: "Suggested action", Width: 16},
		sheets.Column{Header: "Details", Width: 60, Wrap: true},
	)
	return sheets.Table{Name: "Contacts", Columns: cols, Each: func(yield func([]any) error) error {
		const page = 1000
		for off := 0; ; off += page {
			p, err := s.Rows(ctx, ss.ID, RowQuery{Offset: off, Limit: page})
			if err != nil {
				return err
			}
			for _, r := range p.Rows {
				out := make([]any, 0, len(cols))
				out = append(out, r.Row)
				for i := 0; i < ncells; i++ {
					v := ""
					if i < len(r.Cells) {
						v = r.Cells[i]
					}
					out = append(out, cellValue(v))
				}
				// Cells beyond the header row's width are kept too, never dropped.
				for i := ncells; i < len(r.Cells); i++ {
					if r.Cells[i] != "" {
						out[len(out)-1] = fmt.Sprint(out[len(out)-1], " | ", r.Cells[i])
					}
				}
				var labels, details, actions []string
				for _, f := range byRow[r.Row] {
					labels = append(labels, f.Code.Label())
					d := f.Message
					if f.Suggestion != "" {
						d += " Suggested: " + f.Suggestion
					}
					details = append(details, d)
					if !contains(actions, string(f.Action)) {
						actions = append(actions, string(f.Action))
					}
				}
				included := "Yes"
				if r.Excluded {
					included = "No"
				}
				out = append(out, included, r.ExcludeReason, strings.Join(labels, "; "), strings.Join(actions, ", "), strings.Join(details, "\n"))
				if err := yield(out); err != nil {
					return err
				}
			}
			if len(p.Rows) < page {
				return nil
			}
		}
	}}
}

// FindingsTable lays findings out one per row, for reports.
func FindingsTable(findings []quality.Finding) sheets.Table {
	rows := make([][]any, 0, len(findings))
	for _, f := range findings {
		related := make([]string, len(f.Related))
		for i, r := range f.Related {
			related[i] = fmt.Sprint(r)
		}
		rows = append(rows, []any{f.Row, string(f.Code), f.Code.Label(), f.Column, f.Message, strings.Join(related, ", "), string(f.Action), f.Suggestion})
	}
	return sheets.Table{Name: "Findings", Columns: []sheets.Column{
		{Header: "Row", Width: 7}, {Header: "Code", Width: 18}, {Header: "Finding", Width: 26}, {Header: "Column", Width: 8},
		{Header: "Message", Width: 80, Wrap: true}, {Header: "Related rows", Width: 16}, {Header: "Suggested action", Width: 16},
		{Header: "Suggested value", Width: 28},
	}, Rows: rows}
}

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$`)

// cellValue writes the reader's ISO dates back as real dates; everything else as text.
func cellValue(v string) any {
	if isoDate.MatchString(v) {
		layout := "2006-01-02"
		if len(v) > 10 {
			layout = "2006-01-02 15:04:05"
		}
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return v
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
