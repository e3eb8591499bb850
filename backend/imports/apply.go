package imports

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

// Applying an import
//
// Apply turns the reviewed rows into the portal's organisations and contacts, exactly as
// the preview said, row by row. It does not talk to the server: it hands each row's change
// to a Queuer (the desktop's outbox), which checks it with the portal's rules, shows it at
// once and sends it when the portal is reachable. Every change carries an idempotency key
// and a record ID derived from the session and the row (or, for a new organisation, its
// name), so whatever happens — a crash between two steps, a cancel, a second click — a row
// is queued once, and the server creates it once.
//
// The rows go in chunks; after each, the rows' results are stored, so an interrupted
// apply resumes with the first row without one. A row whose key the outbox already holds
// was queued before the interruption and is recorded as such, not planned again.

// Results of a row, as the result file and the review screen name them.
const (
	ResultQueued  = "queued"  // waiting to be sent to the portal
	ResultCreated = "created" // the portal has the new contact
	ResultUpdated = "updated" // the portal's contact was changed
	ResultSkipped = "skipped" // left out, as the preview said, with the reason
	ResultRefused = "refused" // the portal (or its rules, checked on the desktop) refused it
)

// ApplyChange is one record an apply adds or changes. Exactly one of Organization and
// Contact is set; Update changes an existing contact.
type ApplyChange struct {
	Key          string
	Organization *portal.Organization
	Contact      *portal.Contact
	Update       bool
}

// ApplyOutcome is what became of a queued change: refused (with the reason) or queued.
type ApplyOutcome struct {
	Refused bool
	Reason  string
}

// ChangeState is where a queued change stands now.
type ChangeState struct {
	// Known is false when the queue no longer has the change (sent long ago and forgotten,
	// or discarded by the administrator).
	Known   bool
	Sent    bool
	Refused bool
	Reason  string
	// Update is true for a change to an existing contact; RecordID is the contact.
	Update   bool
	RecordID string
}

// Queuer queues an apply's changes, as the desktop's outbox does.
type Queuer interface {
	// Queue checks and queues the changes in order, all in one transaction, and says by key
	// which were refused. A key queued already is answered with the change there.
	Queue(ctx context.Context, changes []ApplyChange) (map[string]ApplyOutcome, error)
	// States says where the changes with these keys stand.
	States(ctx context.Context, keys []string) (map[string]ChangeState, error)
	// Exists reports whether the contact is in the local copy of the portal.
	Exists(ctx context.Context, contactID string) bool
}

// ApplyProgress is reported after each chunk.
type ApplyProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// ApplySummary counts what an apply did, row by row.
type ApplySummary struct {
	Queued           int  `json:"queued"`
	Created          int  `json:"created"`
	Updated          int  `json:"updated"`
	Skipped          int  `json:"skipped"`
	Refused          int  `json:"refused"`
	NotYet           int  `json:"notYet"` // rows without a result: the apply was interrupted
	Complete         bool `json:"complete"`
	Started          bool `json:"started"`
	WaitingForServer bool `json:"waitingForServer"`
}

// applyChunk is how many rows go to the outbox in one transaction: large enough that a
// 10,000-row file is a handful of disk syncs, small enough that a cancel is heard soon.
const applyChunk = 500

// RowKey is the idempotency key of the change an import row makes.
func RowKey(sessionID string, row int) string {
	return "imp-" + digest(fmt.Sprintf("%s\x00row\x00%d", sessionID, row))
}

// orgKey is the idempotency key of the organisation an import adds under this name.
func orgKey(sessionID, name string) string {
	return "imp-" + digest(sessionID+"\x00org\x00"+FoldName(name))
}

// rowContactID is the ID of the contact an import row creates.
func rowContactID(sessionID string, row int) string {
	return "con_imp" + digest(fmt.Sprintf("%s\x00row\x00%d", sessionID, row))[:20]
}

// newOrgID is the ID of an organisation an import adds.
func newOrgID(sessionID, name string) string {
	return "org_imp" + digest(sessionID + "\x00org\x00" + FoldName(name))[:20]
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))[:32]
}

