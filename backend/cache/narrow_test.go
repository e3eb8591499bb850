package cache

import (
	"context"
	"slices"
	"strings"
	"testing"

	"gatehouse/backend/portal"
)

func TestRefines(t *testing.T) {
	for _, tc := range []struct {
		prev, next string
		want       bool
	}{
		{"emile", "emile.t", true},
		{"annette", "annette v", true},
		{"annette v", "annette vi", true},
		{"a", "an", true},     // both at a word's start
		{"an", "ann", false},  // "ann" matches inside a word too (Joanna)
		{"ann", "anna", true}, // anywhere, then anywhere
		{"ann", "ann smith", true},
		{"ann smith", "ann", false},
		{"ann", "jo", false},
		{"ann x", "ann y", false},
		{"", "ann", false},
	} {
		if got := refines(searchWords(tc.prev), searchWords(tc.next)); got != tc.want {
			t.Errorf("refines(%q, %q) = %v, want %v", tc.prev, tc.next, got, tc.want)
		}
	}
}

// TestTypingNarrowsExactly types searches a keystroke at a time, with filters and sorts,
// and checks every page against the same search matched afresh.
func TestTypingNarrowsExactly(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	gen := newPeople(7)
	orgs := gen.orgs(40)
	var accounts []portal.Account
	mustApply(t, db, func(tx *Tx) error {
		for _, o := range orgs {
			if err := tx.UpsertOrganization(o); err != nil {
				return err
			}
		}
		for i := range 3000 {
			a := gen.account(i, orgs)
			accounts = append(accounts, a)
			if err := tx.UpsertAccount(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err := db.FinishBulkLoad(ctx); err != nil {
		t.Fatal(err)
	}
	filters := []AccountFilter{{Limit: 20}, {Limit: 10, Sort: SortEmail, Desc: true}, {Limit: 50, Kind: portal.KindStaff},
		{Limit: 5, Offset: 5, Status: []portal.Status{portal.StatusActive, portal.StatusPending}}, {Limit: 20, Sort: SortOrganization}}
	narrowedN := 0
	for i, a := range accounts[:60] {
		first, last, _ := strings.Cut(a.Name, " ")
		local, _, _ := strings.Cut(a.Email, "@")
		typed := []string{first + " " + last, local, last + " " + first[:1]}[i%3]
		f := filters[i%len(filters)]
		for n := 1; n <= len(typed); n++ {
			f.Query = typed[:n]
			if _, ok := db.narrow.candidates(narrowKey(f), searchWords(f.Query), db.writes.Load()); ok {
				narrowedN++
			}
			got, err := db.ListAccounts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := db.listAccounts(ctx, f, false)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want.Total || got.Capped != want.Capped || !slices.Equal(ids(got.Rows), ids(want.Rows)) {
				t.Fatalf("%q with %+v: typed on, %d %v; afresh, %d %v", f.Query, f, got.Total, ids(got.Rows), want.Total, ids(want.Rows))
			}
		}
	}
	if narrowedN < 200 {
		t.Errorf("only %d keystrokes were answered from the one before", narrowedN)
	}
	t.Logf("%d keystrokes answered from the one before", narrowedN)
}

// TestTypingSeesWrites: an account that arrives between two keystrokes is found by the second.
func TestTypingSeesWrites(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustApply(t, db, func(tx *Tx) error {
		return tx.UpsertAccount(mkAccount("acc-1", "Anna Berg", "anna@example.org"))
	})
	f := AccountFilter{Query: "ann", Limit: 20}
	if p, err := db.ListAccounts(ctx, f); err != nil || p.Total != 1 {
		t.Fatalf("ann: %v %v", p, err)
	}
	mustApply(t, db, func(tx *Tx) error {
		return tx.UpsertAccount(mkAccount("acc-2", "Annabel Lee", "annabel@example.org"))
	})
	f.Query = "anna"
	p, err := db.ListAccounts(ctx, f)
	if err != nil || !slices.Equal(ids(p.Rows), []string{"acc-1", "acc-2"}) {
		t.Fatalf("anna after a write: %v %v", ids(p.Rows), err)
	}
	mustApply(t, db, func(tx *Tx) error {
		a := mkAccount("acc-1", "Beth Berg", "beth@example.org")
		a.Version = 2
		return tx.UpsertAccount(a)
	})
	f.Query = "annab"
	if p, err = db.ListAccounts(ctx, f); err != nil || !slices.Equal(ids(p.Rows), []string{"acc-2"}) {
		t.Fatalf("annab: %v %v", ids(p.Rows), err)
	}
}

func ids(rows []AccountRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}
