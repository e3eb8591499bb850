package cache

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

func mustEnqueue(t *testing.T, db *DB, cmd Command) QueuedCommand {
	t.Helper()
	ctx := context.Background()
	key, err := db.Enqueue(ctx, cmd)
	if err != nil {
		t.Fatalf("Enqueue(%+v): %v", cmd, err)
	}
	all, err := db.ListOutbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.IdempotencyKey == key {
			return c
		}
	}
	t.Fatalf("queued command with key %s not found", key)
	return QueuedCommand{}
}

func nextDue(t *testing.T, db *DB) (int64, bool) {
	t.Helper()
	c, ok, err := db.NextDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, ok
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	db, clock := openTest(t, WithSendLease(time.Minute))
	ctx := context.Background()
	c := mustEnqueue(t, db, Command{Name: "approve", EntityType: EntityAccount, EntityID: "a1", BaseVersion: 3,
		Payload: json.RawMessage(`{"note":"ok"}`)})
	if len(c.IdempotencyKey) != 26 || c.State != OutboxQueued || c.Attempts != 0 || string(c.Payload) != `{"note":"ok"}` ||
		!c.CreatedAt.Equal(t0) || c.NextAttemptAt == nil || !c.NextAttemptAt.Equal(t0) {
		t.Fatalf("queued %+v", c)
	}
	if n, _ := db.PendingCount(ctx); n != 1 {
		t.Errorf("pending %d, want 1", n)
	}
	if id, ok := nextDue(t, db); !ok || id != c.ID {
		t.Fatalf("NextDue = %d %v", id, ok)
	}
	must(t, db.MarkSending(ctx, c.ID))
	if _, ok := nextDue(t, db); ok {
		t.Error("a command being sent is handed out again before its lease runs out")
	}
	// The app died while sending: once the lease is over the command goes again, same key.
	clock.Advance(time.Minute)
	if id, ok := nextDue(t, db); !ok || id != c.ID {
		t.Fatalf("after the lease: NextDue = %d %v", id, ok)
	}
	must(t, db.MarkSending(ctx, c.ID))
	must(t, db.MarkSent(ctx, c.ID, json.RawMessage(`{"id":"a1","version":4}`), 4))
	got, err := db.GetCommand(ctx, c.ID)
	must(t, err)
	if got.State != OutboxSent || got.Attempts != 2 || string(got.Response) != `{"id":"a1","version":4}` ||
		got.IdempotencyKey != c.IdempotencyKey || got.NextAttemptAt != nil {
		t.Errorf("after MarkSent: %+v", got)
	}
	must(t, db.MarkSent(ctx, c.ID, nil, 4)) // the answer recorded twice
	if n, _ := db.PendingCount(ctx); n != 0 {
		t.Errorf("pending %d after sent, want 0", n)
	}
	if _, ok := nextDue(t, db); ok {
		t.Error("a sent command is due")
	}
	if err := db.Discard(ctx, c.ID); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("discarding a sent command: %v, want conflict", err)
	}
	if err := db.MarkConflict(ctx, c.ID, nil); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("conflict after sent: %v, want conflict", err)
	}
	counts, _ := db.OutboxCounts(ctx)
	if counts[OutboxSent] != 1 || counts[OutboxQueued] != 0 {
		t.Errorf("counts %v", counts)
	}
	clock.Advance(time.Hour)
	if n, err := db.PruneSent(ctx, clock.Now().Add(-time.Minute)); err != nil || n != 1 {
		t.Errorf("PruneSent: %d %v", n, err)
	}
	if err := db.MarkSending(ctx, 999); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown command: %v", err)
	}
}

