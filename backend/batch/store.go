package batch

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// Kind is what a batch sends.
type Kind string

const (
	KindInvitation      Kind = "invitation"       // an invitation created on the server, then e-mailed
	KindPreNotification Kind = "pre_notification" // "your invitation is coming": e-mail only
	KindReminder        Kind = "reminder"         // a new link for an invitation not yet accepted
)

func (k Kind) templateKey() string {
	switch k {
	case KindPreNotification:
		return mail.KeyPreNotification
	case KindReminder:
		return mail.KeyReminder
	}
	return mail.KeyInvitation
}

// needsInvite reports whether each recipient needs an invitation (a link) before the
// e-mail.
func (k Kind) needsInvite() bool { return k != KindPreNotification }

// CarriesLinks says the batch's messages hold a one-time link to the portal.
func (k Kind) CarriesLinks() bool { return k.needsInvite() }

// readyState is the state of a recipient whose e-mail can be sent.
func (k Kind) readyState() State {
	if k.needsInvite() {
		return StateInvited
	}
	return StateQueued
}

// BatchState is where a batch stands.
type BatchState string

const (
	BatchReady     BatchState = "ready"     // formed, nothing running
	BatchSending   BatchState = "sending"   // a run is going (or was interrupted by a crash)
	BatchPaused    BatchState = "paused"    // stopped by the administrator or by a failure (LastError)
	BatchCancelled BatchState = "cancelled" // the rest will not be sent
	BatchDone      BatchState = "done"      // nothing left to send; unknowns may await a decision
)

// State is where one recipient stands.
type State string

const (
	StateExcluded  State = "excluded"  // left out, with the reasons
	StateQueued    State = "queued"    // waiting
	StateInviting  State = "inviting"  // the invitation is being created on the server
	StateInvited   State = "invited"   // the link is known; the e-mail is next
	StateSending   State = "sending"   // being handed to the mail server
	StateSent      State = "sent"      // the mail server accepted it
	StateFailed    State = "failed"    // refused (LastError has the server's reply)
	StateUnknown   State = "unknown"   // may or may not have been delivered: needs a decision
	StateCancelled State = "cancelled" // not sent because the batch was cancelled
)

// StateCounts is how many recipients of a batch are in each state.
type StateCounts struct {
	Total     int `json:"total"` // every recipient but the excluded ones
	Excluded  int `json:"excluded"`
	Queued    int `json:"queued"`
	Inviting  int `json:"inviting"`
	Invited   int `json:"invited"`
	Sending   int `json:"sending"`
	Sent      int `json:"sent"`
	Failed    int `json:"failed"`
	Unknown   int `json:"unknown"`
	Cancelled int `json:"cancelled"`
}

// Done is how many recipients are finished: sent, failed or unknown.
func (c StateCounts) Done() int { return c.Sent + c.Failed + c.Unknown }

// Remaining is how many recipients a run would still send.
func (c StateCounts) Remaining() int { return c.Queued + c.Inviting + c.Invited + c.Sending }

func (c *StateCounts) add(s State, n int) {
	switch s {
	case StateExcluded:
		c.Excluded += n
		return
	case StateQueued:
		c.Queued += n
	case StateInviting:
		c.Inviting += n
	case StateInvited:
		c.Invited += n
	case StateSending:
		c.Sending += n
	case StateSent:
		c.Sent += n
	case StateFailed:
		c.Failed += n
	case StateUnknown:
		c.Unknown += n
	case StateCancelled:
		c.Cancelled += n
	}
	c.Total += n
}

// move counts one recipient leaving one state for another.
func (c *StateCounts) move(from, to State) {
	c.add(from, -1)
	c.add(to, 1)
}

// Batch is a formed batch.
type Batch struct {
	ID            string          `json:"id"`
	Kind          Kind            `json:"kind"`
	Name          string          `json:"name"`
	ParentID      string          `json:"parentId,omitempty"`
	Source        string          `json:"source"`
	Selection     json.RawMessage `json:"selection"`
	Template      mail.Template   `json:"template"`
	ProductName   string          `json:"productName"`
	InvitedBy     string          `json:"invitedBy"`
	From          string          `json:"from"`
	ExpiresInDays int             `json:"expiresInDays"`
	State         BatchState      `json:"state"`
	LastError     string          `json:"lastError,omitempty"`
	CreatedBy     string          `json:"createdBy"`
	CreatedAt     time.Time       `json:"createdAt"`
	UpdatedAt     time.Time       `json:"updatedAt"`
	StartedAt     *time.Time      `json:"startedAt,omitempty"`
	FinishedAt    *time.Time      `json:"finishedAt,omitempty"`
	Counts        StateCounts     `json:"counts"`

	lease lease
}

