// Package bridge exposes the methods of Go structs to a browser the way Wails binds them to
// its window, so browser tests can drive the real App in Chromium without a desktop window.
//
// Over HTTP (see Handler):
//
//	POST /bridge/call/<pkg>.<Struct>.<Method>   body: JSON array of arguments
//	     200 {"result": …}                       the method's first result (null if none)
//	     400 {"error": "error parsing arguments: …"}   wrong count or types, as Wails says it
//	     404 {"error": "method '…' not registered"}
//	     500 {"error": …}                        the method's error, through ErrorFormatter
//	GET  /bridge/events    Server-Sent Events: one {"name":…, "data":[…]} per Emit
//	GET  /bridge/methods   the bound method names, sorted
//	GET  /bridge/shim.js   window.go and window.runtime for the generated Wails bindings
//
// Frontend serves a built frontend with the shim injected into index.html, so the unchanged
// frontend/wailsjs bindings (window.go.app.ConnectionService.About()) arrive here. Names, argument
// decoding and the results of 0, 1 or 2 return values follow Wails v2.16.
package bridge

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
)

//go:embed shim.js
var shimJS []byte

// Options mirror the fields of Wails' options.App that decide what is bound and how errors
// look, so the harness can pass what main.go passes.
type Options struct {
	// Bind lists pointers to structs whose exported methods are callable.
	Bind []any
	// Exempt lists method values that must not be callable, as Wails exempts OnStartup,
	// OnShutdown, OnDomReady and OnBeforeClose.
	Exempt []any
	// ErrorFormatter turns a method's error into what the frontend receives; nil means
	// err.Error().
	ErrorFormatter func(error) any
	// Logger receives panics and dropped events; nil discards them.
	Logger *slog.Logger
}

type method struct {
	name string
	fn   reflect.Value
	in   []reflect.Type
	out  []reflect.Type
}

var errorType = reflect.TypeFor[error]()

// Bridge holds the bound methods and the connected event streams.
type Bridge struct {
	methods map[string]*method
	errfmt  func(error) any
	log     *slog.Logger

	mu      sync.Mutex
	clients map[chan []byte]struct{}
	closed  bool
	done    chan struct{}
}

// New binds the exported methods of every struct pointer in opts.Bind.
func New(opts Options) (*Bridge, error) {
	b := &Bridge{
		methods: make(map[string]*method),
		errfmt:  opts.ErrorFormatter,
		log:     opts.Logger,
		clients: make(map[chan []byte]struct{}),
		done:    make(chan struct{}),
	}
	if b.errfmt == nil {
		b.errfmt = func(err error) any { return err.Error() }
	}
	if b.log == nil {
		b.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	exempt := make(map[string]bool)
	for _, fn := range opts.Exempt {
		v := reflect.ValueOf(fn)
		if v.Kind() != reflect.Func {
			return nil, fmt.Errorf("bridge: Exempt holds a %T, not a method value", fn)
		}
		// A method value is named "pkg.(*T).M-fm"; the method itself "pkg.(*T).M".
		exempt[strings.TrimSuffix(runtime.FuncForPC(v.Pointer()).Name(), "-fm")] = true
	}
	for _, v := range opts.Bind {
		t := reflect.TypeOf(v)
		if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("bridge: can bind only pointers to structs, not %T", v)
		}
		// Wails names a method by the last element of the package path, the struct and
		// the method: "app.ConnectionService.About".
		prefix := t.Elem().String() + "."
		rv := reflect.ValueOf(v)
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			if exempt[runtime.FuncForPC(m.Func.Pointer()).Name()] {
				continue
			}
			fn := rv.Method(i)
			ft := fn.Type()
			bm := &method{name: prefix + m.Name, fn: fn}
			for j := 0; j < ft.NumIn(); j++ {
				bm.in = append(bm.in, ft.In(j))
			}
			for j := 0; j < ft.NumOut(); j++ {
				bm.out = append(bm.out, ft.Out(j))
			}
			if len(bm.out) > 2 || len(bm.out) == 2 && bm.out[1] != errorType {
				return nil, fmt.Errorf("bridge: %s returns %v; a bound method returns at most a result and an error", bm.name, bm.out)
			}
			b.methods[bm.name] = bm
		}
	}
	return b, nil
}

