package replica

import (
	"context"
	"encoding/json"
	"fmt"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
)

// Commands that add organisations and contacts, and change contacts: what applying an
// import queues, row by row. The IDs are chosen on the desktop (the server keeps them), so
// a contact can be invited, and a new organisation chosen, before the server has them.
const (
	CmdCreateOrganization = "create_organization"
	CmdCreateContact      = "create_contact"
	CmdUpdateContact      = "update_contact"
)

// contactPayload is a contact changed, with the one it was edited from.
type contactPayload struct {
	Contact portal.Contact  `json:"contact"`
	Base    *portal.Contact `json:"base,omitempty"`
}

func init() {
	kinds[CmdCreateOrganization] = kind{
		entity: cache.EntityOrganization,
		verb:   "Add the organisation",
		load:   loadIfAny(cache.EntityOrganization),
		decide: func(_ context.Context, _ *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
			o, err := decode[portal.Organization](payload)
			if err != nil {
				return decided{}, err
			}
			if cur != nil {
				return decided{}, portal.Errorf(portal.ECONFLICT, "There is already an organisation %q (%s).", o.ID, o.Name)
			}
			o, err = portal.NewOrganization(*op, o)
			if err != nil {
				return decided{}, err
			}
			return previewOf(o, 0)
		},
		send: func(ctx context.Context, cl *client.Client, _ string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
			o, err := decode[portal.Organization](payload)
			if err != nil {
				return sent{}, local(err)
			}
			cmd.IfMatch = 0 // nothing to match: the organisation is new
			o, err = cl.CreateOrganization(ctx, o, cmd)
			if err != nil {
				return sent{}, err
			}
			return answer(o, o.Version, record{entity: cache.EntityOrganization, id: o.ID, version: o.Version, value: o})
		},
	}
	kinds[CmdCreateContact] = kind{
		entity: cache.EntityContact,
		verb:   "Add the contact",
		load:   loadIfAny(cache.EntityContact),
		decide: func(_ context.Context, _ *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
			c, err := decode[portal.Contact](payload)
			if err != nil {
				return decided{}, err
			}
			if cur != nil {
				return decided{}, portal.Errorf(portal.ECONFLICT, "There is already a contact %q (%s).", c.ID, c.FullName)
			}
			c, err = portal.NewContact(*op, c)
			if err != nil {
				return decided{}, err
			}
			return previewOf(c, 0)
		},
		send: func(ctx context.Context, cl *client.Client, _ string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
			c, err := decode[portal.Contact](payload)
			if err != nil {
				return sent{}, local(err)
			}
			cmd.IfMatch = 0
			c, err = cl.CreateContact(ctx, c, cmd)
			if err != nil {
				return sent{}, err
			}
			return answer(c, c.Version, record{entity: cache.EntityContact, id: c.ID, version: c.Version, value: c})
		},
		bulk: sendContactsBulk,
	}
	kinds[CmdUpdateContact] = kind{
		entity: cache.EntityContact,
		verb:   "Update the contact",
		decide: func(_ context.Context, _ *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
			before, err := decode[portal.Contact](cur)
			if err != nil {
				return decided{}, err
			}
			p, err := decode[contactPayload](payload)
			if err != nil {
				return decided{}, err
			}
			after, err := portal.ChangeContact(*op, before, p.Contact)
			if err != nil {
				return decided{}, err
			}
			return previewOf(after, before.Version)
		},
		send: func(ctx context.Context, cl *client.Client, id string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
			p, err := decode[contactPayload](payload)
			if err != nil {
				return sent{}, local(err)
			}
			c, err := cl.UpdateContact(ctx, id, p.Contact, cmd)
			if err != nil {
				return sent{}, err
			}
			return answer(c, c.Version, record{entity: cache.EntityContact, id: c.ID, version: c.Version, value: c})
		},
	}
}