func TestIdempotencyKeysAreUnique(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	cmds := make([]Command, 500)
	for i := range cmds {
		cmds[i] = Command{Name: "deactivate", EntityType: EntityAccount, EntityID: "a" + strings.Repeat("x", i%7)}
	}
	keys, err := db.EnqueueAll(ctx, cmds)
	must(t, err)
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Fatalf("key %s handed out twice", k)
		}
		seen[k] = true
	}
	if n, _ := db.PendingCount(ctx); n != 500 {
		t.Errorf("pending %d", n)
	}
	_, err = db.SQL().ExecContext(ctx, `INSERT INTO outbox(idempotency_key, command, entity_type, entity_id, created_at, updated_at)
		VALUES (?, 'x', 'account', 'a', '', '')`, keys[0])
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("a duplicate idempotency key was stored: %v", err)
	}
	// A bad command in a bulk action queues none of them.
	_, err = db.EnqueueAll(ctx, []Command{{Name: "approve", EntityType: EntityAccount, EntityID: "b"}, {Name: "approve"}})
	if err == nil || !strings.Contains(err.Error(), "change 2 of 2") {
		t.Errorf("bulk with a bad command: %v", err)
	}
	if n, _ := db.PendingCount(ctx); n != 500 {
		t.Errorf("pending %d after a refused bulk action, want 500", n)
	}
}

