package cache

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

// The crash tests run this test binary again as a child that writes to the cache until the
// parent kills it with SIGKILL, then check what the parent finds on reopening.

const crashEnv = "GATEHOUSE_CACHE_CRASH_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashEnv); spec != "" {
		mode, path, _ := strings.Cut(spec, ":")
		if err := crashHelper(mode, path); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	code := m.Run()
	if searchDir != "" {
		os.RemoveAll(searchDir)
	}
	os.Exit(code)
}

// crashBatch accounts per transaction: enough that SQLite spills uncommitted pages into the
// WAL before the kill (the test logs the WAL size).
var crashBatch = map[bool]int{false: 2000, true: 400}[raceEnabled]

func crashAccount(batch, i int) portal.Account {
	return mkAccount(fmt.Sprintf("b%05d-%04d", batch, i), fmt.Sprintf("Person %d of batch %d", i, batch),
		fmt.Sprintf("p%d.b%d@example.org", i, batch), func(a *portal.Account) {
			a.Kind, a.CoreRole, a.AdditionalRoles = portal.KindStaff, portal.RoleStaff, []string{portal.RoleReports}
			a.Version = int64(batch)
		})
}

// crashHelper writes forever and says on stdout what it has committed.
func crashHelper(mode, path string) error {
	ctx := context.Background()
	db, err := Open(ctx, path, WithBulkIdle(time.Millisecond))
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}
	switch mode {
	case "apply", "apply-pause":
		// A small page cache makes SQLite spill uncommitted pages into the WAL mid-transaction,
		// which is the harder case for recovery.
		if _, err := db.SQL().ExecContext(ctx, "PRAGMA cache_size = 20"); err != nil {
			return err
		}
		s, err := db.GetSyncState(ctx, "changes")
		if err != nil {
			return err
		}
		start, _ := strconv.Atoi(s.Cursor)
		for b := start + 1; ; b++ {
			err := db.Apply(ctx, func(tx *Tx) error {
				for i := range crashBatch {
					if err := tx.UpsertAccount(crashAccount(b, i)); err != nil {
						return err
					}
					// The same record rewritten in every batch, and an organisation whose
					// rename re-indexes earlier batches.
					if i == crashBatch/2 {
						if err := tx.UpsertAccount(mkAccount("shared", "Shared", "shared@example.org", func(a *portal.Account) { a.Version = int64(b) })); err != nil {
							return err
						}
						o := mkOrg("o1", fmt.Sprintf("Org renamed in batch %d", b))
						o.Version = int64(b)
						if err := tx.UpsertOrganization(o); err != nil {
							return err
						}
						say("inside %d", b)
						if mode == "apply-pause" {
							select {} // hold the transaction open until killed
						}
					}
				}
				return tx.SetCursor("changes", strconv.Itoa(b))
			})
			if err != nil {
				return err
			}
			say("committed %d", b)
		}
	case "outbox":
		for n := 0; ; n++ {
			id := fmt.Sprintf("acct-%02d", n%20)
			preview := mkAccount(id, "Pending "+strconv.Itoa(n), id+"@example.org", func(a *portal.Account) { a.Status = portal.StatusDeactivated })
			key, err := db.Enqueue(ctx, Command{Name: "deactivate", EntityType: EntityAccount, EntityID: id, BaseVersion: 1,
				Preview: mustMarshal(preview)})
			if err != nil {
				return err
			}
			say("queued %s", key)
			if n%3 == 2 {
				c, ok, err := db.NextDue(ctx)
				if err != nil || !ok {
					return fmt.Errorf("nothing due: %v", err)
				}
				if err := db.MarkSending(ctx, c.ID); err != nil {
					return err
				}
				server := mkAccount(c.EntityID, "Server", c.EntityID+"@example.org", func(a *portal.Account) { a.Version = int64(n + 2) })
				err = db.Apply(ctx, func(tx *Tx) error {
					if err := tx.UpsertAccount(server); err != nil {
						return err
					}
					return tx.MarkSent(c.ID, mustMarshal(server), server.Version)
				})
				if err != nil {
					return err
				}
				say("sent %s", c.IdempotencyKey)
			}
		}
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// runUntilKilled starts the helper and kills it with SIGKILL once stop says so.
func runUntilKilled(t *testing.T, mode, path string, stop func(line string) bool) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+mode+":"+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatalf("helper: %s", line)
		}
		lines = append(lines, line)
		if stop(line) {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
			break
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("the helper ended by itself after %d lines", len(lines))
	}
	return lines
}

