package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// group runs the writers' functions as one group commit: a first writer holds the turn
// until all of them are queued behind it. It returns each writer's error.
func group(t *testing.T, st *store.DB, fns ...func(tx store.Tx) error) []error {
	t.Helper()
	ctx := context.Background()
	hold, release := make(chan struct{}), make(chan struct{})
	first := make(chan error)
	go func() {
		first <- st.Update(ctx, func(store.Tx) error {
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	done := make([]chan error, len(fns))
	for i, fn := range fns {
		done[i] = make(chan error, 1)
		go func() { done[i] <- st.Update(ctx, fn) }()
		waitQueued(t, st, i+1) // in this order
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	errs := make([]error, len(fns))
	for i := range done {
		errs[i] = <-done[i]
	}
	return errs
}

// A write transaction remembers the roles, settings, templates and organisations it
// read (memo.go). Writers that share a commit each read what the ones before them
// committed, and none reads what a refused writer wrote and was undone.
func TestWritersSharingACommitReadEachOthersChanges(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	if err := st.Update(ctx, func(tx store.Tx) error {
		s := api.DefaultSettings()
		if err := tx.PutSettings(ctx, &s); err != nil {
			return err
		}
		o := portal.Organization{ID: "org", Name: "Before"}
		return tx.PutOrganization(ctx, &o)
	}); err != nil {
		t.Fatal(err)
	}
	rename := func(name string, refuse bool) func(tx store.Tx) error {
		return func(tx store.Tx) error {
			s, err := tx.Settings(ctx)
			if err != nil {
				return err
			}
			o, err := tx.Organization(ctx, "org")
			if err != nil {
				return err
			}
			s.ProductName, o.Name = name, name
			if err := tx.PutSettings(ctx, &s); err != nil {
				return err
			}
			if err := tx.PutOrganization(ctx, &o); err != nil {
				return err
			}
			// Read again after writing: this writer sees its own change.
			if s, err := tx.Settings(ctx); err != nil || s.ProductName != name {
				return portal.Errorf(portal.EINTERNAL, "read back settings %q: %v", s.ProductName, err)
			}
			if refuse {
				return portal.Errorf(portal.ECONFLICT, "refused")
			}
			return nil
		}
	}
	var seen []string
	look := func(tx store.Tx) error {
		s, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		o, err := tx.Organization(ctx, "org")
		seen = append(seen, s.ProductName+"/"+o.Name)
		return err
	}
	errs := group(t, st, look, rename("A", false), look, rename("B", true), look, rename("C", false), look)
	for i, err := range errs {
		if (i == 3) != (err != nil) {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if got, want := strings.Join(seen, " "), "Gatehouse/Before A/A A/A C/C"; got != want {
		t.Errorf("the readers saw %q, want %q", got, want)
	}
}

// A write held back to be sent with a later statement (on PostgreSQL, pgwrite.go) that
// fails is the failure of the writer that made it: its writes are undone, its error names
// the write, and the writers it shares a commit with are committed.
func TestAFailedHeldBackWriteUndoesItsWriterAlone(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	queue := func(org, mailID string) func(tx store.Tx) error {
		return func(tx store.Tx) error {
			o := portal.Organization{ID: org, Name: org}
			if err := tx.PutOrganization(ctx, &o); err != nil {
				return err
			}
			return tx.QueueMail(ctx, store.Mail{ID: mailID, ToAddr: org + "@example.org", Status: store.MailQueued})
		}
	}
	// The same message ID twice: the second insert breaks the outbox's key.
	errs := group(t, st, queue("first", "mail-1"), queue("second", "mail-1"), queue("third", "mail-3"))
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("first and third writers: %v, %v", errs[0], errs[2])
	}
	if errs[1] == nil || !strings.Contains(errs[1].Error(), "queue e-mail to second@example.org") {
		t.Errorf("second writer: %v, want the failed e-mail named", errs[1])
	}
	if changes, head := feed(t, st); ids(changes) != "first third" || head != 2 {
		t.Errorf("the feed: %q up to %d, want the first and third writers' organisations", ids(changes), head)
	}
	// The transaction went on after the failures: a writer after them is committed.
	if err := st.Update(ctx, func(tx store.Tx) error {
		o := portal.Organization{ID: "later", Name: "later"}
		return tx.PutOrganization(ctx, &o)
	}); err != nil {
		t.Fatal(err)
	}
}
