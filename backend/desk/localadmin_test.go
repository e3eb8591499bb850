package desk

import (
	"context"
	"strings"
	"testing"

	"gatehouse/backend/batch"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// Who works on the local portal: said once, then on every change in the portal's audit
// log and in the title bar.
func TestLocalAdminNamesTheChanges(t *testing.T) {
	a := withDemo(t)
	// Before anyone is named, an invitation does not say that "administrator" (or
	// "Gatehouse") invites the person, but uses the message's own words.
	invitedBy := func(letter string) string {
		t.Helper()
		res, err := a.FormBatch(FormBatchRequest{LetterFrom: letter, LetterTo: letter})
		if err != nil {
			t.Fatalf("FormBatch %s: %v", letter, err)
		}
		pv, err := a.BatchPreview(res.Batch.ID, batch.RecipientQuery{States: []batch.State{batch.StateQueued}, Limit: 1})
		if err != nil || len(pv.Items) != 1 {
			t.Fatalf("BatchPreview = %+v, %v", pv, err)
		}
		body := pv.Items[0].Message.Body
		i := strings.Index(body, " has invited you")
		if i < 0 {
			t.Fatalf("the invitation names no one inviting: %s", body)
		}
		return body[strings.LastIndex(body[:i], "\n")+1 : i]
	}
	if who := invitedBy("A"); who != "Your administrator" {
		t.Errorf("with no one named the invitation is from %q", who)
	}
	if _, err := a.SaveLocalAdmin(LocalAdmin{Name: "  ", Email: "ann@example.org"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("no name: %v", err)
	}
	if _, err := a.SaveLocalAdmin(LocalAdmin{Name: "Ann Reed", Email: "not an address"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("no address: %v", err)
	}
	before, _, _ := a.EmbeddedPortal()
	l, err := a.SaveLocalAdmin(LocalAdmin{Name: " Ann   Reed ", Email: "Ann.Reed@Example.org"})
	if err != nil || l.Name != "Ann Reed" || l.Email != "Ann.Reed@example.org" {
		t.Fatalf("SaveLocalAdmin = %+v, %v", l, err)
	}
	// The local portal keeps its address: links already e-mailed still point at it.
	if after, _, _ := a.EmbeddedPortal(); after != before {
		t.Fatalf("the local portal moved from %s to %s", before, after)
	}
	a.syncNow()
	if info, err := a.CurrentActor(); err != nil || info.Label != "Ann Reed (local administrator)" {
		t.Fatalf("CurrentActor = %+v, %v", info, err)
	}
	pending := a.search(UserQuery{Status: []string{"pending"}})
	if _, err := a.Approve(pending.Rows[0].ID); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	evs, err := a.other().Audit(a.ctx(), client.AuditQuery{EntityType: "account", EntityID: pending.Rows[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs.Items {
		if ev.Action == portal.ActionApprove {
			found = true
			if ev.ActorName != "Ann Reed" || ev.ActorID != "local:ann.reed@example.org" {
				t.Errorf("the approval is by %q (%s)", ev.ActorName, ev.ActorID)
			}
		}
	}
	if !found {
		t.Fatalf("no approval in the audit: %+v", evs)
	}
	// What the desktop records itself names her too: the batch she forms.
	res, err := a.FormBatch(FormBatchRequest{})
	if err != nil || res.Batch.CreatedBy != "Ann Reed" {
		t.Fatalf("FormBatch = %q, %v", res.Batch.CreatedBy, err)
	}
	if who := invitedBy("D"); who != "Ann Reed" {
		t.Errorf("the invitation is from %q, not Ann Reed", who)
	}
	// A restart finds her again.
	a.Shutdown(context.Background())
	again := newTestApp(t, a.dir)
	if l, err := again.LocalAdmin(); err != nil || l.Name != "Ann Reed" {
		t.Fatalf("after a restart: %+v, %v", l, err)
	}
}
