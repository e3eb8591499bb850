package desk

import (
	"strings"
	"testing"

	"gatehouse/backend/portal"
)

// Undo of an approval: before the portal has it, the change is withdrawn and nothing is
// sent; after, the answer offers the reverse action, which then works.
func TestUndoDecision(t *testing.T) {
	a := withDemo(t)
	a.manual()
	pending := a.search(UserQuery{Status: []string{"pending"}})
	if len(pending.Rows) < 2 {
		t.Fatal("the demo has too few people waiting")
	}
	first, second := pending.Rows[0], pending.Rows[1]

	res, err := a.Approve(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.UndoDecision(res.Change.ID)
	if err != nil || !u.Undone || !strings.Contains(u.Message, "withdrawn") {
		t.Fatalf("undo before sync = %+v, %v", u, err)
	}
	a.syncNow()
	if acc, err := a.other().Account(a.ctx(), first.ID); err != nil || acc.Status != portal.StatusPending {
		t.Fatalf("after the undone approval the portal has %+v, %v", acc, err)
	}
	if n, _ := a.Desk.PendingChanges(); len(n) != 0 {
		t.Fatalf("%d changes wait after the undo", len(n))
	}

	res, err = a.Approve(second.ID)
	if err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	u, err = a.UndoDecision(res.Change.ID)
	if err != nil || u.Undone || u.Reverse != "deactivate" || !strings.Contains(u.Message, "already has the approval") {
		t.Fatalf("undo after sync = %+v, %v", u, err)
	}
	if _, err := a.DeactivateUser(second.ID); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	if acc, err := a.other().Account(a.ctx(), second.ID); err != nil || acc.Status != portal.StatusDeactivated {
		t.Fatalf("after the reverse action the portal has %+v, %v", acc, err)
	}
}
