package batch

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/backend/internal/seal"
	"gatehouse/backend/internal/wait"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// EngineOptions tune the sending engine. Zero values take the defaults in brackets.
type EngineOptions struct {
	// Clock stamps states and schedules retries [the store's clock].
	Clock portal.Clock
	// Sleep waits d or until ctx ends [a timer]; tests make time pass with it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Progress is called with the progress of a run: at the start, at most every
	// ProgressEvery while sending [250ms; negative: after every step], and once at the
	// end. Calls come one at a time from the run's goroutines, so it must return quickly
	// and must not wait for the run (Pause is fine; call Cancel from another goroutine).
	Progress      func(Progress)
	ProgressEvery time.Duration
	// MaxAttempts bounds the attempts per message when the mail server answers 4xx [6].
	MaxAttempts int
	// Backoff is the first wait after a temporary failure, doubled each time up to
	// MaxBackoff [15s, 10m].
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxConnectFailures is how many times in a row the mail or portal server may be
	// unreachable before the batch pauses itself [6].
	MaxConnectFailures int
	// ClaimWindow is how many messages one durable commit reserves [64]. A power cut
	// leaves at most this many unknown.
	ClaimWindow int
	// InviteChunk, InviteWorkers: invitations are created in chunks (one commit
	// before and one after each), with one bulk request per chunk when the inviter is a
	// BulkInviter [128], otherwise InviteWorkers requests at once [32, 4].
	InviteChunk   int
	InviteWorkers int
	// InviteAhead bounds how many links may wait for their e-mail [256], so that a mail
	// server failure does not leave thousands of unsent live links.
	InviteAhead int
	// StrictDurability commits every per-message state change (and the invite stage's
	// marks and links) with synchronous=FULL instead of only the reservations: power-cut
	// safe per message, at one disk flush per message (see doc.go).
	StrictDurability bool
	// LinkKey (seal.KeySize bytes, kept outside the local database) seals the invitation
	// links that wait for their e-mail. Without it an invitation batch does not start.
	LinkKey []byte
}

