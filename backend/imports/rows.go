package imports

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
)

// Filter selects rows in RowQuery.
type Filter string

const (
	FilterAll          Filter = ""             // every data row
	FilterIncluded     Filter = "included"     // rows not excluded
	FilterExcluded     Filter = "excluded"     // rows excluded or merged away
	FilterWithFindings Filter = "withFindings" // included rows with at least one finding
	FilterClean        Filter = "clean"        // included rows without findings
)

// RowQuery asks for one page of a session's data rows, in spreadsheet order.
type RowQuery struct {
	Offset int
	Limit  int // default 100, at most 1000
	Filter Filter
	// Code keeps only rows with a finding of this code.
	Code quality.Code
	// Search keeps rows with this text in any cell (case-insensitive for ASCII).
	Search string
}

// RowView is one row as the review table shows it.
type RowView struct {
	Row           int               `json:"row"`
	Cells         []string          `json:"cells"`  // with fixes applied
	Edited        []int             `json:"edited"` // columns (1-based) that were fixed
	Original      []string          `json:"original"`
	Excluded      bool              `json:"excluded"`
	ExcludeReason string            `json:"excludeReason,omitempty"`
	MergedInto    int               `json:"mergedInto,omitempty"`
	Findings      []quality.Finding `json:"findings"`
	// Result is what applying did with the row ("" before: see ResultQueued and the
	// others), with the reason for a skipped or refused row.
	Result       string `json:"result,omitempty"`
	ResultReason string `json:"resultReason,omitempty"`
}

// RowPage is a page of rows and how many rows match the query in all.
type RowPage struct {
	Total int       `json:"total"`
	Rows  []RowView `json:"rows"`
}

