package batch

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"gatehouse/backend/portal"
)

// TestBulkInviter: ClientInviter.InviteBulk answers per request as Invite would, a
// repeated request (its answer lost) finds its invitation without the link whichever
// endpoint made it, and a server that cannot be reached is a temporary failure of the
// whole call.
func TestBulkInviter(t *testing.T) {
	e := newEnv(t, envOptions{people: 8})
	b := e.form(FormOptions{})
	rs := e.recipients(b.ID, StateQueued)
	if len(rs) < 3 {
		t.Fatalf("%d recipients", len(rs))
	}
	req := func(r Recipient) InviteRequest {
		return InviteRequest{ContactID: r.ContactID, Email: r.Email, Roles: r.Roles, IdempotencyKey: r.idempotencyKey,
			ExpiresIn: expiresIn(b.ExpiresInDays), BatchID: b.ID}
	}
	inv := ClientInviter{Client: e.client}
	single, err := inv.Invite(e.ctx, req(rs[2]))
	if err != nil {
		t.Fatal(err)
	}
	reqs := []InviteRequest{req(rs[0]), {ContactID: "con_nope", Email: "x@example.org", IdempotencyKey: "k-nope"},
		{ContactID: rs[1].ContactID, Email: rs[1].Email}, req(rs[1]), req(rs[2])}
	out, err := inv.InviteBulk(e.ctx, reqs)
	if err != nil || len(out) != len(reqs) {
		t.Fatalf("bulk: %v (%d outcomes)", err, len(out))
	}
	for _, i := range []int{0, 3} {
		if out[i].Err != nil || out[i].Result.URL == "" || out[i].Result.InvitationID == "" {
			t.Errorf("request %d: %+v", i, out[i])
		}
	}
	if err := out[1].Err; err == nil || IsTemporary(err) || portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown contact: %v", err)
	}
	if err := out[2].Err; err == nil || portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("no key: %v", err)
	}
	var withheld *LinkWithheldError
	if !errors.As(out[4].Err, &withheld) || withheld.InvitationID != single.InvitationID {
		t.Errorf("made by a single request: %+v", out[4])
	}
	again, err := inv.InviteBulk(e.ctx, reqs[:1])
	if err != nil || !errors.As(again[0].Err, &withheld) || withheld.InvitationID != out[0].Result.InvitationID {
		t.Errorf("asked again: %v %+v", err, again)
	}
	if _, err := inv.InviteBulk(e.ctx, []InviteRequest{{ContactID: "c", IdempotencyKey: "k", Replaces: "inv_x"}}); err == nil {
		t.Error("a replacement was accepted in bulk")
	}
	down := ClientInviter{Client: newClient(fmt.Sprintf("http://127.0.0.1:%d", closedPort(t)), e.token)}
	if _, err := down.InviteBulk(e.ctx, reqs[:1]); !IsTemporary(err) {
		t.Errorf("server down: %v", err)
	}
}

// TestOlderPortalWithoutBulk: against a portal server without the bulk endpoint (the
// real server behind a proxy that answers that route as an older server would), the
// engine creates the invitations one at a time and the batch arrives exactly once.
func TestOlderPortalWithoutBulk(t *testing.T) {
	e := newEnv(t, envOptions{people: 120})
	target, _ := url.Parse(e.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var bulkCalls, singleCalls atomic.Int32
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/invitations/bulk":
			bulkCalls.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"code":"not_found","message":"There is no API endpoint POST /api/v1/invitations/bulk."}`)
			return
		case "/api/v1/invitations":
			singleCalls.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(old.Close)
	b := e.form(FormOptions{})
	eng := NewEngine(e.st, ClientInviter{Client: newClient(old.URL, e.token)}, e.sender(), EngineOptions{LinkKey: testLinkKey})
	p, err := eng.Run(e.ctx, b.ID)
	if err != nil || p.Counts.Sent != b.Counts.Queued {
		t.Fatalf("run: %v %+v", err, p.Counts)
	}
	if bulkCalls.Load() != 1 || int(singleCalls.Load()) != b.Counts.Queued {
		t.Errorf("%d bulk calls and %d single ones for %d recipients", bulkCalls.Load(), singleCalls.Load(), b.Counts.Queued)
	}
	got := e.received()
	for _, r := range e.recipients(b.ID, StateSent) {
		if len(got[r.Email]) != 1 {
			t.Errorf("%s got %d messages", r.Email, len(got[r.Email]))
		}
	}
}
