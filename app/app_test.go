package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gatehouse/app/bridge"
	"gatehouse/backend/desk"
	"gatehouse/backend/portal"
)

func startApp(t *testing.T, cfg Config) *App {
	t.Helper()
	a := New(cfg, desk.NewHeadlessRuntime())
	a.Startup(context.Background())
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	return a
}

func TestErrorFormatter(t *testing.T) {
	conflict := portal.Errorf(portal.ECONFLICT, "Ada was approved by Ben a minute ago.")
	for _, tc := range []struct {
		name    string
		err     error
		want    ErrorPayload
		logged  bool
		inField string
	}{
		{"coded", conflict, ErrorPayload{Code: "conflict", Message: "Ada was approved by Ben a minute ago."}, false, ""},
		{"wrapped", fmt.Errorf("approve ada: %w", conflict), ErrorPayload{Code: "conflict", Message: "Ada was approved by Ben a minute ago."}, false, ""},
		{"field", portal.FieldErrorf("email", "Enter an e-mail address like name@example.org."), ErrorPayload{Code: "invalid", Message: "Enter an e-mail address like name@example.org.", Field: "email"}, false, ""},
		{"uncoded", errors.New("sql: database is locked at /home/x/gatehouse.db"), ErrorPayload{Code: "internal", Message: portal.ErrorMessage(errors.New(""))}, true, "database is locked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			out := ErrorFormatter(slog.New(slog.NewTextHandler(&logs, nil)))(tc.err)
			s, ok := out.(string)
			if !ok {
				t.Fatalf("formatter returned %T; Wails v2.16 needs a string", out)
			}
			var got ErrorPayload
			if err := json.Unmarshal([]byte(s), &got); err != nil {
				t.Fatalf("formatter output %q is not JSON: %v", s, err)
			}
			if got != tc.want {
				t.Errorf("payload = %+v, want %+v", got, tc.want)
			}
			if tc.logged != strings.Contains(logs.String(), "bound method failed") {
				t.Errorf("logged = %v, want %v: %s", !tc.logged, tc.logged, logs.String())
			}
			if tc.inField != "" && strings.Contains(s, tc.inField) {
				t.Errorf("internal detail %q reached the frontend: %s", tc.inField, s)
			}
		})
	}
}

func TestWailsRuntimeBeforeTheWindow(t *testing.T) {
	// Calling Wails with a context it did not create ends the process; before Startup the
	// runtime must refuse instead.
	rt := NewWailsRuntime()
	rt.Emit("x", 1)
	rt.OnFileDrop(func(int, int, []string) {})
	if _, err := rt.OpenFileDialog(desk.OpenFileOptions{}); !errors.Is(err, errNoWindow) {
		t.Errorf("OpenFileDialog error = %v", err)
	}
	if _, err := rt.SaveFileDialog(desk.SaveFileOptions{}); !errors.Is(err, errNoWindow) {
		t.Errorf("SaveFileDialog error = %v", err)
	}
}

// The App is bound through the bridge exactly as the harness binds it: lifecycle methods
// stay hidden, bound methods answer, and errors arrive as the frontend parses them.
func TestAppThroughBridge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	a := startApp(t, Config{Version: "b", DatabasePath: path})
	br, err := bridge.New(bridge.Options{Bind: Bound(a), Exempt: []any{a.Startup, a.Shutdown}, ErrorFormatter: ErrorFormatter(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range br.Methods() {
		if strings.HasSuffix(m, ".Startup") || strings.HasSuffix(m, ".Shutdown") {
			t.Errorf("%s is callable from the frontend", m)
		}
	}
	res, err := br.Call("app.ConnectionService.About", nil)
	if err != nil {
		t.Fatal(err)
	}
	if info := res.(desk.AboutInfo); info.DatabasePath != path || info.Version != "b" {
		t.Errorf("About through the bridge = %+v", info)
	}
}

// The screens reach these methods through the bridge exactly as through Wails.
func TestAdminMethodsThroughBridge(t *testing.T) {
	a := startApp(t, Config{DatabasePath: filepath.Join(t.TempDir(), "gatehouse.db")})
	if _, err := a.LoadDemoData(); err != nil {
		t.Fatal(err)
	}
	br, err := bridge.New(bridge.Options{Bind: Bound(a), Exempt: []any{a.Startup, a.Shutdown}, ErrorFormatter: ErrorFormatter(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"SearchUsers", "Approve", "Deny", "PendingQueue", "Conflicts", "ResolveConflict", "LoadDemoData", "Organisation", "AuditLog", "Promote"} {
		if !slices.ContainsFunc(br.Methods(), func(bound string) bool { return strings.HasSuffix(bound, "Service."+m) }) {
			t.Errorf("%s is not bound", m)
		}
	}
	args := func(vs ...string) []json.RawMessage {
		out := make([]json.RawMessage, len(vs))
		for i, v := range vs {
			out[i] = json.RawMessage(v)
		}
		return out
	}
	res, err := br.Call("app.UsersService.SearchUsers", args(`{"query":"eastgate","status":["active"],"orgAdmin":null,"limit":5}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := res.(desk.UserPage); p.Total == 0 || len(p.Rows) > 5 {
		t.Errorf("SearchUsers through the bridge = %d rows of %d", len(p.Rows), p.Total)
	}
	wen, err := a.SearchUsers(desk.UserQuery{Query: "Wen Li"})
	if err != nil || len(wen.Rows) != 1 {
		t.Fatalf("Wen Li: %+v, %v", wen, err)
	}
	id := wen.Rows[0].ID
	_, err = br.Call("app.ApprovalsService.Deny", args(`"`+id+`"`, `""`))
	var ce *bridge.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("Deny without a reason: %v", err)
	}
	var p ErrorPayload
	if jerr := json.Unmarshal([]byte(ce.Payload.(string)), &p); jerr != nil || p.Code != portal.EINVALID || p.Field != "reason" {
		t.Errorf("payload = %v (%v)", ce.Payload, jerr)
	}
}