func (o EngineOptions) withDefaults(st *Store, inviter Inviter) EngineOptions {
	if o.Clock == nil {
		o.Clock = st.clock
	}
	if o.Sleep == nil {
		o.Sleep = wait.Sleep
	}
	if o.ProgressEvery == 0 {
		o.ProgressEvery = 250 * time.Millisecond
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = 15 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.MaxConnectFailures <= 0 {
		o.MaxConnectFailures = 6
	}
	if o.ClaimWindow <= 0 {
		o.ClaimWindow = 64
	}
	if _, bulk := inviter.(BulkInviter); bulk && o.InviteChunk <= 0 {
		o.InviteChunk = 128
	} else if o.InviteChunk <= 0 {
		o.InviteChunk = 32
	}
	if o.InviteWorkers <= 0 {
		o.InviteWorkers = 4
	}
	if o.InviteAhead <= 0 {
		o.InviteAhead = 256
	}
	return o
}

// Progress is how far a run has come.
type Progress struct {
	BatchID string      `json:"batchId"`
	State   BatchState  `json:"state"`
	Counts  StateCounts `json:"counts"`
	// Done of Total: sent, failed or unknown, of every recipient not excluded or cancelled.
	Done  int `json:"done"`
	Total int `json:"total"`
	// RatePerSecond is the recent sending rate; ETASeconds the time left at that rate,
	// -1 when it cannot be told yet.
	RatePerSecond float64   `json:"ratePerSecond"`
	ETASeconds    float64   `json:"etaSeconds"`
	LastError     string    `json:"lastError,omitempty"`
	At            time.Time `json:"at"`
}

// Engine sends batches: invitations through an Inviter, e-mails through a mail.Sender
// (normally one *mail.SMTPSender, whose single reused connection and rate limit from the
// mail settings apply). One engine may run several batches, each at most once at a time.
type Engine struct {
	st      *Store
	inviter Inviter
	sender  mail.Sender
	opt     EngineOptions
	links   *seal.Box // nil without a key, or with a broken one (linkErr says why)
	linkErr error

	mu   sync.Mutex
	runs map[string]*run
}

// NewEngine returns an engine. inviter may be nil when only pre-notifications are sent.
func NewEngine(st *Store, inviter Inviter, sender mail.Sender, opt EngineOptions) *Engine {
	e := &Engine{st: st, inviter: inviter, sender: sender, opt: opt.withDefaults(st, inviter), runs: map[string]*run{}}
	if opt.LinkKey == nil {
		e.linkErr = errNoLinkKey
	} else {
		e.links, e.linkErr = seal.New(opt.LinkKey)
	}
	return e
}

type stopReason int

const (
	stopNone        stopReason = iota
	stopPause                  // the administrator paused
	stopCancel                 // the administrator cancelled
	stopFailed                 // a failure the administrator must fix (settings, server down)
	stopInterrupted            // the caller's context ended
)

type run struct {
	e     *Engine
	ctx   context.Context
	b     Batch
	comp  Composer
	ready State
	owner string

	stopCh   chan struct{}
	stopOnce sync.Once
	waitCtx  context.Context // ends at stop: waits end with it, sends in flight do not
	endWaits context.CancelFunc

	stmts   *hotStmts
	counted time.Time   // when the counts were last read from the database
	noBulk  atomic.Bool // the portal server has no bulk invitations: one at a time

	invited    chan struct{} // the invite stage recorded links
	consumed   chan struct{} // the e-mail stage reserved messages
	inviteDone chan struct{} // closed when the invite stage has ended
	done       chan struct{} // closed when Run returns

	emitMu sync.Mutex // one Progress call at a time

	mu         sync.Mutex
	why        stopReason
	failure    error
	counts     StateCounts
	started    time.Time
	startDone  int
	samples    []sample
	lastReport time.Time
}

type sample struct {
	at   time.Time
	done int
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (r *run) stop(why stopReason, err error) {
	r.mu.Lock()
	if r.why == stopNone {
		r.why, r.failure = why, err
	}
	r.mu.Unlock()
	r.stopOnce.Do(func() {
		close(r.stopCh)
		r.endWaits()
	})
}

func (r *run) stopped() bool { return closed(r.stopCh) }

// wait waits d (forever when d < 0) or until the run stops or one of wake fires.
func (r *run) wait(d time.Duration, wake ...chan struct{}) {
	ctx, cancel := context.WithCancel(r.waitCtx)
	defer cancel()
	for _, ch := range wake {
		go func() {
			select {
			case <-ch:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	if d < 0 {
		<-ctx.Done()
		return
	}
	_ = r.e.opt.Sleep(ctx, d)
}

func (r *run) backoff(n int) time.Duration {
	d := r.e.opt.Backoff
	for i := 1; i < n && d < r.e.opt.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.e.opt.MaxBackoff)
}

// Run sends a batch until every recipient is sent, failed or unknown, or until it is
// paused, cancelled or stopped by a failure (the mail server refusing the login, the
// portal unreachable...). It first recovers whatever an interrupted run left (see
// Store.Recover), so Run is also Resume. The error is nil when the batch finished or was
// paused or cancelled on request; a failure that paused the batch is returned (and kept in
// Batch.LastError).
func (e *Engine) Run(ctx context.Context, batchID string) (Progress, error) {
	if !e.st.setRunning(batchID, true) {
		return Progress{}, portal.Errorf(portal.ECONFLICT, "This batch is already being sent.")
	}
	defer e.st.setRunning(batchID, false)
	b0, err := e.st.Get(ctx, batchID)
	if err != nil {
		return Progress{}, err
	}
	if b0.Kind.needsInvite() && e.inviter == nil {
		return Progress{}, portal.Errorf(portal.EINVALID, "Batch %q creates invitations, but no portal server is connected. Sign in to the portal first.", b0.Name)
	}
	if b0.Kind.needsInvite() && e.linkErr != nil {
		return Progress{}, fmt.Errorf("batch %q: the key that seals its invitation links: %w", b0.Name, e.linkErr)
	}
	comp, err := b0.composer()
	if err != nil {
		return Progress{}, err
	}
	stmts, err := prepareHot(ctx, e.st.db.SQL())
	if err != nil {
		return Progress{}, err
	}
	defer stmts.Close()
	owner := newID("run")
	b, _, err := e.st.begin(ctx, batchID, owner)
	if err != nil {
		return Progress{}, err
	}
	r := &run{e: e, ctx: ctx, b: b, comp: comp, ready: b.Kind.readyState(), owner: owner, stmts: stmts, counted: e.opt.Clock.Now(),
		stopCh: make(chan struct{}), invited: make(chan struct{}, 1), consumed: make(chan struct{}, 1),
		inviteDone: make(chan struct{}), done: make(chan struct{}), counts: b.Counts}
	r.waitCtx, r.endWaits = context.WithCancel(ctx)
	defer r.endWaits()
	r.started, r.startDone = e.opt.Clock.Now(), b.Counts.Done()
	e.mu.Lock()
	e.runs[batchID] = r
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.runs, batchID)
		e.mu.Unlock()
		close(r.done)
	}()
	// The caller's context ending stops the run like a pause, keeping what is in flight.
	stopWatch := context.AfterFunc(ctx, func() { r.stop(stopInterrupted, ctx.Err()) })
	defer stopWatch()

	r.report(true)
	if b.Kind.needsInvite() {
		go r.inviteLoop()
	} else {
		close(r.inviteDone)
	}
	pend, err := r.sendLoop()
	if err != nil {
		if ctx.Err() != nil {
			r.stop(stopInterrupted, ctx.Err())
		} else {
			r.stop(stopFailed, err)
		}
	}
	<-r.inviteDone
	return r.finish(pend)
}

// Running reports whether a run of this engine is sending the batch.
func (e *Engine) Running(batchID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs[batchID] != nil
}

// Pause stops a running batch after the message in flight; Run returns with the batch
// paused, and a later Run resumes it.
func (e *Engine) Pause(batchID string) error {
	e.mu.Lock()
	r := e.runs[batchID]
	e.mu.Unlock()
	if r == nil {
		return portal.Errorf(portal.ECONFLICT, "The batch is not being sent, so there is nothing to pause.")
	}
	r.stop(stopPause, nil)
	return nil
}

// Cancel stops a batch for good: the message in flight finishes, the rest is not sent.
// For a running batch it waits until the run has ended.
func (e *Engine) Cancel(ctx context.Context, batchID string) error {
	e.mu.Lock()
	r := e.runs[batchID]
	e.mu.Unlock()
	if r == nil {
		return e.st.Cancel(ctx, batchID)
	}
	r.stop(stopCancel, nil)
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ---- the e-mail stage ----

type outcomeKind int

const (
	outSent    outcomeKind = iota
	outFailed              // refused for good
	outUnknown             // may have been delivered
	outRetry               // temporary, this recipient: again after a backoff
	outRequeue             // not this recipient's doing: back in line, attempt not counted
)

// outcome is the result of one attempt, committed with the next state change (and always
// before the next message is handed over).
type outcome struct {
	seq     int
	kind    outcomeKind
	stage   string
	code    int
	msg     string
	next    time.Time
	release bool // release every other reservation too
	global  bool // the mail server could not be reached: wait before the next message
}

// hotStmts are the statements run for every message, prepared once per run on the
// cache's single writer connection (parsing them each time cost more than the commit).
type hotStmts struct {
	sent, ended, back, release, sending *sql.Stmt
	// sentThenSending is sent and sending in one statement, for the common step: the last
	// message went, the next one is about to.
	sentThenSending *sql.Stmt
}

func prepareHot(ctx context.Context, db *sql.DB) (*hotStmts, error) {
	var h hotStmts
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&h.sent, `UPDATE batch_recipients SET state = 'sent', claim = 0, invitation_url = '', sent_at = ?, stage = '',
			smtp_code = 0, last_error = '', next_attempt_at = NULL, updated_at = ? WHERE batch_id = ? AND seq = ? AND state = 'sending'`},
		{&h.ended, `UPDATE batch_recipients SET state = ?, claim = 0, times_unknown = times_unknown + ?, stage = ?,
			smtp_code = ?, last_error = ?, next_attempt_at = NULL, updated_at = ? WHERE batch_id = ? AND seq = ? AND state = 'sending'`},
		{&h.back, `UPDATE batch_recipients SET state = ?, claim = 0, attempts = attempts - ?, stage = ?, smtp_code = ?,
			last_error = ?, next_attempt_at = ?, updated_at = ? WHERE batch_id = ? AND seq = ? AND state = 'sending'`},
		{&h.release, `UPDATE batch_recipients SET claim = 0 WHERE batch_id = ? AND state = ? AND claim = 1`},
		{&h.sending, `UPDATE batch_recipients SET state = 'sending', attempts = attempts + 1, updated_at = ?
			WHERE batch_id = ? AND seq = ? AND state = ? AND claim <> 0`},
		// ?1 the previous row (sent), ?2 the next (sending), ?3 now, ?4 the batch, ?5 the
		// state the next row is ready in. The same columns as sent and sending above.
		{&h.sentThenSending, `UPDATE batch_recipients SET
			state = CASE seq WHEN ?1 THEN 'sent' ELSE 'sending' END,
			claim = CASE seq WHEN ?1 THEN 0 ELSE claim END,
			invitation_url = CASE seq WHEN ?1 THEN '' ELSE invitation_url END,
			sent_at = CASE seq WHEN ?1 THEN ?3 ELSE sent_at END,
			stage = CASE seq WHEN ?1 THEN '' ELSE stage END,
			smtp_code = CASE seq WHEN ?1 THEN 0 ELSE smtp_code END,
			last_error = CASE seq WHEN ?1 THEN '' ELSE last_error END,
			next_attempt_at = CASE seq WHEN ?1 THEN NULL ELSE next_attempt_at END,
			attempts = CASE seq WHEN ?1 THEN attempts ELSE attempts + 1 END,
			updated_at = ?3
			WHERE batch_id = ?4 AND seq IN (?1, ?2)
			AND ((seq = ?1 AND state = 'sending') OR (seq = ?2 AND state = ?5 AND claim <> 0))
			RETURNING seq`},
	} {
		st, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("prepare the local database for sending: %w", err)
		}
		*p.dst = st
	}
	return &h, nil
}

