package imports

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

// State is where an import session stands.
type State string

const (
	StateReading   State = "reading"   // the file is being read
	StateMapping   State = "mapping"   // read; the administrator confirms the columns
	StateReview    State = "review"    // checked; the administrator fixes, excludes, merges
	StateApplied   State = "applied"   // the contacts were imported
	StateAbandoned State = "abandoned" // given up, or interrupted while reading
)

// Session is one spreadsheet being imported.
type Session struct {
	ID        string         `json:"id"`
	FileName  string         `json:"fileName"`
	FilePath  string         `json:"filePath"`
	Format    sheets.Format  `json:"format"`
	Sheet     string         `json:"sheet"`
	Sheets    []string       `json:"sheets"`
	Encoding  string         `json:"encoding,omitempty"`
	State     State          `json:"state"`
	Mapping   sheets.Mapping `json:"mapping"`
	HeaderKey string         `json:"headerKey"`
	// MappingRemembered is true when the mapping came from an earlier import with the
	// same headers.
	MappingRemembered bool                 `json:"mappingRemembered"`
	DayFirst          bool                 `json:"dayFirst"`
	AsOf              string               `json:"asOf"` // 2006-01-02
	RowsRead          int                  `json:"rowsRead"`
	DataRows          int                  `json:"dataRows"` // rows below the header row
	Excluded          int                  `json:"excluded"`
	Summary           map[quality.Code]int `json:"summary"` // findings per code on included rows
	Stale             bool                 `json:"stale"`   // changed since the last check
	Error             string               `json:"error,omitempty"`
	CreatedAt         time.Time            `json:"createdAt"`
	UpdatedAt         time.Time            `json:"updatedAt"`
	CheckedAt         *time.Time           `json:"checkedAt,omitempty"`
	// ApplyStartedAt is when the administrator chose Apply: from then on the rows are
	// kept as they were applied, and an interrupted apply resumes.
	ApplyStartedAt *time.Time `json:"applyStartedAt,omitempty"`
}

// Store keeps import sessions in the desktop cache database (tables import_*, created by
// this package's migration migrations/0010_imports.sql, registered with cache.Open).
type Store struct {
	db    *sql.DB
	clock portal.Clock
	dir   Directory
}

// Option configures a Store.
type Option func(*Store)

// WithDirectory sets where known accounts, contacts and organisations come from
// (CacheDirectory for the desktop's cache); without it nothing is known.
func WithDirectory(d Directory) Option { return func(s *Store) { s.dir = d } }

// NewStore returns a Store on db. The clock dates sessions and gives the default as-of date.
func NewStore(db *sql.DB, clock portal.Clock, opts ...Option) *Store {
	s := &Store{db: db, clock: clock}
	for _, o := range opts {
		o(s)
	}
	if s.dir == nil {
		s.dir = noDirectory{}
	}
	return s
}

// OnCache returns the Store of the desktop cache's imports, matched against what its
// mirror holds.
func OnCache(db *cache.DB, opts ...Option) *Store {
	return NewStore(db.SQL(), db.Clock(), append([]Option{WithDirectory(CacheDirectory{DB: db})}, opts...)...)
}

// now is the time as the desktop database stores it (the cache's codec).
func (s *Store) now() string { return cache.FormatTime(s.clock.Now()) }

// CreateOptions control reading a file into a new session.
type CreateOptions struct {
	Sheet    string
	DayFirst bool
	// AsOf is the date roles are checked against; zero means today.
	AsOf time.Time
	// Progress is called with the number of rows read so far.
	Progress func(rowsRead int)
	Limits   sheets.Limits
}

const insertBatch = 2000

