package replica_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server/store"
)

// The kill test runs this test binary again as the desktop: a child process with the
// cache and a running engine, which the test kills with SIGKILL at random points while
// it applies feed pages and while it sends commands, then starts again on the same cache.

const (
	childEnv      = "GATEHOUSE_SYNC_KILL_CHILD"
	childCacheEnv = "GATEHOUSE_SYNC_KILL_CACHE"
	childURLEnv   = "GATEHOUSE_SYNC_KILL_URL"
	childTokenEnv = "GATEHOUSE_SYNC_KILL_TOKEN"
	iterationsEnv = "GATEHOUSE_SYNC_KILL_ITERATIONS"
)

func TestMain(m *testing.M) {
	if os.Getenv(importChildEnv) != "" {
		if err := importChild(); err != nil {
			fmt.Println("CHILD ERROR", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	if mode := os.Getenv(childEnv); mode != "" {
		if err := killChild(mode); err != nil {
			fmt.Println("CHILD ERROR", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killStep is one administrator action of the plan the children work through.
type killStep struct {
	id, command string
}

func killPlan() []killStep {
	var plan []killStep
	for i := range 60 {
		cmd := replica.CmdApprove
		if i%2 == 1 {
			cmd = replica.CmdDeny
		}
		plan = append(plan, killStep{fmt.Sprintf("acc_k%03d", i), cmd})
		if i%3 == 0 {
			plan = append(plan, killStep{fmt.Sprintf("acc_s%03d", i/3), replica.CmdSetRoles})
		}
	}
	return plan
}

var auditAction = map[string]string{
	replica.CmdApprove: portal.ActionApprove, replica.CmdDeny: portal.ActionDeny, replica.CmdSetRoles: portal.ActionSetRoles,
}

// killChild is the desktop: it syncs in the background and queues the next few steps of
// the plan that are not in its outbox yet. In "finish" mode it queues the rest, waits
// until everything is sent and the feed is caught up, and exits.
func killChild(mode string) error {
	ctx := context.Background()
	db, err := cache.Open(ctx, os.Getenv(childCacheEnv), cache.WithSchema(replica.Schema()))
	if err != nil {
		return err
	}
	out := os.Stdout // unbuffered: each line is out before the next step
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cl := client.New(os.Getenv(childURLEnv), os.Getenv(childTokenEnv), client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	eng, err := replica.New(ctx, replica.Config{Cache: db, Client: cl, PageSize: 10, Interval: 20 * time.Millisecond,
		Backoff: replica.Backoff{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond}, Logger: log})
	if err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	cmds := eng.Commands()
	budget := 3
	if mode == "finish" {
		budget = 1 << 30
	}
	for _, st := range killPlan() {
		if budget == 0 {
			break
		}
		var n int
		if err := db.ReadSQL().QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE entity_id = ? AND command = ?`, st.id, st.command).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		// Wait until the feed has brought the account.
		deadline := time.Now().Add(60 * time.Second)
		for {
			if _, err := db.GetAccount(ctx, st.id); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("account %s never arrived", st.id)
			}
			time.Sleep(5 * time.Millisecond)
		}
		var q replica.Queued
		switch st.command {
		case replica.CmdApprove:
			q, err = cmds.Approve(ctx, st.id)
		case replica.CmdDeny:
			q, err = cmds.Deny(ctx, st.id, "not known here")
		case replica.CmdSetRoles:
			q, err = cmds.SetRoles(ctx, st.id, portal.RoleStaff, []string{portal.RoleReports})
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", st.command, st.id, err)
		}
		fmt.Fprintf(out, "QUEUED %s %s %d\n", st.id, st.command, q.ID)
		budget--
		time.Sleep(3 * time.Millisecond)
	}
	if mode != "finish" {
		select {} // until killed
	}
	for {
		n, err := db.PendingCount(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			if res, err := eng.Pull(ctx); err == nil && res.Changes == 0 {
				if n, _ := db.PendingCount(ctx); n == 0 {
					break
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	eng.Stop()
	fmt.Fprintln(out, "SETTLED")
	return db.Close()
}

// checkPageBoundary opens the cache a killed child left and checks it is at a page boundary.
func checkPageBoundary(t *testing.T, p *portalEnv, path string, iteration int) {
	t.Helper()
	ctx := context.Background()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return // killed before the cache was created
	}
	db, err := cache.Open(ctx, path, cache.WithSchema(replica.Schema()))
	if err != nil {
		t.Fatalf("iteration %d: reopen the cache after the kill: %v", iteration, err)
	}
	defer db.Close()
	atPageBoundary(t, p, db, fmt.Sprintf("iteration %d", iteration))
}

// atPageBoundary checks that the cache's copy of the server's accounts is exactly the
// server's state at the stored cursor, except for records that a command's answer (or a
// conflict) brought ahead of the feed.
func atPageBoundary(t *testing.T, p *portalEnv, db *cache.DB, label string) {
	t.Helper()
	ctx := context.Background()
	st, err := db.GetSyncState(ctx, replica.Stream)
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	if st.Cursor != "" {
		_, s, _ := strings.Cut(st.Cursor, ":")
		seq, _ = strconv.ParseInt(s, 10, 64)
	}
	atCursor := map[string]int64{}
	p.view(func(r store.Reader) error {
		cs, _, err := r.Changes(ctx, 0, 0)
		for _, c := range cs {
			if c.Seq > seq || c.Entity != "account" {
				continue
			}
			if c.Op == "delete" {
				delete(atCursor, c.ID)
			} else {
				atCursor[c.ID] = c.Version
			}
		}
		return err
	})
	q := db.ReadSQL()
	have := map[string]int64{}
	rows, err := q.QueryContext(ctx, `SELECT id, version FROM accounts WHERE id NOT IN (SELECT entity_id FROM overlay_base WHERE entity_type = 'account')
		UNION ALL SELECT entity_id, version FROM overlay_base WHERE entity_type = 'account' AND record IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		have[id] = v
	}
	rows.Close()
	acked := map[string]map[int64]bool{}
	rows, err = q.QueryContext(ctx, `SELECT entity_id, response FROM outbox WHERE state IN ('sent', 'conflict') AND entity_type = 'account'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var resp sql.NullString
		if err := rows.Scan(&id, &resp); err != nil {
			t.Fatal(err)
		}
		var a portal.Account
		if resp.Valid && json.Unmarshal([]byte(resp.String), &a) == nil {
			if acked[id] == nil {
				acked[id] = map[int64]bool{}
			}
			acked[id][a.Version] = true
		}
	}
	rows.Close()
	bad := 0
	for id, v := range have {
		w, ok := atCursor[id]
		switch {
		case ok && v == w:
		case ok && v > w && acked[id][v]:
		default:
			if bad < 5 {
				t.Errorf("%s: account %s is at version %d in the cache, %d (present %v) on the server at cursor %d", label, id, v, w, ok, seq)
			}
			bad++
		}
	}
	for id := range atCursor {
		if _, ok := have[id]; !ok {
			if bad < 5 {
				t.Errorf("%s: account %s of the server at cursor %d is missing from the cache", label, id, seq)
			}
			bad++
		}
	}
	if bad > 0 {
		t.FailNow()
	}
}

// envCount is the positive number in the environment variable name, or def if it is unset.
func envCount(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q is not a positive number", name, s)
	}
	return n
}

// testBinary is this test binary, which the kill tests start again as their child.
func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// runKillable runs this test binary again as a child with env added, hands each line it
// prints to onLine (with a kill that SIGKILLs it), kills it after fallback if it is still
// running (0: never), and returns its lines and whether it was killed. A child that fails
// without being killed fails the test.
func runKillable(t *testing.T, exe string, env []string, onLine func(line string, kill func()), fallback time.Duration) (lines []string, killed bool) {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var wasKilled atomic.Bool
	kill := func() {
		once.Do(func() {
			wasKilled.Store(true)
			_ = cmd.Process.Kill() // SIGKILL on Unix
		})
	}
	var timer *time.Timer
	if fallback > 0 {
		timer = time.AfterFunc(fallback, kill)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if onLine != nil {
			onLine(sc.Text(), kill)
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if timer != nil {
		timer.Stop()
	}
	if !wasKilled.Load() && err != nil {
		t.Fatalf("the desktop child failed: %v\n%s", err, strings.Join(lines, "\n"))
	}
	return lines, wasKilled.Load()
}