func (h *hotStmts) Close() {
	for _, st := range []*sql.Stmt{h.sent, h.ended, h.back, h.release, h.sending, h.sentThenSending} {
		if st != nil {
			st.Close()
		}
	}
}

func (r *run) apply(ctx context.Context, tx *sql.Tx, o *outcome) error {
	if o == nil {
		return nil
	}
	now := fmtTime(r.e.opt.Clock.Now())
	var err error
	switch o.kind {
	case outSent:
		_, err = tx.StmtContext(ctx, r.stmts.sent).ExecContext(ctx, now, now, r.b.ID, o.seq)
	case outFailed, outUnknown:
		to, unknown := StateFailed, 0
		if o.kind == outUnknown {
			to, unknown = StateUnknown, 1
		}
		_, err = tx.StmtContext(ctx, r.stmts.ended).ExecContext(ctx, to, unknown, o.stage, o.code, o.msg, now, r.b.ID, o.seq)
	case outRetry, outRequeue:
		undo, next := 0, any(nil)
		if o.kind == outRequeue {
			undo = 1
		} else {
			next = fmtTime(o.next)
		}
		_, err = tx.StmtContext(ctx, r.stmts.back).ExecContext(ctx, r.ready, undo, o.stage, o.code, o.msg, next, now, r.b.ID, o.seq)
	}
	if err == nil && o.release {
		_, err = tx.StmtContext(ctx, r.stmts.release).ExecContext(ctx, r.b.ID, r.ready)
	}
	if err != nil {
		return fmt.Errorf("record the outcome of row %d: %w", o.seq, err)
	}
	return nil
}

func (o *outcome) state(ready State) State {
	switch o.kind {
	case outSent:
		return StateSent
	case outFailed:
		return StateFailed
	case outUnknown:
		return StateUnknown
	}
	return ready
}

// byState makes the queries of the sending loop read the rows of one state through their
// index. Without planner statistics (a new database, before PRAGMA optimize has run)
// SQLite reads the whole batch by primary key instead, for every reservation and chunk:
// quadratic in the batch's size.
const byState = "INDEXED BY batch_recipients_state"

var errLeaseLost = errors.New("another Gatehouse window took over this batch; this one stopped sending it")

// claim reserves the next messages with one durable commit: none of them is handed over
// before this commit is on disk.
// renewLease extends this run's hold on the batch; errLeaseLost when another run took it.
func (r *run) renewLease(tx *sql.Tx, now time.Time) error {
	res, err := tx.ExecContext(r.ctx, "UPDATE batches SET lease_until = ?, updated_at = ? WHERE id = ? AND lease_owner = ?",
		fmtTime(now.Add(leaseTTL)), fmtTime(now), r.b.ID, r.owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errLeaseLost
	}
	return nil
}