// Rows returns a page of a session's data rows with their findings.
func (s *Store) Rows(ctx context.Context, id string, q RowQuery) (RowPage, error) {
	ss, err := s.Get(ctx, id)
	if err != nil {
		return RowPage{}, err
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	where := []string{"r.session_id = ?", "r.row_number > ?"}
	args := []any{id, ss.Mapping.HeaderRow}
	hasFinding := `EXISTS (SELECT 1 FROM import_findings f WHERE f.session_id = r.session_id AND f.row_number = r.row_number)`
	switch q.Filter {
	case FilterAll:
	case FilterIncluded:
		where = append(where, "r.excluded = 0")
	case FilterExcluded:
		where = append(where, "r.excluded = 1")
	case FilterWithFindings:
		where = append(where, "r.excluded = 0", hasFinding)
	case FilterClean:
		where = append(where, "r.excluded = 0", "NOT "+hasFinding)
	default:
		return RowPage{}, portal.FieldErrorf("filter", "Unknown row filter %q.", q.Filter)
	}
	if q.Code != "" {
		if !slices.Contains(quality.Codes, q.Code) {
			return RowPage{}, portal.FieldErrorf("code", "Unknown finding code %q.", q.Code)
		}
		where = append(where, `EXISTS (SELECT 1 FROM import_findings f WHERE f.session_id = r.session_id AND f.row_number = r.row_number AND f.code = ?)`)
		args = append(args, string(q.Code))
	}
	if t := strings.TrimSpace(q.Search); t != "" {
		where = append(where, `(r.cells LIKE ? ESCAPE '\' OR r.edits LIKE ? ESCAPE '\')`)
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(jsonInner(t)) + "%"
		args = append(args, like, like)
	}
	cond := strings.Join(where, " AND ")
	var page RowPage
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM import_rows r WHERE `+cond, args...).Scan(&page.Total); err != nil {
		return RowPage{}, fmt.Errorf("count rows: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.row_number, r.cells, r.edits, r.excluded, r.exclude_reason, r.merged_into, r.result, r.result_reason FROM import_rows r WHERE `+
		cond+` ORDER BY r.row_number LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return RowPage{}, fmt.Errorf("read rows: %w", err)
	}
	byRow := map[int]int{}
	for rows.Next() {
		v, err := scanRowView(rows)
		if err != nil {
			rows.Close()
			return RowPage{}, err
		}
		byRow[v.Row] = len(page.Rows)
		page.Rows = append(page.Rows, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return RowPage{}, fmt.Errorf("read rows: %w", err)
	}
	if len(page.Rows) == 0 {
		page.Rows = []RowView{}
		return page, nil
	}
	fs, err := s.findings(ctx, id, page.Rows[0].Row, page.Rows[len(page.Rows)-1].Row)
	if err != nil {
		return RowPage{}, err
	}
	for _, f := range fs {
		if i, ok := byRow[f.Row]; ok {
			page.Rows[i].Findings = append(page.Rows[i].Findings, f)
		}
	}
	return page, nil
}

// jsonInner is how text appears inside the stored JSON arrays, without quotes.
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func scanRowView(sc interface{ Scan(...any) error }) (RowView, error) {
	var (
		v      RowView
		cj, ej string
		merged sql.NullInt64
	)
	if err := sc.Scan(&v.Row, &cj, &ej, &v.Excluded, &v.ExcludeReason, &merged, &v.Result, &v.ResultReason); err != nil {
		return RowView{}, err
	}
	if err := json.Unmarshal([]byte(cj), &v.Original); err != nil {
		return RowView{}, fmt.Errorf("row %d is damaged in the local database: %w", v.Row, err)
	}
	cells, err := effectiveCells(cj, ej)
	if err != nil {
		return RowView{}, fmt.Errorf("row %d is damaged in the local database: %w", v.Row, err)
	}
	v.Cells = cells
	v.Edited = []int{}
	var edits map[string]string
	_ = json.Unmarshal([]byte(ej), &edits)
	for k := range edits {
		if c, err := strconv.Atoi(k); err == nil {
			v.Edited = append(v.Edited, c)
		}
	}
	slices.Sort(v.Edited)
	v.MergedInto = int(merged.Int64)
	v.Findings = []quality.Finding{}
	return v, nil
}

func (s *Store) findings(ctx context.Context, id string, from, to int) ([]quality.Finding, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT row_number, code, field, column_name, message, related, action, suggestion
		FROM import_findings WHERE session_id = ? AND row_number BETWEEN ? AND ? ORDER BY row_number, seq`, id, from, to)
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	var out []quality.Finding
	for rows.Next() {
		var f quality.Finding
		var rj string
		if err := rows.Scan(&f.Row, &f.Code, &f.Field, &f.Column, &f.Message, &rj, &f.Action, &f.Suggestion); err != nil {
			return nil, fmt.Errorf("read findings: %w", err)
		}
		if err := json.Unmarshal([]byte(rj), &f.Related); err != nil || f.Related == nil {
			f.Related = []int{}
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Findings returns every finding of a session, ordered by row.
func (s *Store) Findings(ctx context.Context, id string) ([]quality.Finding, error) {
	return s.findings(ctx, id, 0, 1<<31-1)
}

// Row returns one data row.
func (s *Store) Row(ctx context.Context, id string, row int) (RowView, error) {
	v, err := scanRowView(s.db.QueryRowContext(ctx, `SELECT row_number, cells, edits, excluded, exclude_reason, merged_into, result, result_reason
		FROM import_rows WHERE session_id = ? AND row_number = ?`, id, row))
	if errors.Is(err, sql.ErrNoRows) {
		return RowView{}, portal.Errorf(portal.ENOTFOUND, "Row %d is empty or not in this import.", row)
	}
	if err != nil {
		return RowView{}, err
	}
	fs, err := s.findings(ctx, id, row, row)
	if err != nil {
		return RowView{}, err
	}
	if fs != nil {
		v.Findings = fs
	}
	return v, nil
}

// FixCell sets a cell of a data row to a new value; the value as read is kept. Setting
// it back to the value as read removes the fix. The findings become stale until Recheck.
func (s *Store) FixCell(ctx context.Context, id string, row, column int, value string) (RowView, error) {
	ss, err := s.editable(ctx, id)
	if err != nil {
		return RowView{}, err
	}
	if row <= ss.Mapping.HeaderRow {
		return RowView{}, portal.FieldErrorf("row", "Row %d is the header or above it; fix the data rows only.", row)
	}
	if column < 1 || column > 16384 {
		return RowView{}, portal.FieldErrorf("column", "Column %d does not exist.", column)
	}
	if len([]rune(value)) > 32767 {
		return RowView{}, portal.FieldErrorf("value", "A cell can hold at most 32,767 characters.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return RowView{}, err
	}
	defer tx.Rollback()
	var cj, ej string
	err = tx.QueryRowContext(ctx, `SELECT cells, edits FROM import_rows WHERE session_id = ? AND row_number = ?`, id, row).Scan(&cj, &ej)
	if errors.Is(err, sql.ErrNoRows) {
		return RowView{}, portal.Errorf(portal.ENOTFOUND, "Row %d is empty or not in this import.", row)
	}
	if err != nil {
		return RowView{}, fmt.Errorf("fix row %d: %w", row, err)
	}
	var cells []string
	var edits map[string]string
	if err := json.Unmarshal([]byte(cj), &cells); err != nil {
		return RowView{}, fmt.Errorf("row %d is damaged in the local database: %w", row, err)
	}
	if err := json.Unmarshal([]byte(ej), &edits); err != nil || edits == nil {
		edits = map[string]string{}
	}
	current, _ := effectiveCells(cj, ej)
	before := ""
	if column <= len(current) {
		before = current[column-1]
	}
	original := ""
	if column <= len(cells) {
		original = cells[column-1]
	}
	key := strconv.Itoa(column)
	if value == original {
		delete(edits, key)
	} else {
		edits[key] = value
	}
	nj, _ := json.Marshal(edits)
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE import_rows SET edits = ? WHERE session_id = ? AND row_number = ?`, string(nj), id, row); err != nil {
		return RowView{}, fmt.Errorf("fix row %d: %w", row, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO import_changes (session_id, at, kind, row_number, column_num, before, after) VALUES (?, ?, 'fix', ?, ?, ?, ?)`,
		id, now, row, column, before, value); err != nil {
		return RowView{}, fmt.Errorf("fix row %d: %w", row, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE import_sessions SET stale = 1, updated_at = ? WHERE id = ?`, now, id); err != nil {
		return RowView{}, fmt.Errorf("fix row %d: %w", row, err)
	}
	if err := tx.Commit(); err != nil {
		return RowView{}, fmt.Errorf("fix row %d: %w", row, err)
	}
	return s.Row(ctx, id, row)
}

// Exclude leaves rows out of the import (or takes them back in with excluded false).
// Taking a merged row back in undoes its merge.
func (s *Store) Exclude(ctx context.Context, id string, rows []int, excluded bool, reason string) error {
	ss, err := s.editable(ctx, id)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return portal.FieldErrorf("rows", "Choose the rows to %s.", map[bool]string{true: "exclude", false: "include again"}[excluded])
	}
	reason = strings.TrimSpace(reason)
	if excluded && reason == "" {
		reason = "Excluded by the administrator."
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	kind := "exclude"
	if !excluded {
		kind, reason = "include", ""
	}
	now := s.now()
	for _, r := range rows {
		if r <= ss.Mapping.HeaderRow {
			return portal.FieldErrorf("rows", "Row %d is the header or above it, not a contact.", r)
		}
		res, err := tx.ExecContext(ctx, `UPDATE import_rows SET excluded = ?, exclude_reason = ?, merged_into = NULL WHERE session_id = ? AND row_number = ?`,
			excluded, reason, id, r)
		if err != nil {
			return fmt.Errorf("%s row %d: %w", kind, r, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portal.Errorf(portal.ENOTFOUND, "Row %d is empty or not in this import.", r)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO import_changes (session_id, at, kind, row_number, after) VALUES (?, ?, ?, ?, ?)`,
			id, now, kind, r, reason); err != nil {
			return fmt.Errorf("%s row %d: %w", kind, r, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE import_sessions SET stale = 1, updated_at = ? WHERE id = ?`, now, id); err != nil {
		return err
	}
	return tx.Commit()
}

// Merge keeps row keep and excludes the others as merged into it, recording the merge.
func (s *Store) Merge(ctx context.Context, id string, keep int, others []int) error {
	ss, err := s.editable(ctx, id)
	if err != nil {
		return err
	}
	others = slices.DeleteFunc(slices.Clone(others), func(r int) bool { return r == keep })
	if len(others) == 0 {
		return portal.FieldErrorf("rows", "Choose at least one other row to merge into row %d.", keep)
	}
	if keep <= ss.Mapping.HeaderRow {
		return portal.FieldErrorf("keep", "Row %d is the header or above it, not a contact.", keep)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var keptExcluded bool
	err = tx.QueryRowContext(ctx, `SELECT excluded FROM import_rows WHERE session_id = ? AND row_number = ?`, id, keep).Scan(&keptExcluded)
	if errors.Is(err, sql.ErrNoRows) {
		return portal.Errorf(portal.ENOTFOUND, "Row %d is empty or not in this import.", keep)
	}
	if err != nil {
		return err
	}
	if keptExcluded {
		return portal.Errorf(portal.ECONFLICT, "Row %d is excluded; include it again before keeping it in a merge.", keep)
	}
	reason := fmt.Sprintf("Merged into row %d.", keep)
	for _, r := range others {
		if r <= ss.Mapping.HeaderRow {
			return portal.FieldErrorf("rows", "Row %d is the header or above it, not a contact.", r)
		}
		res, err := tx.ExecContext(ctx, `UPDATE import_rows SET excluded = 1, exclude_reason = ?, merged_into = ? WHERE session_id = ? AND row_number = ?`,
			reason, keep, id, r)
		if err != nil {
			return fmt.Errorf("merge row %d: %w", r, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portal.Errorf(portal.ENOTFOUND, "Row %d is empty or not in this import.", r)
		}
	}
	rj, _ := json.Marshal(others)
	now := s.now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO import_changes (session_id, at, kind, row_number, related) VALUES (?, ?, 'merge', ?, ?)`,
		id, now, keep, string(rj)); err != nil {
		return fmt.Errorf("record the merge: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE import_sessions SET stale = 1, updated_at = ? WHERE id = ?`, now, id); err != nil {
		return err
	}
	return tx.Commit()
}

// Change is one recorded change to a session.
type Change struct {
	At      string `json:"at"`
	Kind    string `json:"kind"` // fix, exclude, include, merge, mapping, distinct
	Row     int    `json:"row,omitempty"`
	Column  int    `json:"column,omitempty"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
	Related []int  `json:"related,omitempty"`
}

// Changes returns the session's changes, oldest first.
func (s *Store) Changes(ctx context.Context, id string) ([]Change, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, kind, row_number, column_num, before, after, related FROM import_changes WHERE session_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("read the changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var rj string
		if err := rows.Scan(&c.At, &c.Kind, &c.Row, &c.Column, &c.Before, &c.After, &rj); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(rj), &c.Related)
		out = append(out, c)
	}
	return out, rows.Err()
}