// Create reads a spreadsheet into a new session and proposes a column mapping (the one
// remembered for these headers, or the automatic one). The session is left in the
// mapping state; a file that cannot be read leaves no session behind.
func (s *Store) Create(ctx context.Context, path string, opt CreateOptions) (Session, error) {
	asOf := opt.AsOf
	if asOf.IsZero() {
		asOf = s.clock.Now()
	}
	id := rand.Text()
	now := s.now()
	sess := Session{ID: id, FileName: filepath.Base(path), FilePath: path, State: StateReading, AsOf: asOf.Format("2006-01-02"), DayFirst: opt.DayFirst}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO import_sessions (id, file_name, file_path, format, state, day_first, as_of, created_at, updated_at)
		VALUES (?, ?, ?, '', 'reading', ?, ?, ?, ?)`, id, sess.FileName, path, opt.DayFirst, sess.AsOf, now, now); err != nil {
		return Session{}, fmt.Errorf("start importing %s: %w", sess.FileName, err)
	}
	info, head, err := s.readRows(ctx, id, path, opt)
	if err != nil {
		// Nothing half-read is kept: the rows were in one transaction, the session goes too.
		_, _ = s.db.ExecContext(context.WithoutCancel(ctx), `DELETE FROM import_sessions WHERE id = ?`, id)
		return Session{}, err
	}
	m := DetectMapping(head)
	remembered := false
	if len(head) > 0 {
		if cols, ok, err := s.rememberedColumns(ctx, m.HeaderKey(), len(m.Headers)); err != nil {
			return Session{}, err
		} else if ok {
			m.Columns, remembered = cols, true
		}
	}
	if m.Columns == nil {
		m.Columns = map[sheets.Field]int{}
	}
	mj, _ := json.Marshal(m)
	sj, _ := json.Marshal(info.Sheets)
	if _, err := s.db.ExecContext(ctx, `UPDATE import_sessions SET format = ?, sheet = ?, sheets = ?, encoding = ?, state = 'mapping',
		header_row = ?, header_key = ?, mapping = ?, rows_read = ?, updated_at = ? WHERE id = ?`,
		string(info.Format), info.Sheet, string(sj), info.Encoding, m.HeaderRow, m.HeaderKey(), string(mj), info.Rows, s.now(), id); err != nil {
		return Session{}, fmt.Errorf("save the import of %s: %w", sess.FileName, err)
	}
	out, err := s.Get(ctx, id)
	out.MappingRemembered = remembered
	return out, err
}

// readRows streams the file's rows into import_rows in one transaction and returns the
// first rows, where the header is looked for.
func (s *Store) readRows(ctx context.Context, id, path string, opt CreateOptions) (sheets.Info, []sheets.Row, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return sheets.Info{}, nil, fmt.Errorf("start importing %s: %w", filepath.Base(path), err)
	}
	defer tx.Rollback()
	var head []sheets.Row
	var batch []sheets.Row
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		q := make([]byte, 0, 64+len(batch)*12)
		q = append(q, "INSERT INTO import_rows (session_id, row_number, cells) VALUES "...)
		args := make([]any, 0, 3*len(batch))
		for i, r := range batch {
			if i > 0 {
				q = append(q, ',')
			}
			q = append(q, "(?,?,?)"...)
			cj, err := json.Marshal(r.Cells)
			if err != nil {
				return err
			}
			args = append(args, id, r.Number, string(cj))
		}
		batch = batch[:0]
		_, err := tx.ExecContext(ctx, string(q), args...)
		return err
	}
	info, err := sheets.Read(ctx, path, sheets.Options{Sheet: opt.Sheet, Progress: opt.Progress, Limits: opt.Limits}, func(r sheets.Row) error {
		if len(head) < headerScanRows {
			head = append(head, r)
		}
		batch = append(batch, r)
		if len(batch) == insertBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		var re *sheets.ReadError
		if errors.As(err, &re) || errors.Is(err, context.Canceled) {
			return info, nil, err
		}
		return info, nil, fmt.Errorf("store the rows of %s: %w", filepath.Base(path), err)
	}
	if info.Rows == 0 {
		return info, nil, portal.Errorf(portal.EINVALID, "%s has no rows to import: the sheet %q is empty.", filepath.Base(path), info.Sheet)
	}
	if err := tx.Commit(); err != nil {
		return info, nil, fmt.Errorf("store the rows of %s: %w", filepath.Base(path), err)
	}
	return info, head, nil
}

func (s *Store) rememberedColumns(ctx context.Context, key string, nHeaders int) (map[sheets.Field]int, bool, error) {
	var cj string
	err := s.db.QueryRowContext(ctx, `SELECT columns FROM import_mappings WHERE header_key = ?`, key).Scan(&cj)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("look up the remembered column mapping: %w", err)
	}
	var cols map[sheets.Field]int
	if err := json.Unmarshal([]byte(cj), &cols); err != nil {
		return nil, false, nil // a damaged memory is no reason to stop; map afresh
	}
	for _, c := range cols {
		if c < 1 || c > max(nHeaders, 1) {
			return nil, false, nil
		}
	}
	return cols, true, nil
}

const sessionCols = `id, file_name, file_path, format, sheet, sheets, encoding, state, header_row, header_key, mapping,
	day_first, as_of, rows_read, stale, error, created_at, updated_at, checked_at, apply_started_at`

func scanSession(sc interface{ Scan(...any) error }) (Session, error) {
	var (
		ss                      Session
		sheetsJSON, mappingJSON string
		created, updated        string
		checked, applyStarted   sql.NullString
		format                  string
		headerRow               int
		dayFirst, stale         bool
	)
	if err := sc.Scan(&ss.ID, &ss.FileName, &ss.FilePath, &format, &ss.Sheet, &sheetsJSON, &ss.Encoding, &ss.State, &headerRow,
		&ss.HeaderKey, &mappingJSON, &dayFirst, &ss.AsOf, &ss.RowsRead, &stale, &ss.Error, &created, &updated, &checked, &applyStarted); err != nil {
		return Session{}, err
	}
	ss.Format, ss.DayFirst, ss.Stale = sheets.Format(format), dayFirst, stale
	_ = json.Unmarshal([]byte(sheetsJSON), &ss.Sheets)
	_ = json.Unmarshal([]byte(mappingJSON), &ss.Mapping)
	if ss.Mapping.Columns == nil {
		ss.Mapping.Columns = map[sheets.Field]int{}
	}
	ss.Mapping.HeaderRow = headerRow
	ss.CreatedAt, _ = time.Parse(cache.TimeLayout, created)
	ss.UpdatedAt, _ = time.Parse(cache.TimeLayout, updated)
	if checked.Valid {
		t, _ := time.Parse(cache.TimeLayout, checked.String)
		ss.CheckedAt = &t
	}
	if applyStarted.Valid {
		t, _ := time.Parse(cache.TimeLayout, applyStarted.String)
		ss.ApplyStartedAt = &t
	}
	return ss, nil
}

// Get returns a session with its counts.
func (s *Store) Get(ctx context.Context, id string) (Session, error) {
	ss, err := scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM import_sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, portal.Errorf(portal.ENOTFOUND, "There is no import %q; it may have been deleted.", id)
	}
	if err != nil {
		return Session{}, fmt.Errorf("read import %s: %w", id, err)
	}
	if err := s.fillCounts(ctx, &ss); err != nil {
		return Session{}, err
	}
	return ss, nil
}

func (s *Store) fillCounts(ctx context.Context, ss *Session) error {
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(excluded), 0) FROM import_rows WHERE session_id = ? AND row_number > ?`,
		ss.ID, ss.Mapping.HeaderRow).Scan(&ss.DataRows, &ss.Excluded); err != nil {
		return fmt.Errorf("count the rows of import %s: %w", ss.ID, err)
	}
	ss.Summary = make(map[quality.Code]int, len(quality.Codes))
	for _, c := range quality.Codes {
		ss.Summary[c] = 0
	}
	rows, err := s.db.QueryContext(ctx, `SELECT code, count(*) FROM import_findings WHERE session_id = ? GROUP BY code`, ss.ID)
	if err != nil {
		return fmt.Errorf("count the findings of import %s: %w", ss.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return err
		}
		ss.Summary[quality.Code(code)] = n
	}
	return rows.Err()
}

