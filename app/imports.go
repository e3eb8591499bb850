package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

// The Imports screen: read a contact spreadsheet into an import session, map its columns,
// review the quality findings, fix, exclude and merge rows, preview and export. The work is
// done by backend/imports; these methods add the dialogs, the progress events and the
// shapes the screen shows.

// Events the Imports screen listens to.
const (
	// EventImportProgress carries an ImportProgress while a file is being read.
	EventImportProgress = "import:progress"
	// EventImportDropped carries an ImportDropped when files are dropped onto the window.
	EventImportDropped = "import:dropped"
)

// ImportOptions control reading a file (StartImport) and checking it (SetImportOptions).
type ImportOptions struct {
	// Sheet is the worksheet to read; "" reads the first one. Ignored for .csv.
	Sheet string `json:"sheet"`
	// DayFirst reads texty dates such as 03/04/2024 as 3 April, not 4 March.
	DayFirst bool `json:"dayFirst"`
	// AsOf is the date roles are checked against, YYYY-MM-DD; "" means today.
	AsOf string `json:"asOf"`
}

// ImportProgress is the payload of EventImportProgress.
type ImportProgress struct {
	Path     string `json:"path"`
	FileName string `json:"fileName"`
	RowsRead int    `json:"rowsRead"`
}

// ImportDropped is the payload of EventImportDropped: the file to import and the other
// dropped files, which are not imported.
type ImportDropped struct {
	Path    string   `json:"path"`
	Ignored []string `json:"ignored"`
}

// ImportColumn is one column of the file as the header row names it.
type ImportColumn struct {
	Column int    `json:"column"` // 1-based
	Letter string `json:"letter"` // A, B, …, AA
	Header string `json:"header"`
}

// ImportField is a contact field and the column it is read from (0: not mapped).
type ImportField struct {
	Field  string `json:"field"`
	Label  string `json:"label"`
	Column int    `json:"column"`
}

// ImportCount is how many findings of one code the included rows have.
type ImportCount struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// ImportSheetRow is one row of the file as read, for choosing the header row.
type ImportSheetRow struct {
	Row   int      `json:"row"`
	Cells []string `json:"cells"`
}

// ImportSessionInfo is an import session as the Imports screen shows it.
type ImportSessionInfo struct {
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
	HeaderRow int            `json:"headerRow"`
	Columns   []ImportColumn `json:"columns"`
	// Fields lists every contact field in the order the mapping step shows them.
	Fields []ImportField `json:"fields"`
	// MappingRemembered is true when the columns were mapped as the administrator mapped
	// a file with the same headers before. Known only right after reading.
	MappingRemembered bool `json:"mappingRemembered"`
	// TopRows are the first rows of the file, for choosing another header row. Only
	// StartImport and ImportSession fill them.
	TopRows []ImportSheetRow `json:"topRows"`

	DayFirst bool   `json:"dayFirst"`
	AsOf     string `json:"asOf"`

	RowsRead int `json:"rowsRead"`
	DataRows int `json:"dataRows"`
	Excluded int `json:"excluded"`
	Included int `json:"included"`
	// RowsWithFindings counts the included rows with at least one finding; -1 when not
	// counted (ImportSessions).
	RowsWithFindings int `json:"rowsWithFindings"`
	// Counts has one entry per finding code, in report order, zeros included.
	Counts []ImportCount `json:"counts"`
	// Stale is true when rows changed since the last check: Counts are out of date.
	Stale bool   `json:"stale"`
	Error string `json:"error"`

	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	CheckedAt *time.Time `json:"checkedAt"`
	// ApplyStartedAt is when Apply was chosen (null before): the rows are fixed from then on.
	ApplyStartedAt *time.Time `json:"applyStartedAt"`
}

// ImportMapping is the mapping the administrator confirms: the header row and, for each
// field, its 1-based column (0 or absent: not mapped).
type ImportMapping struct {
	HeaderRow int            `json:"headerRow"`
	Columns   map[string]int `json:"columns"`
}

