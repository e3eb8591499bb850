// Package imports turns a contact spreadsheet into an import session the administrator
// reviews before anyone is invited: the rows are stored in the desktop cache with the
// quality findings, fixes, exclusions and merges, so the work survives closing the app.
// It also offers the same reading and checking without storage, for the command line.
package imports

import (
	"context"
	"fmt"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

// headerScanRows is how many rows are looked at to find the header row.
const headerScanRows = 30

// AnalyzeOptions control a read-and-check without storage.
type AnalyzeOptions struct {
	Sheet    string
	DayFirst bool
	AsOf     time.Time
	Accounts quality.Accounts // may be nil
	// Mapping, when set, replaces the automatic header detection and column mapping.
	Mapping  *sheets.Mapping
	Progress func(rowsRead int)
	Limits   sheets.Limits
}

// Analysis is the outcome of reading and checking a file.
type Analysis struct {
	Info     sheets.Info
	Mapping  sheets.Mapping
	Records  []quality.Record
	Findings []quality.Finding
	Summary  map[quality.Code]int
}

// Analyze reads a spreadsheet, finds its header row, maps its columns and runs every
// check. It stores nothing.
func Analyze(ctx context.Context, path string, opt AnalyzeOptions) (Analysis, error) {
	// Rows are turned into records as they are read, so only the mapped cells stay in
	// memory; the first rows wait until the header row is known.
	var (
		a      Analysis
		head   []sheets.Row
		mapped bool
	)
	if opt.Mapping != nil {
		a.Mapping, mapped = *opt.Mapping, true
	}
	add := func(r sheets.Row) {
		if r.Number > a.Mapping.HeaderRow {
			a.Records = append(a.Records, RecordOf(r.Number, r.Cells, a.Mapping))
		}
	}
	settle := func() {
		if !mapped {
			a.Mapping, mapped = DetectMapping(head), true
		}
		for _, r := range head {
			add(r)
		}
		head = nil
	}
	info, err := sheets.Read(ctx, path, sheets.Options{Sheet: opt.Sheet, Progress: opt.Progress, Limits: opt.Limits}, func(r sheets.Row) error {
		if mapped && head == nil {
			add(r)
			return nil
		}
		head = append(head, r)
		if len(head) == headerScanRows {
			settle()
		}
		return nil
	})
	a.Info = info
	if err != nil {
		return a, err
	}
	settle()
	if info.Rows == 0 {
		return a, portal.Errorf(portal.EINVALID, "%s has no rows to import.", info.File)
	}
	if err := a.Mapping.Validate(); err != nil {
		return a, fmt.Errorf("%s: the columns could not be recognised (%s) Map them in the Imports screen, or give the headers usual names such as Email, First name, Last name, Organisation: %w", info.File, a.Mapping.String(), err)
	}
	a.Findings = quality.Check(a.Records, CheckConfig(a.Mapping, opt.AsOf, opt.DayFirst, opt.Accounts))
	a.Summary = quality.Summary(a.Findings)
	return a, nil
}

// DetectMapping finds the header row among the first rows and maps its columns.
func DetectMapping(rows []sheets.Row) sheets.Mapping {
	head := rows[:min(len(rows), headerScanRows)]
	i := sheets.DetectHeader(head)
	if i < 0 {
		return sheets.Mapping{Columns: map[sheets.Field]int{}}
	}
	return sheets.MappingFor(head[i])
}

// RecordOf maps a row's cells to a quality.Record.
func RecordOf(row int, cells []string, m sheets.Mapping) quality.Record {
	return quality.Record{
		Row:          row,
		Title:        m.Value(cells, sheets.FieldTitle),
		Email:        m.Value(cells, sheets.FieldEmail),
		FirstName:    m.Value(cells, sheets.FieldFirstName),
		LastName:     m.Value(cells, sheets.FieldLastName),
		FullName:     m.Value(cells, sheets.FieldFullName),
		Organization: m.Value(cells, sheets.FieldOrganization),
		Role:         m.Value(cells, sheets.FieldRole),
		Member:       m.Value(cells, sheets.FieldMember),
		RoleUntil:    m.Value(cells, sheets.FieldRoleUntil),
		Phone:        m.Value(cells, sheets.FieldPhone),
		Type:         m.Value(cells, sheets.FieldType),
		PortalAccess: m.Value(cells, sheets.FieldPortalAccess),
	}
}

// CheckConfig builds the checks' configuration for a mapping.
func CheckConfig(m sheets.Mapping, asOf time.Time, dayFirst bool, accounts quality.Accounts) quality.Config {
	cols := make(map[string]string, len(m.Columns))
	for f := range m.Columns {
		cols[string(f)] = m.Column(f)
	}
	return quality.Config{AsOf: asOf, DayFirst: dayFirst, Accounts: accounts, Columns: cols}
}