func TestCrashDuringApplyLeavesNothingHalfWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	ctx := context.Background()
	fresh, _ := openTest(t)
	freshSchema := schemaOf(t, fresh)
	lastCommitted := 0
	for round := range 5 {
		// In turn: kill while the child holds a transaction open half-way, or let it run and
		// kill it wherever it is just after a commit.
		mode, stop := "apply-pause", fmt.Sprintf("inside %d", lastCommitted+1)
		if round%2 == 1 {
			mode, stop = "apply", fmt.Sprintf("committed %d", lastCommitted+2)
		}
		lines := runUntilKilled(t, mode, path, func(line string) bool { return line == stop })
		for _, l := range lines {
			if n, ok := strings.CutPrefix(l, "committed "); ok {
				lastCommitted, _ = strconv.Atoi(n)
			}
		}

		if st, err := os.Stat(path + "-wal"); err == nil {
			t.Logf("round %d (%s): WAL holds %d bytes at the kill", round, mode, st.Size())
		}
		db, err := Open(ctx, path, WithBulkIdle(0))
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		var integrity string
		must(t, db.ReadSQL().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&integrity))
		if integrity != "ok" {
			t.Fatalf("round %d: integrity check: %s", round, integrity)
		}
		// The first batch went into an empty table: a bulk load, whose index build the kill
		// may have left undone. It completes now, and the schema is whole again.
		must(t, db.FinishBulkLoad(ctx))
		if got := schemaOf(t, db); !maps.Equal(got, freshSchema) {
			for name, sql := range freshSchema {
				if got[name] != sql {
					t.Errorf("%s: %q, want %q", name, got[name], sql)
				}
			}
			for name, sql := range got {
				if _, ok := freshSchema[name]; !ok {
					t.Errorf("%s: %q is extra", name, sql)
				}
			}
			t.Fatalf("round %d: schema after the bulk load differs from a new database's", round)
		}
		assertSearchIndexIntact(t, db)
		s, err := db.GetSyncState(ctx, "changes")
		must(t, err)
		cursor, _ := strconv.Atoi(s.Cursor)
		if mode == "apply-pause" && cursor != lastCommitted {
			t.Fatalf("round %d: cursor %d: the transaction killed half-way was kept (last committed %d)", round, cursor, lastCommitted)
		}
		if cursor < lastCommitted || cursor > lastCommitted+1 {
			t.Fatalf("round %d: cursor %d, but the child reported batch %d committed", round, cursor, lastCommitted)
		}
		rows, err := db.ReadSQL().QueryContext(ctx, "SELECT substr(id, 2, 5), count(*) FROM accounts WHERE id LIKE 'b%' GROUP BY 1")
		must(t, err)
		batches := 0
		for rows.Next() {
			var b, n int
			must(t, rows.Scan(&b, &n))
			if n != crashBatch || b > cursor {
				t.Errorf("round %d: batch %d has %d rows (cursor %d): half a transaction survived", round, b, n, cursor)
			}
			batches++
		}
		rows.Close()
		if batches != cursor {
			t.Errorf("round %d: %d batches for cursor %d", round, batches, cursor)
		}
		var shared, roles, orgVersion int
		must(t, db.ReadSQL().QueryRowContext(ctx, `SELECT coalesce((SELECT version FROM accounts WHERE id = 'shared'), 0),
			(SELECT count(*) FROM account_roles), coalesce((SELECT version FROM organizations WHERE id = 'o1'), 0)`).Scan(&shared, &roles, &orgVersion))
		if shared != cursor || orgVersion != cursor || roles != 2*crashBatch*cursor {
			t.Errorf("round %d: shared version %d, organisation version %d, %d role rows; cursor %d", round, shared, orgVersion, roles, cursor)
		}
		if got := accountIDs(t, db, AccountFilter{Query: fmt.Sprintf("of batch %d", cursor), Limit: 1}); cursor > 0 && len(got) != 1 {
			t.Errorf("round %d: last batch not searchable", round)
		}
		db.Close()
		lastCommitted = cursor
	}
}

func TestCrashDuringOutboxWritesLosesNoQueuedChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	ctx := context.Background()
	queued, sent := map[string]bool{}, map[string]bool{}
	for round := range 5 {
		n := 0
		limit := 15 + 7*round
		lines := runUntilKilled(t, "outbox", path, func(string) bool { n++; return n >= limit })
		for _, l := range lines {
			if k, ok := strings.CutPrefix(l, "queued "); ok {
				queued[k] = true
			}
			if k, ok := strings.CutPrefix(l, "sent "); ok {
				sent[k] = true
			}
		}

		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		all, err := db.ListOutbox(ctx)
		must(t, err)
		stored := map[string]QueuedCommand{}
		for _, c := range all {
			stored[c.IdempotencyKey] = c
		}
		for k := range queued {
			if _, ok := stored[k]; !ok {
				t.Errorf("round %d: queued change %s was lost", round, k)
			}
		}
		for k := range sent {
			if stored[k].State != OutboxSent {
				t.Errorf("round %d: change %s reported sent is %s", round, k, stored[k].State)
			}
		}
		// What is on screen matches the outbox: the latest waiting preview, or the server.
		for e := range 20 {
			id := fmt.Sprintf("acct-%02d", e)
			v, err := db.GetAccountView(ctx, id)
			if portal.ErrorCode(err) == portal.ENOTFOUND {
				continue
			}
			must(t, err)
			var latest *QueuedCommand
			for i := range v.Pending {
				if v.Pending[i].State == OutboxQueued || v.Pending[i].State == OutboxSending {
					latest = &v.Pending[i]
				}
			}
			switch {
			case latest != nil && !jsonEqual(mustJSON(t, v.Account), latest.Preview):
				t.Errorf("round %d: %s shows %+v, not its pending change", round, id, v.Account)
			case latest == nil && (v.Server == nil || !sameAccount(*v.Server, v.Account)):
				t.Errorf("round %d: %s shows %+v without a pending change; server has %+v", round, id, v.Account, v.Server)
			}
		}
		var integrity string
		must(t, db.ReadSQL().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&integrity))
		if integrity != "ok" {
			t.Fatalf("round %d: integrity check: %s", round, integrity)
		}
		assertSearchIndexIntact(t, db)
		db.Close()
	}
	if len(queued) < 50 {
		t.Errorf("only %d changes queued across the rounds", len(queued))
	}
}