// composer returns the batch's message renderer.
func (b Batch) composer() (Composer, error) {
	c := Composer{BatchID: b.ID, Template: b.Template, ProductName: b.ProductName, InvitedBy: b.InvitedBy}
	if b.From != "" {
		var err error
		if c.From, err = parseFrom(b.From); err != nil {
			return Composer{}, err
		}
	}
	return c, nil
}

// Recipient is one row of a batch.
type Recipient struct {
	BatchID string `json:"batchId"`
	Seq     int    `json:"seq"`
	RowPlan
	Replaces      string     `json:"replaces,omitempty"`
	State         State      `json:"state"`
	MessageID     string     `json:"messageId"`
	InvitationID  string     `json:"invitationId,omitempty"`
	ExpiresAt     *time.Time `json:"expiresAt,omitempty"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// Stage, SMTPCode and LastError describe the last failure: the step (invite, dial,
	// mail, rcpt, data, reply), the mail server's reply code and the full explanation
	// with the server's own words.
	Stage        string     `json:"stage,omitempty"`
	SMTPCode     int        `json:"smtpCode,omitempty"`
	LastError    string     `json:"lastError,omitempty"`
	TimesUnknown int        `json:"timesUnknown"`
	Decision     Decision   `json:"decision,omitempty"`
	DecidedBy    string     `json:"decidedBy,omitempty"`
	DecidedAt    *time.Time `json:"decidedAt,omitempty"`
	SentAt       *time.Time `json:"sentAt,omitempty"`
	UpdatedAt    time.Time  `json:"updatedAt"`

	idempotencyKey string
	url            string // the one-time link: never shown, never leaves the cache but in the e-mail
}

// Store keeps batches in the desktop cache (tables batch*, this package's migrations/0020_batches.sql, registered with cache.Open).
type Store struct {
	db    *cache.DB
	clock portal.Clock
	boot  string

	mu      sync.Mutex
	running map[string]bool // batches a run of this process is sending
}

// NewStore returns the batch store on the cache db; times come from the cache's clock.
func NewStore(db *cache.DB) *Store {
	return &Store{db: db, clock: db.Clock(), boot: bootID(), running: map[string]bool{}}
}

// durable runs fn in a write transaction committed with synchronous=FULL.
func (s *Store) durable(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.db.ApplyDurable(ctx, func(tx *cache.Tx) error { return fn(tx.SQL()) })
}

// quick runs fn in a write transaction committed with synchronous=NORMAL: it survives the
// process dying, not a power cut (see doc.go for where that is enough). It goes straight
// to the cache's writer connection: these commits touch only the batch tables, once per
// message, and need none of the cache's bookkeeping for mirrored records.
func (s *Store) quick(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin a write to the local database: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save to the local database: %w", err)
	}
	return nil
}

// ---- encoding ----

// The desktop database's one time codec.
var (
	fmtTime    = cache.FormatTime
	fmtTimePtr = cache.FormatTimePtr
	scanTime   = cache.Time
	scanOpt    = cache.OptTime
)

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain slices and structs are encoded here
	}
	return string(b)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func newID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}

// ---- forming ----

// selectionRecord is what is kept of FormOptions to show how a batch was formed.
type selectionRecord struct {
	OrganizationTypes []string    `json:"organizationTypes"`
	Membership        Membership  `json:"membership"`
	SortBy            SortKey     `json:"sortBy"`
	Letters           LetterRange `json:"letters"`
	Selected          int         `json:"selected"` // rows explicitly selected; 0: all that passed the filters
	Roles             []string    `json:"roles"`
	RoleNames         []string    `json:"roleNames"`
	Overrides         int         `json:"overrides"`
}

// Create forms an invitation batch: MakePlan, then, if no row needs a decision, stores the
// batch with every selected row (excluded ones with their reasons), a stable Message-ID
// and an idempotency key for each recipient, and the overrides with who made them. Rows
// that need a decision (duplicates) make it refuse, naming them.
func (s *Store) Create(ctx context.Context, cands []Candidate, opt FormOptions) (Batch, error) {
	plan, err := MakePlan(cands, opt)
	if err != nil {
		return Batch{}, err
	}
	if plan.Counts.NeedsDecision > 0 {
		return Batch{}, needsDecisionError(plan)
	}
	if plan.Counts.WillSend == 0 {
		return Batch{}, portal.Errorf(portal.EINVALID, "None of the %d selected rows can be invited (%d excluded). Change the selection, or override findings where that is right.", plan.Counts.Selected, plan.Counts.Excluded)
	}
	id := newID("bat")
	comp, err := composerFor(id, KindInvitation, opt)
	if err != nil {
		return Batch{}, err
	}
	name := strings.TrimSpace(opt.Name)
	if name == "" {
		name = defaultName(plan, opt)
	}
	sel := selectionRecord{OrganizationTypes: opt.OrganizationTypes, Membership: opt.Membership, SortBy: opt.sortBy(),
		Letters: opt.Letters, Selected: len(opt.Select), Roles: opt.Roles, RoleNames: opt.RoleNames, Overrides: len(opt.Overrides)}
	b := newBatch(id, KindInvitation, name, "", opt.Source, comp, opt, jsonText(sel), s.clock.Now())
	rs := make([]Recipient, len(plan.Recipients))
	for i, p := range plan.Recipients {
		rs[i] = Recipient{RowPlan: p.RowPlan}
	}
	overrides := map[string][]Override{}
	for _, ov := range opt.Overrides {
		overrides[ov.RowRef] = append(overrides[ov.RowRef], ov)
	}
	err = s.durable(ctx, func(tx *sql.Tx) error {
		domain := opt.MessageIDDomain
		if domain == "" {
			domain = messageIDDomain(comp.From.Address)
		}
		if err := insertBatch(ctx, tx, b, rs, domain); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO batch_overrides(batch_id, row_ref, code, reason, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range plan.Recipients {
			for _, ov := range overrides[p.RowRef] {
				if _, err := stmt.ExecContext(ctx, id, ov.RowRef, ov.Code, strings.TrimSpace(ov.Reason), opt.By, fmtTime(b.CreatedAt)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Batch{}, fmt.Errorf("save the batch %q to the local database: %w", name, err)
	}
	return s.Get(ctx, id)
}

func needsDecisionError(plan Plan) error {
	byCode := map[string][]string{}
	var codes []string
	for _, p := range plan.Recipients {
		if p.Outcome != OutcomeNeedsDecision {
			continue
		}
		for _, r := range p.Reasons {
			if NeedsResolution(r.Code) {
				if byCode[r.Code] == nil {
					codes = append(codes, r.Code)
				}
				if !slices.Contains(byCode[r.Code], p.RowRef) {
					byCode[r.Code] = append(byCode[r.Code], p.RowRef)
				}
			}
		}
	}
	var parts []string
	for _, c := range codes {
		refs := byCode[c]
		shown := refs[:min(len(refs), 20)]
		part := reasonFor(c).Label + ": " + strings.Join(shown, ", ")
		if len(refs) > len(shown) {
			part += fmt.Sprintf(" and %d more", len(refs)-len(shown))
		}
		parts = append(parts, part)
	}
	return portal.Errorf(portal.ECONFLICT, "The batch was not formed: %d rows must be resolved first (%s). Merge or exclude the duplicate rows in the import, leave them out of the selection, or, for possible duplicates that are different people, override.", plan.Counts.NeedsDecision, strings.Join(parts, "; "))
}

func defaultName(plan Plan, opt FormOptions) string {
	var first, last string
	for _, p := range plan.Recipients {
		if p.Outcome == OutcomeSend {
			if first == "" {
				first = p.Letter
			}
			last = p.Letter
		}
	}
	by := "organisations"
	if opt.sortBy() == SortSurname {
		by = "surnames"
	}
	if first == last {
		return fmt.Sprintf("Invitations, %s %s", by, first)
	}
	return fmt.Sprintf("Invitations, %s %s–%s", by, first, last)
}

func newBatch(id string, kind Kind, name, parent, source string, comp Composer, opt FormOptions, selection string, now time.Time) Batch {
	from := ""
	if comp.From.Address != "" {
		from = comp.From.String()
	}
	return Batch{ID: id, Kind: kind, Name: name, ParentID: parent, Source: source, Selection: json.RawMessage(selection),
		Template: comp.Template, ProductName: opt.ProductName, InvitedBy: opt.InvitedBy, From: from,
		ExpiresInDays: opt.ExpiresInDays, State: BatchReady, CreatedBy: opt.By, CreatedAt: now, UpdatedAt: now}
}

func messageIDDomain(from string) string {
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		return from[at+1:]
	}
	return ""
}

// insertBatch stores a batch and its recipients, numbering them in order. Recipients to
// send get their Message-ID and idempotency key now, before anything can be sent.
func insertBatch(ctx context.Context, tx *sql.Tx, b Batch, rs []Recipient, msgDomain string) error {
	now := fmtTime(b.CreatedAt)
	if _, err := tx.ExecContext(ctx, `INSERT INTO batches(id, kind, name, parent_id, source, selection, template, product_name,
		invited_by, from_addr, expires_in_days, state, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.Kind, b.Name, b.ParentID, b.Source, string(b.Selection), jsonText(b.Template), b.ProductName, b.InvitedBy,
		b.From, b.ExpiresInDays, b.State, b.CreatedBy, now, now); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO batch_recipients(batch_id, seq, row_ref, contact_id, account_id,
		organization_id, organization_name, organization_type, member, name, first_name, last_name, email, findings,
		reasons, overridden, roles, notes, replaces, state, message_id, idempotency_key, invitation_id, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, r := range rs {
		seq := i + 1
		state, msgID, key := StateExcluded, "", ""
		if r.Outcome == OutcomeSend {
			state, msgID = StateQueued, mail.NewMessageID(msgDomain)
			if b.Kind.needsInvite() {
				// Derived from the random batch ID, so unique on the server; stored here
				// before the server is ever asked.
				key = "gatehouse/" + b.ID + "/" + strconv.Itoa(seq)
			}
		}
		c := r.Candidate
		findings := c.Findings
		if findings == nil {
			findings = []string{}
		}
		if _, err := stmt.ExecContext(ctx, b.ID, seq, c.RowRef, c.ContactID, c.AccountID, c.OrganizationID, c.OrganizationName,
			c.OrganizationType, boolInt(c.Member), c.Name, c.FirstName, c.LastName, strings.TrimSpace(c.Email), jsonText(findings),
			jsonText(nonNil(r.Reasons)), jsonText(nonNil(r.Overridden)), jsonText(nonNil(r.Roles)), jsonText(nonNil(r.Notes)),
			r.Replaces, state, msgID, key, r.InvitationID, now); err != nil {
			return fmt.Errorf("store row %s: %w", c.RowRef, err)
		}
	}
	return nil
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// ---- reading ----

const batchCols = `id, kind, name, parent_id, source, selection, template, product_name, invited_by, from_addr,
	expires_in_days, state, last_error, created_by, created_at, updated_at, started_at, finished_at,
	lease_owner, lease_pid, lease_boot, lease_until`

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanBatch(row interface{ Scan(...any) error }) (Batch, error) {
	var b Batch
	var sel, tmpl string
	if err := row.Scan(&b.ID, &b.Kind, &b.Name, &b.ParentID, &b.Source, &sel, &tmpl, &b.ProductName, &b.InvitedBy, &b.From,
		&b.ExpiresInDays, &b.State, &b.LastError, &b.CreatedBy, scanTime(&b.CreatedAt), scanTime(&b.UpdatedAt),
		scanOpt(&b.StartedAt), scanOpt(&b.FinishedAt),
		&b.lease.owner, &b.lease.pid, &b.lease.boot, scanOpt(&b.lease.until)); err != nil {
		return b, err
	}
	b.Selection = json.RawMessage(sel)
	if err := json.Unmarshal([]byte(tmpl), &b.Template); err != nil {
		return b, fmt.Errorf("the local database holds a damaged template for batch %s: %w", b.ID, err)
	}
	return b, nil
}

func getBatch(ctx context.Context, q queryer, id string) (Batch, error) {
	b, err := scanBatch(q.QueryRowContext(ctx, "SELECT "+batchCols+" FROM batches WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, portal.Errorf(portal.ENOTFOUND, "There is no batch %q; it may have been deleted. Refresh the list.", id)
	} else if err != nil {
		return b, fmt.Errorf("read batch %s from the local database: %w", id, err)
	}
	b.Counts, err = countStates(ctx, q, id)
	return b, err
}

func countStates(ctx context.Context, q queryer, id string) (StateCounts, error) {
	var c StateCounts
	rows, err := q.QueryContext(ctx, "SELECT state, count(*) FROM batch_recipients WHERE batch_id = ? GROUP BY state", id)
	if err != nil {
		return c, fmt.Errorf("count the recipients of batch %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s State
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return c, err
		}
		c.add(s, n)
	}
	return c, rows.Err()
}

// Get returns a batch with its counts.
func (s *Store) Get(ctx context.Context, id string) (Batch, error) {
	return getBatch(ctx, s.db.ReadSQL(), id)
}

// Names returns every batch's name by its ID, for reports that label invitations.
func (s *Store) Names(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.ReadSQL().QueryContext(ctx, "SELECT id, name FROM batches")
	if err != nil {
		return nil, fmt.Errorf("read the batches' names from the local database: %w", err)
	}
	defer rows.Close()
	names := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}

// List returns every batch, newest first, with its counts.
func (s *Store) List(ctx context.Context) ([]Batch, error) {
	rows, err := s.db.ReadSQL().QueryContext(ctx, "SELECT "+batchCols+" FROM batches ORDER BY created_at DESC, id")
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	var out []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Counts, err = countStates(ctx, s.db.ReadSQL(), out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const recipientCols = `batch_id, seq, row_ref, contact_id, account_id, organization_id, organization_name, organization_type,
	member, name, first_name, last_name, email, findings, reasons, overridden, roles, notes, replaces, state, message_id,
	idempotency_key, invitation_id, invitation_url, expires_at, attempts, next_attempt_at, stage, smtp_code, last_error,
	times_unknown, decision, decided_by, decided_at, sent_at, updated_at`

func scanRecipient(row interface{ Scan(...any) error }) (Recipient, error) {
	var r Recipient
	var member int
	var findings, reasons, overridden, roles, notes string
	if err := row.Scan(&r.BatchID, &r.Seq, &r.RowRef, &r.ContactID, &r.AccountID, &r.OrganizationID, &r.OrganizationName,
		&r.OrganizationType, &member, &r.Name, &r.FirstName, &r.LastName, &r.Email, &findings, &reasons, &overridden, &roles,
		&notes, &r.Replaces, &r.State, &r.MessageID, &r.idempotencyKey, &r.InvitationID, &r.url, scanOpt(&r.ExpiresAt),
		&r.Attempts, scanOpt(&r.NextAttemptAt), &r.Stage, &r.SMTPCode, &r.LastError, &r.TimesUnknown, &r.Decision,
		&r.DecidedBy, scanOpt(&r.DecidedAt), scanOpt(&r.SentAt), scanTime(&r.UpdatedAt)); err != nil {
		return r, err
	}
	r.Member = member != 0
	for _, f := range []struct {
		s string
		v any
	}{{findings, &r.Findings}, {reasons, &r.Reasons}, {overridden, &r.Overridden}, {roles, &r.Roles}, {notes, &r.Notes}} {
		if err := json.Unmarshal([]byte(f.s), f.v); err != nil {
			return r, fmt.Errorf("the local database holds a damaged list for row %s of batch %s: %w", r.RowRef, r.BatchID, err)
		}
	}
	r.Outcome = OutcomeSend
	if r.State == StateExcluded {
		r.Outcome = OutcomeExcluded
	}
	return r, nil
}

// RecipientQuery selects recipients of a batch, in sending order.
type RecipientQuery struct {
	// States keeps recipients in any of these states; empty keeps all.
	States []State `json:"states"`
	// Search keeps recipients whose name, e-mail or organisation contains this text.
	Search string `json:"search"`
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"` // default 100, at most 1000
}

// Page is one page of a list and how many items match in all.
type Page[T any] struct {
	Total int `json:"total"`
	Items []T `json:"items"`
}

// Recipients returns a page of a batch's recipients.
func (s *Store) Recipients(ctx context.Context, batchID string, q RecipientQuery) (Page[Recipient], error) {
	where := []string{"batch_id = ?"}
	args := []any{batchID}
	if len(q.States) > 0 {
		where = append(where, "state IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(q.States)), ", ")+")")
		for _, st := range q.States {
			args = append(args, string(st))
		}
	}
	if t := strings.TrimSpace(q.Search); t != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(t) + "%"
		where = append(where, `(name LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\' OR organization_name LIKE ? ESCAPE '\' OR first_name LIKE ? ESCAPE '\' OR last_name LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like, like)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	cond := strings.Join(where, " AND ")
	db := s.db.ReadSQL()
	var page Page[Recipient]
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM batch_recipients WHERE "+cond, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("count the recipients of batch %s: %w", batchID, err)
	}
	rows, err := db.QueryContext(ctx, "SELECT "+recipientCols+" FROM batch_recipients WHERE "+cond+" ORDER BY seq LIMIT ? OFFSET ?", append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return page, fmt.Errorf("read the recipients of batch %s: %w", batchID, err)
	}
	defer rows.Close()
	page.Items = []Recipient{}
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, r)
	}
	return page, rows.Err()
}

// Recipient returns one recipient of a batch.
func (s *Store) Recipient(ctx context.Context, batchID string, seq int) (Recipient, error) {
	r, err := scanRecipient(s.db.ReadSQL().QueryRowContext(ctx, "SELECT "+recipientCols+" FROM batch_recipients WHERE batch_id = ? AND seq = ?", batchID, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return r, portal.Errorf(portal.ENOTFOUND, "Batch %s has no row %d.", batchID, seq)
	}
	return r, err
}

// Overrides lists the findings overridden when the batch was formed.
func (s *Store) Overrides(ctx context.Context, batchID string) ([]RecordedOverride, error) {
	rows, err := s.db.ReadSQL().QueryContext(ctx, `SELECT row_ref, code, reason, decided_by, decided_at FROM batch_overrides
		WHERE batch_id = ? ORDER BY row_ref, code`, batchID)
	if err != nil {
		return nil, fmt.Errorf("read the overrides of batch %s: %w", batchID, err)
	}
	defer rows.Close()
	out := []RecordedOverride{}
	for rows.Next() {
		var o RecordedOverride
		if err := rows.Scan(&o.RowRef, &o.Code, &o.Reason, &o.By, scanTime(&o.At)); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// RecordedOverride is an override as stored with its batch.
type RecordedOverride struct {
	Override
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// ---- preview ----

// PreviewItem is one recipient of a preview: the row and, unless it is excluded, the
// exact e-mail it will receive.
type PreviewItem struct {
	Recipient Recipient       `json:"recipient"`
	Message   *PreviewMessage `json:"message,omitempty"`
}

// Preview is a page of a stored batch's e-mails and the counts per outcome.
type Preview struct {
	Batch Batch         `json:"batch"`
	Total int           `json:"total"`
	Items []PreviewItem `json:"items"`
	// ExcludedBy counts excluded rows per finding code.
	ExcludedBy map[string]int `json:"excludedBy"`
	// LinkPlaceholder stands in the messages where each person's own link will be, so
	// that the screen can say so.
	LinkPlaceholder string `json:"linkPlaceholder"`
}

// Preview renders the e-mails of a page of a batch's recipients. The link is
// LinkPlaceholder until it exists; a recipient whose invitation is already made is shown
// with its real expiry but still without its link, which stays a secret of the e-mail.
func (s *Store) Preview(ctx context.Context, batchID string, q RecipientQuery) (Preview, error) {
	b, err := s.Get(ctx, batchID)
	if err != nil {
		return Preview{}, err
	}
	comp, err := b.composer()
	if err != nil {
		return Preview{}, err
	}
	page, err := s.Recipients(ctx, batchID, q)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Batch: b, Total: page.Total, Items: make([]PreviewItem, len(page.Items)), ExcludedBy: map[string]int{}, LinkPlaceholder: LinkPlaceholder}
	now := s.clock.Now()
	for i, r := range page.Items {
		p.Items[i].Recipient = r
		if r.State == StateExcluded {
			continue
		}
		withLink := b.Kind.needsInvite()
		m := comp.Preview(r.Candidate, withLink, now, expiresIn(b.ExpiresInDays), r.MessageID)
		if withLink && r.ExpiresAt != nil {
			// The invitation exists: show its real expiry (the link itself stays secret).
			real := comp.Message(r.Candidate, LinkPlaceholder, *r.ExpiresAt, r.MessageID)
			m.Subject, m.Body = real.Subject, real.Text
		}
		p.Items[i].Message = &m
	}
	rows, err := s.db.ReadSQL().QueryContext(ctx, `SELECT j.value ->> '$.code', count(*) FROM batch_recipients r, json_each(r.reasons) j
		WHERE r.batch_id = ? AND r.state = 'excluded' GROUP BY 1`, batchID)
	if err != nil {
		return Preview{}, fmt.Errorf("count the exclusions of batch %s: %w", batchID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return Preview{}, err
		}
		p.ExcludedBy[code] = n
	}
	return p, rows.Err()
}

// ---- decisions ----

// Decision settles a recipient whose e-mail may or may not have arrived (unknown) or that
// failed.
type Decision string

const (
	// DecisionResend sends the same message again (same Message-ID and link). For a
	// failed recipient it is a retry.
	DecisionResend Decision = "resend"
	// DecisionMarkSent records that the message did arrive (the administrator checked).
	DecisionMarkSent Decision = "mark_sent"
)

// Decide applies a decision to recipients of a batch (by seq). Every one must be unknown
// (or, for resend, failed); otherwise nothing changes and the error names the row. A
// finished batch becomes ready again when something is to be resent. It returns how many
// recipients changed.
func (s *Store) Decide(ctx context.Context, batchID string, seqs []int, d Decision, by string) (int, error) {
	if d != DecisionResend && d != DecisionMarkSent {
		return 0, portal.FieldErrorf("decision", "Decide %q or %q, not %q.", DecisionResend, DecisionMarkSent, d)
	}
	if len(seqs) == 0 {
		return 0, portal.FieldErrorf("rows", "Choose the rows to decide on.")
	}
	n := 0
	err := s.durable(ctx, func(tx *sql.Tx) error {
		b, err := getBatch(ctx, tx, batchID)
		if err != nil {
			return err
		}
		now := fmtTime(s.clock.Now())
		for _, seq := range seqs {
			var st State
			var url, email string
			err := tx.QueryRowContext(ctx, "SELECT state, invitation_url, email FROM batch_recipients WHERE batch_id = ? AND seq = ?", batchID, seq).Scan(&st, &url, &email)
			if errors.Is(err, sql.ErrNoRows) {
				return portal.Errorf(portal.ENOTFOUND, "Batch %q has no row %d.", b.Name, seq)
			} else if err != nil {
				return err
			}
			switch {
			case st == StateUnknown:
			case st == StateFailed && d == DecisionResend:
			default:
				return portal.Errorf(portal.ECONFLICT, "Row %d (%s) is %s, so there is nothing to decide; only unknown rows (and, to retry, failed ones) take a decision.", seq, email, st)
			}
			if d == DecisionMarkSent {
				_, err = tx.ExecContext(ctx, `UPDATE batch_recipients SET state = 'sent', invitation_url = '', claim = 0, next_attempt_at = NULL,
					decision = ?, decided_by = ?, decided_at = ?, updated_at = ? WHERE batch_id = ? AND seq = ?`, d, by, now, now, batchID, seq)
			} else {
				to := b.Kind.readyState()
				if b.Kind.needsInvite() && url == "" {
					to = StateQueued // the invitation itself failed: make it first
				}
				_, err = tx.ExecContext(ctx, `UPDATE batch_recipients SET state = ?, claim = 0, attempts = 0, next_attempt_at = NULL,
					decision = ?, decided_by = ?, decided_at = ?, updated_at = ? WHERE batch_id = ? AND seq = ?`, to, d, by, now, now, batchID, seq)
			}
			if err != nil {
				return err
			}
			n++
		}
		if d == DecisionResend && (b.State == BatchDone || b.State == BatchCancelled) {
			_, err = tx.ExecContext(ctx, "UPDATE batches SET state = 'ready', finished_at = NULL, updated_at = ? WHERE id = ?", now, batchID)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ContactLink ties a batch row to the portal's records, once an import has been applied.
type ContactLink struct {
	ContactID      string `json:"contactId"`
	AccountID      string `json:"accountId"`
	OrganizationID string `json:"organizationId"`
}

// UnlinkedRefs lists the row references of the batch's queued rows that have no contact
// yet (rows formed from an import that was not applied when the batch was formed).
func (s *Store) UnlinkedRefs(ctx context.Context, batchID string) ([]string, error) {
	rows, err := s.db.ReadSQL().QueryContext(ctx, `SELECT row_ref FROM batch_recipients WHERE batch_id = ? AND state = 'queued'
		AND contact_id = '' AND replaces = '' ORDER BY seq`, batchID)
	if err != nil {
		return nil, fmt.Errorf("read the rows of batch %s: %w", batchID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}

// LinkContacts sets the contact (and account and organisation) of queued rows by row
// reference: rows formed from an import session have none until the import is applied,
// and an invitation can only be created for a contact the portal knows.
func (s *Store) LinkContacts(ctx context.Context, batchID string, links map[string]ContactLink) error {
	return s.durable(ctx, func(tx *sql.Tx) error {
		now := fmtTime(s.clock.Now())
		for ref, l := range links {
			if l.ContactID == "" {
				return portal.FieldErrorf("contactId", "Row %s: give the contact it is linked to.", ref)
			}
			res, err := tx.ExecContext(ctx, `UPDATE batch_recipients SET contact_id = ?, account_id = ?,
				organization_id = CASE WHEN ? <> '' THEN ? ELSE organization_id END, updated_at = ?
				WHERE batch_id = ? AND row_ref = ? AND state = 'queued'`, l.ContactID, l.AccountID, l.OrganizationID, l.OrganizationID, now, batchID, ref)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return portal.Errorf(portal.ECONFLICT, "Row %s is not waiting in batch %s (it is excluded, already invited, or not in the batch), so its contact cannot change.", ref, batchID)
			}
		}
		return nil
	})
}

// Delete removes a batch nothing of which has been started (every row queued or
// excluded). A batch that has begun sending is kept for its record; cancel it instead.
func (s *Store) Delete(ctx context.Context, batchID string) error {
	return s.durable(ctx, func(tx *sql.Tx) error {
		b, err := getBatch(ctx, tx, batchID)
		if err != nil {
			return err
		}
		if b.Counts.Queued != b.Counts.Total || b.StartedAt != nil {
			return portal.Errorf(portal.ECONFLICT, "The batch %q has started sending, so it is kept as a record. Cancel it to stop the rest.", b.Name)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM batches WHERE id = ?", batchID)
		return err
	})
}

// ---- pre-notification ----

// NotifyOptions shape a pre-notification.
type NotifyOptions struct {
	Name string `json:"name"`
	// Template: nil means the built-in pre-notification.
	Template *mail.Template `json:"template,omitempty"`
	// ProductName and From default to the invitation batch's.
	ProductName string `json:"productName"`
	From        string `json:"from"`
	By          string `json:"by"`
	// IncludeNotOnPortal also announces the invitation to people who are not contacts on
	// the portal yet (rows of an import not applied): their invitation cannot be created
	// until the import is applied, so they are left out unless the administrator chooses.
	IncludeNotOnPortal bool `json:"includeNotOnPortal"`
}

// CreatePreNotification forms a pre-notification batch ("your invitation is coming") for
// the people an invitation batch will invite. It is sent by the same engine, without any
// invitation.
func (s *Store) CreatePreNotification(ctx context.Context, invitationBatchID string, opt NotifyOptions) (Batch, error) {
	parent, err := s.Get(ctx, invitationBatchID)
	if err != nil {
		return Batch{}, err
	}
	if parent.Kind != KindInvitation {
		return Batch{}, portal.Errorf(portal.EINVALID, "%q is not an invitation batch; pre-notifications announce invitations.", parent.Name)
	}
	fo := FormOptions{Template: opt.Template, ProductName: opt.ProductName, From: opt.From, By: opt.By, InvitedBy: parent.InvitedBy}
	if fo.ProductName == "" {
		fo.ProductName = parent.ProductName
	}
	if fo.From == "" {
		fo.From = parent.From
	}
	rs, err := s.all(ctx, invitationBatchID, "state <> 'excluded' AND state <> 'cancelled'")
	if err != nil {
		return Batch{}, err
	}
	if len(rs) == 0 {
		return Batch{}, portal.Errorf(portal.EINVALID, "Batch %q has nobody to notify.", parent.Name)
	}
	if !opt.IncludeNotOnPortal {
		// Announce only invitations that can come: people who are contacts on the portal.
		ready := rs[:0:0]
		for _, r := range rs {
			if r.ContactID != "" {
				ready = append(ready, r)
			}
		}
		if len(ready) == 0 {
			return Batch{}, portal.Errorf(portal.ECONFLICT, "Nobody in %q can be invited yet: the %d people are not contacts on the portal (apply the import first). A pre-notification would announce an invitation that cannot come; apply the import, or choose to notify them anyway.", parent.Name, len(rs))
		}
		rs = ready
	}
	name := strings.TrimSpace(opt.Name)
	if name == "" {
		name = "Pre-notification: " + parent.Name
	}
	return s.derive(ctx, KindPreNotification, name, parent.ID, parent.Source, fo, rs)
}

// derive stores a batch of another kind made from existing recipients.
func (s *Store) derive(ctx context.Context, kind Kind, name, parentID, source string, fo FormOptions, from []Recipient) (Batch, error) {
	if err := checkOptions(fo); err != nil {
		return Batch{}, err
	}
	id := newID("bat")
	comp, err := composerFor(id, kind, fo)
	if err != nil {
		return Batch{}, err
	}
	b := newBatch(id, kind, name, parentID, source, comp, fo, "{}", s.clock.Now())
	rs := make([]Recipient, len(from))
	for i, r := range from {
		rs[i] = Recipient{RowPlan: RowPlan{Candidate: r.Candidate, Outcome: OutcomeSend, Overridden: r.Overridden, Roles: r.Roles}}
		if kind == KindReminder {
			rs[i].Replaces = r.InvitationID
		}
	}
	// The same domain as the messages these follow.
	domain := messageIDDomain(strings.TrimSuffix(from[0].MessageID, ">"))
	if comp.From.Address != "" {
		domain = messageIDDomain(comp.From.Address)
	}
	if err := s.durable(ctx, func(tx *sql.Tx) error { return insertBatch(ctx, tx, b, rs, domain) }); err != nil {
		return Batch{}, fmt.Errorf("save the batch %q to the local database: %w", name, err)
	}
	return s.Get(ctx, id)
}

// all returns every recipient of a batch matching cond, in order.
func (s *Store) all(ctx context.Context, batchID, cond string) ([]Recipient, error) {
	rows, err := s.db.ReadSQL().QueryContext(ctx, "SELECT "+recipientCols+" FROM batch_recipients WHERE batch_id = ? AND "+cond+" ORDER BY seq", batchID)
	if err != nil {
		return nil, fmt.Errorf("read the recipients of batch %s: %w", batchID, err)
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
