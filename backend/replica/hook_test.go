package replica_test

import (
	"context"
	"log/slog"
)

// hookHandler is a slog handler that hands every record's message and attributes to fn,
// synchronously, so a test can look at the cache at the moment the engine reports a step
// (a feed page committed, a change about to be sent).
type hookHandler struct {
	fn    func(msg string, attrs map[string]any)
	attrs []slog.Attr
}

func hookLogger(fn func(msg string, attrs map[string]any)) *slog.Logger {
	return slog.New(&hookHandler{fn: fn})
}

func (h *hookHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *hookHandler) Handle(_ context.Context, r slog.Record) error {
	m := map[string]any{}
	for _, a := range h.attrs {
		m[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.Any()
		return true
	})
	h.fn(r.Message, m)
	return nil
}

func (h *hookHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &hookHandler{fn: h.fn, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *hookHandler) WithGroup(string) slog.Handler { return h }