func (r *run) claim() ([]Recipient, error) {
	var out []Recipient
	var refreshed StateCounts
	err := r.e.st.durable(r.ctx, func(tx *sql.Tx) error {
		now := r.e.opt.Clock.Now()
		err := r.renewLease(tx, now)
		if err != nil {
			return err
		}
		if !r.stopped() {
			if _, err := tx.ExecContext(r.ctx, `UPDATE batch_recipients SET claim = 1 WHERE batch_id = ? AND seq IN (
				SELECT seq FROM batch_recipients `+byState+` WHERE batch_id = ? AND state = ? AND claim = 0
				AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY seq LIMIT ?)`,
				r.b.ID, r.b.ID, r.ready, fmtTime(now), r.e.opt.ClaimWindow); err != nil {
				return err
			}
		}
		// The counts kept as messages go are exact for this run; reading them again now
		// and then picks up decisions made meanwhile.
		if now.Sub(r.counted) >= time.Second {
			if refreshed, err = countStates(r.ctx, tx, r.b.ID); err != nil {
				return err
			}
			r.counted = now
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reserve the next messages of batch %q in the local database: %w", r.b.Name, err)
	}
	// Read once committed, from a reader connection: the writer, which every per-message
	// commit waits for, is free meanwhile. Only this loop changes reserved rows, and a row
	// cancelled in between is skipped by markSending.
	rows, err := r.e.st.db.ReadSQL().QueryContext(r.ctx, "SELECT "+recipientCols+" FROM batch_recipients "+byState+" WHERE batch_id = ? AND state = ? AND claim = 1 ORDER BY seq", r.b.ID, r.ready)
	if err != nil {
		return nil, fmt.Errorf("read the reserved messages of batch %q from the local database: %w", r.b.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		rc, err := scanRecipient(rows)
		if err != nil {
			return nil, fmt.Errorf("read the reserved messages of batch %q from the local database: %w", r.b.Name, err)
		}
		out = append(out, rc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the reserved messages of batch %q from the local database: %w", r.b.Name, err)
	}
	if refreshed.Total > 0 {
		r.mu.Lock()
		r.counts = refreshed
		r.mu.Unlock()
	}
	return out, nil
}

// anyReady reports whether a message can be reserved now.
func (r *run) anyReady() (bool, error) {
	var n int
	err := r.e.st.db.ReadSQL().QueryRowContext(r.ctx, `SELECT count(*) FROM (SELECT 1 FROM batch_recipients `+byState+` WHERE batch_id = ? AND state = ?
		AND claim = 0 AND (next_attempt_at IS NULL OR next_attempt_at <= ?) LIMIT 1)`, r.b.ID, r.ready, fmtTime(r.e.opt.Clock.Now())).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read batch %q from the local database: %w", r.b.Name, err)
	}
	return n > 0, nil
}

// settle commits the last outcome (and renews the lease) before the run waits.
func (r *run) settle(pend *outcome) error {
	commit := r.e.st.quick
	if r.e.opt.StrictDurability {
		commit = r.e.st.durable
	}
	err := commit(r.ctx, func(tx *sql.Tx) error {
		if err := r.apply(r.ctx, tx, pend); err != nil {
			return err
		}
		return r.renewLease(tx, r.e.opt.Clock.Now())
	})
	if err != nil {
		return fmt.Errorf("record the last outcome of batch %q in the local database: %w", r.b.Name, err)
	}
	r.count(pend)
	return nil
}

// markSending commits the previous outcome and the sending mark of seq, just before the
// handover. It reports false when the row is no longer reserved (and must be skipped).
func (r *run) markSending(pend *outcome, seq int) (bool, error) {
	if pend != nil && pend.kind == outSent && !pend.release && !r.e.opt.StrictDurability {
		return r.sentThenSending(pend.seq, seq)
	}
	commit := r.e.st.quick
	if r.e.opt.StrictDurability {
		commit = r.e.st.durable
	}
	ok := false
	err := commit(r.ctx, func(tx *sql.Tx) error {
		if err := r.apply(r.ctx, tx, pend); err != nil {
			return err
		}
		res, err := tx.StmtContext(r.ctx, r.stmts.sending).ExecContext(r.ctx, fmtTime(r.e.opt.Clock.Now()), r.b.ID, seq, r.ready)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record in the local database that row %d is being sent: %w", seq, err)
	}
	return ok, nil
}

// sentThenSending is markSending after a message that went: one statement, which SQLite
// commits on its own, instead of a transaction of two. It saves about a third of the
// per-message bookkeeping (BEGIN and COMMIT are parsed each time), which is on the path
// every message waits for.
func (r *run) sentThenSending(prev, seq int) (bool, error) {
	rows, err := r.stmts.sentThenSending.QueryContext(r.ctx, prev, seq, fmtTime(r.e.opt.Clock.Now()), r.b.ID, r.ready)
	ok := false
	if err == nil {
		for rows.Next() {
			var got int
			if err = rows.Scan(&got); err != nil {
				break
			}
			ok = ok || got == seq
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		return false, fmt.Errorf("record in the local database that row %d went and row %d is being sent: %w", prev, seq, err)
	}
	return ok, nil
}

// sendLoop hands the messages to the mail server, one at a time. It returns the outcome
// of the last message, not yet committed.
func (r *run) sendLoop() (*outcome, error) {
	var pend *outcome
	var reserved []Recipient
	connectFailures := 0
	for !r.stopped() {
		if len(reserved) == 0 {
			inviteFinished := closed(r.inviteDone)
			if pend != nil {
				// The last outcome first: it may put rows back in line.
				if err := r.settle(pend); err != nil {
					return pend, err
				}
				pend = nil
			}
			ready, err := r.anyReady()
			if err != nil {
				return nil, err
			}
			var rs []Recipient
			if ready {
				if rs, err = r.claim(); err != nil {
					return nil, err
				}
			}
			r.report(false)
			if len(rs) == 0 {
				more, err := r.idle(inviteFinished)
				if err != nil {
					return nil, err
				}
				if !more {
					return nil, nil
				}
				continue
			}
			reserved = rs
			signal(r.consumed)
		}
		rc := reserved[0]
		reserved = reserved[1:]
		var exp time.Time
		if rc.ExpiresAt != nil {
			exp = *rc.ExpiresAt
		}
		link, lerr := r.e.openLink(rc)
		var msg mail.Message
		if lerr == nil {
			msg = r.comp.Message(rc.Candidate, link, exp, rc.MessageID)
		} else if err := r.forgetLink(rc.Seq); err != nil {
			return pend, err
		}
		ok, err := r.markSending(pend, rc.Seq)
		if err != nil {
			return pend, err
		}
		r.count(pend)
		pend = nil
		if !ok {
			continue
		}
		r.move(r.ready, StateSending)
		if lerr != nil {
			pend = r.judge(rc, lerr)
		} else {
			pend = r.judge(rc, r.e.sender.Send(r.ctx, msg))
		}
		if pend.kind != outRequeue {
			connectFailures = 0
		} else {
			// Not this recipient's doing: everything reserved goes back in line, recorded
			// before any wait.
			pend.release, reserved = true, nil
			if pend.global && !r.stopped() {
				msg := pend.msg
				if err := r.settle(pend); err != nil {
					return pend, err
				}
				pend = nil
				connectFailures++
				if connectFailures >= r.e.opt.MaxConnectFailures {
					r.stop(stopFailed, fmt.Errorf("%s (tried %d times)", msg, connectFailures))
				} else {
					r.wait(r.backoff(connectFailures))
				}
			}
		}
		r.report(false)
	}
	return pend, nil
}

// idle decides what to do when nothing is ready to send: wait for links from the invite
// stage or for the next retry, or finish.
func (r *run) idle(inviteFinished bool) (bool, error) {
	var next *time.Time
	if err := r.e.st.db.ReadSQL().QueryRowContext(r.ctx, `SELECT min(next_attempt_at) FROM batch_recipients `+byState+`
		WHERE batch_id = ? AND state = ? AND claim = 0`, r.b.ID, r.ready).Scan(scanOpt(&next)); err != nil {
		return false, fmt.Errorf("read the retry times of batch %q: %w", r.b.Name, err)
	}
	d := time.Duration(-1)
	if next != nil {
		if d = next.Sub(r.e.opt.Clock.Now()); d <= 0 {
			return true, nil
		}
	}
	if !closed(r.inviteDone) {
		r.wait(d, r.invited, r.inviteDone)
		return true, nil
	}
	if !inviteFinished {
		return true, nil // the invite stage ended after the last look: look once more
	}
	if d < 0 {
		return false, nil
	}
	r.wait(d)
	return true, nil
}

// judge turns what the mail server said into an outcome.
func (r *run) judge(rc Recipient, err error) *outcome {
	o := &outcome{seq: rc.Seq}
	if err == nil {
		o.kind = outSent
		return o
	}
	o.msg = err.Error()
	var se *mail.SendError
	if errors.As(err, &se) {
		o.stage, o.code = se.Stage, se.Code
		switch {
		case se.Unknown:
			o.kind = outUnknown
		case se.Stage == mail.StageWait:
			o.kind = outRequeue
			if r.ctx.Err() == nil {
				r.stop(stopFailed, err) // the sender was closed
			}
		case se.Stage == mail.StageDial || se.Stage == mail.StageTLS || se.Stage == mail.StageAuth || se.Code == 421:
			o.kind = outRequeue
			if se.Temporary {
				o.global = true
			} else {
				// Wrong settings, a bad certificate or a refused login: nothing to retry
				// until the administrator changes something.
				r.stop(stopFailed, err)
			}
		case se.Stage == mail.StageMail && !se.Temporary:
			// MAIL FROM is about the sender, not this recipient: the settings.
			o.kind = outRequeue
			r.stop(stopFailed, err)
		case se.Temporary && rc.Attempts+1 < r.e.opt.MaxAttempts:
			o.kind, o.next = outRetry, r.e.opt.Clock.Now().Add(r.backoff(rc.Attempts+1))
		case se.Temporary:
			o.kind = outFailed
			o.msg = fmt.Sprintf("Gave up after %d attempts. %s", rc.Attempts+1, o.msg)
		default:
			o.kind = outFailed
		}
		return o
	}
	if code := portal.ErrorCode(err); code != portal.EINTERNAL {
		// Gatehouse refused to build the message (an address that cannot be used).
		o.kind, o.stage, o.msg = outFailed, "message", portal.ErrorMessage(err)
		return o
	}
	if r.ctx.Err() != nil && errors.Is(err, r.ctx.Err()) {
		o.kind = outRequeue
		return o
	}
	// An error nobody can read may have come after the handover.
	o.kind = outUnknown
	return o
}

// ---- the invite stage ----

// inviteCommit is how the invite stage commits its marks and links: like the e-mail
// stage's per-message commits (synchronous=NORMAL unless StrictDurability), for the same
// reason (see doc.go). A power cut may undo them, which costs nothing: a row that lost its
// mark or its link is asked again under its key, stored durably when the batch was
// formed, and no link is e-mailed before the durable commit that reserves its message,
// which makes every commit before it durable too.
func (r *run) inviteCommit() func(context.Context, func(*sql.Tx) error) error {
	if r.e.opt.StrictDurability {
		return r.e.st.durable
	}
	return r.e.st.quick
}

// inviteCall is a chunk being asked of the portal server.
type inviteCall struct {
	chunk []Recipient
	out   []inviteOutcome
	done  chan struct{}
}

func (r *run) startInvite(chunk []Recipient) *inviteCall {
	c := &inviteCall{chunk: chunk, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.out = r.invite(chunk)
	}()
	return c
}

// inviteLoop creates the invitations chunk by chunk, two chunks deep: while the server
// works on one chunk, the previous one's links are recorded and the next one is marked,
// so the two durable commits of a chunk cost no waiting at the server. Each chunk still
// follows the protocol of doc.go on its own (marked before it is asked for, recorded after).
func (r *run) inviteLoop() {
	defer close(r.inviteDone)
	failures := 0
	var inflight *inviteCall
	defer func() {
		// A chunk asked for is recorded even when the run stops meanwhile.
		if inflight == nil {
			return
		}
		<-inflight.done
		_, fatal, err := r.recordInvites(inflight.chunk, inflight.out, failures+1)
		if err == nil {
			err = fatal
		}
		if err != nil {
			r.stop(stopFailed, err) // a stop already under way keeps its own reason
		}
		signal(r.invited)
	}()
	for !r.stopped() {
		var ahead int
		if err := r.e.st.db.ReadSQL().QueryRowContext(r.ctx, `SELECT count(*) FROM batch_recipients `+byState+` WHERE batch_id = ? AND state = 'invited'
			AND claim = 0 AND next_attempt_at IS NULL`, r.b.ID).Scan(&ahead); err != nil {
			if r.ctx.Err() == nil {
				r.stop(stopFailed, fmt.Errorf("read batch %q from the local database: %w", r.b.Name, err))
			}
			return
		}
		var call *inviteCall
		var next time.Time
		if ahead < r.e.opt.InviteAhead {
			var chunk []Recipient
			var err error
			chunk, next, err = r.markInviting(r.e.opt.InviteChunk, inflight)
			if err != nil {
				if r.ctx.Err() == nil {
					r.stop(stopFailed, err)
				}
				return
			}
			if len(chunk) > 0 {
				call = r.startInvite(chunk)
			}
		}
		if inflight == nil {
			switch {
			case call != nil:
				inflight = call
			case ahead >= r.e.opt.InviteAhead:
				r.wait(-1, r.consumed)
			case next.IsZero():
				return
			default:
				r.wait(next.Sub(r.e.opt.Clock.Now()))
			}
			continue
		}
		<-inflight.done
		prev := inflight
		inflight = call
		temp, fatal, err := r.recordInvites(prev.chunk, prev.out, failures+1)
		signal(r.invited)
		r.report(false)
		switch {
		case err != nil:
			r.stop(stopFailed, err)
			return
		case fatal != nil:
			r.stop(stopFailed, fatal)
			return
		case temp != nil:
			failures++
			if failures >= r.e.opt.MaxConnectFailures {
				r.stop(stopFailed, fmt.Errorf("the portal server could not create the invitations (tried %d times): %w", failures, temp))
				return
			}
			r.wait(r.backoff(failures))
		default:
			failures = 0
		}
	}
}

// markInviting marks the next chunk of recipients as inviting with a durable commit,
// before the server is asked; the rows of the chunk in flight stay out of it. With
// nothing due it returns the time of the next retry (zero: nothing left).
func (r *run) markInviting(n int, inflight *inviteCall) ([]Recipient, time.Time, error) {
	var out []Recipient
	var next time.Time
	busy := []int{}
	if inflight != nil {
		for _, rc := range inflight.chunk {
			busy = append(busy, rc.Seq)
		}
	}
	exclude, _ := json.Marshal(busy)
	now := r.e.opt.Clock.Now()
	marked := int64(0)
	err := r.inviteCommit()(r.ctx, func(tx *sql.Tx) error {
		// The lowest rows of either state, each read in index order (ORDER BY claim, seq:
		// claim is always 0 before the e-mail stage), so that a chunk costs its own size
		// and not a sort of every queued row.
		res, err := tx.ExecContext(r.ctx, `UPDATE batch_recipients SET state = 'inviting', updated_at = ? WHERE batch_id = ? AND seq IN (
			SELECT seq FROM (SELECT seq FROM batch_recipients `+byState+` WHERE batch_id = ? AND state = 'inviting'
				AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND seq NOT IN (SELECT value FROM json_each(?)) ORDER BY claim, seq LIMIT ?)
			UNION ALL SELECT seq FROM (SELECT seq FROM batch_recipients `+byState+` WHERE batch_id = ? AND state = 'queued'
				AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY claim, seq LIMIT ?)
			ORDER BY seq LIMIT ?)`,
			fmtTime(now), r.b.ID, r.b.ID, fmtTime(now), string(exclude), n, r.b.ID, fmtTime(now), n, n)
		if err != nil {
			return err
		}
		if marked, err = res.RowsAffected(); err != nil || marked > 0 {
			return err
		}
		// Nothing to ask for now: when is the next retry due?
		var due *time.Time
		if err := tx.QueryRowContext(r.ctx, `SELECT min(next_attempt_at) FROM batch_recipients `+byState+` WHERE batch_id = ? AND state IN ('queued', 'inviting')`,
			r.b.ID).Scan(scanOpt(&due)); err != nil {
			return err
		}
		if due != nil {
			next = *due
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("record in the local database that invitations of batch %q are being created: %w", r.b.Name, err)
	}
	if marked == 0 {
		return nil, next, nil
	}
	// Read once committed, from a reader connection, so that the per-message commits of
	// the e-mail stage do not wait for it. Only this loop moves rows out of 'inviting'
	// (the chunk in flight is excluded, as in the UPDATE).
	rows, err := r.e.st.db.ReadSQL().QueryContext(r.ctx, "SELECT "+recipientCols+` FROM batch_recipients `+byState+` WHERE batch_id = ? AND state = 'inviting'
		AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND seq NOT IN (SELECT value FROM json_each(?)) ORDER BY claim, seq LIMIT ?`,
		r.b.ID, fmtTime(now), string(exclude), n)
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var rc Recipient
			if rc, err = scanRecipient(rows); err != nil {
				break
			}
			out = append(out, rc)
		}
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read the invitations of batch %q being created from the local database: %w", r.b.Name, err)
	}
	if len(out) == 0 {
		// Decided on (cancelled, excluded) between the commit and the read: look again
		// rather than end the stage.
		return nil, now, nil
	}
	return out, next, nil
}

type inviteOutcome struct {
	res InviteResult
	err error
}

func (r *run) inviteRequest(rc Recipient) InviteRequest {
	return InviteRequest{
		ContactID: rc.ContactID, AccountID: rc.AccountID, OrganizationID: rc.OrganizationID,
		Email: rc.Email, Name: DisplayName(rc.Candidate), Roles: rc.Roles, IdempotencyKey: rc.idempotencyKey,
		ExpiresIn: expiresIn(r.b.ExpiresInDays), BatchID: r.b.ID, Replaces: rc.Replaces,
	}
}

// invite asks the server for a chunk's invitations: the new ones with one bulk call when
// the inviter can, the rest a few at a time. Either way each row is asked under its own
// stored key, so a crash anywhere in here is settled the same way (see doc.go).
func (r *run) invite(chunk []Recipient) []inviteOutcome {
	out := make([]inviteOutcome, len(chunk))
	var single []int
	if bi, ok := r.e.inviter.(BulkInviter); ok && !r.noBulk.Load() {
		var bulk []int
		var reqs []InviteRequest
		for i, rc := range chunk {
			if rc.Replaces != "" {
				single = append(single, i)
				continue
			}
			bulk = append(bulk, i)
			reqs = append(reqs, r.inviteRequest(rc))
		}
		if len(reqs) > 0 {
			res, err := bi.InviteBulk(r.ctx, reqs)
			switch {
			case errors.Is(err, ErrBulkUnsupported):
				r.noBulk.Store(true)
				single = append(single, bulk...)
				slices.Sort(single)
			case err != nil:
				for _, i := range bulk {
					out[i].err = err
				}
			default:
				for k, i := range bulk {
					out[i].res, out[i].err = res[k].Result, res[k].Err
				}
			}
		}
	} else {
		for i := range chunk {
			single = append(single, i)
		}
	}
	if len(single) == 0 {
		return out
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(r.e.opt.InviteWorkers, len(single)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i].res, out[i].err = r.e.inviter.Invite(r.ctx, r.inviteRequest(chunk[i]))
			}
		}()
	}
	for _, i := range single {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

// recordInvites stores the links with a durable commit. It returns the last temporary
// failure (the chunk's failed rows wait for a retry) or a failure that must stop the run.
func (r *run) recordInvites(chunk []Recipient, results []inviteOutcome, attempt int) (temp, fatal, err error) {
	// Links that were made are recorded even when the run is being stopped.
	ctx := context.WithoutCancel(r.ctx)
	err = r.inviteCommit()(ctx, func(tx *sql.Tx) error {
		now := r.e.opt.Clock.Now()
		ts := fmtTime(now)
		// Most rows of a chunk take this statement: parsed once per chunk, not per row.
		invited, err := tx.PrepareContext(ctx, `UPDATE batch_recipients SET state = 'invited', invitation_id = ?, invitation_url = ?, expires_at = ?,
			next_attempt_at = NULL, stage = '', last_error = '', updated_at = ? WHERE batch_id = ? AND seq = ? AND state = 'inviting'`)
		if err != nil {
			return err
		}
		defer invited.Close()
		for i, rc := range chunk {
			res, ierr := results[i].res, results[i].err
			var err error
			var withheld *LinkWithheldError
			switch {
			case ierr == nil && res.URL == "":
				_, err = tx.ExecContext(ctx, `UPDATE batch_recipients SET state = 'failed', stage = 'invite', last_error = ?, updated_at = ?
					WHERE batch_id = ? AND seq = ? AND state = 'inviting'`, "The portal server returned no invitation link.", ts, r.b.ID, rc.Seq)
			case ierr == nil:
				var link string
				if link, err = r.e.sealLink(r.b.ID, rc.Seq, res.URL); err == nil {
					_, err = invited.ExecContext(ctx, res.InvitationID, link, fmtTimePtr(&res.ExpiresAt), ts, r.b.ID, rc.Seq)
				}
			case r.ctx.Err() != nil:
				// Stopped mid-call: the row stays inviting and is asked again, same key.
			case errors.As(ierr, &withheld):
				// Made by an earlier run whose answer was lost: record it, and replace it
				// next, under a key derived from it, so that each step survives a crash.
				key, _, _ := strings.Cut(rc.idempotencyKey, "/r/")
				_, err = tx.ExecContext(ctx, `UPDATE batch_recipients SET invitation_id = ?, replaces = ?, idempotency_key = ?, next_attempt_at = NULL,
					stage = 'invite', last_error = ?, updated_at = ? WHERE batch_id = ? AND seq = ? AND state = 'inviting'`,
					withheld.InvitationID, withheld.InvitationID, key+"/r/"+withheld.InvitationID, ierr.Error(), ts, r.b.ID, rc.Seq)
			case portal.ErrorCode(ierr) == portal.EUNAUTHORIZED:
				fatal = fmt.Errorf("the portal server no longer accepts this session; sign in again and resume: %w", ierr)
			case IsTemporary(ierr):
				temp = ierr
				_, err = tx.ExecContext(ctx, `UPDATE batch_recipients SET next_attempt_at = ?, stage = 'invite', last_error = ?, updated_at = ?
					WHERE batch_id = ? AND seq = ? AND state = 'inviting'`, fmtTime(now.Add(r.backoff(attempt))), ierr.Error(), ts, r.b.ID, rc.Seq)
			default:
				msg := ierr.Error()
				if portal.ErrorCode(ierr) != portal.EINTERNAL {
					msg = portal.ErrorMessage(ierr)
				}
				_, err = tx.ExecContext(ctx, `UPDATE batch_recipients SET state = 'failed', stage = 'invite', last_error = ?, updated_at = ?
					WHERE batch_id = ? AND seq = ? AND state = 'inviting'`, "The portal server did not create the invitation: "+msg, ts, r.b.ID, rc.Seq)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("record the invitations of batch %q in the local database: %w", r.b.Name, err)
	}
	return temp, fatal, nil
}

// ---- the end ----

func (r *run) finish(pend *outcome) (Progress, error) {
	ctx := context.WithoutCancel(r.ctx)
	r.mu.Lock()
	why, failure := r.why, r.failure
	r.mu.Unlock()
	err := r.e.st.durable(ctx, func(tx *sql.Tx) error {
		if err := r.apply(ctx, tx, pend); err != nil {
			return err
		}
		now := r.e.opt.Clock.Now()
		// Still reserved: never marked sending, so never handed over.
		if _, err := tx.ExecContext(ctx, "UPDATE batch_recipients SET claim = 0 WHERE batch_id = ? AND state = ? AND claim = 1", r.b.ID, r.ready); err != nil {
			return err
		}
		if why == stopCancel {
			return cancelRest(ctx, tx, r.b.ID, now)
		}
		counts, err := countStates(ctx, tx, r.b.ID)
		if err != nil {
			return err
		}
		state, lastErr, finished := BatchPaused, "", any(nil)
		switch {
		case failure != nil && why == stopInterrupted:
			lastErr = "Sending was interrupted; resume to send the rest."
		case failure != nil:
			lastErr = portal.ErrorMessage(failure)
			var se *mail.SendError
			if errors.As(failure, &se) || portal.ErrorCode(failure) == portal.EINTERNAL {
				lastErr = failure.Error()
			}
		case why == stopNone && counts.Remaining() == 0:
			state, finished = BatchDone, fmtTime(now)
		case why == stopNone:
			lastErr = "Some rows could not be sent yet; resume to try again."
		}
		_, err = tx.ExecContext(ctx, `UPDATE batches SET state = ?, last_error = ?, finished_at = ?, lease_owner = '', lease_pid = 0,
			lease_boot = '', lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ?`,
			state, lastErr, finished, fmtTime(now), r.b.ID, r.owner)
		return err
	})
	if err != nil {
		return Progress{}, fmt.Errorf("record the end of sending batch %q in the local database: %w", r.b.Name, err)
	}
	b, err := r.e.st.Get(ctx, r.b.ID)
	if err != nil {
		return Progress{}, err
	}
	r.mu.Lock()
	r.counts = b.Counts
	p := r.progressLocked(b.State, b.LastError)
	r.mu.Unlock()
	if r.e.opt.Progress != nil {
		r.emit(p)
	}
	if why == stopFailed {
		return p, failure
	}
	if why == stopInterrupted {
		return p, r.ctx.Err()
	}
	return p, nil
}

// ---- progress ----

func (r *run) count(o *outcome) {
	if o != nil {
		r.move(StateSending, o.state(r.ready))
	}
}

func (r *run) move(from, to State) {
	r.mu.Lock()
	r.counts.move(from, to)
	r.mu.Unlock()
}

func (r *run) report(force bool) {
	if r.e.opt.Progress == nil {
		return
	}
	now := r.e.opt.Clock.Now()
	r.mu.Lock()
	if !force && r.e.opt.ProgressEvery > 0 && now.Sub(r.lastReport) < r.e.opt.ProgressEvery {
		r.mu.Unlock()
		return
	}
	r.lastReport = now
	p := r.progressLocked(BatchSending, "")
	r.mu.Unlock()
	r.emit(p)
}

// emit calls the Progress callback, one call at a time.
func (r *run) emit(p Progress) {
	r.emitMu.Lock()
	defer r.emitMu.Unlock()
	r.e.opt.Progress(p)
}

const rateWindow = 10 * time.Second

func (r *run) progressLocked(state BatchState, lastErr string) Progress {
	now := r.e.opt.Clock.Now()
	c := r.counts
	p := Progress{BatchID: r.b.ID, State: state, Counts: c, Done: c.Done(), Total: c.Total - c.Cancelled, LastError: lastErr, At: now, ETASeconds: -1}
	r.samples = append(r.samples, sample{now, p.Done})
	for len(r.samples) > 2 && now.Sub(r.samples[1].at) > rateWindow {
		r.samples = r.samples[1:]
	}
	first := r.samples[0]
	if span := now.Sub(first.at); span >= 500*time.Millisecond {
		p.RatePerSecond = float64(p.Done-first.done) / span.Seconds()
	} else if span := now.Sub(r.started); span > 0 {
		p.RatePerSecond = float64(p.Done-r.startDone) / span.Seconds()
	}
	if p.RatePerSecond > 0 {
		p.ETASeconds = float64(c.Remaining()) / p.RatePerSecond
	} else if c.Remaining() == 0 {
		p.ETASeconds = 0
	}
	return p
}
