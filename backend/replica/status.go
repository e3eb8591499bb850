package replica

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// Status is what the status bar shows.
type Status struct {
	// Online is false while the last request to the server did not reach it.
	Online bool `json:"online"`
	// LastSyncAt is when the cache last caught up with the server's change feed.
	LastSyncAt *time.Time `json:"lastSyncAt,omitempty"`
	// LastError says, for an administrator, why the last sync failed; empty when it worked.
	LastError string `json:"lastError"`
	// Pending counts the changes the server does not have yet, conflicts and failures
	// included.
	Pending int `json:"pending"`
	// Conflicts counts changes refused because someone else changed or decided first;
	// the administrator has to choose (Engine.Conflicts).
	Conflicts int `json:"conflicts"`
	// Failed counts changes the server refused for good (Engine.Failed).
	Failed int `json:"failed"`
	// Syncing is true while a cycle runs.
	Syncing bool `json:"syncing"`
	// Indexing is true while the indexes a first download left out are built in the
	// background: everything answers, search and filters are slower until it is done.
	Indexing bool `json:"indexing"`
}

func (s Status) equal(o Status) bool {
	same := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
	return s.Online == o.Online && same(s.LastSyncAt, o.LastSyncAt) && s.LastError == o.LastError &&
		s.Pending == o.Pending && s.Conflicts == o.Conflicts && s.Failed == o.Failed && s.Syncing == o.Syncing &&
		s.Indexing == o.Indexing
}

// status holds the current Status and tells subscribers about changes, one call at a time.
type status struct {
	mu   sync.Mutex
	cur  Status
	subs []*func(Status)
	// notify serialises the calls so subscribers see statuses in order.
	notify sync.Mutex
}

func (s *status) init(fn func(Status)) {
	if fn != nil {
		s.subs = append(s.subs, &fn)
	}
}

func (s *status) update(fn func(*Status)) {
	s.notify.Lock()
	defer s.notify.Unlock()
	s.mu.Lock()
	next := s.cur
	fn(&next)
	changed := !next.equal(s.cur)
	s.cur = next
	subs := slices.Clone(s.subs)
	s.mu.Unlock()
	if changed {
		for _, f := range subs {
			(*f)(next)
		}
	}
}

func (s *status) get() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Status is the engine's current status.
func (e *Engine) Status() Status { return e.st.get() }

// Subscribe calls fn with every new Status until the returned function is called. fn is
// called from the engine's goroutines, one call at a time; it must return quickly (the
// desktop turns it into a window event).
func (e *Engine) Subscribe(fn func(Status)) (unsubscribe func()) {
	p := &fn
	e.st.mu.Lock()
	e.st.subs = append(e.st.subs, p)
	e.st.mu.Unlock()
	return func() {
		e.st.mu.Lock()
		defer e.st.mu.Unlock()
		e.st.subs = slices.DeleteFunc(e.st.subs, func(q *func(Status)) bool { return q == p })
	}
}

// refreshStatus recounts the outbox and reads the last sync time from the cache.
func (e *Engine) refreshStatus(ctx context.Context) error {
	pending, conflicts, failed, err := e.db.OutboxStatus(ctx)
	if err != nil {
		return err
	}
	st, err := e.db.GetSyncState(ctx, Stream)
	if err != nil {
		return err
	}
	e.st.update(func(s *Status) {
		s.Pending, s.Conflicts, s.Failed, s.LastSyncAt = pending, conflicts, failed, st.LastSyncAt
	})
	return nil
}

// noteOutcome records what the last cycle's requests said about the server.
func (e *Engine) noteOutcome(err error) {
	e.st.update(func(s *Status) {
		s.Online = err == nil || !isUnreachable(err)
		s.LastError = e.sentence(err)
	})
	if err != nil {
		e.log.Warn("sync failed", "err", err)
	}
}

// sentence turns a sync error into what the status bar tells the administrator.
func (e *Engine) sentence(err error) string {
	switch {
	case err == nil:
		return ""
	case isUnreachable(err):
		return fmt.Sprintf("Gatehouse cannot reach the portal server at %s. You can go on working: your changes are kept and sent when it answers again.", e.cl.BaseURL())
	case isAuth(err):
		return "The portal server no longer accepts your sign-in. Sign in again; your changes are kept until then."
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		return "The portal server refused to sync: " + ce.Message
	}
	var pe *portal.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return "Syncing stopped: " + err.Error()
}

// isUnreachable reports whether err means the server could not be reached or did not
// answer properly (transport errors, truncated answers, gateway errors).
func isUnreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		switch ce.Status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var pe *portal.Error
	if errors.As(err, &pe) {
		return false
	}
	var le *localError
	return !errors.As(err, &le)
}

func isAuth(err error) bool {
	var ce *client.Error
	return errors.As(err, &ce) && ce.Status == http.StatusUnauthorized
}

// localError marks failures that say nothing about reaching the server: the local
// database, or data Gatehouse cannot read.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

func local(err error) error {
	if err == nil {
		return nil
	}
	return &localError{err}
}
