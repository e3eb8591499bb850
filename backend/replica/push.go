package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// PushResult counts what one push pass did with the commands it sent.
type PushResult struct {
	Sent      int `json:"sent"`
	Conflicts int `json:"conflicts"`
	Failed    int `json:"failed"`   // refused by the server for good
	Retrying  int `json:"retrying"` // to be sent again later
}

var zeroTime time.Time

// count adds outcomes to the tally.
func (r *PushResult) count(outs ...outcome) {
	for _, o := range outs {
		switch o {
		case outSent:
			r.Sent++
		case outConflict:
			r.Conflicts++
		case outFailed:
			r.Failed++
		case outRetry:
			r.Retrying++
		}
	}
}

// outcome is what became of one send.
type outcome int

const (
	outNone outcome = iota // not settled: a bulk run stopped before it
	outSent
	outConflict
	outFailed
	outRetry
)

// Push sends every command that is due, oldest first, until none is left or the server
// cannot be reached. Each command goes with its own Idempotency-Key and base version, so a
// command whose answer was lost is sent again safely: the server replays its first answer.
func (e *Engine) Push(ctx context.Context) (PushResult, error) {
	e.pushMu.Lock()
	defer e.pushMu.Unlock()
	var res PushResult
	defer func() { _ = e.refreshStatus(context.WithoutCancel(ctx)) }()
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		c, ok, err := e.db.NextDue(ctx)
		if err != nil {
			return res, local(err)
		}
		if !ok {
			return res, nil
		}
		var outs []outcome
		if k, ok := kinds[c.Name]; ok && k.bulk != nil {
			run, err := e.db.DueRun(ctx, c, bulkRun)
			if err != nil {
				return res, local(err)
			}
			if len(run) > 1 {
				outs, err = e.sendRun(ctx, k, run)
				res.count(outs...)
				if err != nil {
					return res, err
				}
				continue
			}
		}
		out, err := e.sendOne(ctx, c)
		res.count(out)
		if err != nil {
			return res, err
		}
	}
}

// sendOne sends one command and records the answer. The error is set when pushing should
// stop: the server is out of reach, refuses the sign-in, or the local database failed.
func (e *Engine) sendOne(ctx context.Context, c cache.QueuedCommand) (outcome, error) {
	k, ok := kinds[c.Name]
	if !ok {
		err := portal.Errorf(portal.EINVALID, "This version of Gatehouse does not know the change %q. Update Gatehouse, or discard the change.", c.Name)
		return outFailed, local(e.db.MarkFailed(ctx, c.ID, err, zeroTime))
	}
	if err := e.db.MarkSending(ctx, c.ID); err != nil {
		return outRetry, local(err)
	}
	e.log.Debug("sending queued change", "id", c.ID, "command", c.Name, "entity", c.EntityType, "entityId", c.EntityID, "key", c.IdempotencyKey)
	cmd := &client.Cmd{IdempotencyKey: c.IdempotencyKey, IfMatch: c.BaseVersion}
	ans, err := k.send(ctx, e.cl, c.EntityID, c.Payload, cmd)
	if err == nil {
		e.log.Debug("queued change sent", "id", c.ID, "replayed", cmd.Replayed)
		return outSent, e.acknowledge(ctx, c, ans)
	}
	return e.settle(ctx, c, err)
}

