package server_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// pool is what the writers have created so far, for picking targets.
type pool struct {
	mu       sync.Mutex
	orgs     []string
	contacts []string
	invs     []string
	accounts []string
}

func (p *pool) add(list *[]string, id string) {
	p.mu.Lock()
	*list = append(*list, id)
	p.mu.Unlock()
}

func (p *pool) pick(r *rand.Rand, list *[]string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(*list) == 0 {
		return ""
	}
	return (*list)[r.IntN(len(*list))]
}

// A follower that pages the change feed while writers run random commands ends with
// exactly the server's state, and sees every sequence number once, in order.
func TestChangeFeedFollowerConvergesUnderConcurrentWriters(t *testing.T) {
	e := newEnv(t)
	const writers, opsEach = 6, 30
	p := &pool{}
	for i := range 2 {
		p.orgs = append(p.orgs, e.org(fmt.Sprintf("Seed org %d", i)).ID)
	}

	follower := e.client(e.sysAdmin().ID)
	state := map[string]json.RawMessage{}
	var cursor, lastSeq int64
	var feedErr error
	done := make(chan struct{})
	followed := make(chan struct{})
	pageOnce := func() (bool, error) {
		pg, err := follower.Changes(e.ctx, cursor, 17)
		if err != nil {
			return false, err
		}
		for _, c := range pg.Changes {
			if c.Seq != lastSeq+1 {
				return false, fmt.Errorf("after change %d came %d: a change was missed or reordered", lastSeq, c.Seq)
			}
			lastSeq = c.Seq
			key := c.Entity + "/" + c.ID
			switch c.Op {
			case api.OpUpsert:
				state[key] = c.Data
			case api.OpDelete:
				delete(state, key)
			default:
				return false, fmt.Errorf("unknown op %q", c.Op)
			}
		}
		cursor = pg.Next
		return pg.More, nil
	}
	go func() {
		defer close(followed)
		for {
			select {
			case <-done:
				for {
					more, err := pageOnce()
					if err != nil || !more {
						feedErr = err
						return
					}
				}
			default:
				if _, err := pageOnce(); err != nil {
					feedErr = err
					return
				}
			}
		}
	}()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			c := e.client(e.sysAdmin().ID)
			for i := range opsEach {
				if err := randomCommand(e, c, r, p, w, i); err != nil {
					t.Errorf("writer %d op %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	<-followed
	if feedErr != nil {
		t.Fatal(feedErr)
	}

	// The server's state, read whole from the store.
	want := map[string]json.RawMessage{}
	put := func(entity, id string, v any) {
		b, _ := json.Marshal(v)
		want[entity+"/"+id] = b
	}
	err := e.st.View(e.ctx, func(r store.Reader) error {
		orgs, _ := r.Organizations(e.ctx, store.OrgFilter{})
		for _, o := range orgs {
			put(api.EntityOrganization, o.ID, o)
		}
		cons, _ := r.Contacts(e.ctx, store.ContactFilter{})
		for _, c := range cons {
			put(api.EntityContact, c.ID, c)
		}
		accs, _ := r.Accounts(e.ctx, store.AccountFilter{})
		for _, a := range accs {
			put(api.EntityAccount, a.ID, a)
		}
		roles, _ := r.Roles(e.ctx)
		for _, x := range roles {
			put(api.EntityRole, x.ID, x)
		}
		invs, _ := r.Invitations(e.ctx, store.InvitationFilter{})
		for _, x := range invs {
			put(api.EntityInvitation, x.ID, x)
		}
		ts, _ := r.Templates(e.ctx)
		for _, x := range ts {
			put(api.EntityTemplate, x.Key, x)
		}
		set, _ := r.Settings(e.ctx)
		put(api.EntitySettings, "portal", set)
		evs, err := r.AuditEvents(e.ctx, store.AuditFilter{})
		for _, ev := range evs {
			put(api.EntityAudit, fmt.Sprint(ev.ID), ev)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(state) {
		t.Errorf("follower has %d records, server %d", len(state), len(want))
	}
	for k, w := range want {
		g, ok := state[k]
		if !ok {
			t.Errorf("follower lacks %s", k)
			continue
		}
		var gv, wv any
		json.Unmarshal(g, &gv)
		json.Unmarshal(w, &wv)
		if !reflect.DeepEqual(gv, wv) {
			t.Errorf("%s differs:\nfollower %s\nserver   %s", k, g, w)
		}
	}
	for k := range state {
		if _, ok := want[k]; !ok {
			t.Errorf("follower holds %s, which the server no longer has", k)
		}
	}
	t.Logf("%d writers × %d commands; follower applied %d changes into %d records", writers, opsEach, lastSeq, len(state))
}

// randomCommand runs one random admin command. Refusals the rules allow (conflicts, a
// stale version, a record another writer deleted) are fine; anything else is an error.
func randomCommand(e *env, c *client.Client, r *rand.Rand, p *pool, w, i int) error {
	ctx := e.ctx
	var err error
	switch r.IntN(10) {
	case 0:
		var o portal.Organization
		if o, err = c.CreateOrganization(ctx, portal.Organization{Name: fmt.Sprintf("Org %d-%d", w, i)}, nil); err == nil {
			p.add(&p.orgs, o.ID)
		}
	case 1, 2:
		var ct portal.Contact
		ct, err = c.CreateContact(ctx, portal.Contact{OrganizationID: p.pick(r, &p.orgs), Email: fmt.Sprintf("c%d-%d@example.org", w, i)}, nil)
		if err == nil {
			p.add(&p.contacts, ct.ID)
		}
	case 3:
		id := p.pick(r, &p.contacts)
		var ct portal.Contact
		if ct, err = c.Contact(ctx, id); err == nil {
			ct.Phone = fmt.Sprintf("+44 1632 96%04d", r.IntN(10000))
			_, err = c.UpdateContact(ctx, id, ct, &client.Cmd{IfMatch: ct.Version})
		}
	case 4:
		err = c.DeleteContact(ctx, p.pick(r, &p.contacts), nil)
	case 5:
		var res api.InvitationResult
		if res, err = c.Invite(ctx, api.CreateInvitationRequest{ContactID: p.pick(r, &p.contacts)}, nil); err == nil {
			p.add(&p.invs, res.Invitation.ID)
		}
	case 6:
		id := p.pick(r, &p.invs)
		if r.IntN(2) == 0 {
			var res api.InvitationResult
			if res, err = c.ResendInvitation(ctx, id, api.ResendInvitationRequest{}, nil); err == nil {
				p.add(&p.invs, res.Invitation.ID)
			}
		} else {
			_, err = c.RevokeInvitation(ctx, id, nil)
		}
	case 7:
		res, serr := e.svc.SignInSSO(ctx, portal.SSOIdentity{Email: fmt.Sprintf("p%d-%d@example.org", w, i), Subject: fmt.Sprintf("s%d-%d", w, i), Source: "sso.example.org"}, true)
		if serr != nil {
			return serr
		}
		if r.IntN(2) == 0 {
			_, err = c.Approve(ctx, res.Account.ID, nil)
		} else {
			_, err = c.Deny(ctx, res.Account.ID, "unknown", nil)
		}
		p.add(&p.accounts, res.Account.ID)
	case 8:
		id := p.pick(r, &p.accounts)
		if _, err = c.Deactivate(ctx, id, nil); portal.ErrorCode(err) == portal.ECONFLICT {
			_, err = c.Reactivate(ctx, id, nil)
		}
	case 9:
		id := p.pick(r, &p.orgs)
		var o portal.Organization
		if o, err = c.Organization(ctx, id); err == nil {
			o.Phone = fmt.Sprintf("+1 555 %04d", r.IntN(10000))
			_, err = c.UpdateOrganization(ctx, id, o, &client.Cmd{IfMatch: o.Version})
		}
	}
	switch portal.ErrorCode(err) {
	case "", portal.ECONFLICT, portal.ENOTFOUND:
		return nil
	case portal.EINVALID:
		if ce, ok := client.AsError(err); ok && ce.Status == 400 && (ce.Field == "contactId" || ce.Field == "organizationId") {
			return nil
		}
	}
	return err
}

// A record moved to another organisation leaves the first organisation's administrator's
// view as a tombstone, so their desktop drops its copy instead of keeping it stale; the
// second organisation's administrator gets the record, and whoever sees both organisations
// gets no tombstone at all.
func TestChangeFeedTombstonesRecordsMovedOutOfAnOrgAdminsView(t *testing.T) {
	e := newEnv(t)
	orgA, orgB := e.org("A"), e.org("B")
	sys := e.sysAdmin()
	adminA := e.account(portal.Account{OrganizationID: orgA.ID, OrgAdmin: true})
	adminB := e.account(portal.Account{OrganizationID: orgB.ID, OrgAdmin: true})
	mover := e.contact(orgA.ID, "mover@example.org")
	stayer := e.contact(orgA.ID, "stayer@example.org")
	acc := e.account(portal.Account{OrganizationID: orgA.ID})

	type follower struct {
		c      *client.Client
		cursor int64
		state  map[string]bool
		gone   map[string]int // tombstones per record
	}
	newFollower := func(id string) *follower {
		return &follower{c: e.client(id), state: map[string]bool{}, gone: map[string]int{}}
	}
	catchUp := func(f *follower) {
		t.Helper()
		for {
			pg, err := f.c.Changes(e.ctx, f.cursor, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range pg.Changes {
				key := c.Entity + "/" + c.ID
				if c.Op == api.OpDelete {
					delete(f.state, key)
					f.gone[key]++
				} else {
					f.state[key] = true
				}
			}
			f.cursor = pg.Next
			if !pg.More {
				return
			}
		}
	}
	fa, fb, fs := newFollower(adminA.ID), newFollower(adminB.ID), newFollower(sys.ID)
	for _, f := range []*follower{fa, fb, fs} {
		catchUp(f)
	}
	con, account, stays := "contact/"+mover.ID, "account/"+acc.ID, "contact/"+stayer.ID
	if !fa.state[con] || !fa.state[account] || !fa.state[stays] || fb.state[con] || fb.state[account] {
		t.Fatalf("before the move: A sees %v, B sees %v", fa.state, fb.state)
	}

	// The contact moves through the API, the account in the store; then the moved contact
	// changes again in its new organisation.
	moved, err := fs.c.UpdateContact(e.ctx, mover.ID, portal.Contact{OrganizationID: orgB.ID, FullName: mover.FullName, Email: mover.Email},
		&client.Cmd{IfMatch: mover.Version})
	if err != nil {
		t.Fatal(err)
	}
	e.update(func(tx store.Tx) error {
		acc.OrganizationID = orgB.ID
		return tx.PutAccount(e.ctx, &acc)
	})
	if _, err := fs.c.UpdateContact(e.ctx, mover.ID, portal.Contact{OrganizationID: orgB.ID, FullName: mover.FullName, Email: mover.Email, Phone: "+1 555 0199"},
		&client.Cmd{IfMatch: moved.Version}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*follower{fa, fb, fs} {
		catchUp(f)
	}
	if fa.state[con] || fa.state[account] || !fa.state[stays] {
		t.Errorf("after the move, A's follower still holds %v", fa.state)
	}
	if fa.gone[con] != 1 || fa.gone[account] != 1 {
		t.Errorf("A's follower got tombstones %v, want one for each moved record", fa.gone)
	}
	if !fb.state[con] || !fb.state[account] || len(fb.gone) != 0 {
		t.Errorf("B's follower holds %v, tombstones %v", fb.state, fb.gone)
	}
	if !fs.state[con] || !fs.state[account] || len(fs.gone) != 0 {
		t.Errorf("the system administrator's follower holds %v, tombstones %v", fs.state, fs.gone)
	}

	// Moving back brings the records back to A's follower.
	e.update(func(tx store.Tx) error {
		acc.OrganizationID = orgA.ID
		return tx.PutAccount(e.ctx, &acc)
	})
	catchUp(fa)
	catchUp(fb)
	if !fa.state[account] || fb.state[account] || fb.gone[account] != 1 {
		t.Errorf("after moving back: A holds %v, B holds %v (tombstones %v)", fa.state, fb.state, fb.gone)
	}
}

// Over loopback the real server does not compress the feed, even when asked to.
func TestFeedIsNotCompressedOverLoopback(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v1/changes?after=0", nil)
	req.Header.Set("Authorization", "Bearer "+e.session(e.sysAdmin().ID))
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p api.ChangesPage
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.Header.Get("Content-Encoding") != "" || len(p.Changes) == 0 {
		t.Errorf("over loopback: %v, Content-Encoding %q, %d changes", err, resp.Header.Get("Content-Encoding"), len(p.Changes))
	}
}
