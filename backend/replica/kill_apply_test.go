//go:build !race

// Built without the race detector only, like import_kill_test.go: killing processes
// mid-sync is the point here, not data races, and under -race its thirty child processes
// took 30 s of the race run. make test-go runs it in a go test of its own, without -race.

package replica_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

func TestKillDesktopDuringApplyAndPush(t *testing.T) {
	iterations := envCount(t, iterationsEnv, 30)
	exe := testBinary(t)
	p := newPortal(t)
	ctx := context.Background()
	// A portal large enough that the first downloads take many pages, the plan's people,
	// and staff that another administrator keeps changing.
	s := seed{orgs: []portal.Organization{{ID: "org_k", Name: "Kill Test Org", CreatedAt: t0, UpdatedAt: t0}}}
	admin := person("acc_kadmin", "Kate Admin", portal.StatusActive, portal.KindStaff, "")
	admin.CoreRole = portal.RoleAdministrator
	s.accounts = append(s.accounts, admin)
	for i := range 1500 {
		s.accounts = append(s.accounts, person(fmt.Sprintf("acc_b%04d", i), fmt.Sprintf("Bulk Person %d", i), portal.StatusActive, portal.KindClient, "org_k"))
	}
	for i := range 60 {
		s.accounts = append(s.accounts, person(fmt.Sprintf("acc_k%03d", i), fmt.Sprintf("Kill Pending %d", i), portal.StatusPending, portal.KindStaff, "org_k"))
	}
	for i := range 20 {
		s.accounts = append(s.accounts, person(fmt.Sprintf("acc_s%03d", i), fmt.Sprintf("Kill Staff %d", i), portal.StatusActive, portal.KindStaff, "org_k"))
	}
	for i := range 30 {
		s.accounts = append(s.accounts, person(fmt.Sprintf("acc_c%03d", i), fmt.Sprintf("Churn Staff %d", i), portal.StatusActive, portal.KindStaff, "org_k"))
	}
	p.seed(s)
	other := p.client()
	cachePath := t.TempDir() + "/desk.db"

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	queued := map[killStep]bool{}
	kills := map[string]int{}
	runChild := func(mode string, trigger func(line string) bool, delay time.Duration, fallback time.Duration) (lines []string, wasKilled bool) {
		t.Helper()
		lines, wasKilled = runKillable(t, exe, []string{childEnv + "=" + mode, childCacheEnv + "=" + cachePath, childURLEnv + "=" + p.url, childTokenEnv + "=" + p.token},
			func(line string, kill func()) {
				if trigger != nil && trigger(line) {
					trigger = nil
					if delay > 0 {
						time.AfterFunc(delay, kill)
					} else {
						kill()
					}
				}
			}, fallback)
		for _, l := range lines {
			if f := strings.Fields(l); len(f) >= 3 && f[0] == "QUEUED" {
				queued[killStep{f[1], f[2]}] = true
			}
		}
		return lines, wasKilled
	}

	for i := range iterations {
		var trigger func(string) bool
		var fallback time.Duration = 3 * time.Second
		delay := time.Duration(rng.IntN(3000)) * time.Microsecond
		mode := []string{"apply", "push", "anytime"}[i%3]
		switch mode {
		case "apply":
			k := 1 + rng.IntN(4)
			trigger = func(l string) bool {
				if strings.Contains(l, "applied feed page") {
					k--
				}
				return k == 0
			}
		case "push":
			k := 1 + rng.IntN(2)
			trigger = func(l string) bool {
				if strings.Contains(l, "sending queued change") {
					k--
				}
				return k == 0
			}
		default:
			fallback = time.Duration(50+rng.IntN(500)) * time.Millisecond
		}
		_, killed := runChild("run", trigger, delay, fallback)
		if !killed {
			t.Fatalf("iteration %d: the child ended by itself", i)
		}
		kills[mode]++
		checkPageBoundary(t, p, cachePath, i)

		// Meanwhile another administrator changes other people.
		for j := range 6 {
			id := fmt.Sprintf("acc_c%03d", (i*6+j)%30)
			a := p.account(id)
			if _, err := other.SetOrgAdmin(ctx, id, !a.OrgAdmin, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	lines, killed := runChild("finish", nil, 0, 3*time.Minute)
	if killed || len(lines) == 0 || lines[len(lines)-1] != "SETTLED" {
		t.Fatalf("the last run did not settle:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("%d kills (%v); %d steps queued by killed children or the last run", iterations, kills, len(queued))

	db, err := cache.Open(ctx, cachePath, cache.WithSchema(replica.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.ListOutbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan := killPlan()
	if len(all) != len(plan) {
		t.Fatalf("the outbox holds %d changes, the plan has %d steps", len(all), len(plan))
	}
	inOutbox := map[killStep]cache.QueuedCommand{}
	for _, c := range all {
		k := killStep{c.EntityID, c.Name}
		if _, dup := inOutbox[k]; dup {
			t.Errorf("%s %s queued twice", c.Name, c.EntityID)
		}
		inOutbox[k] = c
		if c.State != cache.OutboxSent {
			t.Errorf("%s %s ended %s: %s", c.Name, c.EntityID, c.State, c.LastError)
		}
	}
	for k := range queued {
		if _, ok := inOutbox[k]; !ok {
			t.Errorf("queued edit lost: %s %s", k.command, k.id)
		}
	}
	resent := 0
	for _, st := range plan {
		if n := p.auditCount(st.id, auditAction[st.command]); n != 1 {
			t.Errorf("%s %s applied %d times on the server", st.command, st.id, n)
		}
		if c := inOutbox[st]; c.Attempts > 1 {
			resent++
		}
	}
	t.Logf("%d of %d changes were sent more than once (killed or refused mid-send), each applied once", resent, len(plan))
	sameAsServer(t, p, db)
	state, _ := db.GetSyncState(ctx, replica.Stream)
	if !strings.HasSuffix(state.Cursor, ":"+itoa(p.head())) {
		t.Fatalf("cursor %s, server head %d", state.Cursor, p.head())
	}
}
