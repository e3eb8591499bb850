package batch

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gatehouse/backend/cache"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

const importCSV = `E-mail,First name,Last name,Council,Position,Membership
p00000@example.org,Alice,Adams,Abbey Parish Council,Clerk,Yes
p00001@example.org,Alice,Adams,Brook Town Council,Clerk,Yes
dup@example.org,Brian,Baker,Cedar Food Pantry,Clerk,Yes
dup@example.org,Brian,Baker,Cedar Food Pantry,Clerk,Yes
new@example.org,David,Davies,Abbey Parish Council,Clerk,Yes
lapsed@example.org,Emma,Evans,Dale Parish Council,Clerk,Lapsed
`

// TestFromImport forms a batch from an import session: duplicates stop it until resolved
// in the import, rows match the cache's organisations and contacts, and a row that is not
// a contact on the portal yet stops the sending until it is linked.
func TestFromImport(t *testing.T) {
	e := newEnv(t, envOptions{people: 4})
	path := filepath.Join(t.TempDir(), "councils.csv")
	if err := os.WriteFile(path, []byte(importCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	ist := imports.NewStore(e.db.SQL(), e.clock, imports.WithDirectory(imports.CacheDirectory{DB: e.db}))
	sess, err := ist.Create(e.ctx, path, imports.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromImport(e.ctx, ist, sess.ID, e.db); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("candidates from an unmapped import: %v", err)
	}
	if sess, err = ist.SetMapping(e.ctx, sess.ID, sess.Mapping); err != nil {
		t.Fatal(err)
	}
	ref := func(row string) string { return "import:" + sess.ID + ":" + row }
	cands, err := FromImport(e.ctx, ist, sess.ID, e.db)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 6 {
		t.Fatalf("%d candidates", len(cands))
	}
	c := cands[0]
	if c.RowRef != ref("2") || c.ContactID != "con_00000" || c.OrganizationID != "org_abbey" || c.OrganizationType != "council" || !c.Member || c.Email != "p00000@example.org" {
		t.Errorf("first row: %+v", c)
	}
	if !slices.Contains(cands[5].Findings, "non_member") || cands[5].Member {
		t.Errorf("lapsed row: %+v", cands[5])
	}
	_, err = e.st.Create(e.ctx, cands, FormOptions{})
	if msg := portal.ErrorMessage(err); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(msg, ref("4")+", "+ref("5")) {
		t.Fatalf("duplicates: %v", err)
	}

	// Resolved in the import: one of the two rows excluded, the checks run again.
	if err := ist.Exclude(e.ctx, sess.ID, []int{5}, true, "same person as row 4"); err != nil {
		t.Fatal(err)
	}
	if _, err := FromImport(e.ctx, ist, sess.ID, e.db); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("candidates from stale checks: %v", err)
	}
	if _, err := ist.Recheck(e.ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if cands, err = FromImport(e.ctx, ist, sess.ID, e.db); err != nil {
		t.Fatal(err)
	}
	b, err := e.st.Create(e.ctx, cands, FormOptions{Source: "import " + sess.FileName})
	if err != nil {
		t.Fatal(err)
	}
	if b.Counts.Queued != 4 || b.Counts.Excluded != 1 {
		t.Fatalf("batch %+v", b.Counts)
	}
	// dup@ and new@ are not contacts on the portal yet.
	eng := e.engine(EngineOptions{})
	_, err = eng.Run(e.ctx, b.ID)
	if msg := portal.ErrorMessage(err); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(msg, ref("4")) || !strings.Contains(msg, ref("6")) {
		t.Fatalf("run with rows that are not contacts: %v", err)
	}
	if e.sink.Count() != 0 {
		t.Fatal("something was sent")
	}
	// A pre-notification announces only the invitations that can come: not to the two
	// rows that are not contacts yet, unless the administrator chooses so.
	pre, err := e.st.CreatePreNotification(e.ctx, b.ID, NotifyOptions{})
	if err != nil || pre.Counts.Queued != 2 {
		t.Fatalf("pre-notification of a half-applied import: %+v %v", pre.Counts, err)
	}
	if all, err := e.st.CreatePreNotification(e.ctx, b.ID, NotifyOptions{IncludeNotOnPortal: true}); err != nil || all.Counts.Queued != 4 {
		t.Fatalf("pre-notification chosen for everyone: %+v %v", all.Counts, err)
	}
	// The import is applied (here: the contacts are made on the server), then linked.
	links := map[string]ContactLink{}
	for i, row := range []string{"4", "6"} {
		con := portal.Contact{ID: "con_new" + row, OrganizationID: []string{"org_cedar", "org_abbey"}[i], FullName: "New " + row,
			Email: []string{"dup@example.org", "new@example.org"}[i], CreatedAt: start, UpdatedAt: start}
		if err := e.srv.Store().Update(e.ctx, func(tx store.Tx) error { return tx.PutContact(e.ctx, &con) }); err != nil {
			t.Fatal(err)
		}
		links[ref(row)] = ContactLink{ContactID: con.ID}
	}
	if err := e.st.LinkContacts(e.ctx, b.ID, links); err != nil {
		t.Fatal(err)
	}
	if err := e.st.LinkContacts(e.ctx, b.ID, map[string]ContactLink{ref("7"): {ContactID: "x"}}); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("linking an excluded row: %v", err)
	}
	p, err := eng.Run(e.ctx, b.ID)
	if err != nil || p.Counts.Sent != 4 {
		t.Fatalf("run: %v %+v", err, p.Counts)
	}
	for _, addr := range []string{"p00000@example.org", "p00001@example.org", "dup@example.org", "new@example.org"} {
		if n := len(e.received()[addr]); n != 1 {
			t.Errorf("%s got %d", addr, n)
		}
	}
}

// TestFromCache: contacts of the cache with their organisation, account and findings.
func TestFromCache(t *testing.T) {
	e := newEnv(t, envOptions{people: 8, person: func(i int, c *portal.Contact) {
		switch i {
		case 1:
			c.Email = ""
		case 2:
			c.Position = "Clerk until 31/01/2025"
		}
	}})
	// Person 4 already has an account.
	if err := e.db.Apply(e.ctx, func(tx *cache.Tx) error {
		return tx.UpsertAccount(portal.Account{ID: "acc_4", ContactID: "con_00004", OrganizationID: "org_abbey", Email: "p00004@example.org",
			Name: "Brian Baker", Status: portal.StatusActive, Kind: portal.KindClient, AdditionalRoles: []string{}, CreatedAt: start, UpdatedAt: start})
	}); err != nil {
		t.Fatal(err)
	}
	cands, err := FromCache(e.ctx, e.db, CacheQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"contact:con_00001": {"missing_email"}, "contact:con_00002": {"role_expired"}, "contact:con_00003": {"non_member"},
		"contact:con_00007": {"non_member"}, "contact:con_00004": {"has_access"}}
	for _, c := range cands {
		if !slices.Equal(c.Findings, want[c.RowRef]) && !(len(c.Findings) == 0 && want[c.RowRef] == nil) {
			t.Errorf("%s: findings %v, want %v", c.RowRef, c.Findings, want[c.RowRef])
		}
		if c.RowRef == "contact:con_00004" && c.AccountID != "acc_4" {
			t.Errorf("account of person 4: %q", c.AccountID)
		}
		if c.RowRef == "contact:con_00006" && (c.OrganizationName != "Cedar Food Pantry" || c.OrganizationType != "pantry" || !c.Member) {
			t.Errorf("organisation of person 6: %+v", c)
		}
	}
	only, err := FromCache(e.ctx, e.db, CacheQuery{OrganizationIDs: []string{"org_cedar"}})
	if err != nil || len(only) != 2 {
		t.Errorf("one organisation: %d, %v", len(only), err)
	}
}