// sendContactsBulk creates a run of queued contacts with one request, each with its own
// idempotency key (so each replays like a single create would).
func sendContactsBulk(ctx context.Context, cl *client.Client, cmds []cache.QueuedCommand) ([]bulkAnswer, error) {
	out := make([]bulkAnswer, len(cmds))
	var items []client.BulkContact
	var at []int // index in cmds of each item
	for i, c := range cmds {
		ct, err := decode[portal.Contact](c.Payload)
		if err != nil {
			out[i].err = local(err) // unreadable: not sent
			continue
		}
		items = append(items, client.BulkContact{Contact: ct, IdempotencyKey: c.IdempotencyKey})
		at = append(at, i)
	}
	if len(items) == 0 {
		return out, nil
	}
	res, err := cl.CreateContactsBulk(ctx, items)
	if err != nil {
		return nil, err
	}
	if len(res.Items) != len(items) {
		return nil, fmt.Errorf("the portal answered for %d of %d contacts", len(res.Items), len(items))
	}
	for j, o := range res.Items {
		i := at[j]
		switch err := client.ContactItemError(o); {
		case err != nil:
			out[i].err = err
		case o.Contact == nil:
			out[i].err = fmt.Errorf("the portal answered for contact %s without it", cmds[i].EntityID)
		default:
			c := *o.Contact
			out[i].ans, out[i].err = answer(c, c.Version, record{entity: cache.EntityContact, id: c.ID, version: c.Version, value: c})
		}
	}
	return out, nil
}

// loadIfAny reads a record as the administrator sees it, nil when there is none: a record
// being created.
func loadIfAny(entity string) func(ctx context.Context, e *Engine, id string) (json.RawMessage, error) {
	return func(ctx context.Context, e *Engine, id string) (json.RawMessage, error) {
		raw, err := e.current(ctx, entity, id)
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			return nil, nil
		}
		return raw, err
	}
}

// Queue checks every change (a record to add or change, with the idempotency key that makes
// queuing it twice queue it once) on the records as the administrator sees them, and queues
// the accepted ones in one durable transaction; the refused are listed with their reasons.
// A change whose key is queued already is answered with the entry there.
func (c *Commands) Queue(ctx context.Context, changes []imports.ApplyChange) (BulkResult, error) {
	keys := make([]string, 0, len(changes))
	for _, ch := range changes {
		if ch.Key != "" {
			keys = append(keys, ch.Key)
		}
	}
	// A change queued before is not checked again: its record shows it already.
	there, err := c.e.db.OutboxByKey(ctx, keys)
	if err != nil {
		return BulkResult{}, err
	}
	var already []Queued
	items := make([]item, 0, len(changes))
	for _, ch := range changes {
		if q, ok := there[ch.Key]; ok {
			already = append(already, Queued{ID: q.ID, IdempotencyKey: q.IdempotencyKey, Command: q.Name, EntityType: q.EntityType, EntityID: q.EntityID})
			continue
		}
		switch {
		case ch.Organization != nil:
			items = append(items, item{name: CmdCreateOrganization, id: ch.Organization.ID, payload: *ch.Organization, key: ch.Key})
		case ch.Contact != nil && ch.Update:
			base, err := c.e.db.GetContact(ctx, ch.Contact.ID)
			if err != nil {
				return BulkResult{}, err
			}
			items = append(items, item{name: CmdUpdateContact, id: ch.Contact.ID, payload: contactPayload{Contact: *ch.Contact, Base: &base}, key: ch.Key})
		case ch.Contact != nil:
			items = append(items, item{name: CmdCreateContact, id: ch.Contact.ID, payload: *ch.Contact, key: ch.Key})
		}
	}
	res := BulkResult{Queued: []Queued{}, Refused: []Refusal{}}
	if len(items) > 0 {
		if res, err = c.enqueue(ctx, items, true); err != nil {
			return res, err
		}
	}
	res.Queued = append(already, res.Queued...)
	return res, nil
}