// settle records why the server did not apply c (err, from sending it alone or as an item
// of a bulk request). The error is set when pushing should stop.
func (e *Engine) settle(ctx context.Context, c cache.QueuedCommand, err error) (outcome, error) {
	if ctx.Err() != nil {
		// Stopping: the command stays "sending" and goes again, with the same key, later.
		return outRetry, ctx.Err()
	}
	var le *localError
	if errors.As(err, &le) {
		// The stored change itself is unreadable; sending it again cannot help.
		return outFailed, local(e.db.MarkFailed(ctx, c.ID, le, zeroTime))
	}
	var ce *client.Error
	if !errors.As(err, &ce) {
		// The request or its answer got lost on the way: the server may or may not have
		// applied it. Sending it again with the same key is safe either way.
		return outRetry, e.retryLater(ctx, c, err, err)
	}
	switch {
	case ce.Status >= 500 || ce.Status == http.StatusRequestTimeout || ce.Status == http.StatusTooManyRequests:
		var stop error
		if isUnreachable(ce) {
			stop = ce
		}
		return outRetry, e.retryLater(ctx, c, ce, stop)
	case ce.Status == http.StatusUnauthorized:
		return outRetry, e.retryLater(ctx, c, ce, ce)
	case ce.Status == http.StatusPreconditionFailed:
		return outConflict, e.conflict(ctx, c, ce, ce.Current, true)
	case ce.Status == http.StatusConflict && ce.Field == "Idempotency-Key":
		// Never expected: the key was used for another request. Sending again cannot help.
		return outFailed, local(e.db.MarkFailed(ctx, c.ID, errors.New(ce.Message), zeroTime))
	case ce.Status == http.StatusConflict || ce.Status == http.StatusNotFound:
		// Someone else decided first (or removed the record): show what the server has now.
		theirs, gone, gerr := e.fetchCurrent(ctx, c.EntityType, c.EntityID)
		if gerr != nil {
			var stop error
			if isUnreachable(gerr) || isAuth(gerr) {
				stop = gerr
			}
			return outRetry, e.retryLater(ctx, c, ce, stop)
		}
		if gone {
			theirs = nil
		}
		return outConflict, e.conflict(ctx, c, ce, theirs, !gone)
	default:
		// Invalid or forbidden: the administrator has to look at it.
		msg, wait := e.refusal(ctx, c, ce)
		if wait {
			return outRetry, e.retryLater(ctx, c, errors.New(msg), nil)
		}
		return outFailed, local(e.db.MarkFailed(ctx, c.ID, errors.New(msg), zeroTime))
	}
}

// refusal is the sentence recorded for a change the server refused, and whether it
// should rather wait. A contact refused because its organisation does not exist, while
// that organisation's own creation is in the outbox, depends on it: if the organisation
// was refused for good, the contact is refused naming it and why (not an identifier the
// import made up); if it is still to be sent, the contact waits and goes after it.
func (e *Engine) refusal(ctx context.Context, c cache.QueuedCommand, ce *client.Error) (string, bool) {
	msg := portal.ErrorMessage(ce)
	// A bulk request names the item's field ("items[3].organizationId").
	if ce.Field != "organizationId" && !strings.HasSuffix(ce.Field, ".organizationId") || (c.Name != CmdCreateContact && c.Name != CmdUpdateContact) {
		return msg, false
	}
	var contact struct {
		OrganizationID string `json:"organizationId"`
	}
	if json.Unmarshal(c.Payload, &contact) != nil || contact.OrganizationID == "" {
		return msg, false
	}
	pending, err := e.db.PendingFor(ctx, cache.EntityOrganization, contact.OrganizationID)
	if err != nil {
		return msg, false
	}
	for _, o := range pending {
		if o.Name != CmdCreateOrganization {
			continue
		}
		var org struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(o.Payload, &org)
		if o.State == cache.OutboxConflict || o.State == cache.OutboxFailed && o.NextAttemptAt == nil {
			return fmt.Sprintf("Its organisation %q was not created: %s", org.Name, o.LastError), false
		}
		return fmt.Sprintf("Its organisation %q is not on the portal yet; this contact goes after it.", org.Name), true
	}
	return msg, false
}

// bulkRun is the most commands one bulk request carries.
const bulkRun = 200

// sendRun sends a run of due commands of one kind in one bulk request, then records each
// one's outcome as sendOne would, the acknowledgements in one transaction. It returns the
// outcome of each command and the error that stops the push, if any.
func (e *Engine) sendRun(ctx context.Context, k kind, run []cache.QueuedCommand) ([]outcome, error) {
	outs := make([]outcome, len(run))
	ids := make([]int64, len(run))
	for i, c := range run {
		ids[i] = c.ID
	}
	if err := e.db.MarkSendingAll(ctx, ids); err != nil {
		return outs, local(err)
	}
	e.log.Debug("sending queued changes in one request", "command", run[0].Name, "count", len(run), "first", run[0].ID)
	answers, err := k.bulk(ctx, e.cl, run)
	if err != nil {
		// The request as a whole: every command is in the same position.
		for i, c := range run {
			var stop error
			outs[i], stop = e.settle(ctx, c, err)
			if stop != nil {
				return outs, stop
			}
		}
		return outs, nil
	}
	var sentCmds []cache.QueuedCommand
	var sentAns []sent
	for i, c := range run {
		if answers[i].err == nil {
			outs[i] = outSent
			sentCmds, sentAns = append(sentCmds, c), append(sentAns, answers[i].ans)
		}
	}
	if err := e.acknowledgeAll(ctx, sentCmds, sentAns); err != nil {
		return outs, err
	}
	for i, c := range run {
		if answers[i].err != nil {
			var stop error
			if outs[i], stop = e.settle(ctx, c, answers[i].err); stop != nil {
				return outs, stop
			}
		}
	}
	return outs, nil
}

