package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
)

func (a *testApp) batchEvents(id string) []BatchProgress {
	var out []BatchProgress
	for _, ev := range a.events.named(EventBatchProgress) {
		if p := ev.Data[0].(BatchProgress); p.BatchID == id {
			out = append(out, p)
		}
	}
	return out
}

func (a *testApp) waitFinished(id string) BatchProgress {
	a.t.Helper()
	var last BatchProgress
	waitFor(a.t, "the batch to finish", func() bool {
		evs := a.batchEvents(id)
		if len(evs) > 0 && evs[len(evs)-1].Finished {
			last = evs[len(evs)-1]
			return true
		}
		return false
	})
	return last
}

// TestBatchFromDemoContactsArrivesOnce forms a batch from the demo contacts, previews it,
// sends it through the embedded portal to a real SMTP sink, and checks that every
// recipient got exactly one message with a working-looking link, and that progress came.
func TestBatchFromDemoContactsArrivesOnce(t *testing.T) {
	a := withDemo(t)
	sink := mailtest.NewSink(t)

	if err := a.SendBatch("bat_missing"); err == nil {
		t.Fatal("SendBatch of an unknown batch succeeded")
	}
	// Sending needs mail settings first.
	res, err := a.FormBatch(FormBatchRequest{SortBy: batch.SortSurname})
	if err != nil {
		t.Fatalf("FormBatch: %v", err)
	}
	b := res.Batch
	if b.Counts.Total == 0 {
		t.Fatalf("batch has no recipients: %+v", b.Counts)
	}
	if len(res.Excluded) != b.Counts.Excluded {
		t.Fatalf("excluded rows = %d, counts say %d", len(res.Excluded), b.Counts.Excluded)
	}
	for _, r := range res.Excluded {
		if len(r.Reasons) == 0 || r.Reasons[0].Message == "" {
			t.Fatalf("excluded row %s has no reason", r.RowRef)
		}
	}
	wantCode(t, a.SendBatch(b.ID), "invalid", "")

	// Letter range narrows the batch.
	narrow, err := a.FormBatch(FormBatchRequest{SortBy: batch.SortSurname, LetterFrom: "A", LetterTo: "B"})
	if err == nil && narrow.Batch.Counts.Total >= b.Counts.Total {
		t.Fatalf("A–B batch has %d recipients, the whole one %d", narrow.Batch.Counts.Total, b.Counts.Total)
	}

	pv, err := a.BatchPreview(b.ID, batch.RecipientQuery{Limit: 1000})
	if err != nil {
		t.Fatalf("BatchPreview: %v", err)
	}
	sends := 0
	for _, it := range pv.Items {
		if it.Recipient.State == batch.StateExcluded {
			continue
		}
		sends++
		if it.Message == nil || it.Message.Subject == "" || !strings.Contains(it.Message.Body, batch.DisplayName(it.Recipient.Candidate)) {
			t.Fatalf("preview for %s: %+v", it.Recipient.Email, it.Message)
		}
	}
	if sends != b.Counts.Total {
		t.Fatalf("preview has %d messages, batch %d recipients", sends, b.Counts.Total)
	}

	// A spare batch of the same people: its pre-notification, then cancel it unsent.
	next, err := a.FormBatch(FormBatchRequest{SortBy: batch.SortSurname})
	if err != nil {
		t.Fatalf("FormBatch again: %v", err)
	}
	pre, err := a.PreNotify(next.Batch.ID, false)
	if err != nil || pre.Kind != batch.KindPreNotification || pre.Counts.Total != next.Batch.Counts.Total {
		t.Fatalf("PreNotify = %+v, %v", pre, err)
	}
	if err := a.CancelBatch(next.Batch.ID); err != nil {
		t.Fatalf("CancelBatch: %v", err)
	}
	if c, _ := a.batchStore(); c != nil {
		if got, _ := c.Get(a.ctx(), next.Batch.ID); got.State != batch.BatchCancelled || got.Counts.Cancelled != next.Batch.Counts.Total {
			t.Fatalf("cancelled batch = %+v", got)
		}
	}
	wantCode(t, a.PauseBatch(next.Batch.ID), "conflict", "")

	s, err := a.SaveSMTPSettings(SMTPSettings{Host: sink.Host(), Port: sink.Port(), Security: mail.SecurityNone, From: "Portal <portal@example.org>"}, "")
	if err != nil {
		t.Fatalf("SaveSMTPSettings: %v", err)
	}
	if s.HasPassword {
		t.Fatal("settings claim a password that was never given")
	}
	if err := a.SendTestMessage("admin@example.org"); err != nil {
		t.Fatalf("SendTestMessage: %v", err)
	}
	sink.WaitFor(t, 1, 10*time.Second)

	// The local portal's links point at this computer: nothing goes out until it has a
	// public address, and the refusal says where to set one.
	err = a.SendBatch(b.ID)
	wantCode(t, err, "invalid", "publicUrl")
	if !strings.Contains(portal.ErrorMessage(err), "public address") || sink.Count() != 1 {
		t.Fatalf("SendBatch without a public address: %v; %d messages", err, sink.Count())
	}
	set, err := a.PortalSettings()
	if err != nil {
		t.Fatal(err)
	}
	set.Settings.PublicURL = "https://portal.gatehouse.test/"
	if set, err = a.SavePortalSettings(set.Settings); err != nil || set.Settings.PublicURL != "https://portal.gatehouse.test" || set.Pending {
		t.Fatalf("SavePortalSettings = %+v, %v", set, err)
	}
	if err := a.SendBatch(b.ID); err != nil {
		t.Fatalf("SendBatch: %v", err)
	}
	last := a.waitFinished(b.ID)
	if last.State != batch.BatchDone || last.Counts.Sent != b.Counts.Total || last.Done != b.Counts.Total {
		t.Fatalf("finished with %+v, want all %d sent", last, b.Counts.Total)
	}
	msgs := sink.WaitFor(t, 1+b.Counts.Total, 10*time.Second)
	per := map[string]int{}
	for _, m := range msgs[1:] {
		for _, to := range m.To {
			per[strings.ToLower(to)]++
		}
		if !strings.Contains(m.Body, "https://portal.gatehouse.test/invite/") {
			t.Fatalf("message to %v has no link at the public address:\n%s", m.To, m.Body)
		}
	}
	if len(per) != b.Counts.Total {
		t.Fatalf("%d distinct recipients got mail, want %d", len(per), b.Counts.Total)
	}
	for to, n := range per {
		if n != 1 {
			t.Fatalf("%s got %d messages", to, n)
		}
	}
	// Sending a finished batch again sends nothing more.
	if err := a.ResumeBatch(b.ID); err != nil {
		t.Fatalf("ResumeBatch: %v", err)
	}
	waitFor(t, "the second run to end", func() bool { return a.runs.Running(b.ID) == nil })
	// A message counts as sent once the sink answered its DATA, and the sink stores it
	// before answering: when the run has ended, everything it sent is in the sink.
	if n := sink.Count(); n != 1+b.Counts.Total {
		t.Fatalf("resume sent again: %d messages", n)
	}
	if again, err := a.Batches(); err != nil {
		t.Fatal(err)
	} else {
		for _, x := range again {
			if x.ID == b.ID && (x.Counts.Sent != b.Counts.Total || x.State != batch.BatchDone) {
				t.Fatalf("after resuming a finished batch: %+v", x)
			}
		}
	}

	list, err := a.InvitationsList(batch.InvitationQuery{Limit: 1000})
	if err != nil {
		t.Fatalf("InvitationsList: %v", err)
	}
	if list.Total < b.Counts.Total {
		t.Fatalf("invitations list has %d rows, want ≥ %d", list.Total, b.Counts.Total)
	}
	bs, err := a.Batches()
	if err != nil || len(bs) == 0 {
		t.Fatalf("Batches = %v, %v", bs, err)
	}

	// Follow-up: the invitations are pending on the server once synced.
	a.syncNow()
	list, err = a.InvitationsList(batch.InvitationQuery{BatchIDs: []string{b.ID}, Limit: 1000})
	if err != nil || len(list.Items) != b.Counts.Total {
		t.Fatalf("InvitationsList = %d rows, %v", len(list.Items), err)
	}
	first, second := list.Items[0], list.Items[1%len(list.Items)]
	if first.Status != "pending" || first.InvitationID == "" {
		t.Fatalf("invitation after sending: %+v", first)
	}
	// Resend forms a reminder batch; sending it mails a new link to that one person.
	rem, err := a.ResendInvitation([]batch.RecipientRef{{BatchID: first.BatchID, Seq: first.Seq}})
	if err != nil || rem.Kind != batch.KindReminder || rem.Counts.Total != 1 {
		t.Fatalf("ResendInvitation = %+v, %v", rem, err)
	}
	before := sink.Count()
	if err := a.SendBatch(rem.ID); err != nil {
		t.Fatalf("SendBatch(reminder): %v", err)
	}
	if p := a.waitFinished(rem.ID); p.Counts.Sent != 1 {
		t.Fatalf("reminder finished with %+v", p)
	}
	got := sink.WaitFor(t, before+1, 10*time.Second)
	if to := got[before].To; len(to) != 1 || !strings.EqualFold(to[0], first.Email) {
		t.Fatalf("reminder went to %v, want %s", to, first.Email)
	}
	// Revoke kills the other invitation on the server.
	if len(list.Items) > 1 {
		if err := a.RevokeInvitation(second.InvitationID); err != nil {
			t.Fatalf("RevokeInvitation: %v", err)
		}
		inv, err := a.other().Invitation(a.ctx(), second.InvitationID)
		if err != nil || inv.StatusAt(t0) != "revoked" {
			t.Fatalf("revoked invitation on the server: %+v, %v", inv, err)
		}
	}
	wantCode(t, a.RevokeInvitation(""), "invalid", "invitationId")

	if _, err := a.DecideUnknown(b.ID, []int{1}, "maybe"); err == nil {
		t.Fatal("DecideUnknown accepted the decision \"maybe\"")
	}

	// A mail server that is not there gives a clear error on the test message.
	sink.Close()
	if _, err := a.SaveSMTPSettings(SMTPSettings{Host: "127.0.0.1", Port: sink.Port(), Security: mail.SecurityNone, From: "portal@example.org"}, ""); err != nil {
		t.Fatal(err)
	}
	err = a.SendTestMessage("admin@example.org")
	if p := payloadOf(err); err == nil || p.Code == "internal" || !strings.Contains(p.Message, "127.0.0.1") {
		t.Fatalf("SendTestMessage to a closed port = %v (%+v)", err, p)
	}
}

