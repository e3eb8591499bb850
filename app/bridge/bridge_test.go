package bridge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

type Point struct {
	X int `json:"x"`
	Y int `json:"y"`
}

// Svc has a method of every shape a bound method can have.
type Svc struct {
	started bool
	calls   []string
}

func (s *Svc) Startup(ctx context.Context) { s.started = true }
func (s *Svc) Nothing()                    { s.calls = append(s.calls, "Nothing") }
func (s *Svc) Hello(name string) string    { return "hello " + name }
func (s *Svc) Add(a, b int) (int, error)   { return a + b, nil }
func (s *Svc) Move(p Point, d *Point) (Point, error) {
	return Point{p.X + d.X, p.Y + d.Y}, nil
}
func (s *Svc) Fail(msg string) (Point, error) { return Point{}, errors.New(msg) }
func (s *Svc) FailOnly(fail bool) error {
	if fail {
		return errors.New("only error")
	}
	return nil
}
func (s *Svc) Panic() error { panic("boom") }
func (s *Svc) List(xs []string) []string {
	return append(xs, "end")
}

type Other struct{}

func (*Other) Ping() string { return "pong" }

func newBridge(t *testing.T) (*Bridge, *Svc) {
	t.Helper()
	s := &Svc{}
	b, err := New(Options{
		Bind:           []any{s, &Other{}},
		Exempt:         []any{s.Startup},
		ErrorFormatter: func(err error) any { return `{"code":"x","message":"` + err.Error() + `"}` },
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, s
}

func TestMethodsNamedAsWails(t *testing.T) {
	b, _ := newBridge(t)
	want := []string{"bridge.Other.Ping", "bridge.Svc.Add", "bridge.Svc.Fail", "bridge.Svc.FailOnly",
		"bridge.Svc.Hello", "bridge.Svc.List", "bridge.Svc.Move", "bridge.Svc.Nothing", "bridge.Svc.Panic"}
	if got := b.Methods(); !reflect.DeepEqual(got, want) {
		t.Errorf("Methods() = %v\nwant %v", got, want)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"struct value", Options{Bind: []any{Svc{}}}, "only pointers to structs"},
		{"function", Options{Bind: []any{func() {}}}, "only pointers to structs"},
		{"nil", Options{Bind: []any{nil}}, "only pointers to structs"},
		{"exempt not func", Options{Bind: []any{&Svc{}}, Exempt: []any{"Startup"}}, "not a method value"},
		{"two non-error results", Options{Bind: []any{&badShape{}}}, "at most a result and an error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

type badShape struct{}

func (*badShape) Two() (int, int) { return 1, 2 }

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: body is not JSON: %v", url, err)
	}
	return res.StatusCode, out
}

func TestCallOverHTTP(t *testing.T) {
	b, s := newBridge(t)
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()

	for _, tc := range []struct {
		method, body string
		status       int
		key          string
		want         any
	}{
		{"bridge.Svc.Hello", `["Ada"]`, 200, "result", "hello Ada"},
		{"bridge.Svc.Add", `[2, 40]`, 200, "result", 42.0},
		{"bridge.Svc.Move", `[{"x":1,"y":2},{"x":10,"y":20}]`, 200, "result", map[string]any{"x": 11.0, "y": 22.0}},
		{"bridge.Svc.Move", `[{"x":1,"y":2},null]`, 500, "error", `{"code":"x","message":"bridge.Svc.Move panicked: runtime error: invalid memory address or nil pointer dereference"}`},
		{"bridge.Svc.List", `[["a","b"]]`, 200, "result", []any{"a", "b", "end"}},
		{"bridge.Svc.Nothing", `[]`, 200, "result", nil},
		{"bridge.Svc.Nothing", ``, 200, "result", nil},
		{"bridge.Svc.FailOnly", `[false]`, 200, "result", nil},
		{"bridge.Svc.FailOnly", `[true]`, 500, "error", `{"code":"x","message":"only error"}`},
		{"bridge.Svc.Fail", `["it broke"]`, 500, "error", `{"code":"x","message":"it broke"}`},
		{"bridge.Svc.Panic", `[]`, 500, "error", `{"code":"x","message":"bridge.Svc.Panic panicked: boom"}`},
		{"bridge.Other.Ping", `[]`, 200, "result", "pong"},
		{"bridge.Svc.Add", `[1]`, 400, "error", "error parsing arguments: received 1 arguments to method 'bridge.Svc.Add', expected 2"},
		{"bridge.Svc.Add", `[1, "two"]`, 400, "error", "error parsing arguments: argument 2: json: cannot unmarshal string into Go value of type int"},
		{"bridge.Svc.Add", `{"a":1}`, 400, "error", "error parsing arguments: the body must be a JSON array: json: cannot unmarshal object into Go value of type []json.RawMessage"},
		{"bridge.Svc.Startup", `[null]`, 404, "error", "method 'bridge.Svc.Startup' not registered"},
		{"bridge.Svc.Missing", `[]`, 404, "error", "method 'bridge.Svc.Missing' not registered"},
	} {
		t.Run(tc.method+" "+tc.body, func(t *testing.T) {
			status, out := post(t, srv.URL+"/bridge/call/"+tc.method, tc.body)
			if status != tc.status {
				t.Errorf("status = %d, want %d (body %v)", status, tc.status, out)
			}
			if got := out[tc.key]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v, want %#v", tc.key, got, tc.want)
			}
		})
	}
	if !reflect.DeepEqual(s.calls, []string{"Nothing", "Nothing"}) {
		t.Errorf("Nothing ran %v, want twice", s.calls)
	}
	if s.started {
		t.Error("exempt Startup was called")
	}

	res, err := http.Get(srv.URL + "/bridge/call/bridge.Svc.Nothing")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET of a call: status %d, want 405", res.StatusCode)
	}
}