// Methods returns the names of the bound methods, sorted.
func (b *Bridge) Methods() []string {
	names := make([]string, 0, len(b.methods))
	for n := range b.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CallError is a failed call: Status is the HTTP status the bridge answers with and Payload
// what the frontend receives as the rejection.
type CallError struct {
	Status  int
	Payload any
}

func (e *CallError) Error() string { return fmt.Sprintf("bridge: %d %v", e.Status, e.Payload) }

// Call runs the named method with JSON-encoded arguments, as a POST to /bridge/call does.
// It returns the method's result, or a *CallError.
func (b *Bridge) Call(name string, args []json.RawMessage) (result any, err error) {
	m, ok := b.methods[name]
	if !ok {
		return nil, &CallError{Status: http.StatusNotFound, Payload: fmt.Sprintf("method '%s' not registered", name)}
	}
	if len(args) != len(m.in) {
		return nil, &CallError{Status: http.StatusBadRequest, Payload: fmt.Sprintf(
			"error parsing arguments: received %d arguments to method '%s', expected %d", len(args), name, len(m.in))}
	}
	in := make([]reflect.Value, len(args))
	for i, raw := range args {
		p := reflect.New(m.in[i])
		if err := json.Unmarshal(raw, p.Interface()); err != nil {
			return nil, &CallError{Status: http.StatusBadRequest, Payload: fmt.Sprintf("error parsing arguments: argument %d: %v", i+1, err)}
		}
		in[i] = p.Elem()
	}
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("bound method panicked", "method", name, "panic", r)
			result, err = nil, &CallError{Status: http.StatusInternalServerError,
				Payload: b.errfmt(fmt.Errorf("%s panicked: %v", name, r))}
		}
	}()
	out := m.fn.Call(in)
	// As Wails: a lone error result is the error; of two results the first is the value and
	// the second the error.
	var errv reflect.Value
	switch {
	case len(out) == 1 && m.out[0] == errorType:
		errv = out[0]
	case len(out) >= 1:
		result = out[0].Interface()
		if len(out) == 2 {
			errv = out[1]
		}
	}
	if errv.IsValid() && !errv.IsNil() {
		return nil, &CallError{Status: http.StatusInternalServerError, Payload: b.errfmt(errv.Interface().(error))}
	}
	return result, nil
}

// Emit sends an event to every connected browser; listeners get data as their arguments.
// It never blocks: a browser that stopped reading loses events, and that is logged.
func (b *Bridge) Emit(name string, data ...any) {
	if data == nil {
		data = []any{}
	}
	msg, err := json.Marshal(struct {
		Name string `json:"name"`
		Data []any  `json:"data"`
	}{name, data})
	if err != nil {
		b.log.Error("event not sent: its data cannot be encoded", "event", name, "err", err)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		select {
		case c <- msg:
		default:
			b.log.Warn("event dropped: browser not reading", "event", name)
		}
	}
}

// Close ends every event stream, so an http.Server can shut down.
func (b *Bridge) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.done)
	}
}

// Handler serves the /bridge/ endpoints.
func (b *Bridge) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /bridge/call/{name}", b.serveCall)
	mux.HandleFunc("GET /bridge/events", b.serveEvents)
	mux.HandleFunc("GET /bridge/methods", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, b.Methods())
	})
	mux.HandleFunc("GET /bridge/shim.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(shimJS)
	})
	return mux
}

func (b *Bridge) serveCall(w http.ResponseWriter, r *http.Request) {
	var args []json.RawMessage
	body, err := io.ReadAll(r.Body)
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		err = json.Unmarshal(body, &args)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "error parsing arguments: the body must be a JSON array: " + err.Error()})
		return
	}
	result, err := b.Call(r.PathValue("name"), args)
	var ce *CallError
	if errors.As(err, &ce) {
		writeJSON(w, ce.Status, map[string]any{"error": ce.Payload})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": result})
}

func (b *Bridge) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	c := make(chan []byte, 1024)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		http.Error(w, "bridge closed", http.StatusServiceUnavailable)
		return
	}
	b.clients[c] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.clients, c)
		b.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	// The comment makes the browser fire "open" now, which the shim waits for before its
	// first call, so no event emitted by a call can be missed.
	io.WriteString(w, ": connected\n\n")
	flusher.Flush()
	for {
		select {
		case msg := <-c:
			fmt.Fprintf(w, "data: %s\n\n", msg)
			flusher.Flush()
		case <-r.Context().Done():
			return
		case <-b.done:
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(map[string]any{"error": "bridge: result cannot be encoded as JSON: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// Frontend serves the built frontend in dist, with the shim script injected at the top of
// index.html's <head>, before the app's own scripts run.
func (b *Bridge) Frontend(dist fs.FS) (http.Handler, error) {
	index, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		return nil, fmt.Errorf("bridge: the frontend has no index.html (%w): build it first with `npm run build` in frontend/", err)
	}
	page, err := InjectShim(index)
	if err != nil {
		return nil, err
	}
	files := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" || r.URL.Path == "/index.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(page)
			return
		}
		files.ServeHTTP(w, r)
	}), nil
}

// ShimTag is the script element InjectShim adds.
const ShimTag = `<script src="/bridge/shim.js"></script>`

// InjectShim returns page with ShimTag right after its <head> tag.
func InjectShim(page []byte) ([]byte, error) {
	lower := bytes.ToLower(page)
	i := bytes.Index(lower, []byte("<head"))
	if i < 0 {
		return nil, errors.New("bridge: index.html has no <head> to put the shim in")
	}
	j := bytes.IndexByte(page[i:], '>')
	if j < 0 {
		return nil, errors.New("bridge: index.html's <head> tag is not closed")
	}
	at := i + j + 1
	out := make([]byte, 0, len(page)+len(ShimTag))
	out = append(out, page[:at]...)
	out = append(out, ShimTag...)
	return append(out, page[at:]...), nil
}