func TestTemplatesEditAndPreview(t *testing.T) {
	a := withDemo(t)
	ts, err := a.Templates()
	if err != nil || len(ts) < 7 {
		t.Fatalf("Templates = %d, %v", len(ts), err)
	}
	if _, err := a.SaveTemplate(mail.KeyInvitation, "Welcome @UserName@", "Hello @UserNmae@"); err == nil {
		t.Fatal("misspelt placeholder accepted")
	}
	if _, err := a.SaveTemplate(mail.KeyInvitation, "Welcome @UserName@", "Hello @UserName|\"friend\"@, open @InvitationUrl@"); err != nil {
		t.Fatalf("SaveTemplate: %v", err)
	}
	// One store: the portal has the message now, for what it sends itself too.
	onPortal, err := a.other().Template(context.Background(), mail.KeyInvitation)
	if err != nil || onPortal.Subject != "Welcome @UserName@" || !strings.Contains(onPortal.Body, "@InvitationUrl@") {
		t.Fatalf("the portal's invitation message: %+v, %v", onPortal, err)
	}
	ts, err = a.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		if x.Key == mail.KeyInvitation && (!x.Customised || x.Subject != "Welcome @UserName@") {
			t.Fatalf("Templates after saving: %+v", x)
		}
	}
	// Someone changes it on the portal: after the next sync the desktop shows theirs.
	if _, err := a.other().UpdateTemplate(context.Background(), mail.KeyApproved, client.TemplateUpdate{Name: "Approved", Subject: "You are in, @UserName@", Body: "Sign in at @SignInUrl@"}, nil); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	ts, _ = a.Templates()
	for _, x := range ts {
		if x.Key == mail.KeyApproved && x.Subject != "You are in, @UserName@" {
			t.Fatalf("the desktop does not show the portal's approved message: %+v", x)
		}
	}
	p, err := a.PreviewTemplate(mail.KeyInvitation, "Welcome @UserName@", "Hi @UserName@, to @system.ProductName@ until @ExpiresAt@")
	if err != nil {
		t.Fatalf("PreviewTemplate: %v", err)
	}
	// A real person, the portal's own name, and the expiry of an invitation sent now.
	name := strings.TrimPrefix(p.Subject, "Welcome ")
	wantExpiry := a.cfg.Clock.Now().Add(portal.DefaultInvitationTTL).UTC().Format(batch.ExpiresLayout)
	if strings.Contains(p.Subject, "@") || p.Body != "Hi "+name+", to Gatehouse until "+wantExpiry {
		t.Fatalf("preview = %+v, want the body to name %q, Gatehouse and %s", p, name, wantExpiry)
	}
	// The portal names its registration mailbox: a batch's messages come from it too.
	set, err := a.PortalSettings()
	if err != nil {
		t.Fatal(err)
	}
	set.Settings.SenderName, set.Settings.SenderAddress = "Dunmore Registrations", "registrations@dunmore.example.org"
	if _, err := a.SavePortalSettings(set.Settings); err != nil {
		t.Fatal(err)
	}
	res, err := a.FormBatch(FormBatchRequest{})
	if err != nil {
		t.Fatalf("FormBatch: %v", err)
	}
	if res.Batch.From != `"Dunmore Registrations" <registrations@dunmore.example.org>` {
		t.Errorf("the batch comes from %q, not the portal's sender", res.Batch.From)
	}
	pv, err := a.BatchPreview(res.Batch.ID, batch.RecipientQuery{States: []batch.State{batch.StateQueued}, Limit: 1})
	if err != nil || len(pv.Items) != 1 || !strings.HasPrefix(pv.Items[0].Message.Subject, "Welcome ") {
		t.Fatalf("batch preview does not use the saved template: %+v, %v", pv.Items, err)
	}
}

