package imports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

// The shapes the Imports screen shows and sends, and the small rules they carry. The App
// binds them as they are.

// ReadOptions control reading a file (StartImport) and checking it (SetImportOptions).
type ReadOptions struct {
	// Sheet is the worksheet to read; "" reads the first one. Ignored for .csv.
	Sheet string `json:"sheet"`
	// DayFirst reads texty dates such as 03/04/2024 as 3 April, not 4 March.
	DayFirst bool `json:"dayFirst"`
	// AsOf is the date roles are checked against, YYYY-MM-DD; "" means today.
	AsOf string `json:"asOf"`
}

// ColumnInfo is one column of the file as the header row names it.
type ColumnInfo struct {
	Column int    `json:"column"` // 1-based
	Letter string `json:"letter"` // A, B, …, AA
	Header string `json:"header"`
}

// FieldInfo is a contact field and the column it is read from (0: not mapped).
type FieldInfo struct {
	Field  string `json:"field"`
	Label  string `json:"label"`
	Column int    `json:"column"`
}

// CountInfo is how many findings of one code the included rows have.
type CountInfo struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// SheetRow is one row of the file as read, for choosing the header row.
type SheetRow struct {
	Row   int      `json:"row"`
	Cells []string `json:"cells"`
}

// SessionInfo is an import session as the Imports screen shows it.
type SessionInfo struct {
	ID       string   `json:"id"`
	FileName string   `json:"fileName"`
	FilePath string   `json:"filePath"`
	Format   string   `json:"format"` // xlsx | csv
	Sheet    string   `json:"sheet"`
	Sheets   []string `json:"sheets"`
	Encoding string   `json:"encoding"`
	// State is reading | mapping | review | applied | abandoned.
	State string `json:"state"`

	// HeaderRow is the spreadsheet row holding the column names (0: none found yet).
	HeaderRow int          `json:"headerRow"`
	Columns   []ColumnInfo `json:"columns"`
	// Fields lists every contact field in the order the mapping step shows them.
	Fields []FieldInfo `json:"fields"`
	// MappingRemembered is true when the columns were mapped as the administrator mapped
	// a file with the same headers before. Known only right after reading.
	MappingRemembered bool `json:"mappingRemembered"`
	// TopRows are the first rows of the file, for choosing another header row. Only a
	// full Info fills them.
	TopRows []SheetRow `json:"topRows"`

	DayFirst bool   `json:"dayFirst"`
	AsOf     string `json:"asOf"`

	RowsRead int `json:"rowsRead"`
	DataRows int `json:"dataRows"`
	Excluded int `json:"excluded"`
	Included int `json:"included"`
	// RowsWithFindings counts the included rows with at least one finding; -1 when not
	// counted (a list of sessions).
	RowsWithFindings int `json:"rowsWithFindings"`
	// Counts has one entry per finding code, in report order, zeros included.
	Counts []CountInfo `json:"counts"`
	// Stale is true when rows changed since the last check: Counts are out of date.
	Stale bool   `json:"stale"`
	Error string `json:"error"`

	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	CheckedAt *time.Time `json:"checkedAt"`
	// ApplyStartedAt is when Apply was chosen (null before): the rows are fixed from then on.
	ApplyStartedAt *time.Time `json:"applyStartedAt"`
}

// MappingRequest is the mapping the administrator confirms: the header row and, for each
// field, its 1-based column (0 or absent: not mapped).
type MappingRequest struct {
	HeaderRow int            `json:"headerRow"`
	Columns   map[string]int `json:"columns"`
}

// Mapping is the request as the reader's mapping.
func (m MappingRequest) Mapping() sheets.Mapping {
	out := sheets.Mapping{HeaderRow: m.HeaderRow, Columns: map[sheets.Field]int{}}
	for f, c := range m.Columns {
		if c != 0 {
			out.Columns[sheets.Field(f)] = c
		}
	}
	return out
}

// RowRequest asks for one page of a session's data rows, in spreadsheet order.
type RowRequest struct {
	Offset int `json:"offset"`
	// Limit defaults to 100; at most 1000.
	Limit int `json:"limit"`
	// Filter is "" (all rows), included, excluded, withFindings or clean.
	Filter string `json:"filter"`
	// Code keeps only rows with a finding of this code.
	Code string `json:"code"`
	// Search keeps rows with this text in any cell.
	Search string `json:"search"`
}

// Query is the request as the store's query.
func (q RowRequest) Query() RowQuery {
	return RowQuery{Offset: max(q.Offset, 0), Limit: q.Limit, Filter: Filter(q.Filter), Code: quality.Code(q.Code), Search: q.Search}
}

// PreviewLine says what applying the import would do with one data row.
type PreviewLine struct {
	Row             int      `json:"row"`
	Action          string   `json:"action"` // create | update | skip
	Reason          string   `json:"reason"`
	Name            string   `json:"name"`
	Email           string   `json:"email"`
	Organization    string   `json:"organization"`
	NewOrganization bool     `json:"newOrganization"`
	Changes         []string `json:"changes"`
	Warnings        []string `json:"warnings"`
}

// PreviewSummary is the whole plan with its counts.
type PreviewSummary struct {
	Create           int           `json:"create"`
	Update           int           `json:"update"`
	Skip             int           `json:"skip"`
	NewOrganizations []string      `json:"newOrganizations"`
	Rows             []PreviewLine `json:"rows"`
}

