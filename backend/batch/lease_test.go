package batch

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

// TestRecoverRules: after a crash, rows being sent become unknown; rows only reserved go
// back in line when the machine has not restarted since (their sending marks are all on
// disk), and become unknown when it has. A batch held by a live process is left alone.
func TestRecoverRules(t *testing.T) {
	if bootID() == "" {
		t.Fatal("no boot ID on this system; recovery would treat every reserved row as unknown")
	}
	tests := []struct {
		name     string
		boot     string
		pid      int
		unknown  []int
		released int
		busy     bool
	}{
		{"same boot", bootID(), 0, []int{2}, 2, false},
		{"after a restart", "linux:another-boot", 0, []int{1, 2, 3}, 0, false},
		{"held by a live process", bootID(), 1, nil, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, ctx: t.Context(), clock: portal.NewFixedClock(start)}
			e.db = openCache(t, filepath.Join(t.TempDir(), "c.db"), e.clock)
			e.st = NewStore(e.db)
			b, err := e.st.Create(e.ctx, planCands[:2], FormOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// The rows are not contacts on the portal; this test is about leases, so the
			// pre-notification includes them on purpose.
			pre, err := e.st.CreatePreNotification(e.ctx, b.ID, NotifyOptions{IncludeNotOnPortal: true})
			if err != nil {
				t.Fatal(err)
			}
			// Three more rows, so there is something reserved but not yet sending.
			if err := e.st.durable(e.ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO batch_recipients(batch_id, seq, row_ref, email, state, message_id, updated_at)
					VALUES (?, 3, 'x3', 'x3@example.org', 'queued', '<x3@example.org>', '')`, pre.ID); err != nil {
					return err
				}
				if _, err := tx.Exec(`UPDATE batch_recipients SET claim = 1 WHERE batch_id = ?`, pre.ID); err != nil {
					return err
				}
				if _, err := tx.Exec(`UPDATE batch_recipients SET state = 'sending' WHERE batch_id = ? AND seq = 2`, pre.ID); err != nil {
					return err
				}
				_, err := tx.Exec(`UPDATE batches SET state = 'sending', lease_owner = 'run_crashed', lease_pid = ?, lease_boot = ? WHERE id = ?`,
					tc.pid, tc.boot, pre.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			rep, err := e.st.Recover(e.ctx, pre.ID)
			if tc.busy {
				if portal.ErrorCode(err) != portal.ECONFLICT {
					t.Fatalf("recover a batch held by process 1: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(rep.Unknown)
			if !slices.Equal(rep.Unknown, tc.unknown) || rep.Released != tc.released {
				t.Errorf("recovered %+v, want unknown %v and %d released", rep, tc.unknown, tc.released)
			}
			got, _ := e.st.Get(e.ctx, pre.ID)
			if got.State != BatchPaused || got.Counts.Unknown != len(tc.unknown) || got.Counts.Queued != 3-len(tc.unknown) {
				t.Errorf("batch after recovery: %s %+v", got.State, got.Counts)
			}
			for _, seq := range tc.unknown {
				r, _ := e.st.Recipient(e.ctx, pre.ID, seq)
				if r.TimesUnknown != 1 || r.LastError == "" {
					t.Errorf("row %d: %+v", seq, r)
				}
			}
		})
	}
}

// TestProgressRate: the rate is measured over the last seconds and the time left follows.
func TestProgressRate(t *testing.T) {
	clock := portal.NewFixedClock(start)
	r := &run{e: &Engine{opt: EngineOptions{Clock: clock}}, b: Batch{ID: "b"}, started: start}
	r.counts = StateCounts{Total: 1000, Queued: 1000}
	p := r.progressLocked(BatchSending, "")
	if p.RatePerSecond != 0 || p.ETASeconds != -1 || p.Done != 0 || p.Total != 1000 {
		t.Fatalf("at the start: %+v", p)
	}
	for i := 1; i <= 20; i++ {
		clock.Advance(time.Second)
		r.counts.Queued, r.counts.Sent = 1000-50*i, 50*i
		p = r.progressLocked(BatchSending, "")
	}
	if p.Done != 1000 || p.RatePerSecond != 50 || p.ETASeconds != 0 {
		t.Fatalf("at the end: %+v", p)
	}
	r.counts.Queued, r.counts.Sent = 500, 500
	clock.Advance(time.Second)
	r.samples = nil
	r.samples = append(r.samples, sample{clock.Now().Add(-4 * time.Second), 300})
	p = r.progressLocked(BatchSending, "")
	if p.RatePerSecond != 50 || p.ETASeconds != 10 {
		t.Fatalf("halfway: %+v", p)
	}
}
