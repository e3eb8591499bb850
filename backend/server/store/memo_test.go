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

// An account's roles are kept in account_roles for the SQL that asks who holds a role
// (the last-administrator guard among them). Whatever the changes, read back, written
// without a read, or undone with their savepoint, in a transaction that remembers what it
// read, the table says what the stored account holds.
func TestAccountRolesFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	holders := func(want map[string]int) {
		t.Helper()
		if err := st.View(ctx, func(r store.Reader) error {
			for role, n := range want {
				if got, err := r.RoleHolders(ctx, role); err != nil || got != n {
					t.Errorf("%s: %d holders (%v), want %d", role, got, err, n)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	a := portal.Account{ID: "acc", Email: "a@example.org", Name: "A", Status: portal.StatusActive, Kind: portal.KindStaff,
		CoreRole: portal.RoleStaff, AdditionalRoles: []string{portal.RoleReports}}
	update := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := st.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx store.Tx) error { return tx.PutAccount(ctx, &a) })
	holders(map[string]int{portal.RoleStaff: 1, portal.RoleReports: 1})
	update(func(tx store.Tx) error {
		// Read, then a change that keeps the roles, then one that changes them, then one
		// written without a read that puts them back.
		b, err := tx.Account(ctx, "acc")
		if err != nil {
			return err
		}
		b.Status = portal.StatusDeactivated
		if err := tx.PutAccount(ctx, &b); err != nil {
			return err
		}
		b.AdditionalRoles = []string{}
		if err := tx.PutAccount(ctx, &b); err != nil {
			return err
		}
		c := a
		c.Version = b.Version
		return tx.PutAccount(ctx, &c)
	})
	holders(map[string]int{portal.RoleStaff: 1, portal.RoleReports: 1})
	refused := portal.Errorf(portal.ECONFLICT, "refused")
	update(func(tx store.Tx) error {
		b, err := tx.Account(ctx, "acc")
		if err != nil {
			return err
		}
		// Undone: a change of roles, and the account read back in between.
		if err := tx.Savepoint(ctx, func() error {
			x := b
			x.AdditionalRoles = []string{}
			if err := tx.PutAccount(ctx, &x); err != nil {
				return err
			}
			if _, err := tx.Account(ctx, "acc"); err != nil {
				return err
			}
			return refused
		}); !errors.Is(err, refused) {
			return err
		}
		// The same roles as stored: nothing to write. Then the roles go.
		b.Name = "A2"
		if err := tx.PutAccount(ctx, &b); err != nil {
			return err
		}
		b.AdditionalRoles = []string{}
		return tx.PutAccount(ctx, &b)
	})
	holders(map[string]int{portal.RoleStaff: 1, portal.RoleReports: 0})
}