// List returns the sessions, most recently changed first; abandoned ones only if asked.
func (s *Store) List(ctx context.Context, withAbandoned bool) ([]Session, error) {
	q := `SELECT ` + sessionCols + ` FROM import_sessions`
	if !withAbandoned {
		q += ` WHERE state <> 'abandoned'`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY updated_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	var out []Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list imports: %w", err)
		}
		out = append(out, ss)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	for i := range out {
		if err := s.fillCounts(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Recover marks sessions that were still reading when the app stopped as abandoned, so
// the list does not show them as running. Call it once at start-up.
func (s *Store) Recover(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `UPDATE import_sessions SET state = 'abandoned', error = 'Gatehouse stopped while the file was being read. Import the file again.', updated_at = ?
		WHERE state = 'reading'`, s.now())
	if err != nil {
		return fmt.Errorf("tidy interrupted imports: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM import_rows WHERE session_id IN (SELECT id FROM import_sessions WHERE state = 'abandoned' AND format = '')`)
	return err
}

// SetMapping stores the administrator's mapping, remembers it for files with the same
// headers, and checks the rows: the session moves to review.
func (s *Store) SetMapping(ctx context.Context, id string, m sheets.Mapping) (Session, error) {
	ss, err := s.editable(ctx, id)
	if err != nil {
		return Session{}, err
	}
	var cj string
	err = s.db.QueryRowContext(ctx, `SELECT cells FROM import_rows WHERE session_id = ? AND row_number = ?`, id, m.HeaderRow).Scan(&cj)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, portal.FieldErrorf("headerRow", "Row %d of %s is empty, so it cannot be the header row. Choose the row with the column names.", m.HeaderRow, ss.FileName)
	}
	if err != nil {
		return Session{}, fmt.Errorf("read the header row: %w", err)
	}
	if err := json.Unmarshal([]byte(cj), &m.Headers); err != nil {
		return Session{}, fmt.Errorf("read the header row: %w", err)
	}
	if err := m.Validate(); err != nil {
		return Session{}, err
	}
	mj, _ := json.Marshal(m)
	colsJSON, _ := json.Marshal(m.Columns)
	hj, _ := json.Marshal(m.Headers)
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Session{}, err
	}
	defer tx.Rollback()
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`UPDATE import_sessions SET header_row = ?, header_key = ?, mapping = ?, state = 'review', stale = 1, updated_at = ? WHERE id = ?`,
			[]any{m.HeaderRow, m.HeaderKey(), string(mj), now, id}},
		{`INSERT INTO import_mappings (header_key, headers, columns, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (header_key) DO UPDATE SET headers = excluded.headers, columns = excluded.columns, updated_at = excluded.updated_at`,
			[]any{m.HeaderKey(), string(hj), string(colsJSON), now}},
		{`INSERT INTO import_changes (session_id, at, kind, after) VALUES (?, ?, 'mapping', ?)`, []any{id, now, string(mj)}},
	} {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return Session{}, fmt.Errorf("save the column mapping: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Session{}, fmt.Errorf("save the column mapping: %w", err)
	}
	return s.Recheck(ctx, id)
}

// SetOptions changes the as-of date and the day-first reading of texty dates, then
// checks again.
func (s *Store) SetOptions(ctx context.Context, id string, asOf time.Time, dayFirst bool) (Session, error) {
	if _, err := s.editable(ctx, id); err != nil {
		return Session{}, err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE import_sessions SET as_of = ?, day_first = ?, stale = 1, updated_at = ? WHERE id = ?`,
		asOf.Format("2006-01-02"), dayFirst, s.now(), id); err != nil {
		return Session{}, fmt.Errorf("save the import settings: %w", err)
	}
	return s.Recheck(ctx, id)
}

// editable returns the session if it may still be changed.
func (s *Store) editable(ctx context.Context, id string) (Session, error) {
	ss, err := scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM import_sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, portal.Errorf(portal.ENOTFOUND, "There is no import %q; it may have been deleted.", id)
	}
	if err != nil {
		return Session{}, fmt.Errorf("read import %s: %w", id, err)
	}
	switch {
	case ss.ApplyStartedAt != nil && ss.State == StateReview:
		return Session{}, portal.Errorf(portal.ECONFLICT, "The import of %s is being applied, so its rows can no longer change. Finish applying it; import the file again to start over.", ss.FileName)
	case ss.State == StateMapping || ss.State == StateReview:
		return ss, nil
	case ss.State == StateReading:
		return Session{}, portal.Errorf(portal.ECONFLICT, "%s is still being read; wait until it is done.", ss.FileName)
	}
	return Session{}, portal.Errorf(portal.ECONFLICT, "The import of %s is %s and can no longer be changed. Import the file again to start over.", ss.FileName, ss.State)
}

// MarkDistinct records that the rows are different people, each pair of them, so that no
// check flags them as a possible duplicate again, and checks the session again. It is in
// the session's log of changes like a fix.
func (s *Store) MarkDistinct(ctx context.Context, id string, rows []int) (Session, error) {
	if len(rows) < 2 {
		return Session{}, portal.FieldErrorf("rows", "Choose at least two rows that are different people.")
	}
	if _, err := s.editable(ctx, id); err != nil {
		return Session{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Session{}, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	now := s.now()
	for i, a := range rows {
		for _, b := range rows[i+1:] {
			if a == b {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO import_distinct (session_id, row_a, row_b, at) VALUES (?, ?, ?, ?)`,
				id, min(a, b), max(a, b), now); err != nil {
				return Session{}, fmt.Errorf("remember rows %d and %d as different people: %w", a, b, err)
			}
		}
	}
	rel, _ := json.Marshal(rows[1:])
	if _, err := tx.ExecContext(ctx, `INSERT INTO import_changes (session_id, at, kind, row_number, after, related) VALUES (?, ?, 'distinct', ?, 'different people', ?)`,
		id, now, rows[0], string(rel)); err != nil {
		return Session{}, fmt.Errorf("log the change: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE import_sessions SET stale = 1, updated_at = ? WHERE id = ?`, now, id); err != nil {
		return Session{}, err
	}
	if err := tx.Commit(); err != nil {
		return Session{}, err
	}
	return s.Recheck(ctx, id)
}