// bulkAnswer is the server's answer to one command of a bulk request: what a single send
// would have returned.
type bulkAnswer struct {
	ans sent
	err error
}

// acknowledge records the server's answer and stores the records it carries, in one
// transaction, so the screen moves from the preview straight to the acknowledged state.
func (e *Engine) acknowledge(ctx context.Context, c cache.QueuedCommand, ans sent) error {
	return e.acknowledgeAll(ctx, []cache.QueuedCommand{c}, []sent{ans})
}

// acknowledgeAll is acknowledge for several commands, in one transaction.
func (e *Engine) acknowledgeAll(ctx context.Context, cmds []cache.QueuedCommand, answers []sent) error {
	if len(cmds) == 0 {
		return nil
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	var cur cache.QueuedCommand
	err := e.db.Apply(ctx, func(tx *cache.Tx) error {
		a, err := loadAcks(ctx, tx)
		if err != nil {
			return err
		}
		for i, c := range cmds {
			cur = c
			if err := tx.MarkSent(c.ID, answers[i].response, answers[i].version); err != nil {
				return err
			}
			for _, r := range answers[i].records {
				if err := a.fromAnswer(r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return local(fmt.Errorf("record that the server applied the %q change for %s %q: %w", cur.Name, cur.EntityType, cur.EntityID, err))
	}
	return nil
}

// retryLater plans the next attempt with backoff; the preview stays on screen. stop, when
// not nil, is returned to end the push pass.
func (e *Engine) retryLater(ctx context.Context, c cache.QueuedCommand, cause, stop error) error {
	at := e.clock.Now().Add(e.backoff.Delay(c.Attempts + 1))
	if err := e.db.MarkFailed(ctx, c.ID, errors.New(e.sentence(cause)), at); err != nil {
		return local(err)
	}
	return stop
}

// conflict keeps the command beside the server's current record until the administrator
// chooses; the server's record goes into the cache too.
func (e *Engine) conflict(ctx context.Context, c cache.QueuedCommand, ce *client.Error, theirs json.RawMessage, exists bool) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	err := e.db.Apply(ctx, func(tx *cache.Tx) error {
		if err := tx.MarkConflict(c.ID, theirs); err != nil {
			return err
		}
		if ce.Status != http.StatusPreconditionFailed {
			// Keep the server's reason ("someone has already approved it"), not only that
			// the record changed.
			if err := tx.SetLastError(c.ID, ce.Message); err != nil {
				return err
			}
		}
		r := record{entity: c.EntityType, id: c.EntityID, deleted: true}
		if exists {
			if len(theirs) == 0 {
				return nil
			}
			var ok bool
			var err error
			if r, ok, err = decodeRecord(c.EntityType, c.EntityID, "upsert", versionOf(theirs), theirs); err != nil || !ok {
				return err
			}
		}
		a, err := loadAcks(ctx, tx)
		if err != nil {
			return err
		}
		return a.fromFeed(r)
	})
	if err != nil {
		return local(fmt.Errorf("record the conflict on the %q change for %s %q: %w", c.Name, c.EntityType, c.EntityID, err))
	}
	return nil
}

// fetchCurrent asks the server for a record as it is now. gone is true when it has none.
func (e *Engine) fetchCurrent(ctx context.Context, entity, id string) (rec json.RawMessage, gone bool, err error) {
	var v any
	switch entity {
	case cache.EntityAccount:
		v, err = e.cl.Account(ctx, id)
	case cache.EntityOrganization:
		v, err = e.cl.Organization(ctx, id)
	case cache.EntityContact:
		v, err = e.cl.Contact(ctx, id)
	case cache.EntityInvitation:
		v, err = e.cl.Invitation(ctx, id)
	case cache.EntityRole:
		// The server answers for roles as a list only.
		var rs []portal.Role
		if rs, err = e.cl.Roles(ctx); err != nil {
			break
		}
		i := slices.IndexFunc(rs, func(r portal.Role) bool { return r.ID == id })
		if i < 0 {
			return nil, true, nil
		}
		v = rs[i]
	case cache.EntityTemplate:
		v, err = e.cl.Template(ctx, id)
	case cache.EntitySettings:
		v, err = e.cl.Settings(ctx)
	default:
		return nil, false, nil
	}
	if ce, ok := client.AsError(err); ok && ce.Status == http.StatusNotFound {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	b, err := json.Marshal(v)
	return b, false, err
}