// ImportRowQuery asks for one page of a session's data rows, in spreadsheet order.
type ImportRowQuery struct {
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

// ImportPreviewRow says what applying the import would do with one data row.
type ImportPreviewRow struct {
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

// ImportPreviewResult is the whole plan with its counts.
type ImportPreviewResult struct {
	Create           int                `json:"create"`
	Update           int                `json:"update"`
	Skip             int                `json:"skip"`
	NewOrganizations []string           `json:"newOrganizations"`
	Rows             []ImportPreviewRow `json:"rows"`
}

// importer is what the import methods keep between calls for one App: the store on the
// App's cache, whether the drop handler is registered, and the reads in progress (so they
// can be cancelled, and so interrupted sessions are tidied only before the first read).
type importer struct {
	mu       sync.Mutex
	db       *cache.DB
	store    *imports.Store
	dropping bool
	reading  map[string]context.CancelFunc // by file path
	applying map[string]context.CancelFunc // by session
}

// importer returns the App's importer, building on first use the store on the open cache,
// marking sessions left reading by an earlier run as abandoned, and registering the
// file-drop handler that announces dropped files to the Imports screen.
func (a *App) importer(ctx context.Context) (*importer, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	im := a.imports
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.db != db {
		st := imports.NewStore(db.SQL(), db.Clock())
		// Sessions still "reading" are left over from a run that stopped: every read of
		// this App goes through here first, and none is running (Recover would take it).
		if len(im.reading) == 0 {
			if err := st.Recover(ctx); err != nil {
				return nil, err
			}
		}
		im.db, im.store = db, st
	}
	if !im.dropping {
		rt := a.rt
		rt.OnFileDrop(func(_, _ int, paths []string) { rt.Emit(EventImportDropped, droppedFiles(paths)) })
		im.dropping = true
	}
	return im, nil
}

// droppedFiles picks the file to import from what was dropped: the first that is named
// like a spreadsheet, else the first (the reader then says what it is).
func droppedFiles(paths []string) ImportDropped {
	d := ImportDropped{Ignored: []string{}}
	pick := -1
	for i, p := range paths {
		switch strings.ToLower(filepath.Ext(p)) {
		case ".xlsx", ".xlsm", ".csv", ".txt", ".tsv":
			if pick < 0 {
				pick = i
			}
		}
	}
	if pick < 0 && len(paths) > 0 {
		pick = 0
	}
	for i, p := range paths {
		if i == pick {
			d.Path = p
		} else {
			d.Ignored = append(d.Ignored, p)
		}
	}
	return d
}

func (im *importer) startReading(path string, cancel context.CancelFunc) bool {
	im.mu.Lock()
	defer im.mu.Unlock()
	if _, busy := im.reading[path]; busy {
		return false
	}
	im.reading[path] = cancel
	return true
}

func (im *importer) doneReading(path string) {
	im.mu.Lock()
	delete(im.reading, path)
	im.mu.Unlock()
}

// ChooseImportFile asks for a spreadsheet with the native open dialog; "" when cancelled.
func (a *App) ChooseImportFile() (string, error) {
	p, err := a.rt.OpenFileDialog(OpenFileOptions{
		Title: "Choose a contact list to import",
		Filters: []FileFilter{
			{DisplayName: "Spreadsheets (*.xlsx, *.csv)", Pattern: "*.xlsx;*.csv"},
			{DisplayName: "All files", Pattern: "*"},
		},
	})
	if err != nil {
		return "", portal.Errorf(portal.EINTERNAL, "The file dialog could not be opened: %v", err)
	}
	return p, nil
}

// ImportSheets lists the worksheets of an .xlsx file in workbook order; none for a .csv.
func (a *App) ImportSheets(path string) ([]string, error) {
	if err := checkImportPath(path); err != nil {
		return nil, err
	}
	names, err := sheets.ListSheets(path)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(names, func(s string) bool { return s == "" }), nil
}

func checkImportPath(path string) error {
	if strings.TrimSpace(path) == "" {
		return portal.FieldErrorf("path", "Choose a spreadsheet to import.")
	}
	if !filepath.IsAbs(path) {
		return portal.FieldErrorf("path", "%q is not a full path to a file. Choose the file again.", path)
	}
	return nil
}

// StartImport reads a spreadsheet into a new import session and proposes the column
// mapping. While reading it sends EventImportProgress with the rows read so far. A file
// that cannot be read leaves nothing behind and the error names the file, sheet, row and
// column.
func (a *App) StartImport(path string, opts ImportOptions) (ImportSessionInfo, error) {
	if err := checkImportPath(path); err != nil {
		return ImportSessionInfo{}, err
	}
	asOf, err := parseAsOf(opts.AsOf)
	if err != nil {
		return ImportSessionInfo{}, err
	}
	ctx, cancel := context.WithCancel(a.ctx())
	defer cancel()
	im, err := a.importer(ctx)
	if err != nil {
		return ImportSessionInfo{}, err
	}
	name := filepath.Base(path)
	if !im.startReading(path, cancel) {
		return ImportSessionInfo{}, portal.Errorf(portal.ECONFLICT, "%s is already being read; wait until it is done.", name)
	}
	defer im.doneReading(path)
	a.rt.Emit(EventImportProgress, ImportProgress{Path: path, FileName: name})
	ss, err := im.store.Create(ctx, path, imports.CreateOptions{
		Sheet: opts.Sheet, DayFirst: opts.DayFirst, AsOf: asOf,
		Progress: func(n int) { a.rt.Emit(EventImportProgress, ImportProgress{Path: path, FileName: name, RowsRead: n}) },
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return ImportSessionInfo{}, portal.Errorf(portal.ECONFLICT, "Reading %s was cancelled; nothing was kept.", name)
		}
		return ImportSessionInfo{}, err
	}
	return sessionInfo(ctx, im.store, ss, true)
}

// CancelImport stops reading path; StartImport then fails and keeps nothing. It does
// nothing when path is not being read.
func (a *App) CancelImport(path string) error {
	im, err := a.importer(a.ctx())
	if err != nil {
		return err
	}
	im.mu.Lock()
	cancel := im.reading[path]
	im.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// ImportSessions lists the import sessions that were not abandoned, most recent first.
func (a *App) ImportSessions() ([]ImportSessionInfo, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return nil, err
	}
	list, err := im.store.List(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]ImportSessionInfo, 0, len(list))
	for _, ss := range list {
		info, err := sessionInfo(ctx, im.store, ss, false)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// ImportSession returns one session, to resume it.
func (a *App) ImportSession(id string) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		return st.Get(ctx, id)
	})
}

