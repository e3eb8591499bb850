package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// Version is one side of a conflict: a record as the administrator's change would make
// it, or as the server has it. Exactly one of the record fields is set unless Removed.
type Version struct {
	Account      *portal.Account      `json:"account,omitempty"`
	Organization *portal.Organization `json:"organization,omitempty"`
	Contact      *portal.Contact      `json:"contact,omitempty"`
	Invitation   *portal.Invitation   `json:"invitation,omitempty"`
	Role         *portal.Role         `json:"role,omitempty"`
	Template     *client.Template     `json:"template,omitempty"`
	Settings     *client.Settings     `json:"settings,omitempty"`
	// Removed is true when the record does not exist in this version (purged, deleted).
	Removed bool `json:"removed"`
	// Version is the record's version on the server (for theirs) or the version the
	// change was decided on (for mine).
	Version int64 `json:"version"`
}

// Change is an administrator action the server does not have yet, for the pending list.
type Change struct {
	ID          int64             `json:"id"`
	Command     string            `json:"command"`
	Description string            `json:"description"` // "Approve Ann Smith"
	EntityType  string            `json:"entityType"`
	EntityID    string            `json:"entityId"`
	State       cache.OutboxState `json:"state"`
	// GivenUp is true for a failed change that will not be sent again unless the
	// administrator retries it.
	GivenUp       bool       `json:"givenUp"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// Message says, for an administrator, what went wrong (the server's words when it
	// refused the change).
	Message  string    `json:"message"`
	QueuedAt time.Time `json:"queuedAt"`
}

// Conflict is a change the server refused because someone else changed or decided first.
// The administrator chooses: keep theirs (KeepTheirs) or apply mine again on top of
// theirs (ApplyMineAgain).
type Conflict struct {
	Change
	Mine   Version `json:"mine"`
	Theirs Version `json:"theirs"`
	// Payload is what the administrator asked for (reason, roles, ...), as JSON.
	Payload json.RawMessage `json:"payload"`
}

// Pending lists the changes the server does not have yet, oldest first.
func (e *Engine) Pending(ctx context.Context) ([]Change, error) {
	cs, err := e.db.ListOutbox(ctx, cache.OutboxQueued, cache.OutboxSending, cache.OutboxFailed, cache.OutboxConflict)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(cs))
	for _, c := range cs {
		out = append(out, e.change(ctx, c))
	}
	return out, nil
}

// Failed lists the changes the server refused for good (invalid, forbidden), with its
// message; Retry sends one again, Discard drops it.
func (e *Engine) Failed(ctx context.Context) ([]Change, error) {
	cs, err := e.db.ListOutbox(ctx, cache.OutboxFailed)
	if err != nil {
		return nil, err
	}
	out := []Change{}
	for _, c := range cs {
		if c.NextAttemptAt == nil {
			out = append(out, e.change(ctx, c))
		}
	}
	return out, nil
}

// Conflicts lists the changes waiting for the administrator's choice, with both versions.
func (e *Engine) Conflicts(ctx context.Context) ([]Conflict, error) {
	cs, err := e.db.ListOutbox(ctx, cache.OutboxConflict)
	if err != nil {
		return nil, err
	}
	out := make([]Conflict, 0, len(cs))
	for _, c := range cs {
		out = append(out, e.conflictOf(ctx, c))
	}
	return out, nil
}

// Conflict returns one conflict.
func (e *Engine) Conflict(ctx context.Context, id int64) (Conflict, error) {
	c, err := e.db.GetCommand(ctx, id)
	if err != nil {
		return Conflict{}, err
	}
	if c.State != cache.OutboxConflict {
		return Conflict{}, portal.Errorf(portal.ECONFLICT, "This change is no longer in conflict (it is %s).", c.State)
	}
	return e.conflictOf(ctx, c), nil
}

func (e *Engine) conflictOf(ctx context.Context, c cache.QueuedCommand) Conflict {
	k := Conflict{Change: e.change(ctx, c), Payload: c.Payload}
	k.Mine = versionFrom(c.EntityType, c.Preview, c.BaseVersion)
	k.Mine.Removed = c.PreviewDeletes
	if len(c.Response) == 0 {
		k.Theirs = Version{Removed: true}
	} else {
		k.Theirs = versionFrom(c.EntityType, c.Response, versionOf(c.Response))
	}
	return k
}

func versionFrom(entity string, rec json.RawMessage, version int64) Version {
	v := Version{Version: version}
	if len(rec) == 0 {
		return v
	}
	switch entity {
	case cache.EntityAccount:
		if a, err := decode[portal.Account](rec); err == nil {
			v.Account = &a
		}
	case cache.EntityOrganization:
		if o, err := decode[portal.Organization](rec); err == nil {
			v.Organization = &o
		}
	case cache.EntityContact:
		if x, err := decode[portal.Contact](rec); err == nil {
			v.Contact = &x
		}
	case cache.EntityInvitation:
		if x, err := decode[portal.Invitation](rec); err == nil {
			v.Invitation = &x
		}
	case cache.EntityRole:
		if x, err := decode[portal.Role](rec); err == nil {
			v.Role = &x
		}
	case cache.EntityTemplate:
		if x, err := decode[client.Template](rec); err == nil {
			v.Template = &x
		}
	case cache.EntitySettings:
		if x, err := decode[client.Settings](rec); err == nil {
			v.Settings = &x
		}
	}
	return v
}

// KeepTheirs resolves a conflict by dropping the administrator's change: the server's
// version stays.
func (e *Engine) KeepTheirs(ctx context.Context, id int64) error {
	if _, err := e.Conflict(ctx, id); err != nil {
		return err
	}
	return e.Discard(ctx, id)
}

// ApplyMineAgain resolves a conflict by deciding the administrator's change again on the
// server's current version and queueing it with that version. If the change no longer
// makes sense there (someone already approved the person), the portal's reason is returned
// and the conflict stays.
func (e *Engine) ApplyMineAgain(ctx context.Context, id int64) (Queued, error) {
	q, err := e.applyMineAgain(ctx, id)
	if err != nil {
		return Queued{}, err
	}
	_ = e.refreshStatus(ctx)
	e.SyncNow()
	return q, nil
}

func (e *Engine) applyMineAgain(ctx context.Context, id int64) (Queued, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	c, err := e.db.GetCommand(ctx, id)
	if err != nil {
		return Queued{}, err
	}
	if c.State != cache.OutboxConflict {
		return Queued{}, portal.Errorf(portal.ECONFLICT, "This change is no longer in conflict (it is %s).", c.State)
	}
	k, ok := kinds[c.Name]
	if !ok {
		return Queued{}, portal.Errorf(portal.EINVALID, "This version of Gatehouse does not know the change %q; keep theirs instead.", c.Name)
	}
	// Theirs is the record the server sent with the refusal, or a newer copy the feed
	// has brought since.
	theirs := c.Response
	if rec, v, err := e.serverCopy(ctx, c.EntityType, c.EntityID); err != nil {
		return Queued{}, err
	} else if rec != nil && v > versionOf(theirs) {
		theirs = rec
	}
	if len(theirs) == 0 {
		return Queued{}, portal.Errorf(portal.ECONFLICT, "The server no longer has this record, so your change cannot be applied to it. Keep theirs to clear it.")
	}
	payload := c.Payload
	if k.rebase != nil {
		if payload, err = k.rebase(payload, theirs); err != nil {
			return Queued{}, err
		}
	}
	op, err := e.op(ctx)
	if err != nil {
		return Queued{}, err
	}
	d, err := k.decide(ctx, e, &op, theirs, payload)
	if err != nil {
		return Queued{}, err
	}
	cmd := cache.Command{Name: c.Name, EntityType: c.EntityType, EntityID: c.EntityID, BaseVersion: d.base,
		Payload: payload, Preview: d.preview, PreviewDeletes: d.deletes}
	key, err := e.db.Resubmit(ctx, id, cmd)
	if err != nil {
		return Queued{}, err
	}
	return Queued{ID: id, IdempotencyKey: key, Command: c.Name, EntityType: c.EntityType, EntityID: c.EntityID}, nil
}

// Retry sends a failed change again as it is.
func (e *Engine) Retry(ctx context.Context, id int64) error {
	if err := e.db.Retry(ctx, id); err != nil {
		return err
	}
	_ = e.refreshStatus(ctx)
	e.SyncNow()
	return nil
}

// Discard drops a change the server does not have (undo before it is sent, keep theirs
// after a conflict, give up after a failure); the server's version shows again.
func (e *Engine) Discard(ctx context.Context, id int64) error {
	e.writeMu.Lock()
	err := e.db.Discard(ctx, id)
	e.writeMu.Unlock()
	if err != nil {
		return err
	}
	_ = e.refreshStatus(ctx)
	return nil
}

// change describes an outbox entry for the administrator.
func (e *Engine) change(ctx context.Context, c cache.QueuedCommand) Change {
	ch := Change{ID: c.ID, Command: c.Name, EntityType: c.EntityType, EntityID: c.EntityID, State: c.State,
		GivenUp: c.State == cache.OutboxFailed && c.NextAttemptAt == nil, Attempts: c.Attempts,
		NextAttemptAt: c.NextAttemptAt, Message: c.LastError, QueuedAt: c.CreatedAt}
	ch.Description = kinds[c.Name].verb + " " + e.label(ctx, c)
	return ch
}

// label names the record of a change: from its preview, the cache, or its ID.
func (e *Engine) label(ctx context.Context, c cache.QueuedCommand) string {
	rec := c.Preview
	if len(rec) == 0 {
		rec, _ = e.current(ctx, c.EntityType, c.EntityID)
	}
	if len(rec) == 0 {
		rec = c.Response
	}
	var v struct {
		Name     string `json:"name"`
		FullName string `json:"fullName"`
		Email    string `json:"email"`
		Product  string `json:"productName"` // the portal's settings
	}
	if json.Unmarshal(rec, &v) == nil {
		switch {
		case v.Name != "":
			return v.Name
		case v.FullName != "":
			return v.FullName
		case v.Email != "":
			return v.Email
		case v.Product != "":
			return v.Product
		}
	}
	return fmt.Sprintf("%s %s", c.EntityType, c.EntityID)
}
