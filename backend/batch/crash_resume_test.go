//go:build !race

// Built without the race detector only, as the replica's kill test: killing processes
// mid-send is the point here, not data races, and under -race the transpiled SQLite makes
// its hundred child processes a matter of minutes. make test-go runs it in a go test of
// its own, without -race.

package batch

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

// TestCrashResume kills the sending process with SIGKILL at random moments, 100 times,
// resuming after each, until the batch is done. Then, per recipient: nobody was skipped,
// nobody got two messages unless their message was unknown after a crash (and then the
// resend carried the same Message-ID and link), at most one unknown per crash, and the
// link each person holds is their one live invitation.
func TestCrashResume(t *testing.T) {
	const kills = 100
	e := newEnv(t, envOptions{people: 1200})
	b := e.form(FormOptions{})
	toSend := b.Counts.Queued
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	t.Logf("random seed %d", seed)
	var tally struct {
		crashes, unknown, released, finishedEarly int
		unknownPerCrash                           map[int]int
	}
	tally.unknownPerCrash = map[int]int{}
	decided := map[int]int{} // seq -> times resent after being unknown
	remaining := toSend
	for run := 0; ; run++ {
		final := tally.crashes == kills
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", childDB+"="+e.db.Path(), childBatch+"="+b.ID,
			childSMTP+"="+e.sink.Addr(), childURL+"="+e.url, childToken+"="+e.token)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		killed := false
		if !final {
			// Kill after a random number of steps (about half the work left per kill
			// left, so that the hundredth kill comes before the end), then a random
			// fraction of a step: inside a message, a commit, an HTTP call.
			steps := 1 + rng.IntN(max(2, remaining/(kills-tally.crashes)))
			timeout := time.After(2 * time.Minute)
		wait:
			for seen := -1; seen < steps; {
				select {
				case l, ok := <-lines:
					if !ok {
						break wait // the child ended by itself
					}
					if l == "running" || l == "step" {
						seen++
					}
				case <-timeout:
					_ = cmd.Process.Kill()
					t.Fatalf("run %d: the child made no progress for two minutes; stderr:\n%s", run, stderr.String())
				}
			}
			time.Sleep(time.Duration(rng.Int64N(int64(2 * time.Millisecond))))
			killed = cmd.Process.Kill() == nil
		}
		go func() {
			for range lines {
			}
		}()
		werr := cmd.Wait()
		if werr != nil && (!killed || !strings.Contains(werr.Error(), "killed")) {
			t.Fatalf("run %d: child failed: %v\n%s", run, werr, stderr.String())
		}
		if werr == nil {
			if !final {
				tally.finishedEarly++
			}
			break // the batch is done
		}
		tally.crashes++
		rep, err := e.st.Recover(e.ctx, b.ID)
		if err != nil {
			t.Fatalf("crash %d: recover: %v", tally.crashes, err)
		}
		if len(rep.Unknown) > 1 {
			t.Errorf("crash %d left %d unknown rows %v, want at most the one in flight", tally.crashes, len(rep.Unknown), rep.Unknown)
		}
		tally.unknown += len(rep.Unknown)
		tally.released += rep.Released
		tally.unknownPerCrash[len(rep.Unknown)]++
		if len(rep.Unknown) > 0 {
			// The administrator cannot tell; resending is the choice that never skips.
			if _, err := e.st.Decide(e.ctx, b.ID, rep.Unknown, DecisionResend, "crash test"); err != nil {
				t.Fatal(err)
			}
			for _, seq := range rep.Unknown {
				decided[seq]++
			}
		}
		cur, err := e.st.Get(e.ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		remaining = cur.Counts.Remaining()
	}

	final, err := e.st.Get(e.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != BatchDone || final.Counts.Sent != toSend {
		for _, r := range e.recipients(b.ID, StateFailed, StateUnknown) {
			t.Logf("row %d %s: %s at %s: %s", r.Seq, r.Email, r.State, r.Stage, r.LastError)
		}
		t.Fatalf("after %d crashes: %s %+v", tally.crashes, final.State, final.Counts)
	}
	got := e.received()
	invs := e.serverInvitations()
	doubles, jar := 0, func() http.CookieJar { j, _ := cookiejar.New(nil); return j }()
	for _, r := range e.recipients(b.ID, StateSent) {
		msgs := got[r.Email]
		switch {
		case len(msgs) == 0:
			t.Errorf("%s (row %d) was skipped", r.Email, r.Seq)
			continue
		case len(msgs) > 1+decided[r.Seq]:
			t.Errorf("%s (row %d) got %d messages but was resent %d times after being unknown", r.Email, r.Seq, len(msgs), decided[r.Seq])
		case len(msgs) > 1:
			doubles += len(msgs) - 1
		}
		for _, m := range msgs {
			if m.Header.Get("Message-Id") != r.MessageID || linkIn(t, m) != linkIn(t, msgs[0]) {
				t.Errorf("%s: the messages differ in Message-ID or link", r.Email)
			}
		}
		live := 0
		for _, inv := range invs[r.ContactID] {
			if inv.StatusAt(e.clock.Now()) == portal.InvitationPending {
				live++
				if inv.ID != r.InvitationID {
					t.Errorf("%s: the live invitation %s is not the one recorded (%s)", r.Email, inv.ID, r.InvitationID)
				}
			}
		}
		if live != 1 {
			t.Errorf("%s has %d live invitations", r.Email, live)
		}
		if status, _ := visit(t, jar, linkIn(t, msgs[0])); status != http.StatusOK {
			t.Errorf("%s: the link e-mailed does not work (%d)", r.Email, status)
		}
	}
	replaced := 0 // invitations made by a killed run whose answer was lost, then replaced
	for _, r := range e.recipients(b.ID, StateSent) {
		if r.Replaces != "" {
			replaced++
		}
	}
	if len(got) != toSend {
		t.Errorf("%d addresses got mail, want %d", len(got), toSend)
	}
	if doubles > tally.crashes {
		t.Errorf("%d duplicate deliveries after %d crashes", doubles, tally.crashes)
	}
	t.Logf("crash test: %d recipients, %d kills (SIGKILL), %d unknown rows after crashes (crashes by unknown rows left: %v), "+
		"%d delivered twice after a resend decision, %d reserved rows provably unsent and released, 0 skipped, %d runs finished before a kill, "+
		"%d invitations replaced after their answer was lost",
		toSend, tally.crashes, tally.unknown, tally.unknownPerCrash, doubles, tally.released, tally.finishedEarly, replaced)
	if tally.crashes < kills {
		t.Errorf("only %d kills before the batch finished", tally.crashes)
	}
}