// SetImportMapping confirms the header row and the columns, remembers them for files with
// the same headers, and checks every row: the session moves to review.
func (a *App) SetImportMapping(id string, m ImportMapping) (ImportSessionInfo, error) {
	mapping := sheets.Mapping{HeaderRow: m.HeaderRow, Columns: map[sheets.Field]int{}}
	for f, c := range m.Columns {
		if c != 0 {
			mapping.Columns[sheets.Field(f)] = c
		}
	}
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		return st.SetMapping(ctx, id, mapping)
	})
}

// SetImportOptions changes the date roles are checked against and how texty dates are
// read, and checks again. Sheet is ignored: read another sheet with StartImport.
func (a *App) SetImportOptions(id string, opts ImportOptions) (ImportSessionInfo, error) {
	asOf, err := parseAsOf(opts.AsOf)
	if err != nil {
		return ImportSessionInfo{}, err
	}
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		if asOf.IsZero() {
			db, err := a.cache()
			if err != nil {
				return imports.Session{}, err
			}
			asOf = db.Clock().Now()
		}
		return st.SetOptions(ctx, id, asOf, opts.DayFirst)
	})
}

// ImportRows returns a page of a session's data rows with their findings.
func (a *App) ImportRows(id string, q ImportRowQuery) (imports.RowPage, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return imports.RowPage{}, err
	}
	return im.store.Rows(ctx, id, imports.RowQuery{
		Offset: max(q.Offset, 0), Limit: q.Limit, Filter: imports.Filter(q.Filter),
		Code: quality.Code(q.Code), Search: q.Search,
	})
}

