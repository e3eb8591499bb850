package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// TestBulkInvitations sends one bulk request of mixed items as an organisation
// administrator and checks each item's outcome, that the links work exactly once through
// the real accept flow, that the feed and the audit log hold exactly what single requests
// would have written, and that sending the request again replays it item by item.
func TestBulkInvitations(t *testing.T) {
	e := newEnv(t)
	orgA, orgB := e.org("Org A"), e.org("Org B")
	admin := e.account(portal.Account{OrganizationID: orgA.ID, OrgAdmin: true, Email: "oa@example.org", Name: "Olga Admin"})
	c := e.client(admin.ID)

	// One invitation through the single endpoint first, whose key the bulk request reuses.
	early := e.contact(orgA.ID, "early@example.org")
	single, err := c.Invite(e.ctx, api.CreateInvitationRequest{ContactID: early.ID, BatchID: "b1"}, &client.Cmd{IdempotencyKey: "k-early"})
	if err != nil || single.URL == "" {
		t.Fatalf("single invite: %v %+v", err, single)
	}
	invited := e.contact(orgA.ID, "invited@example.org")
	if _, err := c.Invite(e.ctx, api.CreateInvitationRequest{ContactID: invited.ID}, nil); err != nil {
		t.Fatal(err)
	}

	type want struct {
		code    string // "" for success
		field   string
		replay  bool
		contact portal.Contact
	}
	item := func(con portal.Contact, key string) api.BulkInvitationItem {
		return api.BulkInvitationItem{CreateInvitationRequest: api.CreateInvitationRequest{ContactID: con.ID, BatchID: "b1"}, IdempotencyKey: key}
	}
	ok1, ok2 := e.contact(orgA.ID, "ann@example.org"), e.contact(orgA.ID, "Bob@Example.org")
	bad := e.contact(orgA.ID, "not-an-address")
	noMail := e.contact(orgA.ID, "")
	other := e.contact(orgB.ID, "bee@example.org")
	long := item(e.contact(orgA.ID, "long@example.org"), "k-long")
	long.ExpiresInDays = 31
	stale := item(e.contact(orgA.ID, "stale@example.org"), "k-stale")
	stale.IfMatch = 7
	cases := []struct {
		name string
		item api.BulkInvitationItem
		want want
	}{
		{"valid", item(ok1, "k-ann"), want{contact: ok1}},
		{"invalid e-mail", item(bad, "k-bad"), want{code: portal.EINVALID}},
		{"no e-mail", item(noMail, "k-nomail"), want{code: portal.ECONFLICT}},
		{"another organisation", item(other, "k-other"), want{code: portal.ENOTFOUND}}, // as if it did not exist
		{"replayed key of a single request", item(early, "k-early"), want{replay: true, contact: early}},
		{"key reused for another contact", item(ok2, "k-early"), want{code: portal.ECONFLICT, field: ".idempotencyKey"}},
		{"already invited", item(invited, "k-invited"), want{code: portal.ECONFLICT}},
		{"unknown contact", item(portal.Contact{ID: "con_nobody"}, "k-nobody"), want{code: portal.ENOTFOUND}},
		{"no contact", item(portal.Contact{}, "k-none"), want{code: portal.EINVALID, field: ".contactId"}},
		{"too long", long, want{code: portal.EINVALID, field: ".expiresInDays"}},
		{"stale contact version", stale, want{code: portal.ECONFLICT, field: ".ifMatch"}},
		{"bad key", item(ok2, "two words"), want{code: portal.EINVALID, field: ".idempotencyKey"}},
		{"valid, mixed-case address", item(ok2, "k-bob"), want{contact: ok2}},
		{"same contact again in the request", item(ok2, "k-bob-2"), want{code: portal.ECONFLICT}},
		{"key of an earlier item in the request", item(ok1, "k-ann"), want{replay: true, contact: ok1}},
	}
	var items []api.BulkInvitationItem
	for _, tc := range cases {
		items = append(items, tc.item)
	}
	before := feedHead(t, c)
	res, err := c.InviteBulk(e.ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != len(cases) || res.Created != 2 || res.Replayed != 2 || res.Failed != len(cases)-4 {
		t.Fatalf("answer: %d items, created %d, replayed %d, failed %d", len(res.Items), res.Created, res.Replayed, res.Failed)
	}
	var links []string
	for i, tc := range cases {
		o := res.Items[i]
		t.Run(tc.name, func(t *testing.T) {
			if o.Index != i || o.ContactID != tc.item.ContactID {
				t.Errorf("outcome %d names index %d, contact %q", i, o.Index, o.ContactID)
			}
			if tc.want.code != "" {
				if o.Error == nil || o.Result != nil {
					t.Fatalf("want %s, got %+v", tc.want.code, o)
				}
				if o.Error.Code != tc.want.code || !strings.HasPrefix(o.Error.Field, fmt.Sprintf("items[%d]", i)) ||
					!strings.HasSuffix(o.Error.Field, tc.want.field) || o.Error.Message == "" {
					t.Errorf("error %+v, want code %s, field items[%d]%s", o.Error, tc.want.code, i, tc.want.field)
				}
				if err := client.ItemError(o); portal.ErrorCode(err) != tc.want.code {
					t.Errorf("ItemError: %v", err)
				}
				// The row is named by its address when the caller may see the contact.
				if tc.item.ContactID == bad.ID && o.Email != "not-an-address" || tc.item.ContactID == other.ID && o.Email != "" {
					t.Errorf("outcome names %q", o.Email)
				}
				return
			}
			if o.Error != nil || o.Result == nil {
				t.Fatalf("want success, got %+v", o)
			}
			r := o.Result
			if r.Invitation.ContactID != tc.want.contact.ID || r.Invitation.BatchID != "b1" || r.Invitation.Status != portal.InvitationPending ||
				r.Account.Status != portal.StatusInvited || r.Invitation.CreatedBy != admin.ID {
				t.Errorf("result %+v", r)
			}
			if tc.want.replay {
				first := single.Invitation.ID
				if tc.want.contact.ID == ok1.ID {
					first = res.Items[0].Result.Invitation.ID
				}
				if !o.Replayed || r.URL != "" || r.Token != "" || !r.LinkWithheld || r.Invitation.ID != first {
					t.Errorf("replay: %+v", o)
				}
				return
			}
			if o.Replayed || r.LinkWithheld || !strings.HasPrefix(r.URL, e.url+"/invite/") || !strings.HasSuffix(r.URL, r.Token) {
				t.Errorf("new invitation: %+v", o)
			}
			links = append(links, r.URL)
		})
	}

	// What was written: per created invitation exactly what a single request writes (its
	// account, its invitation and its audit event in the feed, one invite event in the
	// audit log), nothing for the refused items, and no gap in the feed's numbers.
	changes := feedSince(t, c, before)
	var kinds []string
	for i, ch := range changes {
		if ch.Seq != before+int64(i)+1 {
			t.Fatalf("the feed skips from %d to %d", before+int64(i), ch.Seq)
		}
		kinds = append(kinds, ch.Entity)
	}
	if got, want := strings.Join(kinds, " "), strings.Repeat("account invitation audit ", 2); got+" " != want {
		t.Errorf("feed after the bulk request: %s, want %s", got, want)
	}
	if single := singleInviteFeed(t, e, c, orgA.ID); strings.Join(single, " ") != "account invitation audit" {
		t.Errorf("a single invite writes %v; the bulk request must write the same per invitation", single)
	}
	for _, id := range []string{res.Items[0].Result.Invitation.ID, res.Items[12].Result.Invitation.ID, single.Invitation.ID} {
		if evs := e.audit(store.AuditFilter{Action: portal.ActionInvite, EntityID: id}); len(evs) != 1 || evs[0].ActorID != admin.ID {
			t.Errorf("invitation %s has invite events %+v, want one by the admin", id, evs)
		}
	}

	// The whole request again: every item replays or fails as before; nothing is written.
	head := feedHead(t, c)
	again, err := c.InviteBulk(e.ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range again.Items {
		first := res.Items[i]
		switch {
		case first.Error != nil:
			if o.Error == nil || o.Error.Code != first.Error.Code {
				t.Errorf("item %d again: %+v, first %+v", i, o.Error, first.Error)
			}
		case !o.Replayed || o.Result == nil || o.Result.Invitation.ID != first.Result.Invitation.ID || o.Result.URL != "" || !o.Result.LinkWithheld:
			t.Errorf("item %d again: %+v", i, o)
		}
	}
	if n := feedHead(t, c); n != head {
		t.Errorf("the repeated request wrote %d changes", n-head)
	}
	// And a single request with a bulk item's key and fields replays that item.
	rep := &client.Cmd{IdempotencyKey: "k-ann"}
	if r, err := c.Invite(e.ctx, api.CreateInvitationRequest{ContactID: ok1.ID, BatchID: "b1"}, rep); err != nil || !rep.Replayed ||
		r.Invitation.ID != res.Items[0].Result.Invitation.ID {
		t.Errorf("single replay of a bulk item: %v %v %+v", err, rep.Replayed, r)
	}

	// Each link works once, through the invitation page and its password form.
	for _, l := range links {
		b := e.browser()
		p := b.get(l)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Set a password") {
			t.Fatalf("%s: %d\n%s", l, p.Status, p.Body)
		}
		if r := b.post(p, l+"/password", url.Values{"password": {"correct horse battery"}, "confirm": {"correct horse battery"}}); r.Status != http.StatusOK ||
			!strings.Contains(r.Body, "You are signed in as") {
			t.Fatalf("accept %s: %d\n%s", l, r.Status, r.Body)
		}
		if p := e.browser().get(l); p.Status != http.StatusConflict || !strings.Contains(p.Body, "already been used") {
			t.Errorf("second use of %s: %d", l, p.Status)
		}
	}
}

// TestBulkInvitationsRefusals covers what fails the request as a whole.
func TestBulkInvitationsRefusals(t *testing.T) {
	e := newEnv(t)
	org := e.org("Org")
	sys := e.client(e.sysAdmin().ID)
	uset := e.client(e.account(portal.Account{AdditionalRoles: []string{portal.RoleUserSetup}}).ID)
	con := e.contact(org.ID, "x@example.org")
	one := []api.BulkInvitationItem{{CreateInvitationRequest: api.CreateInvitationRequest{ContactID: con.ID}, IdempotencyKey: "k1"}}
	tooMany := make([]api.BulkInvitationItem, api.MaxBulkInvitations+1)
	for i := range tooMany {
		tooMany[i] = api.BulkInvitationItem{CreateInvitationRequest: api.CreateInvitationRequest{ContactID: con.ID}, IdempotencyKey: fmt.Sprint("k", i)}
	}
	for _, tc := range []struct {
		name   string
		c      *client.Client
		items  []api.BulkInvitationItem
		status int
		field  string
	}{
		{"no items", sys, nil, http.StatusBadRequest, "items"},
		{"too many items", sys, tooMany, http.StatusBadRequest, "items"},
		{"no organisation to administer", uset, one, http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.InviteBulk(e.ctx, tc.items)
			ce, ok := client.AsError(err)
			if !ok || ce.Status != tc.status || ce.Field != tc.field {
				t.Errorf("got %v, want %d field %q", err, tc.status, tc.field)
			}
		})
	}
	// Nothing of the refused requests was written.
	var invs []portal.Invitation
	e.update(func(tx store.Tx) error {
		var err error
		invs, err = tx.Invitations(e.ctx, store.InvitationFilter{Limit: 10})
		return err
	})
	if len(invs) != 0 {
		t.Errorf("refused requests created %d invitations", len(invs))
	}
}

func feedHead(t *testing.T, c *client.Client) int64 {
	t.Helper()
	changes := feedSince(t, c, 0)
	if len(changes) == 0 {
		return 0
	}
	return changes[len(changes)-1].Seq
}

func feedSince(t *testing.T, c *client.Client, after int64) []api.Change {
	t.Helper()
	var out []api.Change
	if _, err := c.FollowChanges(context.Background(), after, 1000, func(p api.ChangesPage) error {
		out = append(out, p.Changes...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// singleInviteFeed invites a new contact through the single endpoint and returns the
// entities of the feed entries it wrote.
func singleInviteFeed(t *testing.T, e *env, c *client.Client, orgID string) []string {
	t.Helper()
	con := e.contact(orgID, e.id("one")+"@example.org")
	head := feedHead(t, c)
	if _, err := c.Invite(e.ctx, api.CreateInvitationRequest{ContactID: con.ID}, nil); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ch := range feedSince(t, c, head) {
		kinds = append(kinds, ch.Entity)
	}
	return kinds
}
