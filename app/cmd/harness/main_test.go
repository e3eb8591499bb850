package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The harness as the browser tests run it: built, started with -demo, answering bound
// calls against the embedded portal, and stopping cleanly on SIGTERM.
func TestHarnessWithDemoData(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "harness")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the harness: %v\n%s", err, out)
	}
	dist := filepath.Join(dir, "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<!doctype html><html><head><title>G</title></head><body></body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-dist", dist, "-demo", "-sync-interval", "1h")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	waiting, finished := false, false
	defer func() {
		if finished {
			return
		}
		_ = cmd.Process.Kill()
		if waiting {
			<-done
		} else {
			_ = cmd.Wait()
		}
	}()
	lines := bufio.NewScanner(stdout)
	vals := map[string]string{}
	for len(vals) < 3 && lines.Scan() {
		if k, v, ok := strings.Cut(lines.Text(), "="); ok {
			vals[k] = v
		}
	}
	go func() { done <- cmd.Wait() }()
	waiting = true
	base, data, token := vals["HARNESS_URL"], vals["HARNESS_DATA"], vals["HARNESS_TOKEN"]
	if base == "" || data == "" || token == "" {
		t.Fatalf("harness printed %v; stderr:\n%s", vals, stderr.String())
	}
	send := func(method, path, host, tok string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader("[]"))
		if host != "" {
			req.Host = host
		}
		if tok != "" {
			req.Header.Set("X-Harness-Token", tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// Without this run's token, or for another host name (DNS rebinding), nothing is
	// answered; the page itself hands the browser the token as a strict cookie.
	for _, c := range []struct {
		name, path, host, token string
		want                    int
	}{
		{"no token", "bridge/call/app.ConnectionService.SyncStatus", "", "", http.StatusUnauthorized},
		{"a wrong token", "harness/info", "", "x" + token, http.StatusUnauthorized},
		{"another host", "harness/info", "attacker.example:80", token, http.StatusMisdirectedRequest},
	} {
		res := send("POST", c.path, c.host, c.token)
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, res.StatusCode, c.want)
		}
	}
	page := send("GET", "", "", "")
	page.Body.Close()
	if ck := page.Cookies(); len(ck) != 1 || ck[0].Value != token || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("the page's cookie: %v", ck)
	}

	call := func(method, body string, out any) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"bridge/call/app."+method, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Harness-Token", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var env struct {
			Result json.RawMessage
			Error  any
		}
		if err := json.NewDecoder(res.Body).Decode(&env); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %v %v", method, res.StatusCode, env.Error, err)
		}
		if err := json.Unmarshal(env.Result, out); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
	// The demo is already in the local copy when the harness says it listens.
	var queue []map[string]any
	call("ApprovalsService.PendingQueue", "[]", &queue)
	if len(queue) != 6 {
		t.Errorf("pending queue holds %d people, the demo has 6", len(queue))
	}
	var st map[string]any
	call("ConnectionService.SyncStatus", "[]", &st)
	if st["mode"] != "embedded" || !strings.HasPrefix(st["serverUrl"].(string), "http://127.0.0.1:") {
		t.Errorf("status = %v", st)
	}
	if _, err := os.Stat(filepath.Join(data, "portal.db")); err != nil {
		t.Errorf("no embedded portal database in the data folder: %v", err)
	}

	// The portal's API is there for a test playing a second administrator.
	res := send("GET", "harness/info", "", token)
	var info map[string]string
	err = json.NewDecoder(res.Body).Decode(&info)
	res.Body.Close()
	if err != nil || info["portalUrl"] != st["serverUrl"] || info["portalToken"] == "" {
		t.Fatalf("info = %v, %v", info, err)
	}
	req, _ := http.NewRequest("GET", info["portalUrl"]+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+info["portalToken"])
	me, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	me.Body.Close()
	if me.StatusCode != 200 {
		t.Errorf("the portal refused the harness token: %d", me.StatusCode)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		finished = true
		if err != nil {
			t.Fatalf("harness exited with %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the harness did not stop on SIGTERM")
	}
	if !strings.Contains(stderr.String(), "gatehouse shut down cleanly") {
		t.Errorf("no clean shutdown in the log:\n%s", stderr.String())
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the temporary data folder %s was left behind: %v", data, err)
	}
}

// The harness refuses to listen where other computers could reach it.
func TestHarnessListensOnLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:0": true, "[::1]:0": true, "localhost:0": true, "0.0.0.0:0": false, ":8080": false, "192.0.2.1:0": false} {
		if err := loopbackOnly(addr); (err == nil) != ok {
			t.Errorf("%s: %v", addr, err)
		}
	}
}