// ImportRowsAt returns the given rows (at most 100) in the order asked, for choosing which
// of several duplicates to keep.
func (a *App) ImportRowsAt(id string, rows []int) ([]imports.RowView, error) {
	if len(rows) > 100 {
		return nil, portal.FieldErrorf("rows", "Ask for at most 100 rows at a time, not %d.", len(rows))
	}
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]imports.RowView, 0, len(rows))
	for _, n := range rows {
		r, err := im.store.Row(ctx, id, n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// FixImportCell sets a cell (1-based column) of a data row; the value as read is kept
// beside it. The findings are out of date until RecheckImport.
func (a *App) FixImportCell(id string, row, column int, value string) (imports.RowView, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return imports.RowView{}, err
	}
	return im.store.FixCell(ctx, id, row, column, value)
}

// ExcludeImportRows leaves rows out of the import with a reason, or takes them back in
// (excluded false). The findings are out of date until RecheckImport.
func (a *App) ExcludeImportRows(id string, rows []int, excluded bool, reason string) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		if err := st.Exclude(ctx, id, rows, excluded, reason); err != nil {
			return imports.Session{}, err
		}
		return st.Get(ctx, id)
	})
}

// MergeImportRows keeps row keep and leaves the others out as merged into it.
func (a *App) MergeImportRows(id string, keep int, others []int) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		if err := st.Merge(ctx, id, keep, others); err != nil {
			return imports.Session{}, err
		}
		return st.Get(ctx, id)
	})
}

// MarkImportRowsDistinct records that rows flagged as possibly one person are different
// people: the checks stop flagging them, also after later changes.
func (a *App) MarkImportRowsDistinct(id string, rows []int) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		return st.MarkDistinct(ctx, id, rows)
	})
}

// RecheckImport runs every check again over the included rows with their fixes.
func (a *App) RecheckImport(id string) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		return st.Recheck(ctx, id)
	})
}

// ImportPreview tells for every data row what applying the import would do: create a
// contact, update the one with the same address, or skip the row and why.
func (a *App) ImportPreview(id string) (ImportPreviewResult, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return ImportPreviewResult{}, err
	}
	p, err := im.store.Preview(ctx, id)
	if err != nil {
		return ImportPreviewResult{}, err
	}
	out := ImportPreviewResult{
		Create: p.Counts[imports.PreviewCreate], Update: p.Counts[imports.PreviewUpdate], Skip: p.Counts[imports.PreviewSkip],
		NewOrganizations: p.NewOrganizations, Rows: make([]ImportPreviewRow, len(p.Rows)),
	}
	if out.NewOrganizations == nil {
		out.NewOrganizations = []string{}
	}
	for i, r := range p.Rows {
		out.Rows[i] = ImportPreviewRow{
			Row: r.Row, Action: string(r.Action), Reason: r.Reason, Name: r.Contact.FullName, Email: r.Contact.Email,
			Organization: r.Organization, NewOrganization: r.NewOrganization,
			Changes: nonNil(r.Changes), Warnings: nonNil(r.Warnings),
		}
	}
	return out, nil
}

// ExportImport asks where to save and writes the annotated list with a findings report as
// a styled .xlsx workbook. It returns the saved file, or "" when the dialog was cancelled.
// The file appears whole or not at all.
func (a *App) ExportImport(id string) (string, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return "", err
	}
	ss, err := im.store.Get(ctx, id)
	if err != nil {
		return "", err
	}
	return a.saveWorkbook("Export the checked list", ss, exportName(ss.FileName), func(f *os.File) error { return im.store.Export(ctx, id, f) })
}

// saveWorkbook asks where to save an .xlsx made from the import ss, beside its file, and
// writes it whole or not at all; "" when the dialog was cancelled. The imported file itself
// is never overwritten.
func (a *App) saveWorkbook(title string, ss imports.Session, name string, write func(*os.File) error) (string, error) {
	dest, err := a.rt.SaveFileDialog(SaveFileOptions{
		Title:            title,
		DefaultDirectory: filepath.Dir(ss.FilePath),
		DefaultFilename:  name,
		Filters:          []FileFilter{{DisplayName: "Excel workbook (*.xlsx)", Pattern: "*.xlsx"}},
	})
	if err != nil {
		return "", portal.Errorf(portal.EINTERNAL, "The save dialog could not be opened: %v", err)
	}
	if dest == "" {
		return "", nil
	}
	if filepath.Ext(dest) == "" {
		dest += ".xlsx" // the Linux dialog adds no extension; Excel needs one
	}
	if samePath(dest, ss.FilePath) {
		return "", portal.FieldErrorf("path", "%s is the file being imported; choose another name so it is not overwritten.", filepath.Base(dest))
	}
	if err := writeAtomically(dest, write); err != nil {
		return "", err
	}
	return dest, nil
}

