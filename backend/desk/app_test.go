package desk

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"gatehouse/backend/portal"
)

func startApp(t *testing.T, cfg Config) (*Desk, *HeadlessRuntime) {
	t.Helper()
	rt := NewHeadlessRuntime()
	a := New(cfg, rt)
	a.Startup(context.Background())
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	return a, rt
}

func TestAboutReportsBuildAndDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	a, _ := startApp(t, Config{Version: "1.2.3", DatabasePath: path})

	info, err := a.About()
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "1.2.3" || info.DatabasePath != path || info.DatabaseError != "" {
		t.Errorf("About() = %+v, want version 1.2.3 and database %s", info, path)
	}
	if info.GoVersion != runtime.Version() || info.OS != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("About() toolchain = %q on %q", info.GoVersion, info.OS)
	}
	// Test binaries carry no module list; the browser tests check the real version.
	if info.WailsVersion == "" {
		t.Error("WailsVersion is empty")
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database file was not created: %v", err)
	}
}

func TestVersionIn(t *testing.T) {
	bi := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "example.org/other", Version: "v1.0.0"},
		{Path: wailsModule, Version: "v2.16.0"},
		{Path: "example.org/replaced", Version: "v1.0.0", Replace: &debug.Module{Path: "../fork", Version: "v1.0.1-fork"}},
	}}
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		ok   bool
		path string
		want string
	}{
		{bi, true, wailsModule, "v2.16.0"},
		{bi, true, "example.org/replaced", "v1.0.1-fork"},
		{bi, true, "example.org/absent", "unknown"},
		{nil, false, wailsModule, "unknown"},
	} {
		if got := versionIn(tc.bi, tc.ok, tc.path); got != tc.want {
			t.Errorf("versionIn(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestVersionDefaultsToDev(t *testing.T) {
	a, _ := startApp(t, Config{DatabasePath: filepath.Join(t.TempDir(), "g.db")})
	if info, _ := a.About(); info.Version != "dev" {
		t.Errorf("Version = %q, want dev", info.Version)
	}
}

func TestAboutWhenTheDatabaseCannotBeOpened(t *testing.T) {
	// A file where the folder should be: no database can be created under it.
	blocker := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(blocker, "gatehouse.db")
	var logs bytes.Buffer
	a, _ := startApp(t, Config{DatabasePath: path, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	info, err := a.About()
	if err != nil {
		t.Fatalf("About() failed: %v; it must answer so the user sees the path", err)
	}
	if info.DatabasePath != path {
		t.Errorf("DatabasePath = %q, want %q", info.DatabasePath, path)
	}
	if !strings.Contains(info.DatabaseError, path) || !strings.Contains(info.DatabaseError, "writable") {
		t.Errorf("DatabaseError = %q, want the path and what to check", info.DatabaseError)
	}
	if !strings.Contains(logs.String(), "open local database") {
		t.Errorf("the failure was not logged: %s", logs.String())
	}
	if _, err := a.cache(); portal.ErrorCode(err) != portal.EINTERNAL {
		t.Errorf("cache() error = %v, want the coded startup error", err)
	}
}

func TestCacheBeforeStartup(t *testing.T) {
	a := New(Config{}, NewHeadlessRuntime())
	if _, err := a.cache(); err == nil {
		t.Fatal("cache() before Startup succeeded")
	}
}

func TestShutdownClosesAndLogs(t *testing.T) {
	var logs bytes.Buffer
	a := New(Config{DatabasePath: filepath.Join(t.TempDir(), "g.db"), Logger: slog.New(slog.NewTextHandler(&logs, nil))}, NewHeadlessRuntime())
	a.Startup(context.Background())
	a.Shutdown(context.Background())
	if _, err := a.cache(); err == nil {
		t.Error("the cache is still in use after Shutdown")
	}
	if !strings.Contains(logs.String(), "gatehouse shut down cleanly") {
		t.Errorf("no clean-shutdown line in the log (the desktop smoke test looks for it): %s", logs.String())
	}
}

func TestHeadlessRuntime(t *testing.T) {
	rt := NewHeadlessRuntime()
	var got []Event
	cancel := rt.Subscribe(func(e Event) { got = append(got, e) })

	var dropped [][]string
	rt.OnFileDrop(func(x, y int, paths []string) { dropped = append(dropped, paths) })
	rt.Emit("import:progress", 3)
	rt.DropFiles(7, 8, []string{"/a.xlsx"})
	cancel()
	rt.Emit("after-cancel", nil)

	want := []Event{{"import:progress", []any{3}}, {EventFileDrop, []any{7, 8, []string{"/a.xlsx"}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(dropped, [][]string{{"/a.xlsx"}}) {
		t.Errorf("drop handlers got %v", dropped)
	}

	rt.AnswerOpenFile("/in/1.csv")
	rt.AnswerOpenFile("/in/2.csv")
	rt.AnswerSaveFile("/out/r.xlsx")
	for _, want := range []string{"/in/1.csv", "/in/2.csv", ""} {
		if p, err := rt.OpenFileDialog(OpenFileOptions{}); p != want || err != nil {
			t.Errorf("OpenFileDialog = %q, %v; want %q", p, err, want)
		}
	}
	for _, want := range []string{"/out/r.xlsx", ""} {
		if p, err := rt.SaveFileDialog(SaveFileOptions{}); p != want || err != nil {
			t.Errorf("SaveFileDialog = %q, %v; want %q", p, err, want)
		}
	}
}