// PreviewSummary tells for every data row what applying the import would do: create a
// contact, update the one with the same address, or skip the row and why.
func (s *Store) PreviewSummary(ctx context.Context, id string) (PreviewSummary, error) {
	p, err := s.Preview(ctx, id)
	if err != nil {
		return PreviewSummary{}, err
	}
	out := PreviewSummary{
		Create: p.Counts[PreviewCreate], Update: p.Counts[PreviewUpdate], Skip: p.Counts[PreviewSkip],
		NewOrganizations: nonNil(p.NewOrganizations), Rows: make([]PreviewLine, len(p.Rows)),
	}
	for i, r := range p.Rows {
		out.Rows[i] = PreviewLine{
			Row: r.Row, Action: string(r.Action), Reason: r.Reason, Name: r.Contact.FullName, Email: r.Contact.Email,
			Organization: r.Organization, NewOrganization: r.NewOrganization,
			Changes: nonNil(r.Changes), Warnings: nonNil(r.Warnings),
		}
	}
	return out, nil
}

// topRowsScanned is how many row numbers from the top are offered as header rows.
const topRowsScanned = 30

// Info shapes a session for the screen; full adds the top rows and the count of rows with
// findings, which cost a few queries.
func (s *Store) Info(ctx context.Context, ss Session, full bool) (SessionInfo, error) {
	info := SessionInfo{
		ID: ss.ID, FileName: ss.FileName, FilePath: ss.FilePath, Format: string(ss.Format), Sheet: ss.Sheet,
		Sheets: nonNil(ss.Sheets), Encoding: ss.Encoding, State: string(ss.State),
		HeaderRow: ss.Mapping.HeaderRow, MappingRemembered: ss.MappingRemembered,
		DayFirst: ss.DayFirst, AsOf: ss.AsOf, RowsRead: ss.RowsRead, DataRows: ss.DataRows, Excluded: ss.Excluded,
		Included: ss.DataRows - ss.Excluded, RowsWithFindings: -1, Stale: ss.Stale, Error: ss.Error,
		CreatedAt: ss.CreatedAt, UpdatedAt: ss.UpdatedAt, CheckedAt: ss.CheckedAt, ApplyStartedAt: ss.ApplyStartedAt,
		Columns: make([]ColumnInfo, len(ss.Mapping.Headers)), TopRows: []SheetRow{},
	}
	for i, h := range ss.Mapping.Headers {
		info.Columns[i] = ColumnInfo{Column: i + 1, Letter: sheets.ColumnName(i + 1), Header: h}
	}
	for _, f := range sheets.Fields {
		info.Fields = append(info.Fields, FieldInfo{Field: string(f), Label: sheets.FieldLabel(f), Column: ss.Mapping.Columns[f]})
	}
	for _, c := range quality.Codes {
		info.Counts = append(info.Counts, CountInfo{Code: string(c), Label: c.Label(), Count: ss.Summary[c]})
	}
	if !full || ss.State == StateReading || (ss.State == StateAbandoned && ss.Format == "") {
		return info, nil
	}
	last := max(topRowsScanned, ss.Mapping.HeaderRow+3)
	for n := 1; n <= last && len(info.TopRows) < topRowsScanned; n++ {
		r, err := s.Row(ctx, ss.ID, n)
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			continue // an empty row: not stored
		}
		if err != nil {
			return SessionInfo{}, fmt.Errorf("read the first rows of %s: %w", ss.FileName, err)
		}
		info.TopRows = append(info.TopRows, SheetRow{Row: r.Row, Cells: r.Cells})
	}
	if ss.State == StateReview {
		p, err := s.Rows(ctx, ss.ID, RowQuery{Filter: FilterWithFindings, Limit: 1})
		if err != nil {
			return SessionInfo{}, err
		}
		info.RowsWithFindings = p.Total
	}
	return info, nil
}

// ParseAsOf reads the date roles are checked against; "" is the zero time (today).
func ParseAsOf(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, portal.FieldErrorf("asOf", "%q is not a date; give it as YYYY-MM-DD, for example 2024-06-30.", s)
	}
	return t, nil
}

// CheckPath refuses what is not a full path to a file to import.
func CheckPath(path string) error {
	if strings.TrimSpace(path) == "" {
		return portal.FieldErrorf("path", "Choose a spreadsheet to import.")
	}
	if !filepath.IsAbs(path) {
		return portal.FieldErrorf("path", "%q is not a full path to a file. Choose the file again.", path)
	}
	return nil
}

// ExportName proposes "contacts-checked.xlsx" for "contacts.csv".
func ExportName(fileName string) string {
	base := strings.TrimSuffix(fileName, filepath.Ext(fileName))
	if base == "" {
		base = "import"
	}
	return base + "-checked.xlsx"
}

// SaveBeside writes a workbook made from the import ss to dest, whole or not at all. The
// imported file itself is never overwritten.
func SaveBeside(ss Session, dest string, write func(*os.File) error) error {
	if samePath(dest, ss.FilePath) {
		return portal.FieldErrorf("path", "%s is the file being imported; choose another name so it is not overwritten.", filepath.Base(dest))
	}
	return writeAtomically(dest, write)
}

func samePath(a, b string) bool {
	if b == "" {
		return false
	}
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// writeAtomically writes a temporary file beside dest and renames it over dest, so a
// failed export never leaves half a workbook, nor destroys the file it would replace.
func writeAtomically(dest string, write func(*os.File) error) error {
	dir := filepath.Dir(dest)
	fail := func(err error) error {
		return portal.Errorf(portal.EINVALID, "Gatehouse could not save %s: %v. Choose a folder you may write to, with enough free space.", dest, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".*.tmp")
	if err != nil {
		return fail(err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly once renamed
	if err := write(f); err != nil {
		f.Close()
		var pe *portal.Error
		if errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("export to %s: %w", dest, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fail(err)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
