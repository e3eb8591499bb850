package main

import (
	"bytes"
	"context"
	"fmt"
	"gatehouse/backend/poll"
	"gatehouse/backend/server/store"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestHelpExplainsEveryCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, w := range []string{"serve", "migrate", "import", "GATEHOUSE_DB"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("--help does not mention %s:\n%s", w, out.String())
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"help", "serve"}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("help serve: exit %d", code)
	}
	for _, w := range []string{"-listen", "GATEHOUSE_LISTEN", "-trusted-issuer", "-smtp-host", "-base-url", "-sso-issuer", "-bootstrap-admin"} {
		if !strings.Contains(out.String()+errb.String(), w) {
			t.Errorf("help serve does not mention %s", w)
		}
	}
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errb, noEnv); code != 2 || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d %s", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"serve", "--no-such-flag"}, &out, &errb, noEnv); code != 2 || !strings.Contains(errb.String(), "no-such-flag") {
		t.Errorf("bad flag: exit %d %s", code, errb.String())
	}
}

func TestMigrateCreatesTheDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "portal.db")
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "GATEHOUSE_DB" {
			return db
		}
		return ""
	}
	if code := run(context.Background(), []string{"migrate"}, &out, &errb, env); code != 0 {
		t.Fatalf("migrate: exit %d %s", code, errb.String())
	}
	// The newest schema, however many migrations there are.
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), db) || !strings.Contains(out.String(), fmt.Sprintf("schema version %d\n", len(ms))) {
		t.Errorf("migrate said %q", out.String())
	}
}

func TestServeRunsUntilInterrupted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:" + strconv.Itoa(port), "--db", filepath.Join(t.TempDir(), "p.db"),
			"--trusted-issuer", "https://127.0.0.1:1=gatehouse-desktop", "--bootstrap-admin", "first@example.org", "--log-level", "error"}, &out, &errb, noEnv)
	}()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	ok := poll.Until(5*time.Second, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d: %s", code, errb.String())
	}
	if !ok {
		t.Errorf("the server never answered /healthz: %s", errb.String())
	}
}

func TestImportIsDispatched(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"import", "--help"}, &out, &errb, noEnv)
	// Whatever the import engineer's runImport does with --help, it was reached: the
	// dispatcher did not report an unknown command.
	if strings.Contains(errb.String(), "unknown command") {
		t.Errorf("import not dispatched: exit %d %s", code, errb.String())
	}
}
