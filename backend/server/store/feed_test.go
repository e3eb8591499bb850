package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// feed reads the whole change feed and its head.
func feed(t *testing.T, st *store.DB) ([]api.Change, int64) {
	t.Helper()
	ctx := context.Background()
	var changes []api.Change
	var head int64
	err := st.View(ctx, func(r store.Reader) error {
		var err error
		changes, head, err = r.Changes(ctx, 0, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return changes, head
}

func ids(changes []api.Change) string {
	var b strings.Builder
	for i, c := range changes {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.ID)
	}
	return b.String()
}

// A bulk transaction hands out many feed numbers; a rolled-back savepoint gives its
// numbers back, a transaction reading the feed sees its own entries, and the next
// transaction continues the numbering without a gap.
func TestSavepointsKeepTheFeedContiguous(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	refused := portal.Errorf(portal.ECONFLICT, "refused")
	tests := []struct {
		name string
		// fails lists the items (by position) whose savepoint is refused after writing.
		items []string
		fails map[int]bool
		// readAt is the item after which the transaction reads the feed (-1: never).
		readAt  int
		wantIDs string
	}{
		{name: "all stored", items: []string{"a", "b", "c"}, readAt: -1, wantIDs: "a b c"},
		{name: "first refused", items: []string{"d", "e"}, fails: map[int]bool{0: true}, readAt: -1, wantIDs: "a b c e"},
		{name: "middle refused, feed read", items: []string{"f", "g", "h"}, fails: map[int]bool{1: true}, readAt: 1, wantIDs: "a b c e f h"},
		{name: "last refused", items: []string{"i", "j"}, fails: map[int]bool{1: true}, readAt: 0, wantIDs: "a b c e f h i"},
		{name: "all refused", items: []string{"k"}, fails: map[int]bool{0: true}, readAt: -1, wantIDs: "a b c e f h i"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := st.Update(ctx, func(tx store.Tx) error {
				for i, id := range tt.items {
					err := tx.Savepoint(ctx, func() error {
						o := portal.Organization{ID: id, Name: id}
						if err := tx.PutOrganization(ctx, &o); err != nil {
							return err
						}
						if tt.fails[i] {
							return refused
						}
						return nil
					})
					if err != nil && !errors.Is(err, refused) {
						return err
					}
					if i == tt.readAt {
						changes, head, err := tx.Changes(ctx, 0, 0)
						if err != nil {
							return err
						}
						if n := len(changes); n == 0 || changes[n-1].Seq != head {
							t.Errorf("inside the transaction the feed ends at %d, head is %d", changes[n-1].Seq, head)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			changes, head := feed(t, st)
			if got := ids(changes); got != tt.wantIDs {
				t.Errorf("feed holds %q, want %q", got, tt.wantIDs)
			}
			for i, c := range changes {
				if c.Seq != int64(i+1) {
					t.Errorf("change %d (%s) has number %d, want %d", i, c.ID, c.Seq, i+1)
				}
			}
			if head != int64(len(changes)) {
				t.Errorf("head %d after %d changes", head, len(changes))
			}
		})
	}
}

// A new record whose ID is taken is a conflict, and it leaves the caller's record as it
// was given.
func TestPutNewRecordWithTakenIDConflicts(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	put := func() (portal.Organization, error) {
		o := portal.Organization{ID: "acme", Name: "Acme"}
		err := st.Update(ctx, func(tx store.Tx) error { return tx.PutOrganization(ctx, &o) })
		return o, err
	}
	if o, err := put(); err != nil || o.Version != 1 {
		t.Fatalf("first put: version %d, %v", o.Version, err)
	}
	o, err := put()
	if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(err.Error(), `already a organisation "acme"`) {
		t.Errorf("second put of a new record: %v", err)
	}
	if o.Version != 0 {
		t.Errorf("refused put left version %d, want 0", o.Version)
	}
	if changes, _ := feed(t, st); len(changes) != 1 {
		t.Errorf("feed after a refused put: %+v", changes)
	}
}

// A writer whose caller has gone stops at its next statement and stores nothing.
func TestUpdateStopsWhenTheCallerCancels(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	err := st.Update(ctx, func(tx store.Tx) error {
		o := portal.Organization{ID: "a", Name: "a"}
		if err := tx.PutOrganization(ctx, &o); err != nil {
			return err
		}
		cancel()
		o = portal.Organization{ID: "b", Name: "b"}
		return tx.PutOrganization(ctx, &o)
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("update after cancel: %v", err)
	}
	if changes, head := feed(t, st); len(changes) != 0 || head != 0 {
		t.Errorf("a cancelled update stored head %d %+v", head, changes)
	}
}
