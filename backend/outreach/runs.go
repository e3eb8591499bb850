package outreach

import (
	"context"
	"log/slog"
	"sync"

	"gatehouse/backend/batch"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// Runs are the batches being sent, by batch ID, so that Pause and Cancel reach the run
// that Send started.
type Runs struct {
	mu      sync.Mutex
	engines map[string]*batch.Engine
}

// NewRuns returns an empty register.
func NewRuns() *Runs { return &Runs{engines: map[string]*batch.Engine{}} }

// Running returns the engine sending batch id, or nil.
func (r *Runs) Running(id string) *batch.Engine {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.engines[id]
}

// Run is one start of a batch's sending.
type Run struct {
	Store   *batch.Store
	Inviter batch.Inviter
	Sender  mail.Sender
	Close   func() error // the mail connection, once the run ends
	Clock   portal.Clock
	Log     *slog.Logger
	// LinkKey seals invitation links until they are sent (see LinkKey).
	LinkKey []byte
	// Progress hears the run as it goes and, finished, once at the end with the batch's
	// state and counts as stored.
	Progress func(p batch.Progress, finished bool)
}

// Start sends batch id in the background; sending a paused or interrupted batch resumes
// it. A batch already being sent is refused.
func (r *Runs) Start(ctx context.Context, id string, run Run) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.engines[id] != nil {
		return portal.Errorf(portal.ECONFLICT, "This batch is already being sent.")
	}
	eng := batch.NewEngine(run.Store, run.Inviter, run.Sender,
		batch.EngineOptions{Clock: run.Clock, LinkKey: run.LinkKey, Progress: func(p batch.Progress) { run.Progress(p, false) }})
	r.engines[id] = eng
	go func() {
		p, err := eng.Run(ctx, id)
		if cerr := run.Close(); cerr != nil {
			run.Log.Debug("close the mail connection", "err", cerr)
		}
		r.mu.Lock()
		delete(r.engines, id)
		r.mu.Unlock()
		if err != nil {
			run.Log.Error("send batch", "batch", id, "err", err)
			if p.LastError == "" {
				p.LastError = portal.ErrorMessage(err)
			}
		}
		if b, gerr := run.Store.Get(context.WithoutCancel(ctx), id); gerr == nil {
			p.State, p.Counts = b.State, b.Counts
			if p.Total == 0 {
				p.Total, p.Done = b.Counts.Total, b.Counts.Done()
			}
			if p.LastError == "" {
				p.LastError = b.LastError
			}
		}
		run.Progress(p, true)
	}()
	return nil
}

// Pause stops a running batch after the message in flight.
func (r *Runs) Pause(id string) error {
	eng := r.Running(id)
	if eng == nil {
		return portal.Errorf(portal.ECONFLICT, "The batch is not being sent, so there is nothing to pause.")
	}
	return eng.Pause(id)
}

// Cancel stops a batch for good; the rest is not sent.
func (r *Runs) Cancel(ctx context.Context, st *batch.Store, id string) error {
	if eng := r.Running(id); eng != nil {
		return eng.Cancel(ctx, id)
	}
	return st.Cancel(ctx, id)
}
