package reports

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/sheets"
)

// Format is an export file format.
type Format string

const (
	FormatXLSX Format = "xlsx"
	FormatCSV  Format = "csv"
)

// Progress reports how far an export is: Done of Total rows written.
type Progress struct {
	Kind  Kind   `json:"kind"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
	Path  string `json:"path,omitempty"`
	// Finished is true on the last report of an export.
	Finished bool `json:"finished"`
}

// progressEvery is how many rows pass between progress reports: often enough for a bar to
// move, rarely enough that reporting costs nothing next to writing.
const progressEvery = 2000

// Export writes a whole report table (not one page) to w: as a workbook with the table's
// sheet first and a Summary sheet with the figures, or as CSV with the table only. Text
// is neutralised against formula injection either way (sheets.Neutralize). progress, if
// not nil, is called with the row count first and then every few thousand rows.
func (r *Reports) Export(ctx context.Context, w io.Writer, kind Kind, f Filter, s Sort, format Format, progress func(Progress)) (rows int, err error) {
	t, err := tableFor(kind)
	if err != nil {
		return 0, err
	}
	if format != FormatXLSX && format != FormatCSV {
		return 0, portal.FieldErrorf("format", "Reports can be exported as xlsx or csv, not %q.", format)
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	cols := make([]sheets.Column, len(t.columns))
	for i, c := range t.columns {
		cols[i] = sheets.Column{Header: c.Label, Width: c.Width, Wrap: c.Key == "reason"}
	}
	// Every row has a cell per column, empty where the row has none.
	buf := make([]any, len(t.columns))
	data := sheets.Table{Name: t.title, Columns: cols, Each: func(yield func([]any) error) error {
		total := 0
		return r.pipeline(ctx, kind, f, s, func(n int) {
			total = n
			progress(Progress{Kind: kind, Total: n})
		}, func(row Row) error {
			rows++
			if rows%progressEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				progress(Progress{Kind: kind, Done: rows, Total: max(total, rows)})
			}
			for i := range buf {
				buf[i] = nil
				if i < len(row.Cells) {
					buf[i] = row.Cells[i]
				}
			}
			return yield(buf)
		})
	}}
	switch format {
	case FormatCSV:
		err = sheets.WriteCSV(w, data)
	default:
		// The Summary sheet's figures are counted while the data sheet is written: they are
		// needed only after it.
		type figures struct {
			fig Figures
			err error
		}
		figc := make(chan figures, 1)
		go func() {
			fig, err := r.Figures(ctx, Filter{OrganizationID: f.OrganizationID, InactiveDays: f.InactiveDays})
			figc <- figures{fig, err}
		}()
		var got *figures
		wait := func() (Figures, error) {
			if got == nil {
				g := <-figc
				got = &g
			}
			return got.fig, got.err
		}
		defer wait() //nolint:errcheck // an early return still waits for the query to end
		orgName := r.organizationName(ctx, f.OrganizationID)
		err = sheets.WriteTables(w, data, summaryTable(t.title, f, orgName, wait, &rows))
	}
	if err != nil {
		return rows, err
	}
	progress(Progress{Kind: kind, Done: rows, Total: rows, Finished: true})
	return rows, nil
}

// pipelineBatch is how many rows the query hands the writer at a time.
const pipelineBatch = 256

// pipeline runs the report's query on its own goroutine and hands its rows to write in
// order, calling start with the row count first, on the caller's goroutine like write: the
// database and the workbook encoder then work side by side, on two cores cutting an export
// by about a third. write's error stops the query; the query's error ends the export.
func (r *Reports) pipeline(ctx context.Context, kind Kind, f Filter, s Sort, start func(total int), write func(Row) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		rows  []Row
		total int // in the first message only, which carries no rows
	}
	ch := make(chan batch, 4)
	done := make(chan error, 1)
	go func() {
		defer close(ch)
		put := func(b batch) error {
			select {
			case ch <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var b []Row
		var startErr error
		err := r.each(ctx, kind, f, s, func(n int) { startErr = put(batch{total: n}) }, func(row Row) error {
			if startErr != nil {
				return startErr
			}
			if b = append(b, row); len(b) == pipelineBatch {
				err := put(batch{rows: b})
				b = make([]Row, 0, pipelineBatch)
				return err
			}
			return nil
		})
		if err == nil && len(b) > 0 {
			err = put(batch{rows: b})
		}
		done <- err
	}()
	first := true
	for b := range ch {
		if first {
			first = false
			start(b.total)
			continue
		}
		for _, row := range b.rows {
			if err := write(row); err != nil {
				cancel()
				for range ch { // let the query finish before its transaction is left behind
				}
				<-done
				return err
			}
		}
	}
	return <-done
}

func (r *Reports) organizationName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	o, err := r.db.GetOrganization(ctx, id)
	if err != nil {
		return ""
	}
	return o.Name
}

// summaryTable is the workbook's Summary sheet: what the report is, when it was made, the
// filter, and the figures behind the charts. It is written after the data sheet, so rows
// already holds the data sheet's row count.
func summaryTable(title string, f Filter, orgName string, figures func() (Figures, error), rows *int) sheets.Table {
	return sheets.Table{
		Name:    "Summary",
		Columns: []sheets.Column{{Header: "Figure", Width: 44}, {Header: "Value", Width: 40}},
		Each: func(yield func([]any) error) error {
			fig, err := figures()
			if err != nil {
				return err
			}
			put := func(k string, v any) error { return yield([]any{k, v}) }
			lines := []struct {
				k string
				v any
			}{
				{"Report", title},
				{"Generated (UTC)", fig.GeneratedAt.Truncate(time.Second)},
				{"Filter", f.describe(orgName)},
				{"Rows in this report", *rows},
			}
			for _, l := range lines {
				if err := put(l.k, l.v); err != nil {
					return err
				}
			}
			groups := []struct {
				name string
				cs   []Count
			}{
				{"Activation funnel", fig.Funnel}, {"Logins", fig.LoginStates},
				{"Accounts by status", fig.AccountsByStatus}, {"Invitations by status", fig.InvitationsByStatus},
				{"People invited by batch", fig.InvitationsByBatch}, {"Accounts by organisation", fig.AccountsByOrganization},
			}
			for _, g := range groups {
				for _, c := range g.cs {
					if err := put(g.name+": "+c.Label, c.Count); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

// ExportFile exports to path: the file appears whole, or not at all, even if the export
// fails half-way or the program dies.
func (r *Reports) ExportFile(ctx context.Context, path string, kind Kind, f Filter, s Sort, format Format, progress func(Progress)) (int, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".gatehouse-export-*")
	if err != nil {
		return 0, portal.Errorf(portal.EINVALID, "Gatehouse cannot write in %s (%v). Choose a folder you can write to.", dir, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	n, err := r.Export(ctx, tmp, kind, f, s, format, func(p Progress) {
		p.Path = path
		if progress != nil {
			progress(p)
		}
	})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("export the %s report to %s: %w", kind, path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return n, portal.Errorf(portal.EINVALID, "The report could not be saved as %s (%v). Close the file if it is open in Excel, or choose another name.", path, err)
	}
	return n, nil
}