// Apply applies the session's rows that have no result yet (all of them the first time):
// new organisations first, then each row's contact, in chunks, reporting progress after
// each. A cancelled ctx stops between chunks; everything done so far stays done and the
// next Apply resumes. The session is marked applied once every row has a result.
func (s *Store) Apply(ctx context.Context, id string, q Queuer, progress func(ApplyProgress)) (ApplySummary, error) {
	ss, err := s.Get(ctx, id)
	if err != nil {
		return ApplySummary{}, err
	}
	switch {
	case ss.State == StateApplied:
		return s.ApplyResults(ctx, id, q)
	case ss.State != StateReview:
		return ApplySummary{}, portal.Errorf(portal.ECONFLICT, "The import of %s is %s; map its columns and check it before applying it.", ss.FileName, ss.State)
	case ss.ApplyStartedAt == nil && ss.Stale:
		if ss, err = s.Recheck(ctx, id); err != nil {
			return ApplySummary{}, err
		}
	}
	if ss.ApplyStartedAt == nil {
		if _, err := s.db.ExecContext(ctx, `UPDATE import_sessions SET apply_started_at = ?, updated_at = ? WHERE id = ? AND apply_started_at IS NULL`,
			s.now(), s.now(), id); err != nil {
			return ApplySummary{}, fmt.Errorf("start applying %s: %w", ss.FileName, err)
		}
	}

	pending, err := s.unapplied(ctx, id, ss.Mapping.HeaderRow)
	if err != nil {
		return ApplySummary{}, err
	}
	total := ss.DataRows
	done := total - len(pending)
	report := func() {
		if progress != nil {
			progress(ApplyProgress{Done: done, Total: total})
		}
	}
	report()

	// Rows queued before an interruption: the outbox has their key.
	if len(pending) > 0 {
		keys := make([]string, len(pending))
		for i, r := range pending {
			keys[i] = RowKey(id, r)
		}
		states, err := q.States(ctx, keys)
		if err != nil {
			return ApplySummary{}, err
		}
		var left []int
		var recovered []rowResult
		for i, r := range pending {
			if st, ok := states[keys[i]]; ok && st.Known {
				action := PreviewCreate
				if st.Update {
					action = PreviewUpdate
				}
				recovered = append(recovered, rowResult{row: r, result: ResultQueued, key: keys[i], action: string(action), recordID: st.RecordID})
				continue
			}
			left = append(left, r)
		}
		if err := s.storeResults(ctx, id, recovered); err != nil {
			return ApplySummary{}, err
		}
		done += len(recovered)
		pending = left
	}

	// What the portal holds, read once: each chunk adds what it queued.
	known, err := s.dir.Load(ctx)
	if err != nil {
		return ApplySummary{}, fmt.Errorf("read the portal's contacts: %w", err)
	}
	for start := 0; start < len(pending); start += applyChunk {
		if err := ctx.Err(); err != nil {
			report()
			return s.ApplyResults(context.WithoutCancel(ctx), id, q)
		}
		chunk := pending[start:min(start+applyChunk, len(pending))]
		if err := s.applyChunk(ctx, ss, known, chunk, q); err != nil {
			return ApplySummary{}, err
		}
		done += len(chunk)
		report()
	}
	if err := s.setState(ctx, id, StateApplied); err != nil {
		return ApplySummary{}, err
	}
	return s.ApplyResults(ctx, id, q)
}

