package reports

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
)

func countsOf(cs []Count) map[string]int {
	m := map[string]int{}
	for _, c := range cs {
		m[c.Key] = c.Count
	}
	return m
}

func TestFigures(t *testing.T) {
	r, _ := openFixture(t)
	ctx := context.Background()
	fig, err := r.Figures(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	people := fixturePeople()
	// Contacts: every person's contact plus Zed, who was never invited.
	want := map[string]int{StageContacts: len(people) + 1, StageInvited: 6, StageAccepted: 3, StageLoggedIn: 3}
	if got := countsOf(fig.Funnel); !mapsEqual(got, want) {
		t.Errorf("funnel = %v, want %v", got, want)
	}
	if keys := keysOf(fig.Funnel); !slices.Equal(keys, []string{StageContacts, StageInvited, StageAccepted, StageLoggedIn}) {
		t.Errorf("funnel order = %v", keys)
	}
	// Logged in: Ada (2 days), Eve (3 days), =1+1 (40 days) recent; Bob (200 days) inactive.
	want = map[string]int{"never": len(people) - 4, "inactive": 1, "recent": 3}
	if got := countsOf(fig.LoginStates); !mapsEqual(got, want) {
		t.Errorf("login states = %v, want %v", got, want)
	}
	// Each person's latest invitation, as the clock judges it: Dan's pending one has expired.
	want = map[string]int{"accepted": 3, "pending": 1, "expired": 1, "revoked": 1}
	if got := countsOf(fig.InvitationsByStatus); !mapsEqual(got, want) {
		t.Errorf("invitations by status = %v, want %v", got, want)
	}
	// People per batch: Ada (twice), Bob, Cat in A; Dan in B; Eve and +SUM outside batches.
	want = map[string]int{"bat_a": 3, "bat_b": 1, NoBatch: 2}
	if got := countsOf(fig.InvitationsByBatch); !mapsEqual(got, want) {
		t.Errorf("invitations by batch = %v, want %v", got, want)
	}
	if l := labelOf(fig.InvitationsByBatch, "bat_a"); l != "A–B councils" {
		t.Errorf("batch label = %q, want the batch's name", l)
	}
	want = map[string]int{"active": 3 + len(injections) - 1, "invited": 3, "pending": 1}
	if got := countsOf(fig.AccountsByStatus); !mapsEqual(got, want) {
		t.Errorf("accounts by status = %v, want %v", got, want)
	}
	want = map[string]int{"org_acton": 3 + len(injections), "org_barham": 3}
	if got := countsOf(fig.AccountsByOrganization); !mapsEqual(got, want) {
		t.Errorf("accounts by organisation = %v, want %v", got, want)
	}
	if l := labelOf(fig.AccountsByOrganization, "org_barham"); l != "Barham Town Council" {
		t.Errorf("organisation label = %q", l)
	}

	// Logins over time: 200 days of span → per week; with no sign-in history in the cache the
	// title says only latest logins are counted.
	if fig.Logins.Granularity != "week" || !fig.Logins.LatestOnly || !strings.Contains(fig.Logins.Title, "no sign-in history is known") {
		t.Errorf("logins series = %q, %q", fig.Logins.Granularity, fig.Logins.Title)
	}
	total := 0
	for _, b := range fig.Logins.Buckets {
		total += b.Count
	}
	if total != 4 {
		t.Errorf("logins buckets hold %d logins, want 4", total)
	}
	// A bucket, clicked, selects exactly its people.
	daily, err := r.Figures(ctx, Filter{Granularity: "day"})
	if err != nil {
		t.Fatal(err)
	}
	var ada Bucket
	for _, b := range daily.Logins.Buckets {
		if !ago(2*day).Before(b.Start) && ago(2*day).Before(b.End) {
			ada = b
		}
	}
	page, err := r.Table(ctx, KindLogins, Filter{LoginFrom: &ada.Start, LoginTo: &ada.End}, Sort{}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if names := namesOf(page); ada.Count != 1 || !slices.Equal(names, []string{"Ada Lovelace"}) {
		t.Errorf("bucket %s (count %d) selects %v", ada.Label, ada.Count, names)
	}
	weekly, err := r.Figures(ctx, Filter{Granularity: "week"})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range weekly.Logins.Buckets {
		if b.Start.Weekday() != time.Monday || b.End.Sub(b.Start) != 7*day {
			t.Fatalf("weekly bucket %v–%v does not run Monday to Monday", b.Start, b.End)
		}
	}
	// One organisation.
	fig, err = r.Figures(ctx, Filter{OrganizationID: "org_barham"})
	if err != nil {
		t.Fatal(err)
	}
	if got := countsOf(fig.Funnel); !mapsEqual(got, map[string]int{StageContacts: 3, StageInvited: 3, StageAccepted: 1, StageLoggedIn: 1}) {
		t.Errorf("Barham funnel = %v", got)
	}
}

func TestTableFilters(t *testing.T) {
	r, _ := openFixture(t)
	ctx := context.Background()
	cases := []struct {
		name string
		kind Kind
		f    Filter
		s    Sort
		want []string // names in order
	}{
		{"never logged in, Barham", KindLogins, Filter{Login: LoginNever, OrganizationID: "org_barham"}, Sort{}, []string{"Cat Émile", "Dan Dare"}},
		{"inactive over 90 days", KindLogins, Filter{Login: LoginInactive}, Sort{}, []string{"Bob Brown"}},
		{"inactive over 30 days", KindLogins, Filter{Login: LoginInactive, InactiveDays: 30}, Sort{}, []string{"=1+1", "Bob Brown"}},
		{"recent, newest first", KindLogins, Filter{Login: LoginRecent}, Sort{Key: "lastLogin", Desc: true}, []string{"Ada Lovelace", "Eve Evans", "=1+1"}},
		{"days since, fewest first", KindLogins, Filter{Login: LoginRecent}, Sort{Key: "daysSince"}, []string{"Ada Lovelace", "Eve Evans", "=1+1"}},
		{"account status chart", KindLogins, Filter{AccountStatus: portal.StatusInvited}, Sort{Key: "email"}, []string{"Cat Émile", "Dan Dare", "+SUM(1,2)"}},
		{"search", KindLogins, Filter{Query: "BARHAM town"}, Sort{}, []string{"Cat Émile", "Dan Dare", "Eve Evans"}},
		{"search nothing", KindLogins, Filter{Query: "50%_off"}, Sort{}, nil},
		{"search organisation", KindLogins, Filter{Query: "barham"}, Sort{Key: "name", Desc: true}, []string{"Eve Evans", "Dan Dare", "Cat Émile"}},
		{"expired invitations", KindInvitations, Filter{InvitationStatus: portal.InvitationExpired}, Sort{}, []string{"Dan Dare"}},
		{"pending invitations", KindInvitations, Filter{InvitationStatus: portal.InvitationPending}, Sort{}, []string{"Cat Émile"}},
		{"batch A", KindInvitations, Filter{BatchID: "bat_a"}, Sort{Key: "invitedAt"}, []string{"Ada Lovelace", "Bob Brown", "Cat Émile"}},
		{"no batch", KindInvitations, Filter{BatchID: NoBatch}, Sort{}, []string{"+SUM(1,2)", "Eve Evans"}},
		{"funnel accepted", KindInvitations, Filter{Stage: StageAccepted}, Sort{}, []string{"Ada Lovelace", "Bob Brown", "Eve Evans"}},
		{"funnel logged in, inactive", KindLogins, Filter{Stage: StageLoggedIn, Login: LoginInactive}, Sort{}, []string{"Bob Brown"}},
		{"approvals newest first", KindApprovals, Filter{}, Sort{}, []string{"Gone Person", "@SUM(1,2)", "@SUM(1,2)", "Eve Evans"}},
		{"denials", KindApprovals, Filter{Decision: "deny"}, Sort{Key: "name"}, []string{"@SUM(1,2)", "Gone Person"}},
		{"approvals in Barham", KindApprovals, Filter{OrganizationID: "org_barham"}, Sort{}, []string{"Eve Evans"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, err := r.Table(ctx, c.kind, c.f, c.s, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if got := namesOf(page); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("names = %q, want %q", got, c.want)
			}
			if page.Total != len(c.want) {
				t.Errorf("total = %d, want %d", page.Total, len(c.want))
			}
		})
	}

	// Paging keeps the order and the total.
	all, err := r.Table(ctx, KindLogins, Filter{}, Sort{Key: "name"}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var paged []string
	for off := 0; off < all.Total; off += 4 {
		p, err := r.Table(ctx, KindLogins, Filter{}, Sort{Key: "name"}, off, 4)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != all.Total {
			t.Fatalf("total at offset %d = %d, want %d", off, p.Total, all.Total)
		}
		paged = append(paged, namesOf(p)...)
	}
	if !slices.Equal(paged, namesOf(all)) {
		t.Errorf("pages = %q, want %q", paged, namesOf(all))
	}

	// The deny reason and the decider are shown; the purged person's name comes from the audit trail.
	den, err := r.Table(ctx, KindApprovals, Filter{Decision: "deny"}, Sort{Key: "name"}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := den.Rows[0].Cells; got[3] != "Denied" || got[4] != "Alice Admin" || got[6] != `=HYPERLINK("x") not a member` {
		t.Errorf("deny row = %q", got)
	}
	// Invitation row: the latest invitation (accepted), not the revoked older one.
	inv, err := r.Table(ctx, KindInvitations, Filter{Query: "ada@"}, Sort{}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if c := inv.Rows[0].Cells; c[2] != adaPhone || c[4] != "Accepted" || c[5] != "A–B councils" {
		t.Errorf("Ada's invitation row = %q", c)
	}
	if at, ok := inv.Rows[0].Cells[8].(*time.Time); !ok || at == nil {
		t.Errorf("accepted at = %#v, want a time", inv.Rows[0].Cells[8])
	}
}

func TestTableRejectsBadInput(t *testing.T) {
	r, _ := openFixture(t)
	ctx := context.Background()
	cases := []struct {
		kind  Kind
		f     Filter
		s     Sort
		field string
	}{
		{"people", Filter{}, Sort{}, "kind"},
		{KindLogins, Filter{}, Sort{Key: "password"}, "sort"},
		{KindLogins, Filter{AccountStatus: "gone"}, Sort{}, "accountStatus"},
		{KindLogins, Filter{Login: "sometimes"}, Sort{}, "login"},
		{KindInvitations, Filter{InvitationStatus: "lost"}, Sort{}, "invitationStatus"},
		{KindLogins, Filter{Stage: "won"}, Sort{}, "stage"},
		{KindApprovals, Filter{Decision: "purge"}, Sort{}, "decision"},
		{KindLogins, Filter{InactiveDays: -1}, Sort{}, "inactiveDays"},
	}
	for _, c := range cases {
		_, err := r.Table(ctx, c.kind, c.f, c.s, 0, 10)
		var pe *portal.Error
		if !asErr(err, &pe) || pe.Code != portal.EINVALID || pe.Field != c.field {
			t.Errorf("%s %+v %+v: err = %v, want invalid %s", c.kind, c.f, c.s, err, c.field)
		}
	}
}

func asErr(err error, pe **portal.Error) bool {
	e, ok := err.(*portal.Error)
	*pe = e
	return ok
}

func namesOf(p Page) []string {
	var out []string
	for _, r := range p.Rows {
		out = append(out, r.Cells[0].(string))
	}
	return out
}

func keysOf(cs []Count) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Key)
	}
	return out
}

func labelOf(cs []Count, key string) string {
	for _, c := range cs {
		if c.Key == key {
			return c.Label
		}
	}
	return ""
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// With the sign-in history in the cache, logins over time counts every sign-in, each once
// (Ada's latest login is also her last sign-in event), and a bucket selects who signed in
// then, even when it was not their latest login.
func TestLoginsFromTheSignInHistory(t *testing.T) {
	r, db := openFixture(t)
	ctx := context.Background()
	err := db.Apply(ctx, func(tx *cache.Tx) error {
		for i, at := range []*time.Time{ago(9 * day), ago(5 * day), ago(2 * day)} {
			if err := tx.UpsertAuditEvent(portal.AuditEvent{ID: int64(100 + i), At: *at, ActorID: "acc_ada", ActorName: "Ada Lovelace",
				Action: portal.ActionSignIn, EntityType: "account", EntityID: "acc_ada", OrganizationID: "org_acton"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fig, err := r.Figures(ctx, Filter{Granularity: "day"})
	if err != nil {
		t.Fatal(err)
	}
	if fig.Logins.LatestOnly || !strings.Contains(fig.Logins.Title, "every sign-in") {
		t.Errorf("logins series: latest only %v, %q", fig.Logins.LatestOnly, fig.Logins.Title)
	}
	total := 0
	var fiveDaysAgo Bucket
	for _, b := range fig.Logins.Buckets {
		total += b.Count
		if !ago(5*day).Before(b.Start) && ago(5*day).Before(b.End) {
			fiveDaysAgo = b
		}
	}
	if total != 6 { // the four latest logins, and Ada's two earlier sign-ins
		t.Errorf("the buckets hold %d sign-ins, want 6", total)
	}
	page, err := r.Table(ctx, KindLogins, Filter{LoginFrom: &fiveDaysAgo.Start, LoginTo: &fiveDaysAgo.End}, Sort{}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if names := namesOf(page); fiveDaysAgo.Count != 1 || !slices.Equal(names, []string{"Ada Lovelace"}) {
		t.Errorf("bucket %s (count %d) selects %v", fiveDaysAgo.Label, fiveDaysAgo.Count, names)
	}
	// Another organisation's figures do not count her.
	fig, err = r.Figures(ctx, Filter{OrganizationID: "org_barham", Granularity: "day"})
	if err != nil {
		t.Fatal(err)
	}
	if !fig.Logins.LatestOnly {
		t.Error("Barham has no sign-in history, yet the series says it has")
	}
}