// distinct loads the pairs of rows the reviewer said are different people.
func (s *Store) distinct(ctx context.Context, id string) (map[[2]int]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT row_a, row_b FROM import_distinct WHERE session_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("read the rows marked as different people: %w", err)
	}
	defer rows.Close()
	out := map[[2]int]bool{}
	for rows.Next() {
		var a, b int
		if err := rows.Scan(&a, &b); err != nil {
			return nil, err
		}
		out[quality.PairKey(a, b)] = true
	}
	return out, rows.Err()
}

// Recheck runs every check again over the included rows with their fixes, and replaces
// the findings. It reads the known accounts from the directory.
func (s *Store) Recheck(ctx context.Context, id string) (Session, error) {
	ss, err := s.editable(ctx, id)
	if err != nil {
		return Session{}, err
	}
	known, err := s.dir.Load(ctx)
	if err != nil {
		return Session{}, fmt.Errorf("read the portal's accounts for the checks: %w", err)
	}
	records, err := s.records(ctx, ss, false)
	if err != nil {
		return Session{}, err
	}
	asOf, _ := time.Parse("2006-01-02", ss.AsOf)
	cfg := CheckConfig(ss.Mapping, asOf, ss.DayFirst, known.Accounts)
	if cfg.Distinct, err = s.distinct(ctx, id); err != nil {
		return Session{}, err
	}
	findings := quality.Check(records, cfg)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Session{}, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM import_findings WHERE session_id = ?`, id); err != nil {
		return Session{}, fmt.Errorf("save the findings: %w", err)
	}
	seqs := make([]int, len(findings)) // position of each finding within its row
	for i := 1; i < len(findings); i++ {
		if findings[i].Row == findings[i-1].Row {
			seqs[i] = seqs[i-1] + 1
		}
	}
	const per = 500
	for start := 0; start < len(findings); start += per {
		end := min(start+per, len(findings))
		q := make([]byte, 0, 128+(end-start)*24)
		q = append(q, "INSERT INTO import_findings (session_id, row_number, seq, code, field, column_name, message, related, action, suggestion) VALUES "...)
		args := make([]any, 0, 10*(end-start))
		for i := start; i < end; i++ {
			f := findings[i]
			if i > start {
				q = append(q, ',')
			}
			q = append(q, "(?,?,?,?,?,?,?,?,?,?)"...)
			rj, _ := json.Marshal(f.Related)
			args = append(args, id, f.Row, seqs[i], string(f.Code), f.Field, f.Column, f.Message, string(rj), string(f.Action), f.Suggestion)
		}
		if _, err := tx.ExecContext(ctx, string(q), args...); err != nil {
			return Session{}, fmt.Errorf("save the findings: %w", err)
		}
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE import_sessions SET stale = 0, checked_at = ?, updated_at = ?, state = 'review' WHERE id = ?`, now, now, id); err != nil {
		return Session{}, fmt.Errorf("save the findings: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Session{}, fmt.Errorf("save the findings: %w", err)
	}
	return s.Get(ctx, id)
}