// unapplied lists the data rows without a result, in order.
func (s *Store) unapplied(ctx context.Context, id string, headerRow int) ([]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT row_number FROM import_rows WHERE session_id = ? AND row_number > ? AND result = '' ORDER BY row_number`, id, headerRow)
	if err != nil {
		return nil, fmt.Errorf("read the rows to apply: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var r int
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

type rowResult struct {
	row                              int
	result, reason, action, recordID string
	key                              string
}

// applyChunk plans the rows of chunk against what the portal holds now (organisations
// added by earlier chunks included), queues their changes and stores their results.
func (s *Store) applyChunk(ctx context.Context, ss Session, known Known, chunk []int, q Queuer) error {
	id := ss.ID
	plan, err := s.planRows(ctx, ss, known, chunk[0], chunk[len(chunk)-1])
	if err != nil {
		return err
	}
	inChunk := make(map[int]bool, len(chunk))
	for _, r := range chunk {
		inChunk[r] = true
	}
	var orgChanges []ApplyChange
	var results []rowResult
	contacts := map[int]ApplyChange{} // row -> its contact's change
	orgs := map[string]string{}       // folded name -> key of the organisation added in this chunk
	rowOrg := map[int]string{}        // row -> key of the new organisation it belongs to
	for _, p := range plan {
		if !inChunk[p.Row] {
			continue
		}
		key := RowKey(id, p.Row)
		if p.Action == PreviewSkip {
			results = append(results, rowResult{row: p.Row, result: ResultSkipped, reason: p.Reason})
			continue
		}
		c := p.Contact
		if p.NewOrganization {
			fold := FoldName(p.Organization)
			if _, ok := orgs[fold]; !ok {
				o := portal.Organization{ID: newOrgID(id, p.Organization), Name: strings.TrimSpace(p.Organization), Type: p.OrganizationType, Member: c.Member}
				orgs[fold] = orgKey(id, p.Organization)
				orgChanges = append(orgChanges, ApplyChange{Key: orgs[fold], Organization: &o})
			}
			c.OrganizationID = newOrgID(id, p.Organization)
			rowOrg[p.Row] = orgs[fold]
		}
		r := rowResult{row: p.Row, result: ResultQueued, key: key, action: string(p.Action)}
		if p.Action == PreviewUpdate {
			c.ID = p.ContactID
		} else {
			c.ID = rowContactID(id, p.Row)
		}
		contacts[p.Row] = ApplyChange{Key: key, Contact: &c, Update: p.Action == PreviewUpdate}
		r.recordID = c.ID
		results = append(results, r)
	}
	fail := func(err error) error {
		return fmt.Errorf("queue the rows %d–%d of %s: %w", chunk[0], chunk[len(chunk)-1], ss.FileName, err)
	}
	// The organisations first, so that no contact is queued into one that was refused.
	orgOut, err := q.Queue(ctx, orgChanges)
	if err != nil {
		return fail(err)
	}
	var changes []ApplyChange
	for i := range results {
		r := &results[i]
		if r.result != ResultQueued {
			continue
		}
		if o, ok := orgOut[rowOrg[r.row]]; ok && o.Refused {
			r.result, r.reason, r.recordID, r.key = ResultRefused, "The organisation could not be added: "+o.Reason, "", ""
			continue
		}
		changes = append(changes, contacts[r.row])
	}
	out, err := q.Queue(ctx, changes)
	if err != nil {
		return fail(err)
	}
	for i := range results {
		r := &results[i]
		if o, ok := out[r.key]; ok && o.Refused && r.result == ResultQueued {
			r.result, r.reason, r.recordID = ResultRefused, o.Reason, ""
		}
	}
	// What the next chunks see: the organisations and contacts queued now, as the local
	// copy shows them from now on.
	for _, ch := range orgChanges {
		if o := orgOut[ch.Key]; !o.Refused {
			known.Organizations[FoldName(ch.Organization.Name)] = ch.Organization.ID
		}
	}
	for _, r := range results {
		if r.result == ResultQueued {
			c := contacts[r.row].Contact
			known.Contacts[quality.EmailKey(c.Email)] = KnownContact{ID: c.ID, OrganizationID: c.OrganizationID, FullName: c.FullName, Phone: c.Phone, Position: c.Position}
		}
	}
	return s.storeResults(ctx, id, results)
}

// planRows is the preview of rows from..to (inclusive), against known.
func (s *Store) planRows(ctx context.Context, ss Session, known Known, from, to int) ([]PreviewRow, error) {
	all, err := s.findings(ctx, ss.ID, from, to)
	if err != nil {
		return nil, err
	}
	byRow := map[int][]quality.Finding{}
	for _, f := range all {
		byRow[f.Row] = append(byRow[f.Row], f)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT row_number, cells, edits, excluded, exclude_reason, merged_into, result, result_reason FROM import_rows
		WHERE session_id = ? AND row_number BETWEEN ? AND ? ORDER BY row_number`, ss.ID, from, to)
	if err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	defer rows.Close()
	var out []PreviewRow
	for rows.Next() {
		v, err := scanRowView(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, planView(v, ss, byRow[v.Row], known))
	}
	return out, rows.Err()
}