// AbandonImport gives a session up; it disappears from the list.
func (a *App) AbandonImport(id string) error {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return err
	}
	return im.store.Abandon(ctx, id)
}

// withSession runs fn on the store and shapes the session it returns.
func (a *App) withSession(id string, fn func(context.Context, *imports.Store) (imports.Session, error)) (ImportSessionInfo, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return ImportSessionInfo{}, err
	}
	ss, err := fn(ctx, im.store)
	if err != nil {
		return ImportSessionInfo{}, err
	}
	return sessionInfo(ctx, im.store, ss, true)
}

// topRowsScanned is how many row numbers from the top are offered as header rows.
const topRowsScanned = 30

// sessionInfo shapes a session for the screen; full adds the top rows and the count of
// rows with findings, which cost a few queries.
func sessionInfo(ctx context.Context, st *imports.Store, ss imports.Session, full bool) (ImportSessionInfo, error) {
	info := ImportSessionInfo{
		ID: ss.ID, FileName: ss.FileName, FilePath: ss.FilePath, Format: string(ss.Format), Sheet: ss.Sheet,
		Sheets: nonNil(ss.Sheets), Encoding: ss.Encoding, State: string(ss.State),
		HeaderRow: ss.Mapping.HeaderRow, MappingRemembered: ss.MappingRemembered,
		DayFirst: ss.DayFirst, AsOf: ss.AsOf, RowsRead: ss.RowsRead, DataRows: ss.DataRows, Excluded: ss.Excluded,
		Included: ss.DataRows - ss.Excluded, RowsWithFindings: -1, Stale: ss.Stale, Error: ss.Error,
		CreatedAt: ss.CreatedAt, UpdatedAt: ss.UpdatedAt, CheckedAt: ss.CheckedAt, ApplyStartedAt: ss.ApplyStartedAt,
		Columns: make([]ImportColumn, len(ss.Mapping.Headers)), TopRows: []ImportSheetRow{},
	}
	for i, h := range ss.Mapping.Headers {
		info.Columns[i] = ImportColumn{Column: i + 1, Letter: sheets.ColumnName(i + 1), Header: h}
	}
	for _, f := range sheets.Fields {
		info.Fields = append(info.Fields, ImportField{Field: string(f), Label: sheets.FieldLabel(f), Column: ss.Mapping.Columns[f]})
	}
	for _, c := range quality.Codes {
		info.Counts = append(info.Counts, ImportCount{Code: string(c), Label: c.Label(), Count: ss.Summary[c]})
	}
	if !full || ss.State == imports.StateReading || (ss.State == imports.StateAbandoned && ss.Format == "") {
		return info, nil
	}
	last := max(topRowsScanned, ss.Mapping.HeaderRow+3)
	for n := 1; n <= last && len(info.TopRows) < topRowsScanned; n++ {
		r, err := st.Row(ctx, ss.ID, n)
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			continue // an empty row: not stored
		}
		if err != nil {
			return ImportSessionInfo{}, fmt.Errorf("read the first rows of %s: %w", ss.FileName, err)
		}
		info.TopRows = append(info.TopRows, ImportSheetRow{Row: r.Row, Cells: r.Cells})
	}
	if ss.State == imports.StateReview {
		p, err := st.Rows(ctx, ss.ID, imports.RowQuery{Filter: imports.FilterWithFindings, Limit: 1})
		if err != nil {
			return ImportSessionInfo{}, err
		}
		info.RowsWithFindings = p.Total
	}
	return info, nil
}

func parseAsOf(s string) (time.Time, error) {
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

// exportName proposes "contacts-checked.xlsx" for "contacts.csv".
func exportName(fileName string) string {
	base := strings.TrimSuffix(fileName, filepath.Ext(fileName))
	if base == "" {
		base = "import"
	}
	return base + "-checked.xlsx"
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
