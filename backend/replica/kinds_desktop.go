package replica

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// The desktop's own work — import fixes, exclusions, merges and applies; batches formed,
// sent, cancelled and settled — goes to the portal's audit log through the outbox like any
// change: recorded at once here with the time it was done, sent when the portal can be
// reached, under the administrator signed in then.

// CmdRecordEvents records desktop work in the portal's audit log.
const CmdRecordEvents = "record_events"

// entityDesktopWork is what the outbox files desktop work under: it is no record of the
// portal's, so nothing previews it and no version holds it back.
const entityDesktopWork = "audit"

func init() {
	kinds[CmdRecordEvents] = kind{entity: entityDesktopWork, verb: "Record in the audit log:", load: noRecord,
		decide: decideRecordEvents, send: sendRecordEvents}
}

func noRecord(context.Context, *Engine, string) (json.RawMessage, error) { return nil, nil }

// decideRecordEvents checks each event with the portal's own rule, so that a report the
// portal would refuse is refused here, before it waits in the outbox.
func decideRecordEvents(_ context.Context, _ *Engine, op *portal.Op, _, payload json.RawMessage) (decided, error) {
	evs, err := decode[[]portal.DesktopEvent](payload)
	if err != nil {
		return decided{}, err
	}
	for _, ev := range evs {
		if _, err := op.RecordDesktopEvent(ev); err != nil {
			return decided{}, err
		}
	}
	return decided{}, nil
}

func sendRecordEvents(ctx context.Context, cl *client.Client, _ string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
	evs, err := decode[[]portal.DesktopEvent](payload)
	if err != nil {
		return sent{}, local(err)
	}
	res, err := cl.RecordDesktopEvents(ctx, evs, cmd)
	if err != nil {
		return sent{}, err
	}
	return answer(res, 0)
}

// RecordDesktopWork queues one piece of desktop work for the portal's audit log, dated now.
// subject names what it concerns ("import:<id>", "batch:<id>"): the outbox sends the
// events of one subject in the order they were done.
func (c *Commands) RecordDesktopWork(ctx context.Context, ev portal.DesktopEvent) (Queued, error) {
	if ev.At.IsZero() {
		ev.At = c.e.clock.Now().UTC().Truncate(time.Millisecond)
	}
	subject, _, _ := strings.Cut(ev.Action, ".")
	return c.one(ctx, item{name: CmdRecordEvents, id: subject + ":" + ev.EntityID, payload: []portal.DesktopEvent{ev}})
}
