package desk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gatehouse/backend/cache"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
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

// The Imports screen's shapes, from backend/imports.
type (
	ImportOptions       = imports.ReadOptions
	ImportSessionInfo   = imports.SessionInfo
	ImportMapping       = imports.MappingRequest
	ImportRowQuery      = imports.RowRequest
	ImportPreviewResult = imports.PreviewSummary
)

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
func (a *Desk) importer(ctx context.Context) (*importer, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	im := a.imports
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.db != db {
		st := imports.OnCache(db)
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
func (a *Desk) ChooseImportFile() (string, error) {
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
func (a *Desk) ImportSheets(path string) ([]string, error) {
	if err := imports.CheckPath(path); err != nil {
		return nil, err
	}
	names, err := sheets.ListSheets(path)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(names, func(s string) bool { return s == "" }), nil
}

// StartImport reads a spreadsheet into a new import session and proposes the column
// mapping. While reading it sends EventImportProgress with the rows read so far. A file
// that cannot be read leaves nothing behind and the error names the file, sheet, row and
// column.
func (a *Desk) StartImport(path string, opts ImportOptions) (ImportSessionInfo, error) {
	if err := imports.CheckPath(path); err != nil {
		return ImportSessionInfo{}, err
	}
	asOf, err := imports.ParseAsOf(opts.AsOf)
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
	return im.store.Info(ctx, ss, true)
}

// CancelImport stops reading path; StartImport then fails and keeps nothing. It does
// nothing when path is not being read.
func (a *Desk) CancelImport(path string) error {
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
func (a *Desk) ImportSessions() ([]ImportSessionInfo, error) {
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
		info, err := im.store.Info(ctx, ss, false)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// ImportSession returns one session, to resume it.
func (a *Desk) ImportSession(id string) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		return st.Get(ctx, id)
	})
}

// SetImportMapping confirms the header row and the columns, remembers them for files with
// the same headers, and checks every row: the session moves to review.
func (a *Desk) SetImportMapping(id string, m ImportMapping) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		return st.SetMapping(ctx, id, m.Mapping())
	})
}

// SetImportOptions changes the date roles are checked against and how texty dates are
// read, and checks again. Sheet is ignored: read another sheet with StartImport.
func (a *Desk) SetImportOptions(id string, opts ImportOptions) (ImportSessionInfo, error) {
	asOf, err := imports.ParseAsOf(opts.AsOf)
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
func (a *Desk) ImportRows(id string, q ImportRowQuery) (imports.RowPage, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return imports.RowPage{}, err
	}
	return im.store.Rows(ctx, id, q.Query())
}

// ImportRowsAt returns the given rows (at most 100) in the order asked, for choosing which
// of several duplicates to keep.
func (a *Desk) ImportRowsAt(id string, rows []int) ([]imports.RowView, error) {
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
func (a *Desk) FixImportCell(id string, row, column int, value string) (imports.RowView, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return imports.RowView{}, err
	}
	v, err := im.store.FixCell(ctx, id, row, column, value)
	if err == nil {
		a.recordImportWork(ctx, im.store, id, portal.ActionImportFix, "", map[string]any{"row": row, "column": column, "value": value})
	}
	return v, err
}

// ExcludeImportRows leaves rows out of the import with a reason, or takes them back in
// (excluded false). The findings are out of date until RecheckImport.
func (a *Desk) ExcludeImportRows(id string, rows []int, excluded bool, reason string) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		if err := st.Exclude(ctx, id, rows, excluded, reason); err != nil {
			return imports.Session{}, err
		}
		a.recordImportWork(ctx, st, id, portal.ActionImportExclude, reason, map[string]any{"rows": rows, "excluded": excluded})
		return st.Get(ctx, id)
	})
}

// MergeImportRows keeps row keep and leaves the others out as merged into it.
func (a *Desk) MergeImportRows(id string, keep int, others []int) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		if err := st.Merge(ctx, id, keep, others); err != nil {
			return imports.Session{}, err
		}
		a.recordImportWork(ctx, st, id, portal.ActionImportMerge, "", map[string]any{"kept": keep, "merged": others})
		return st.Get(ctx, id)
	})
}

// MarkImportRowsDistinct records that rows flagged as possibly one person are different
// people: the checks stop flagging them, also after later changes.
func (a *Desk) MarkImportRowsDistinct(id string, rows []int) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		s, err := st.MarkDistinct(ctx, id, rows)
		if err == nil {
			a.recordImportWork(ctx, st, id, portal.ActionImportDistinct, "", map[string]any{"rows": rows})
		}
		return s, err
	})
}

// RecheckImport runs every check again over the included rows with their fixes.
func (a *Desk) RecheckImport(id string) (ImportSessionInfo, error) {
	return a.withSession(id, func(ctx context.Context, st *imports.Store) (imports.Session, error) {
		return st.Recheck(ctx, id)
	})
}

// ImportPreview tells for every data row what applying the import would do: create a
// contact, update the one with the same address, or skip the row and why.
func (a *Desk) ImportPreview(id string) (ImportPreviewResult, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return ImportPreviewResult{}, err
	}
	return im.store.PreviewSummary(ctx, id)
}

// ExportImport asks where to save and writes the annotated list with a findings report as
// a styled .xlsx workbook. It returns the saved file, or "" when the dialog was cancelled.
// The file appears whole or not at all.
func (a *Desk) ExportImport(id string) (string, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return "", err
	}
	ss, err := im.store.Get(ctx, id)
	if err != nil {
		return "", err
	}
	return a.saveWorkbook("Export the checked list", ss, imports.ExportName(ss.FileName), func(f *os.File) error { return im.store.Export(ctx, id, f) })
}

// saveWorkbook asks where to save an .xlsx made from the import ss, beside its file, and
// writes it whole or not at all; "" when the dialog was cancelled.
func (a *Desk) saveWorkbook(title string, ss imports.Session, name string, write func(*os.File) error) (string, error) {
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
	if err := imports.SaveBeside(ss, dest, write); err != nil {
		return "", err
	}
	return dest, nil
}

// AbandonImport gives a session up; it disappears from the list.
func (a *Desk) AbandonImport(id string) error {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return err
	}
	return im.store.Abandon(ctx, id)
}

// withSession runs fn on the store and shapes the session it returns.
func (a *Desk) withSession(id string, fn func(context.Context, *imports.Store) (imports.Session, error)) (ImportSessionInfo, error) {
	ctx := a.ctx()
	im, err := a.importer(ctx)
	if err != nil {
		return ImportSessionInfo{}, err
	}
	ss, err := fn(ctx, im.store)
	if err != nil {
		return ImportSessionInfo{}, err
	}
	return im.store.Info(ctx, ss, true)
}