// records loads the data rows with their fixes applied, as quality records.
func (s *Store) records(ctx context.Context, ss Session, withExcluded bool) ([]quality.Record, error) {
	q := `SELECT row_number, cells, edits FROM import_rows WHERE session_id = ? AND row_number > ?`
	if !withExcluded {
		q += ` AND excluded = 0`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY row_number`, ss.ID, ss.Mapping.HeaderRow)
	if err != nil {
		return nil, fmt.Errorf("read the rows of %s: %w", ss.FileName, err)
	}
	defer rows.Close()
	var out []quality.Record
	for rows.Next() {
		var n int
		var cj, ej string
		if err := rows.Scan(&n, &cj, &ej); err != nil {
			return nil, err
		}
		cells, err := effectiveCells(cj, ej)
		if err != nil {
			return nil, fmt.Errorf("row %d of %s is damaged in the local database: %w", n, ss.FileName, err)
		}
		out = append(out, RecordOf(n, cells, ss.Mapping))
	}
	return out, rows.Err()
}

// effectiveCells applies the stored fixes to the cells as read.
func effectiveCells(cellsJSON, editsJSON string) ([]string, error) {
	var cells []string
	if err := json.Unmarshal([]byte(cellsJSON), &cells); err != nil {
		return nil, err
	}
	if editsJSON == "" || editsJSON == "{}" {
		return cells, nil
	}
	var edits map[string]string
	if err := json.Unmarshal([]byte(editsJSON), &edits); err != nil {
		return nil, err
	}
	for k, v := range edits {
		col, err := strconv.Atoi(k)
		if err != nil || col < 1 {
			continue
		}
		for len(cells) < col {
			cells = append(cells, "")
		}
		cells[col-1] = v
	}
	return cells, nil
}

// Abandon gives a session up; its rows stay until Delete.
func (s *Store) Abandon(ctx context.Context, id string) error {
	return s.setState(ctx, id, StateAbandoned)
}

// MarkApplied records that the session's contacts were imported.
func (s *Store) MarkApplied(ctx context.Context, id string) error {
	return s.setState(ctx, id, StateApplied)
}

func (s *Store) setState(ctx context.Context, id string, st State) error {
	res, err := s.db.ExecContext(ctx, `UPDATE import_sessions SET state = ?, updated_at = ? WHERE id = ?`, string(st), s.now(), id)
	if err != nil {
		return fmt.Errorf("mark the import %s: %w", st, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return portal.Errorf(portal.ENOTFOUND, "There is no import %q; it may have been deleted.", id)
	}
	return nil
}

// Delete removes a session and everything stored with it.
func (s *Store) Delete(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM import_sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete the import: %w", err)
	}
	return nil
}