func TestCommandValidation(t *testing.T) {
	db, _ := openTest(t)
	for name, cmd := range map[string]Command{
		"no name":             {EntityType: EntityAccount, EntityID: "a"},
		"no entity":           {Name: "approve"},
		"negative version":    {Name: "approve", EntityType: EntityAccount, EntityID: "a", BaseVersion: -1},
		"bad payload":         {Name: "approve", EntityType: EntityAccount, EntityID: "a", Payload: json.RawMessage(`{`)},
		"preview of other id": {Name: "approve", EntityType: EntityAccount, EntityID: "a", Preview: mustJSON(t, mkAccount("b", "B", "b@example.org"))},
		"preview bad status":  {Name: "approve", EntityType: EntityAccount, EntityID: "a", Preview: mustJSON(t, mkAccount("a", "A", "a@example.org", func(a *portal.Account) { a.Status = "x" }))},
		"preview not JSON":    {Name: "approve", EntityType: EntityAccount, EntityID: "a", Preview: json.RawMessage(`nope`)},
		"preview and delete":  {Name: "purge", EntityType: EntityAccount, EntityID: "a", Preview: mustJSON(t, mkAccount("a", "A", "a@example.org")), PreviewDeletes: true},
		"preview of a type":   {Name: "x", EntityType: EntityAuditEvent, EntityID: "1", Preview: json.RawMessage(`{}`)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := db.Enqueue(context.Background(), cmd)
			if portal.ErrorCode(err) != portal.EINVALID {
				t.Errorf("got %v, want an invalid error", err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Commands for one record go in order; a failure or conflict holds back the later ones for
// that record only; a command decided on top of another is moved onto its result version.
func TestOutboxOrderingRetriesAndConflicts(t *testing.T) {
	db, clock := openTest(t)
	ctx := context.Background()
	a1 := mustEnqueue(t, db, Command{Name: "approve", EntityType: EntityAccount, EntityID: "a", BaseVersion: 3})
	b1 := mustEnqueue(t, db, Command{Name: "deactivate", EntityType: EntityAccount, EntityID: "b", BaseVersion: 1})
	a2 := mustEnqueue(t, db, Command{Name: "set_roles", EntityType: EntityAccount, EntityID: "a", BaseVersion: 3})
	a3 := mustEnqueue(t, db, Command{Name: "set_org_admin", EntityType: EntityAccount, EntityID: "a", BaseVersion: 9})

	if id, _ := nextDue(t, db); id != a1.ID {
		t.Fatalf("first due %d, want %d", id, a1.ID)
	}
	must(t, db.MarkSending(ctx, a1.ID))
	must(t, db.MarkFailed(ctx, a1.ID, errors.New("connection refused"), clock.Now().Add(time.Minute)))
	if id, _ := nextDue(t, db); id != b1.ID {
		t.Fatalf("while a waits for its retry, due %d, want b's %d", id, b1.ID)
	}
	must(t, db.MarkSending(ctx, b1.ID))
	must(t, db.MarkSent(ctx, b1.ID, nil, 2))
	if id, ok := nextDue(t, db); ok {
		t.Fatalf("due %d although a's first command waits for its retry", id)
	}
	clock.Advance(time.Minute)
	if id, _ := nextDue(t, db); id != a1.ID {
		t.Fatalf("after the retry delay, due %d, want %d", id, a1.ID)
	}
	got, _ := db.GetCommand(ctx, a1.ID)
	if got.LastError != "connection refused" || got.State != OutboxFailed {
		t.Errorf("failed command %+v", got)
	}
	must(t, db.MarkSending(ctx, a1.ID))
	must(t, db.MarkConflict(ctx, a1.ID, json.RawMessage(`{"id":"a","status":"denied","version":4}`)))
	if id, ok := nextDue(t, db); ok {
		t.Fatalf("due %d although a's first command is in conflict", id)
	}
	if n, _ := db.PendingCount(ctx); n != 3 {
		t.Errorf("pending %d, want 3 (conflict, two queued)", n)
	}
	// The administrator decides again on the server's version 4.
	key, err := db.Resubmit(ctx, a1.ID, Command{Name: "approve_instead", EntityType: EntityAccount, EntityID: "a", BaseVersion: 4})
	must(t, err)
	if key == a1.IdempotencyKey {
		t.Error("a resubmitted command kept its old idempotency key; the server would replay the conflict")
	}
	if id, _ := nextDue(t, db); id != a1.ID {
		t.Fatalf("the resubmitted command lost its place: due %d, want %d", id, a1.ID)
	}
	re, _ := db.GetCommand(ctx, a1.ID)
	if re.Name != "approve_instead" || re.BaseVersion != 4 || re.Attempts != 0 || re.Response != nil || re.State != OutboxQueued {
		t.Errorf("resubmitted %+v", re)
	}
	must(t, db.MarkSending(ctx, a1.ID))
	must(t, db.MarkSent(ctx, a1.ID, nil, 5))
	// a2 was decided on version 3 like the original a1, not on 4: it keeps its version.
	// (Only commands on the sent command's base version move.)
	if c, _ := db.GetCommand(ctx, a2.ID); c.BaseVersion != 3 {
		t.Errorf("a2 base version %d, want 3", c.BaseVersion)
	}
	if id, _ := nextDue(t, db); id != a2.ID {
		t.Fatalf("due %d, want a2 %d", id, a2.ID)
	}
	must(t, db.Discard(ctx, a2.ID))
	if id, _ := nextDue(t, db); id != a3.ID {
		t.Fatalf("due %d, want a3 %d", id, a3.ID)
	}
}

func TestMarkSentMovesLaterCommandsOntoTheNewVersion(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	c1 := mustEnqueue(t, db, Command{Name: "approve", EntityType: EntityAccount, EntityID: "a", BaseVersion: 3})
	c2 := mustEnqueue(t, db, Command{Name: "set_roles", EntityType: EntityAccount, EntityID: "a", BaseVersion: 3})
	other := mustEnqueue(t, db, Command{Name: "set_roles", EntityType: EntityAccount, EntityID: "b", BaseVersion: 3})
	must(t, db.MarkSending(ctx, c1.ID))
	must(t, db.MarkSent(ctx, c1.ID, nil, 4))
	for id, want := range map[int64]int64{c2.ID: 4, other.ID: 3} {
		if c, _ := db.GetCommand(ctx, id); c.BaseVersion != want {
			t.Errorf("command %d base version %d, want %d", id, c.BaseVersion, want)
		}
	}
}

func TestFailedForGoodAndRetry(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	c := mustEnqueue(t, db, Command{Name: "promote", EntityType: EntityAccount, EntityID: "a"})
	must(t, db.MarkSending(ctx, c.ID))
	must(t, db.MarkFailed(ctx, c.ID, portal.Errorf(portal.EFORBIDDEN, "Only a system administrator can do this."), time.Time{}))
	if _, ok := nextDue(t, db); ok {
		t.Error("a command that failed for good is due")
	}
	failed, _ := db.ListOutbox(ctx, OutboxFailed)
	if len(failed) != 1 || !strings.Contains(failed[0].LastError, "system administrator") || failed[0].NextAttemptAt != nil {
		t.Errorf("failed list %+v", failed)
	}
	if n, _ := db.PendingCount(ctx); n != 1 {
		t.Errorf("pending %d, want 1: the server does not have it", n)
	}
	must(t, db.Retry(ctx, c.ID))
	if id, ok := nextDue(t, db); !ok || id != c.ID {
		t.Error("a retried command is not due")
	}
	if got, _ := db.GetCommand(ctx, c.ID); got.IdempotencyKey != c.IdempotencyKey {
		t.Error("Retry changed the idempotency key")
	}
	must(t, db.MarkSending(ctx, c.ID))
	if err := db.Discard(ctx, c.ID); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("discard while sending: %v, want conflict", err)
	}
	if err := db.Retry(ctx, c.ID); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("retry while sending: %v, want conflict", err)
	}
}

// The pending-overlay rule of DESIGN.md: downloaded state never overwrites the admin's own
// pending changes before the server has them.
func TestPendingChangesOverlayServerState(t *testing.T) {
	db, clock := openTest(t)
	ctx := context.Background()
	roles := portal.NewRoles(portal.DefaultRoles()...)
	op := portal.Op{Now: t0, Actor: portal.SystemActor(), Roles: roles, ActiveSystemAdmins: 2}
	server := mkAccount("a1", "Pat Doe", "pat@example.org", func(a *portal.Account) {
		a.Status, a.Kind, a.ClientRecord, a.Version = portal.StatusPending, portal.KindStaff, false, 3
	})
	mustApply(t, db, func(tx *Tx) error { return tx.UpsertAccount(server) })

	approved, _, err := portal.Approve(op, server)
	must(t, err)
	cmd := mustEnqueue(t, db, Command{Name: "approve", EntityType: EntityAccount, EntityID: "a1", BaseVersion: 3, Preview: mustJSON(t, approved)})

	shown := func() portal.Account {
		t.Helper()
		a, err := db.GetAccount(ctx, "a1")
		must(t, err)
		return a
	}
	if a := shown(); a.Status != portal.StatusActive {
		t.Fatalf("the pending approval is not shown: %s", a.Status)
	}
	if got := accountIDs(t, db, AccountFilter{Status: []portal.Status{portal.StatusPending}}); len(got) != 0 {
		t.Errorf("the approvals queue still lists %v", got)
	}
	page, _ := db.ListAccounts(ctx, AccountFilter{PendingChanges: true})
	if page.Total != 1 || page.Rows[0].PendingChanges != 1 || page.Rows[0].Status != portal.StatusActive {
		t.Errorf("pending rows %+v", page.Rows)
	}

	// The sync brings a newer server version (someone renamed the person): it is kept
	// aside, the administrator's approval stays on screen.
	renamed := server
	renamed.Name, renamed.Version = "Pat Doe-Smith", 4
	mustApply(t, db, func(tx *Tx) error { return tx.UpsertAccount(renamed) })
	if a := shown(); a.Status != portal.StatusActive || a.Name != "Pat Doe" {
		t.Errorf("the download overwrote the pending change: %+v", a)
	}
	v, err := db.GetAccountView(ctx, "a1")
	must(t, err)
	if v.Server == nil || !reflect.DeepEqual(*v.Server, renamed) || !v.Overlaid() || len(v.Pending) != 1 || v.Pending[0].ID != cmd.ID {
		t.Errorf("view %+v", v)
	}
	// An older copy arriving late does not replace the newer server copy.
	mustApply(t, db, func(tx *Tx) error { return tx.UpsertAccount(server) })
	if v, _ := db.GetAccountView(ctx, "a1"); v.Server.Version != 4 {
		t.Errorf("server copy went back to version %d", v.Server.Version)
	}

	// The server applies it: the sync stores the answer and marks it sent in one transaction.
	result := approved
	result.Name, result.Version = "Pat Doe-Smith", 5
	must(t, db.MarkSending(ctx, cmd.ID))
	mustApply(t, db, func(tx *Tx) error {
		if err := tx.UpsertAccount(result); err != nil {
			return err
		}
		return tx.MarkSent(cmd.ID, mustJSON(t, result), 5)
	})
	if a := shown(); !sameAccount(a, result) {
		t.Errorf("after sent: %+v, want the server's %+v", a, result)
	}
	v, _ = db.GetAccountView(ctx, "a1")
	if v.Overlaid() || len(v.Pending) != 0 || v.Server == nil || !sameAccount(*v.Server, result) {
		t.Errorf("view after sent %+v", v)
	}
	assertNoOverlay(t, db)

	// A conflict shows the server's version again, and both are available to choose from.
	deactivated, _, err := portal.Deactivate(op, result)
	must(t, err)
	c2 := mustEnqueue(t, db, Command{Name: "deactivate", EntityType: EntityAccount, EntityID: "a1", BaseVersion: 5, Preview: mustJSON(t, deactivated)})
	if a := shown(); a.Status != portal.StatusDeactivated {
		t.Fatalf("pending deactivation not shown: %s", a.Status)
	}
	theirs := result
	theirs.OrgAdmin, theirs.Version = true, 6
	must(t, db.MarkSending(ctx, c2.ID))
	mustApply(t, db, func(tx *Tx) error {
		if err := tx.UpsertAccount(theirs); err != nil {
			return err
		}
		return tx.MarkConflict(c2.ID, mustJSON(t, theirs))
	})
	if a := shown(); !sameAccount(a, theirs) {
		t.Errorf("after a conflict the screen shows %+v, want the server's %+v", a, theirs)
	}
	v, _ = db.GetAccountView(ctx, "a1")
	if len(v.Pending) != 1 || v.Pending[0].State != OutboxConflict || !jsonEqual(v.Pending[0].Preview, mustJSON(t, deactivated)) ||
		!jsonEqual(v.Pending[0].Response, mustJSON(t, theirs)) {
		t.Errorf("conflict view %+v", v)
	}
	page, _ = db.ListAccounts(ctx, AccountFilter{Query: "pat"})
	if len(page.Rows) != 1 || !page.Rows[0].Conflict || page.Rows[0].PendingChanges != 0 {
		t.Errorf("conflict row %+v", page.Rows)
	}
	// "Keep mine": decide again on their version.
	mine, _, err := portal.Deactivate(op, theirs)
	must(t, err)
	_, err = db.Resubmit(ctx, c2.ID, Command{Name: "deactivate", EntityType: EntityAccount, EntityID: "a1", BaseVersion: 6, Preview: mustJSON(t, mine)})
	must(t, err)
	if a := shown(); a.Status != portal.StatusDeactivated || !a.OrgAdmin {
		t.Errorf("resubmitted change not shown on their version: %+v", a)
	}
	// It fails for good (say, forbidden): the server's copy comes back; a retry shows it again.
	must(t, db.MarkFailed(ctx, c2.ID, errors.New("forbidden"), time.Time{}))
	if a := shown(); a.Status != portal.StatusActive {
		t.Errorf("a change that failed for good still shows: %s", a.Status)
	}
	must(t, db.Retry(ctx, c2.ID))
	if a := shown(); a.Status != portal.StatusDeactivated {
		t.Errorf("a retried change is not shown: %s", a.Status)
	}
	// "Keep theirs": discard.
	must(t, db.MarkFailed(ctx, c2.ID, errors.New("timeout"), clock.Now().Add(time.Minute)))
	if a := shown(); a.Status != portal.StatusDeactivated {
		t.Errorf("a change waiting for its retry is not shown: %s", a.Status)
	}
	must(t, db.Discard(ctx, c2.ID))
	if a := shown(); !sameAccount(a, theirs) {
		t.Errorf("after discard: %+v", a)
	}
	assertNoOverlay(t, db)
	assertSearchIndexIntact(t, db)
}

// sameAccount compares accounts as stored: the cache gives an empty role list, never nil.
func sameAccount(a, b portal.Account) bool {
	for _, x := range []*portal.Account{&a, &b} {
		if x.AdditionalRoles == nil {
			x.AdditionalRoles = []string{}
		}
	}
	return reflect.DeepEqual(a, b)
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func assertNoOverlay(t *testing.T, db *DB) {
	t.Helper()
	var n int
	must(t, db.ReadSQL().QueryRow("SELECT count(*) FROM overlay_base").Scan(&n))
	if n != 0 {
		t.Errorf("%d records still kept aside in overlay_base", n)
	}
}

func TestPendingChainAndRemoval(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	roles := portal.NewRoles(portal.DefaultRoles()...)
	op := portal.Op{Now: t0, Actor: portal.SystemActor(), Roles: roles, ActiveSystemAdmins: 2}
	server := mkAccount("a1", "Kim Lee", "kim@example.org", func(a *portal.Account) { a.Version = 2 })
	mustApply(t, db, func(tx *Tx) error { return tx.UpsertAccount(server) })

	// Two changes on top of each other: the screen shows the last.
	promoted, _, err := portal.Promote(op, server, portal.RoleStaff, []string{portal.RoleReports}, true)
	must(t, err)
	withAdmin := promoted
	withAdmin.OrgAdmin, withAdmin.OrganizationID = true, "o1"
	c1 := mustEnqueue(t, db, Command{Name: "promote", EntityType: EntityAccount, EntityID: "a1", BaseVersion: 2, Preview: mustJSON(t, promoted)})
	c2 := mustEnqueue(t, db, Command{Name: "set_org_admin", EntityType: EntityAccount, EntityID: "a1", BaseVersion: 2, Preview: mustJSON(t, withAdmin)})
	if got := accountIDs(t, db, AccountFilter{Role: portal.RoleReports, OrgAdmin: new(true)}); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("role filter on the pending state: %v", got)
	}
	must(t, db.MarkSending(ctx, c1.ID))
	serverAfter1 := promoted
	serverAfter1.Version = 3
	mustApply(t, db, func(tx *Tx) error {
		if err := tx.UpsertAccount(serverAfter1); err != nil {
			return err
		}
		return tx.MarkSent(c1.ID, nil, 3)
	})
	if a, _ := db.GetAccount(ctx, "a1"); !a.OrgAdmin {
		t.Error("the second pending change is no longer shown after the first was sent")
	}
	if c, _ := db.GetCommand(ctx, c2.ID); c.BaseVersion != 3 {
		t.Errorf("second command's base version %d, want 3", c.BaseVersion)
	}

	// Purge: the account disappears from screens at once.
	c3 := mustEnqueue(t, db, Command{Name: "purge", EntityType: EntityAccount, EntityID: "a1", BaseVersion: 3, PreviewDeletes: true})
	if _, err := db.GetAccount(ctx, "a1"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("purged account still readable: %v", err)
	}
	if got := accountIDs(t, db, AccountFilter{Query: "kim"}); len(got) != 0 {
		t.Errorf("purged account still found by search: %v", got)
	}
	v, err := db.GetAccountView(ctx, "a1")
	must(t, err)
	if !v.Removed || v.Server == nil || v.Server.Version != 3 || len(v.Pending) != 2 {
		t.Errorf("view of a pending purge %+v", v)
	}
	// The sync deletes it on the server's word while the purge is pending; then it is sent.
	mustApply(t, db, func(tx *Tx) error { return tx.DeleteAccount("a1") })
	for _, c := range []QueuedCommand{c2, c3} {
		must(t, db.MarkSending(ctx, c.ID))
		must(t, db.MarkSent(ctx, c.ID, nil, 0))
	}
	if _, err := db.GetAccountView(ctx, "a1"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("after the purge was sent: %v", err)
	}
	assertNoOverlay(t, db)

	// A record the server does not know yet (an invited contact): shown while pending,
	// gone if the server refuses it.
	invited := mkAccount("new-1", "Sam Roe", "sam@example.org", func(a *portal.Account) { a.Status, a.Version = portal.StatusInvited, 0 })
	c4 := mustEnqueue(t, db, Command{Name: "invite", EntityType: EntityAccount, EntityID: "new-1", Preview: mustJSON(t, invited)})
	if got := accountIDs(t, db, AccountFilter{Status: []portal.Status{portal.StatusInvited}}); !slices.Equal(got, []string{"new-1"}) {
		t.Errorf("invited preview: %v", got)
	}
	if v, _ := db.GetAccountView(ctx, "new-1"); v.Server != nil {
		t.Errorf("server copy of a new record: %+v", v.Server)
	}
	must(t, db.MarkFailed(ctx, c4.ID, errors.New("invalid e-mail"), time.Time{}))
	if _, err := db.GetAccount(ctx, "new-1"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("refused new record still shown: %v", err)
	}
	assertNoOverlay(t, db)
	assertSearchIndexIntact(t, db)
}

func TestOverlayForOtherRecordTypes(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	org := mkOrg("o1", "Leeds Pantry")
	inv := portal.Invitation{ID: "i1", AccountID: "a1", Email: "a@example.org", Status: portal.InvitationPending,
		Roles: []string{}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Version: 1}
	mustApply(t, db, func(tx *Tx) error {
		if err := tx.UpsertOrganization(org); err != nil {
			return err
		}
		return tx.UpsertInvitation(inv)
	})
	renamed := org
	renamed.Name = "Leeds Community Pantry"
	revoked := inv
	revoked.Status, revoked.RevokedAt = portal.InvitationRevoked, tp(t0)
	keys, err := db.EnqueueAll(ctx, []Command{
		{Name: "update_organization", EntityType: EntityOrganization, EntityID: "o1", BaseVersion: 1, Preview: mustJSON(t, renamed)},
		{Name: "revoke", EntityType: EntityInvitation, EntityID: "i1", BaseVersion: 1, Preview: mustJSON(t, revoked)},
	})
	must(t, err)
	if o, _ := db.GetOrganization(ctx, "o1"); o.Name != renamed.Name {
		t.Errorf("organisation shows %q", o.Name)
	}
	if i, _ := db.GetInvitation(ctx, "i1"); i.Status != portal.InvitationRevoked {
		t.Errorf("invitation shows %q", i.Status)
	}
	all, _ := db.ListOutbox(ctx)
	for i, c := range all {
		if c.IdempotencyKey != keys[i] {
			t.Fatalf("outbox order %v, keys %v", all, keys)
		}
		must(t, db.Discard(ctx, c.ID))
	}
	if o, _ := db.GetOrganization(ctx, "o1"); !reflect.DeepEqual(o, org) {
		t.Errorf("organisation after discard %+v", o)
	}
	if i, _ := db.GetInvitation(ctx, "i1"); !reflect.DeepEqual(i, inv) {
		t.Errorf("invitation after discard %+v", i)
	}
	assertNoOverlay(t, db)
}

func TestSettingsAndSyncState(t *testing.T) {
	db, clock := openTest(t)
	ctx := context.Background()
	type serverSetting struct {
		URL     string `json:"url"`
		Offline bool   `json:"offline"`
	}
	var got serverSetting
	if ok, err := db.GetSetting(ctx, "server", &got); ok || err != nil {
		t.Errorf("unset setting: %v %v", ok, err)
	}
	must(t, db.SetSetting(ctx, "server", serverSetting{URL: "https://portal.example.org"}))
	must(t, db.SetSetting(ctx, "server", serverSetting{URL: "https://portal.example.org", Offline: true}))
	if ok, err := db.GetSetting(ctx, "server", &got); !ok || err != nil || got != (serverSetting{"https://portal.example.org", true}) {
		t.Errorf("setting %+v %v %v", got, ok, err)
	}
	var wrong int
	if _, err := db.GetSetting(ctx, "server", &wrong); err == nil || !strings.Contains(err.Error(), `"server"`) {
		t.Errorf("decoding into the wrong type: %v", err)
	}
	must(t, db.DeleteSetting(ctx, "server"))
	if ok, _ := db.GetSetting(ctx, "server", &got); ok {
		t.Error("deleted setting still there")
	}

	s, err := db.GetSyncState(ctx, "changes")
	if err != nil || s.Cursor != "" || s.LastSyncAt != nil {
		t.Errorf("never synced: %+v %v", s, err)
	}
	must(t, db.SetSyncError(ctx, "changes", errors.New("server unreachable")))
	clock.Advance(time.Minute)
	mustApply(t, db, func(tx *Tx) error {
		if c, err := tx.Cursor("changes"); err != nil || c != "" {
			t.Errorf("cursor in tx %q %v", c, err)
		}
		return tx.SetCursor("changes", "1234")
	})
	s, _ = db.GetSyncState(ctx, "changes")
	if s.Cursor != "1234" || s.LastSyncAt == nil || !s.LastSyncAt.Equal(t0.Add(time.Minute)) || s.LastError != "" || s.LastErrorAt != nil {
		t.Errorf("after a sync %+v", s)
	}
	clock.Advance(time.Minute)
	must(t, db.SetSyncError(ctx, "changes", errors.New("timeout")))
	s, _ = db.GetSyncState(ctx, "changes")
	if s.Cursor != "1234" || s.LastError != "timeout" || s.LastErrorAt == nil || !s.LastErrorAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("after an error %+v", s)
	}
	all, _ := db.SyncStates(ctx)
	if len(all) != 1 || !reflect.DeepEqual(all[0], s) {
		t.Errorf("all %+v", all)
	}
}