// storeResults records the rows' results in one transaction, synced like every change of
// a session.
func (s *Store) storeResults(ctx context.Context, id string, results []rowResult) error {
	if len(results) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	stmt, err := tx.PrepareContext(ctx, `UPDATE import_rows SET result = ?, result_reason = ?, apply_action = ?, record_id = ?, change_key = ?
		WHERE session_id = ? AND row_number = ?`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range results {
		if _, err := stmt.ExecContext(ctx, r.result, r.reason, r.action, r.recordID, r.key, id, r.row); err != nil {
			return fmt.Errorf("record the result of row %d: %w", r.row, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE import_sessions SET updated_at = ? WHERE id = ?`, s.now(), id); err != nil {
		return err
	}
	return tx.Commit()
}

// RowResult is what applying did with one row.
type RowResult struct {
	Row      int    `json:"row"`
	Result   string `json:"result"` // "" when not applied yet
	Reason   string `json:"reason,omitempty"`
	Action   string `json:"action,omitempty"`
	RecordID string `json:"recordId,omitempty"`
}

// ApplyResults brings the queued rows' results up to date with the outbox (sent:
// created or updated; refused: with the portal's reason) and counts them.
func (s *Store) ApplyResults(ctx context.Context, id string, q Queuer) (ApplySummary, error) {
	ss, err := s.Get(ctx, id)
	if err != nil {
		return ApplySummary{}, err
	}
	if err := s.settle(ctx, ss, q); err != nil {
		return ApplySummary{}, err
	}
	sum := ApplySummary{Started: ss.ApplyStartedAt != nil, Complete: ss.State == StateApplied}
	rows, err := s.db.QueryContext(ctx, `SELECT result, count(*) FROM import_rows WHERE session_id = ? AND row_number > ? GROUP BY result`, id, ss.Mapping.HeaderRow)
	if err != nil {
		return ApplySummary{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var res string
		var n int
		if err := rows.Scan(&res, &n); err != nil {
			return ApplySummary{}, err
		}
		switch res {
		case ResultQueued:
			sum.Queued = n
		case ResultCreated:
			sum.Created = n
		case ResultUpdated:
			sum.Updated = n
		case ResultSkipped:
			sum.Skipped = n
		case ResultRefused:
			sum.Refused = n
		default:
			sum.NotYet = n
		}
	}
	sum.WaitingForServer = sum.Queued > 0
	return sum, rows.Err()
}

// settle looks up the queued rows' changes and stores their outcome once it is final.
func (s *Store) settle(ctx context.Context, ss Session, q Queuer) error {
	rows, err := s.db.QueryContext(ctx, `SELECT row_number, change_key, apply_action, record_id FROM import_rows WHERE session_id = ? AND result = ?`, ss.ID, ResultQueued)
	if err != nil {
		return err
	}
	var queued []rowResult
	for rows.Next() {
		var r rowResult
		if err := rows.Scan(&r.row, &r.key, &r.action, &r.recordID); err != nil {
			rows.Close()
			return err
		}
		queued = append(queued, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(queued) == 0 || q == nil {
		return err
	}
	keys := make([]string, len(queued))
	for i, r := range queued {
		keys[i] = r.key
	}
	states, err := q.States(ctx, keys)
	if err != nil {
		return err
	}
	var final []rowResult
	for _, r := range queued {
		st := states[r.key]
		switch {
		case st.Known && st.Sent, !st.Known && q.Exists(ctx, r.recordID):
			r.result = ResultCreated
			if r.action == string(PreviewUpdate) {
				r.result = ResultUpdated
			}
		case st.Known && st.Refused:
			r.result, r.reason = ResultRefused, st.Reason
		case !st.Known:
			r.result, r.reason = ResultRefused, "The change was discarded before it was sent."
		default:
			continue
		}
		final = append(final, r)
	}
	return s.storeResults(ctx, ss.ID, final)
}

// Results returns every data row's result, in order.
func (s *Store) Results(ctx context.Context, id string) ([]RowResult, error) {
	ss, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT row_number, result, result_reason, apply_action, record_id FROM import_rows
		WHERE session_id = ? AND row_number > ? ORDER BY row_number`, id, ss.Mapping.HeaderRow)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RowResult
	for rows.Next() {
		var r RowResult
		if err := rows.Scan(&r.Row, &r.Result, &r.Reason, &r.Action, &r.RecordID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// resultLabel is a row's result as the result file says it.
func resultLabel(result string) string {
	switch result {
	case ResultQueued:
		return "Waiting to be sent"
	case ResultCreated:
		return "Created"
	case ResultUpdated:
		return "Updated"
	case ResultSkipped:
		return "Skipped"
	case ResultRefused:
		return "Refused"
	}
	return "Not applied"
}

// ExportResults writes the sheet as it was read, every column and row in its place, with
// three columns added — Result, Reason, Gatehouse id — so that the administrator can fix
// the source system from their own file. Queued rows are brought up to date first.
func (s *Store) ExportResults(ctx context.Context, id string, q Queuer, w io.Writer) error {
	ss, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.settle(ctx, ss, q); err != nil {
		return err
	}
	var header []string
	if ss.Mapping.HeaderRow > 0 {
		if err := s.db.QueryRowContext(ctx, `SELECT cells FROM import_rows WHERE session_id = ? AND row_number = ?`, id, ss.Mapping.HeaderRow).Scan(jsonStrings{&header}); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read the header row of %s: %w", ss.FileName, err)
		}
	}
	width := len(header)
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(json_array_length(cells)), 0) FROM import_rows WHERE session_id = ?`, id).Scan(&width); err != nil {
		return err
	}
	width = max(width, len(header))
	cols := make([]sheets.Column, 0, width+3)
	for i := range width {
		h := ""
		if i < len(header) {
			h = header[i]
		}
		if strings.TrimSpace(h) == "" {
			h = "Column " + sheets.ColumnName(i+1)
		}
		cols = append(cols, sheets.Column{Header: h})
	}
	cols = append(cols, sheets.Column{Header: "Result"}, sheets.Column{Header: "Reason", Width: 60, Wrap: true}, sheets.Column{Header: "Gatehouse id", Width: 32})
	t := sheets.Table{Name: "Result", Columns: cols, Each: func(yield func([]any) error) error {
		rows, err := s.db.QueryContext(ctx, `SELECT cells, result, result_reason, record_id FROM import_rows
			WHERE session_id = ? AND row_number > ? ORDER BY row_number`, id, ss.Mapping.HeaderRow)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cells []string
			var result, reason, recordID string
			if err := rows.Scan(jsonStrings{&cells}, &result, &reason, &recordID); err != nil {
				return err
			}
			out := make([]any, width+3)
			for i := range width {
				if i < len(cells) {
					out[i] = cells[i]
				} else {
					out[i] = ""
				}
			}
			out[width], out[width+1], out[width+2] = resultLabel(result), reason, recordID
			if err := yield(out); err != nil {
				return err
			}
		}
		return rows.Err()
	}}
	if err := sheets.WriteTables(w, t); err != nil {
		return fmt.Errorf("write the result of importing %s: %w", ss.FileName, err)
	}
	return nil
}

// jsonStrings scans a JSON array of strings.
type jsonStrings struct{ v *[]string }

func (j jsonStrings) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	case nil:
		*j.v = nil
		return nil
	default:
		return fmt.Errorf("cells are %T, not JSON text", src)
	}
	return json.Unmarshal(b, j.v)
}