// The local portal sends its own messages through the desktop's mail settings: without
// them an approval e-mails nobody (and is recorded so); with them, the person approved
// receives the approved message, from the settings' sender.
func TestLocalPortalMailUsesTheDesktopSettings(t *testing.T) {
	a := withDemo(t)
	sink := mailtest.NewSink(t)
	first := a.find("Oscar Bell")
	if _, err := a.Approve(first.ID); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	if _, err := a.SaveSMTPSettings(SMTPSettings{Host: sink.Host(), Port: sink.Port(), Security: mail.SecurityNone, From: "Dunmore Council <portal@dunmore.example.org>"}, ""); err != nil {
		t.Fatal(err)
	}
	pending := a.search(UserQuery{Status: []string{"pending"}})
	if len(pending.Rows) < 2 {
		t.Fatal("the demo has too few people waiting")
	}
	// The approved message carries the sign-in link: while it would point at this computer,
	// it is not sent.
	if _, err := a.Approve(pending.Rows[1].ID); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	set, err := a.PortalSettings()
	if err != nil {
		t.Fatal(err)
	}
	set.Settings.PublicURL = "https://portal.dunmore.example.org"
	if _, err := a.SavePortalSettings(set.Settings); err != nil {
		t.Fatal(err)
	}
	p := pending.Rows[0]
	if _, err := a.Approve(p.ID); err != nil {
		t.Fatal(err)
	}
	a.syncNow()
	msgs := sink.WaitFor(t, 1, 30*time.Second)
	if !strings.Contains(msgs[0].Body, "https://portal.dunmore.example.org/") {
		t.Errorf("the approved e-mail's link is not at the public address:\n%s", msgs[0].Body)
	}
	if len(msgs) != 1 || !strings.EqualFold(msgs[0].To[0], p.Email) || !strings.Contains(msgs[0].Header.Get("From"), "portal@dunmore.example.org") ||
		!strings.Contains(msgs[0].Header.Get("Subject"), "approved") {
		t.Fatalf("the approved e-mail: %+v", msgs)
	}
	for _, m := range msgs {
		for _, to := range m.To {
			if strings.EqualFold(to, first.Email) || strings.EqualFold(to, pending.Rows[1].Email) {
				t.Errorf("%s was mailed although the mail could not go (no mail server, or a link to this computer)", to)
			}
		}
	}
}