func TestDefaultErrorFormatterIsErrorString(t *testing.T) {
	b, err := New(Options{Bind: []any{&Svc{}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Call("bridge.Svc.Fail", []json.RawMessage{json.RawMessage(`"plain"`)})
	var ce *CallError
	if !errors.As(err, &ce) || ce.Status != 500 || ce.Payload != "plain" {
		t.Fatalf("Call error = %#v, want CallError{500, \"plain\"}", err)
	}
}

// readEvent reads one "data:" line from an event stream.
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream ended: %v", err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			return strings.TrimSpace(data)
		}
	}
}

func TestEventsReachEveryStream(t *testing.T) {
	b, _ := newBridge(t)
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	defer b.Close()

	var readers []*bufio.Reader
	for range 2 {
		res, err := http.Get(srv.URL + "/bridge/events")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type = %q", ct)
		}
		r := bufio.NewReader(res.Body)
		if line, _ := r.ReadString('\n'); line != ": connected\n" {
			t.Fatalf("first line %q, want the connected comment", line)
		}
		readers = append(readers, r)
	}
	b.Emit("import:progress", map[string]int{"done": 5, "total": 10})
	b.Emit("wails:file-drop", 3, 4, []string{"/tmp/a.xlsx"})
	b.Emit("bare")
	want := []string{
		`{"name":"import:progress","data":[{"done":5,"total":10}]}`,
		`{"name":"wails:file-drop","data":[3,4,["/tmp/a.xlsx"]]}`,
		`{"name":"bare","data":[]}`,
	}
	for i, r := range readers {
		for _, w := range want {
			if got := readEvent(t, r); got != w {
				t.Errorf("stream %d: event %s, want %s", i, got, w)
			}
		}
	}
}

func TestCloseEndsStreams(t *testing.T) {
	b, _ := newBridge(t)
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/bridge/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(res.Body); done <- err }()
	b.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stream ended with %v, want a clean end", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stream still open after Close")
	}
}

func TestFrontendInjectsShim(t *testing.T) {
	b, _ := newBridge(t)
	dist := fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><html><HEAD lang=en><title>G</title><script type=module src=/assets/app.js></script></HEAD><body></body></html>")},
		"assets/app.js": {Data: []byte("console.log(1)")},
	}
	front, err := b.Frontend(dist)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/bridge/", b.Handler())
	mux.Handle("/", front)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, path := range []string{"/", "/index.html"} {
		body := get(t, srv.URL+path)
		wantPrefix := "<!doctype html><html><HEAD lang=en>" + ShimTag + "<title>"
		if !strings.HasPrefix(body, wantPrefix) {
			t.Errorf("GET %s = %q, want the shim first in <head>", path, body)
		}
	}
	if got := get(t, srv.URL+"/assets/app.js"); got != "console.log(1)" {
		t.Errorf("asset = %q", got)
	}
	shim := get(t, srv.URL+"/bridge/shim.js")
	for _, want := range []string{"window.go =", "window.runtime =", "/bridge/events", "/bridge/call/"} {
		if !strings.Contains(shim, want) {
			t.Errorf("shim.js lacks %q", want)
		}
	}
	var names []string
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/bridge/methods")), &names); err != nil || len(names) != 9 {
		t.Errorf("/bridge/methods = %v, %v", names, err)
	}
}

func TestFrontendNeedsIndex(t *testing.T) {
	b, _ := newBridge(t)
	_, err := b.Frontend(fstest.MapFS{".gitkeep": {}})
	if err == nil || !strings.Contains(err.Error(), "npm run build") {
		t.Fatalf("Frontend() error = %v, want advice to build the frontend", err)
	}
}

func TestInjectShimNeedsHead(t *testing.T) {
	for _, page := range []string{"<html><body></body></html>", "<html><head"} {
		if _, err := InjectShim([]byte(page)); err == nil {
			t.Errorf("InjectShim(%q) succeeded", page)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

func BenchmarkCall(b *testing.B) {
	br, err := New(Options{Bind: []any{&Svc{}}})
	if err != nil {
		b.Fatal(err)
	}
	args := []json.RawMessage{json.RawMessage(`{"x":1,"y":2}`), json.RawMessage(`{"x":3,"y":4}`)}
	for b.Loop() {
		if _, err := br.Call("bridge.Svc.Move", args); err != nil {
			b.Fatal(fmt.Sprint(err))
		}
	}
}
