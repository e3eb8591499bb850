package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

// Writers committed together (group commit, on either database) keep
// every promise of Update: each one's writes are committed when it returns, a refused
// one's are undone alone, a panic is raised in the goroutine of the writer whose function
// panicked and no other, and the feed stays contiguous in the order the writers ran.
func TestConcurrentWritersEachGetTheirOwnTransaction(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	const writers = 300
	refused := portal.Errorf(portal.ECONFLICT, "refused")
	var wg sync.WaitGroup
	errs := make([]error, writers)
	panics := make([]any, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			id := fmt.Sprintf("org_%03d", i)
			errs[i] = st.Update(ctx, func(tx store.Tx) error {
				o := portal.Organization{ID: id, Name: id}
				if err := tx.PutOrganization(ctx, &o); err != nil {
					return err
				}
				// What this writer wrote, it reads back, however many share its commit.
				if got, err := tx.Organization(ctx, id); err != nil || got.Name != id {
					return fmt.Errorf("read back %s: %+v %v", id, got, err)
				}
				switch {
				case i%10 == 3:
					return refused // after writing: its write must be undone
				case i%50 == 7:
					panic("writer " + id)
				}
				return nil
			})
			// Once Update returns, the write is there for every reader.
			if errs[i] == nil {
				if err := st.View(ctx, func(r store.Reader) error { _, err := r.Organization(ctx, id); return err }); err != nil {
					errs[i] = fmt.Errorf("committed but not visible: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	want := map[string]bool{}
	for i := range writers {
		id := fmt.Sprintf("org_%03d", i)
		switch {
		case i%10 == 3:
			if !errors.Is(errs[i], refused) || panics[i] != nil {
				t.Errorf("%s: %v %v, want its own refusal", id, errs[i], panics[i])
			}
		case i%50 == 7:
			if panics[i] == nil {
				t.Errorf("%s: the panic was not raised in its writer (err %v)", id, errs[i])
			}
		default:
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("%s: %v %v", id, errs[i], panics[i])
			}
			want[id] = true
		}
	}
	changes, head := feed(t, st)
	if len(changes) != len(want) || head != int64(len(want)) {
		t.Fatalf("the feed has %d changes up to %d, want %d", len(changes), head, len(want))
	}
	for i, c := range changes {
		if c.Seq != int64(i+1) || !want[c.ID] {
			t.Fatalf("change %d: %+v (a refused or panicked writer's change, or a gap)", i, c)
		}
		delete(want, c.ID)
	}
}

// A writer whose caller gives up while it waits for its turn writes nothing.
func TestWriterThatGivesUpWaitingWritesNothing(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	hold, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = st.Update(context.Background(), func(tx store.Tx) error {
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- st.Update(ctx, func(tx store.Tx) error {
			o := portal.Organization{ID: "late", Name: "late"}
			return tx.PutOrganization(ctx, &o)
		})
	}()
	cancel()
	err := <-done
	close(release)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("gave up waiting: %v", err)
	}
	if err := st.Update(context.Background(), func(tx store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if changes, _ := feed(t, st); len(changes) != 0 {
		t.Errorf("a writer that gave up wrote %+v", changes)
	}
}

// A writer whose caller gives up in the middle of its function, while it shares a commit
// with others, has its writes undone; the others' are committed.
func TestWriterThatGivesUpMidwayIsUndoneAlone(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	put := func(ctx context.Context, tx store.Tx, id string) error {
		o := portal.Organization{ID: id, Name: id}
		return tx.PutOrganization(ctx, &o)
	}
	hold, release := make(chan struct{}), make(chan struct{})
	first := make(chan error)
	go func() {
		first <- st.Update(context.Background(), func(tx store.Tx) error {
			close(hold)
			<-release
			return put(context.Background(), tx, "first")
		})
	}()
	<-hold
	ctx, cancel := context.WithCancel(context.Background())
	quitter, other := make(chan error), make(chan error)
	go func() {
		quitter <- st.Update(ctx, func(tx store.Tx) error {
			if err := put(ctx, tx, "quitter-a"); err != nil {
				return err
			}
			cancel()
			return put(ctx, tx, "quitter-b")
		})
	}()
	// Both queue behind the first writer, and are committed with each other.
	waitQueued(t, st, 1)
	go func() {
		other <- st.Update(context.Background(), func(tx store.Tx) error { return put(context.Background(), tx, "other") })
	}()
	waitQueued(t, st, 2)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-quitter; !errors.Is(err, context.Canceled) {
		t.Errorf("the writer that gave up: %v", err)
	}
	if err := <-other; err != nil {
		t.Errorf("the other writer: %v", err)
	}
	if changes, head := feed(t, st); ids(changes) != "first other" || head != 2 {
		t.Errorf("the feed: %q up to %d, want first and other", ids(changes), head)
	}
}

// waitQueued waits until n writers queue for their turn.
func waitQueued(t *testing.T, st *store.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for st.Queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writers queued, want %d", st.Queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
