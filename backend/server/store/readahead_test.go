package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

var errUndo = errors.New("undo this transaction")

// readAheadPortal stores three contacts: one with an account, one whose address an
// account of no contact has, one with neither; and an idempotency key of actor "act".
func readAheadPortal(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	t.Cleanup(func() { st.Close() })
	if err := st.Update(ctx, func(tx store.Tx) error {
		o := portal.Organization{ID: "org", Name: "Pantry"}
		if err := tx.PutOrganization(ctx, &o); err != nil {
			return err
		}
		for _, c := range []portal.Contact{
			{ID: "con_a", OrganizationID: "org", Email: "Ann@Example.org", FullName: "Ann"},
			{ID: "con_b", OrganizationID: "org", Email: "bo@example.org", FullName: "Bo"},
			{ID: "con_c", OrganizationID: "org", Email: "cy@example.org", FullName: "Cy"},
		} {
			if err := tx.PutContact(ctx, &c); err != nil {
				return err
			}
		}
		for _, a := range []portal.Account{
			{ID: "acc_a", ContactID: "con_a", OrganizationID: "org", Email: "ann@example.org", Name: "Ann", Status: portal.StatusActive, Kind: portal.KindClient},
			{ID: "acc_b", OrganizationID: "org", Email: "BO@example.org", Name: "Bo", Status: portal.StatusPending, Kind: portal.KindClient},
		} {
			if err := tx.PutAccount(ctx, &a); err != nil {
				return err
			}
		}
		return tx.SaveIdempotent(ctx, store.Idempotency{ActorID: "act", Key: "k1", RequestHash: "h1", Body: []byte(`{"ok":1}`), CreatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

var aheadOfAll = store.ReadAhead{ContactIDs: []string{"con_a", "con_b", "con_c", "con_nobody"}, ActorID: "act", IdempotencyKeys: []string{"k1", "k2"}}

// answers is what the reads a read-ahead serves answer in tx, as text.
func answers(ctx context.Context, tx store.Tx) string {
	var b strings.Builder
	for _, id := range aheadOfAll.ContactIDs {
		c, err := tx.Contact(ctx, id)
		fmt.Fprintf(&b, "contact %s: %s v%d %s\n", id, c.Email, c.Version, portal.ErrorCode(err))
		a, err := tx.AccountByContact(ctx, id)
		fmt.Fprintf(&b, "  account by contact: %s %s v%d %s\n", a.ID, a.Email, a.Version, portal.ErrorCode(err))
		if err == nil || c.Email != "" {
			as, err := tx.AccountsByEmail(ctx, c.Email)
			fmt.Fprintf(&b, "  accounts by e-mail %s:", c.Email)
			for _, a := range as {
				fmt.Fprintf(&b, " %s v%d", a.ID, a.Version)
			}
			fmt.Fprintf(&b, " %v\n", err)
		}
	}
	for _, key := range aheadOfAll.IdempotencyKeys {
		rec, ok, err := tx.Idempotent(ctx, "act", key)
		fmt.Fprintf(&b, "key %s: %v %s %s %s %v\n", key, ok, rec.RequestHash, rec.Body, rec.CreatedAt.Format(time.RFC3339), err)
	}
	return b.String()
}

// What a transaction reads after a read-ahead is what it would have read without one:
// before any write, after writes that change what was read ahead (a new account of a
// contact, a contact's new address, an account moved to another address, a deleted
// account, a new contact, a stored key), and after a savepoint that undid some of them.
func TestReadAheadAnswersAsTheDatabaseWould(t *testing.T) {
	ctx := context.Background()
	st := readAheadPortal(t)
	writes := func(tx store.Tx, _ bool) error {
		a := portal.Account{ID: "acc_c", ContactID: "con_c", OrganizationID: "org", Email: "cy@example.org", Name: "Cy", Status: portal.StatusInvited, Kind: portal.KindClient}
		if err := tx.PutAccount(ctx, &a); err != nil {
			return err
		}
		c, err := tx.Contact(ctx, "con_b")
		if err != nil {
			return err
		}
		c.Email = "bo.new@example.org"
		if err := tx.PutContact(ctx, &c); err != nil {
			return err
		}
		b, err := tx.Account(ctx, "acc_b")
		if err != nil {
			return err
		}
		b.Email = "ann@example.org" // now beside acc_a under Ann's address
		if err := tx.PutAccount(ctx, &b); err != nil {
			return err
		}
		if err := tx.DeleteAccount(ctx, "acc_a"); err != nil {
			return err
		}
		n := portal.Contact{ID: "con_nobody", OrganizationID: "org", Email: "new@example.org", FullName: "New"} // read ahead as missing
		if err := tx.PutContact(ctx, &n); err != nil {
			return err
		}
		return tx.SaveIdempotent(ctx, store.Idempotency{ActorID: "act", Key: "k2", RequestHash: "h2", Body: []byte(`{"ok":2}`), CreatedAt: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)})
	}
	undone := func(tx store.Tx, ahead bool) error {
		// Writes undone by their savepoint, then one kept.
		if err := tx.Savepoint(ctx, func() error {
			if err := writes(tx, ahead); err != nil {
				return err
			}
			// Read inside it, after its writes, and read ahead again: what it read
			// must not outlive it.
			if ahead {
				if err := tx.ReadAhead(ctx, aheadOfAll); err != nil {
					return err
				}
			}
			answers(ctx, tx)
			return errUndo
		}); !errors.Is(err, errUndo) {
			return fmt.Errorf("savepoint: %v", err)
		}
		return tx.Savepoint(ctx, func() error {
			c, err := tx.Contact(ctx, "con_c")
			if err != nil {
				return err
			}
			c.FullName = "Cy Kept"
			return tx.PutContact(ctx, &c)
		})
	}
	for _, tc := range []struct {
		name   string
		before func(tx store.Tx, ahead bool) error
	}{
		{"no writes", func(store.Tx, bool) error { return nil }},
		{"writes", writes},
		{"writes undone by a savepoint", undone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := func(ahead bool) string {
				var got string
				err := st.Update(ctx, func(tx store.Tx) error {
					if ahead {
						if err := tx.ReadAhead(ctx, aheadOfAll); err != nil {
							return err
						}
					}
					if err := tc.before(tx, ahead); err != nil {
						return err
					}
					got = answers(ctx, tx)
					return errUndo // each case starts from the same portal
				})
				if !errors.Is(err, errUndo) {
					t.Fatal(err)
				}
				return got
			}
			want, got := read(false), read(true)
			if got != want {
				t.Errorf("after a read-ahead:\n%s\nwithout one:\n%s", got, want)
			}
		})
	}
}

// Inside a savepoint, a new record whose ID is taken is refused with the same answer as
// outside one (on PostgreSQL the insert is held back and refused at the release); the
// savepoint's other writes are undone and the transaction goes on.
func TestInsertOfATakenIDInsideASavepoint(t *testing.T) {
	ctx := context.Background()
	st := readAheadPortal(t)
	again := func(tx store.Tx) error {
		o := portal.Organization{ID: "org", Name: "Twice"}
		return tx.PutOrganization(ctx, &o)
	}
	outside := st.Update(ctx, again)
	if portal.ErrorCode(outside) != portal.ECONFLICT {
		t.Fatalf("outside a savepoint: %v", outside)
	}
	var inside error
	if err := st.Update(ctx, func(tx store.Tx) error {
		inside = tx.Savepoint(ctx, func() error {
			c := portal.Contact{ID: "con_undone", OrganizationID: "org", Email: "undone@example.org"}
			if err := tx.PutContact(ctx, &c); err != nil {
				return err
			}
			return again(tx)
		})
		return tx.Savepoint(ctx, func() error {
			c := portal.Contact{ID: "con_kept", OrganizationID: "org", Email: "kept@example.org"}
			return tx.PutContact(ctx, &c)
		})
	}); err != nil {
		t.Fatal(err)
	}
	if inside == nil || inside.Error() != outside.Error() || portal.ErrorCode(inside) != portal.ECONFLICT {
		t.Errorf("inside a savepoint: %v, want %v", inside, outside)
	}
	if err := st.View(ctx, func(r store.Reader) error {
		if o, err := r.Organization(ctx, "org"); err != nil || o.Name != "Pantry" {
			t.Errorf("organisation: %+v %v", o, err)
		}
		if _, err := r.Contact(ctx, "con_undone"); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Errorf("the refused savepoint's contact: %v", err)
		}
		_, err := r.Contact(ctx, "con_kept")
		return err
	}); err != nil {
		t.Error(err)
	}
}
