package batch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
)

// TestThousandExactlyOnce sends a 1,000-person batch formed from the cache through the
// real portal server and a go-smtp sink: everyone to be invited gets exactly one message,
// the one the preview showed, with a link that works once; nobody excluded gets anything;
// links past their expiry fail.
func TestThousandExactlyOnce(t *testing.T) {
	e := newEnv(t, envOptions{people: 1000})
	b := e.form(FormOptions{ExpiresInDays: 7})
	// Dale Parish Council is not a member: its quarter is excluded with the reason.
	if b.Counts.Queued != 750 || b.Counts.Excluded != 250 {
		t.Fatalf("formed %+v", b.Counts)
	}
	pv, err := e.st.Preview(e.ctx, b.ID, RecipientQuery{Limit: 8})
	if err != nil {
		t.Fatal(err)
	}
	if pv.ExcludedBy[string("non_member")] != 250 || len(pv.Items) != 8 {
		t.Fatalf("preview counts %v, %d items", pv.ExcludedBy, len(pv.Items))
	}
	previews := map[string]PreviewMessage{}
	for _, it := range pv.Items {
		if it.Recipient.State == StateExcluded {
			if it.Message != nil || len(it.Recipient.Reasons) == 0 {
				t.Errorf("excluded row previewed: %+v", it)
			}
			continue
		}
		previews[it.Recipient.Email] = *it.Message
	}

	var mu sync.Mutex
	var last Progress
	calls := 0
	eng := e.engine(EngineOptions{Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Done < last.Done && p.BatchID == last.BatchID {
			t.Errorf("progress went back from %d to %d", last.Done, p.Done)
		}
		last, calls = p, calls+1
	}})
	p, err := eng.Run(e.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != BatchDone || p.Done != 750 || p.Total != 750 || p.Counts.Sent != 750 || calls < 2 || last.Done != 750 {
		t.Fatalf("final progress %+v after %d calls (last %+v)", p, calls, last)
	}

	got := e.received()
	invs := e.serverInvitations()
	rs := e.recipients(b.ID)
	for _, r := range rs {
		msgs := got[r.Email]
		if r.State == StateExcluded {
			if len(msgs) != 0 {
				t.Errorf("excluded %s got %d messages", r.Email, len(msgs))
			}
			continue
		}
		if r.State != StateSent || len(msgs) != 1 {
			t.Fatalf("%s: state %s, %d messages", r.Email, r.State, len(msgs))
		}
		m := msgs[0]
		if m.Header.Get("Message-Id") != r.MessageID || m.Header.Get("X-Gatehouse-Batch") != b.ID {
			t.Errorf("%s: Message-ID %q (stored %q), batch header %q", r.Email, m.Header.Get("Message-Id"), r.MessageID, m.Header.Get("X-Gatehouse-Batch"))
		}
		if pm, ok := previews[r.Email]; ok {
			// The preview is the message, with the link in place of the placeholder.
			if want := strings.ReplaceAll(pm.Body, LinkPlaceholder, linkIn(t, m)); strings.ReplaceAll(m.Body, "\r\n", "\n") != want {
				t.Errorf("%s: sent body differs from the preview:\n%s\n---\n%s", r.Email, m.Body, want)
			}
			if subj, _ := new(mimeDecoder).DecodeHeader(m.Header.Get("Subject")); subj != pm.Subject {
				t.Errorf("%s: subject %q, previewed %q", r.Email, subj, pm.Subject)
			}
		}
		if n := len(invs[r.ContactID]); n != 1 || invs[r.ContactID][0].ID != r.InvitationID || invs[r.ContactID][0].BatchID != b.ID {
			t.Errorf("%s: %d invitations on the server (%+v), recorded %s", r.Email, n, invs[r.ContactID], r.InvitationID)
		}
		if r.url != "" {
			t.Errorf("%s: the link is still stored after sending", r.Email)
		}
	}
	if e.sink.Connections() != 1 {
		t.Errorf("%d SMTP connections, want one reused", e.sink.Connections())
	}

	// Links work once.
	for _, r := range rs[:3] {
		link := linkIn(t, got[r.Email][0])
		if status, page := accept(t, link); status != http.StatusOK {
			t.Fatalf("accepting %s: %d\n%s", link, status, page)
		}
		jar, _ := cookiejar.New(nil)
		if status, _ := visit(t, jar, link); status == http.StatusOK {
			t.Errorf("link %s still works after use", link)
		}
	}
	// And not after their expiry.
	link := linkIn(t, got[rs[5].Email][0])
	jar, _ := cookiejar.New(nil)
	if status, _ := visit(t, jar, link); status != http.StatusOK {
		t.Fatalf("fresh link: %d", status)
	}
	e.clock.Advance(7*24*time.Hour + time.Minute)
	if status, page := visit(t, jar, link); status == http.StatusOK || !contains(page, "expired") {
		t.Errorf("expired link: %d\n%s", status, page)
	}
}

// TestHeaderInjection: a hostile name in the data cannot add a header or a recipient.
func TestHeaderInjection(t *testing.T) {
	e := newEnv(t, envOptions{people: 3, person: func(i int, c *portal.Contact) {
		if i == 0 {
			c.FullName = "Eve Example\r\nBcc: victim@evil.example\r\nX-Injected: yes"
			c.FirstName, c.LastName = "Eve", "Example\nBcc: second@evil.example"
		}
	}})
	subject := "Welcome @UserName@ to @system.ProductName@"
	tmpl, _ := mail.DefaultTemplate(mail.KeyInvitation)
	tmpl.Subject = subject
	b := e.form(FormOptions{Template: &tmpl, Select: []string{"contact:con_00000"}})
	if _, err := e.engine(EngineOptions{}).Run(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	msgs := e.sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if !slices.Equal(m.To, []string{"p00000@example.org"}) {
		t.Errorf("envelope recipients %v", m.To)
	}
	for _, h := range []string{"Bcc", "X-Injected"} {
		if v := m.Header.Get(h); v != "" {
			t.Errorf("header %s injected: %q", h, v)
		}
	}
	head := string(m.Data[:strings.Index(string(m.Data), "\r\n\r\n")])
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") || strings.HasPrefix(strings.ToLower(line), "x-injected:") {
			t.Errorf("injected header line %q", line)
		}
	}
	subj, err := new(mimeDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subj != "Welcome Eve Example Bcc: victim@evil.example X-Injected: yes to Riverside Portal" {
		t.Errorf("subject %q (%v)", subj, err)
	}
	// A template whose subject would carry a line break is refused before anything.
	tmpl.Subject = "Hello\r\nBcc: x@evil.example"
	if _, err := e.st.Create(e.ctx, e.candidates(), FormOptions{Template: &tmpl}); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("template with a line break in the subject: %v", err)
	}
}

// faultFor answers a stage with a fault for one recipient, a number of times.
type faultPlan struct {
	mu     sync.Mutex
	faults map[string][]planned
}

type planned struct {
	stage mailtest.Stage
	fault mailtest.Fault
	times int
}

func (f *faultPlan) add(rcpt string, stage mailtest.Stage, fault mailtest.Fault, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.faults == nil {
		f.faults = map[string][]planned{}
	}
	f.faults[rcpt] = append(f.faults[rcpt], planned{stage, fault, times})
}

func (f *faultPlan) fn(stage mailtest.Stage, env mailtest.Envelope) mailtest.Fault {
	if len(env.To) == 0 {
		return mailtest.Fault{}
	}
	rcpt := env.To[len(env.To)-1]
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.faults[rcpt] {
		p := &f.faults[rcpt][i]
		if p.stage == stage && p.times > 0 {
			p.times--
			return p.fault
		}
	}
	return mailtest.Fault{}
}

// TestSMTPFailures: 4xx is retried with growing waits and then sent; 5xx fails with the
// server's reply; a connection dropped before DATA is retried; one dropped after DATA is
// unknown, never resent without a decision.
func TestSMTPFailures(t *testing.T) {
	var faults faultPlan
	e := newEnv(t, envOptions{people: 12, sink: []mailtest.Option{mailtest.WithFaults(faults.fn)}})
	// People 3, 7 and 11 belong to Dale, not a member, and are excluded.
	const (
		tempRcpt     = "p00000@example.org"
		permRcpt     = "p00001@example.org"
		dropRcpt     = "p00002@example.org"
		deliverDrop  = "p00004@example.org"
		lostDrop     = "p00005@example.org"
		tempTooOften = "p00006@example.org"
	)
	faults.add(tempRcpt, mailtest.StageRcpt, mailtest.Fault{Code: 451, Text: "4.7.1 Greylisted, try again later"}, 2)
	faults.add(permRcpt, mailtest.StageRcpt, mailtest.PermFail("5.1.1 Mailbox unavailable: no such user"), 1)
	faults.add(dropRcpt, mailtest.StageRcpt, mailtest.DropConn(), 3)
	faults.add(deliverDrop, mailtest.StageData, mailtest.DeliverAndDrop(), 1)
	faults.add(lostDrop, mailtest.StageData, mailtest.DropConn(), 1)
	faults.add(tempTooOften, mailtest.StageData, mailtest.TempFail("4.3.0 Try later"), 100)

	b := e.form(FormOptions{})
	eng := e.engine(EngineOptions{MaxAttempts: 4, Backoff: time.Minute})
	p, err := eng.Run(e.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Recipient{}
	for _, r := range e.recipients(b.ID) {
		by[r.Email] = r
	}
	got := e.received()
	check := func(rcpt string, state State, delivered, attempts int) Recipient {
		t.Helper()
		r := by[rcpt]
		if r.State != state || len(got[rcpt]) != delivered || r.Attempts != attempts {
			t.Errorf("%s: %s after %d attempts, %d delivered; want %s, %d, %d (last error %q)", rcpt, r.State, r.Attempts, len(got[rcpt]),
				state, attempts, delivered, r.LastError)
		}
		return r
	}
	check(tempRcpt, StateSent, 1, 3)
	r := check(permRcpt, StateFailed, 0, 1)
	if r.SMTPCode != 550 || r.Stage != mail.StageRcpt || !contains(r.LastError, "5.1.1 Mailbox unavailable: no such user") {
		t.Errorf("5xx recorded as %d %s %q", r.SMTPCode, r.Stage, r.LastError)
	}
	// Three drops before DATA: the sender's own reconnect takes one, the engine retries.
	check(dropRcpt, StateSent, 1, 2)
	r = check(deliverDrop, StateUnknown, 1, 1)
	if r.TimesUnknown != 1 || !contains(r.LastError, "may or may not have been delivered") {
		t.Errorf("unknown recorded as %+v", r)
	}
	check(lostDrop, StateUnknown, 0, 1)
	r = check(tempTooOften, StateFailed, 0, 4)
	if r.SMTPCode != 451 || !contains(r.LastError, "Gave up after 4 attempts") || !contains(r.LastError, "4.3.0 Try later") {
		t.Errorf("4xx given up recorded as %d %q", r.SMTPCode, r.LastError)
	}
	for _, rcpt := range []string{"p00008@example.org", "p00009@example.org", "p00010@example.org"} {
		check(rcpt, StateSent, 1, 1)
	}
	if p.State != BatchDone || p.Counts.Unknown != 2 || p.Counts.Failed != 2 || p.Counts.Sent != 5 {
		t.Errorf("progress %+v", p.Counts)
	}
	// The waits between attempts grew: 1, 2, 4 minutes for the message refused 4 times.
	e.mu.Lock()
	sleeps := slices.Clone(e.sleeps)
	e.mu.Unlock()
	for _, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if !slices.Contains(sleeps, want) {
			t.Errorf("no wait of %v among %v", want, sleeps)
		}
	}

	// A second run sends nothing: the unknowns wait for a decision.
	if _, err := eng.Run(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.sink.Count(); n != 6 {
		t.Fatalf("%d messages after a second run, want 6", n)
	}
	// Decide: resend the one that did arrive (the recipient said it did not), mark the
	// lost one sent; retry the failed one.
	if _, err := e.st.Decide(e.ctx, b.ID, []int{by[deliverDrop].Seq}, DecisionResend, "Maria Admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Decide(e.ctx, b.ID, []int{by[lostDrop].Seq}, DecisionMarkSent, "Maria Admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Decide(e.ctx, b.ID, []int{by[tempRcpt].Seq}, DecisionResend, "x"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("deciding on a sent row: %v", err)
	}
	p, err = eng.Run(e.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	got = e.received()
	if d := got[deliverDrop]; len(d) != 2 || d[0].Header.Get("Message-Id") != d[1].Header.Get("Message-Id") || linkIn(t, d[0]) != linkIn(t, d[1]) {
		t.Errorf("resent message: %d copies", len(d))
	}
	if len(got[lostDrop]) != 0 {
		t.Errorf("the row marked sent was sent")
	}
	r, _ = e.st.Recipient(e.ctx, b.ID, by[lostDrop].Seq)
	if r.State != StateSent || r.Decision != DecisionMarkSent || r.DecidedBy != "Maria Admin" {
		t.Errorf("marked sent: %+v", r)
	}
	if p.State != BatchDone || p.Counts.Unknown != 0 || p.Counts.Sent != 7 {
		t.Errorf("after decisions: %+v", p.Counts)
	}
}

// TestMailServerTrouble: an unreachable server or a refused login pauses the batch with
// the reason; no recipient is failed for it, and resuming sends each remaining one once.
func TestMailServerTrouble(t *testing.T) {
	e := newEnv(t, envOptions{people: 8, sink: []mailtest.Option{mailtest.WithAuth("portal", "right")}})
	b := e.form(FormOptions{})
	wrong := mail.NewSMTPSender(mail.SMTPConfig{Host: e.sink.Host(), Port: e.sink.Port(), Security: mail.SecurityNone,
		Username: "portal", Password: "wrong", From: "portal@example.org", Clock: e.clock})
	defer wrong.Close()
	eng := NewEngine(e.st, ClientInviter{Client: e.client}, wrong, EngineOptions{LinkKey: testLinkKey, Sleep: e.engine(EngineOptions{LinkKey: testLinkKey}).opt.Sleep})
	p, err := eng.Run(e.ctx, b.ID)
	if err == nil || p.State != BatchPaused || !contains(p.LastError, "refused the user name or password") || p.Counts.Failed != 0 {
		t.Fatalf("wrong password: %v, %+v", err, p)
	}
	got, _ := e.st.Get(e.ctx, b.ID)
	if got.State != BatchPaused || got.LastError != p.LastError {
		t.Errorf("stored batch %s %q", got.State, got.LastError)
	}

	// Nobody listening: retried with waits, then paused.
	down := mail.NewSMTPSender(mail.SMTPConfig{Host: "127.0.0.1", Port: closedPort(t), Security: mail.SecurityNone, From: "portal@example.org", Clock: e.clock})
	defer down.Close()
	eng = NewEngine(e.st, ClientInviter{Client: e.client}, down, EngineOptions{LinkKey: testLinkKey, Sleep: eng.opt.Sleep, MaxConnectFailures: 3})
	p, err = eng.Run(e.ctx, b.ID)
	if err == nil || p.State != BatchPaused || !contains(p.LastError, "tried 3 times") || p.Counts.Failed != 0 || p.Counts.Unknown != 0 {
		t.Fatalf("server down: %v, %+v", err, p)
	}

	right := mail.NewSMTPSender(mail.SMTPConfig{Host: e.sink.Host(), Port: e.sink.Port(), Security: mail.SecurityNone,
		Username: "portal", Password: "right", From: "portal@example.org", Clock: e.clock})
	defer right.Close()
	p, err = NewEngine(e.st, ClientInviter{Client: e.client}, right, EngineOptions{LinkKey: testLinkKey}).Run(e.ctx, b.ID)
	if err != nil || p.State != BatchDone || p.Counts.Sent != 6 {
		t.Fatalf("resumed: %v, %+v", err, p)
	}
	for rcpt, msgs := range e.received() {
		if len(msgs) != 1 {
			t.Errorf("%s got %d messages", rcpt, len(msgs))
		}
	}
	if len(e.received()) != 6 {
		t.Errorf("%d people got mail, want 6", len(e.received()))
	}
}

// closedPort returns a loopback port nobody listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// TestPauseCancelResume: pause stops after the message in flight and resume sends the
// rest once; cancel keeps what was sent and sends nothing more.
func TestPauseCancelResume(t *testing.T) {
	e := newEnv(t, envOptions{people: 200})
	b := e.form(FormOptions{})
	var eng *Engine
	eng = e.engine(EngineOptions{ProgressEvery: -1, InviteChunk: 8, Progress: func(p Progress) {
		if p.State == BatchSending && p.Counts.Sent >= 40 {
			_ = eng.Pause(b.ID)
		}
	}})
	p, err := eng.Run(e.ctx, b.ID)
	if err != nil || p.State != BatchPaused || p.Counts.Sent < 40 || p.Counts.Sent >= 150 || p.Counts.Sending != 0 {
		t.Fatalf("paused: %v %+v", err, p.Counts)
	}
	if err := eng.Pause(b.ID); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("pause when not running: %v", err)
	}
	sentBefore := p.Counts.Sent
	if e.sink.Count() != sentBefore {
		t.Fatalf("sink has %d, batch says %d sent", e.sink.Count(), sentBefore)
	}
	eng = e.engine(EngineOptions{})
	if p, err = eng.Run(e.ctx, b.ID); err != nil || p.State != BatchDone || p.Counts.Sent != 150 {
		t.Fatalf("resumed: %v %+v", err, p.Counts)
	}
	for rcpt, msgs := range e.received() {
		if len(msgs) != 1 {
			t.Errorf("%s got %d", rcpt, len(msgs))
		}
	}

	// Cancel a second batch midway from the progress callback's goroutine's view.
	e2 := newEnv(t, envOptions{people: 200})
	b2 := e2.form(FormOptions{})
	var eng2 *Engine
	cancelled := make(chan error, 1)
	once := sync.Once{}
	eng2 = e2.engine(EngineOptions{ProgressEvery: -1, InviteChunk: 8, Progress: func(p Progress) {
		if p.State == BatchSending && p.Counts.Sent >= 20 {
			once.Do(func() { go func() { cancelled <- eng2.Cancel(context.Background(), b2.ID) }() })
		}
	}})
	p, err = eng2.Run(e2.ctx, b2.ID)
	if err != nil || p.State != BatchCancelled || p.Counts.Cancelled == 0 || p.Counts.Sent+p.Counts.Cancelled != 150 {
		t.Fatalf("cancelled: %v %+v", err, p.Counts)
	}
	if err := <-cancelled; err != nil {
		t.Fatal(err)
	}
	if e2.sink.Count() != p.Counts.Sent {
		t.Errorf("sink %d, sent %d", e2.sink.Count(), p.Counts.Sent)
	}
	if _, err = eng2.Run(e2.ctx, b2.ID); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("running a cancelled batch again: %v", err)
	}
}

// TestPreNotificationAndReminders: the pre-notification goes to the batch's people with
// its own template and no invitation; reminders go to those who have not activated, with
// a new link that replaces the old one.
func TestPreNotificationAndReminders(t *testing.T) {
	e := newEnv(t, envOptions{people: 8})
	b := e.form(FormOptions{MessageIDDomain: "portal.example.org"})
	pre, err := e.st.CreatePreNotification(e.ctx, b.ID, NotifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pre.Kind != KindPreNotification || pre.Counts.Queued != 6 || pre.Template.Key != mail.KeyPreNotification || pre.ProductName != "Riverside Portal" {
		t.Fatalf("pre-notification batch %+v", pre)
	}
	pv, err := e.st.Preview(e.ctx, pre.ID, RecipientQuery{})
	if err != nil || pv.Items[0].Message.Link != "" || !contains(pv.Items[0].Message.Subject, "is coming") {
		t.Fatalf("pre-notification preview %+v %v", pv.Items[0].Message, err)
	}
	// No inviter needed.
	if p, err := NewEngine(e.st, nil, e.sender(), EngineOptions{LinkKey: testLinkKey}).Run(e.ctx, pre.ID); err != nil || p.Counts.Sent != 6 {
		t.Fatalf("pre-notification run: %v %+v", err, p)
	}
	if n := len(e.serverInvitations()); n != 0 {
		t.Fatalf("%d invitations made by a pre-notification", n)
	}
	for _, m := range e.sink.Messages() {
		if linkRE.MatchString(m.Body) || !contains(m.Body, "look out for it") {
			t.Errorf("pre-notification body:\n%s", m.Body)
		}
	}
	if _, err := NewEngine(e.st, nil, e.sender(), EngineOptions{LinkKey: testLinkKey}).Run(e.ctx, b.ID); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("invitation batch without an inviter: %v", err)
	}

	// The invitations, then one person accepts.
	if _, err := e.engine(EngineOptions{}).Run(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	first := map[string]string{}
	for _, m := range e.sink.Messages()[6:] {
		first[m.To[0]] = linkIn(t, m)
	}
	rs := e.recipients(b.ID, StateSent)
	if status, _ := accept(t, first[rs[0].Email]); status != http.StatusOK {
		t.Fatalf("accept: %d", status)
	}
	e.mirror() // the sync brings the invitations' status

	list, err := e.st.Invitations(e.ctx, InvitationQuery{BatchIDs: []string{b.ID}})
	if err != nil || list.Total != 6 {
		t.Fatalf("invitations list %d, %v", list.Total, err)
	}
	statuses := map[portal.InvitationStatus]int{}
	for _, row := range list.Items {
		statuses[row.Status]++
	}
	if statuses[portal.InvitationAccepted] != 1 || statuses[portal.InvitationPending] != 5 {
		t.Errorf("statuses %v", statuses)
	}
	waiting, err := e.st.Invitations(e.ctx, InvitationQuery{NotActivated: true})
	if err != nil || waiting.Total != 5 {
		t.Fatalf("not activated: %d, %v", waiting.Total, err)
	}

	rem, err := e.st.CreateReminders(e.ctx, ReminderOptions{By: "Maria Admin"})
	if err != nil {
		t.Fatal(err)
	}
	if rem.Kind != KindReminder || rem.Counts.Queued != 5 {
		t.Fatalf("reminder batch %+v", rem.Counts)
	}
	if _, err := e.st.CreateReminders(e.ctx, ReminderOptions{}); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("second reminder batch while the first is queued: %v", err)
	}
	if p, err := e.engine(EngineOptions{}).Run(e.ctx, rem.ID); err != nil || p.Counts.Sent != 5 {
		t.Fatalf("reminders: %v %+v", err, p)
	}
	msgs := e.sink.Messages()[12:]
	if len(msgs) != 5 {
		t.Fatalf("%d reminders", len(msgs))
	}
	for _, m := range msgs {
		subj, _ := new(mimeDecoder).DecodeHeader(m.Header.Get("Subject"))
		if !strings.HasPrefix(subj, "Reminder:") {
			t.Errorf("reminder subject %q", subj)
		}
		fresh := linkIn(t, m)
		jar, _ := cookiejar.New(nil)
		if status, _ := visit(t, jar, first[m.To[0]]); status == http.StatusOK {
			t.Errorf("%s: the old link still works after the reminder", m.To[0])
		}
		if status, _ := visit(t, jar, fresh); status != http.StatusOK {
			t.Errorf("%s: the reminder's link does not work: %d", m.To[0], status)
		}
	}
	for _, m := range e.sink.Messages() {
		if id := m.Header.Get("Message-Id"); !strings.HasSuffix(id, "@portal.example.org>") {
			t.Errorf("Message-ID %q", id)
		}
	}
	for contact, invs := range e.serverInvitations() {
		pending := 0
		for _, inv := range invs {
			if inv.StatusAt(e.clock.Now()) == portal.InvitationPending {
				pending++
			}
		}
		if pending > 1 {
			t.Errorf("contact %s has %d live invitations", contact, pending)
		}
	}
	e.mirror()
	if waiting, _ := e.st.Invitations(e.ctx, InvitationQuery{NotActivated: true}); waiting.Total != 5 {
		t.Errorf("after reminders %d not activated, want the 5 reminded", waiting.Total)
	}
	if old, _ := e.st.Invitations(e.ctx, InvitationQuery{BatchIDs: []string{b.ID}, Status: portal.InvitationRevoked}); old.Total != 5 || old.Items[0].ReplacedBy == nil {
		t.Errorf("replaced invitations: %+v", old)
	}
}

// TestInviterRecoversWithheldLink: the server made an invitation but the answer was lost
// (a crash before it was recorded). Asking again with the same key finds it without its
// link; the engine records it and replaces it, so the person gets a working link, the
// first one dies, and one invitation stays live.
func TestInviterRecoversWithheldLink(t *testing.T) {
	e := newEnv(t, envOptions{people: 2})
	b := e.form(FormOptions{})
	r := e.recipients(b.ID, StateQueued)[0]
	inv := ClientInviter{Client: e.client}
	req := InviteRequest{ContactID: r.ContactID, Email: r.Email, Roles: r.Roles, IdempotencyKey: r.idempotencyKey,
		ExpiresIn: expiresIn(b.ExpiresInDays), BatchID: b.ID}
	lost, err := inv.Invite(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = inv.Invite(e.ctx, req)
	var withheld *LinkWithheldError
	if !errors.As(err, &withheld) || withheld.InvitationID != lost.InvitationID {
		t.Fatalf("asking again: %v", err)
	}

	if _, err := e.engine(EngineOptions{}).Run(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	msgs := e.received()[r.Email]
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	link := linkIn(t, msgs[0])
	jar, _ := cookiejar.New(nil)
	if status, _ := visit(t, jar, lost.URL); link == lost.URL || status == http.StatusOK {
		t.Errorf("the lost link %s still works (%d) or was sent", lost.URL, status)
	}
	if status, _ := visit(t, jar, link); status != http.StatusOK {
		t.Errorf("the link sent does not work: %d", status)
	}
	got, _ := e.st.Recipient(e.ctx, b.ID, r.Seq)
	live := 0
	for _, i := range e.serverInvitations()[r.ContactID] {
		if i.Status == portal.InvitationPending {
			live++
			if i.ID != got.InvitationID {
				t.Errorf("live invitation %s, recorded %s", i.ID, got.InvitationID)
			}
		}
	}
	if live != 1 || got.Replaces != lost.InvitationID || got.State != StateSent {
		t.Errorf("%d live invitations; recipient %+v", live, got)
	}

	// A refusal is not temporary; an unreachable server is.
	_, err = inv.Invite(e.ctx, InviteRequest{ContactID: "con_nope", Email: "x@example.org", IdempotencyKey: "k2"})
	if err == nil || IsTemporary(err) || portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown contact: %v", err)
	}
	_, err = ClientInviter{Client: newClient(fmt.Sprintf("http://127.0.0.1:%d", closedPort(t)), e.token)}.Invite(e.ctx, req)
	if !IsTemporary(err) {
		t.Errorf("server down: %v", err)
	}
}

// TestSecureTransports: STARTTLS and implicit TLS with AUTH, through one connection each.
func TestSecureTransports(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opt      mailtest.Option
		security string
	}{{"starttls", mailtest.WithSTARTTLS(), mail.SecurityStartTLS}, {"tls", mailtest.WithTLS(), mail.SecurityTLS}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{people: 5, sink: []mailtest.Option{tc.opt, mailtest.WithAuth("portal", "secret")}})
			b := e.form(FormOptions{})
			s := mail.NewSMTPSender(mail.SMTPConfig{Host: e.sink.Host(), Port: e.sink.Port(), Security: tc.security, RootCAs: e.sink.CertPool(),
				Username: "portal", Password: "secret", From: "portal@example.org", Clock: e.clock})
			defer s.Close()
			p, err := NewEngine(e.st, ClientInviter{Client: e.client}, s, EngineOptions{LinkKey: testLinkKey}).Run(e.ctx, b.ID)
			if err != nil || p.Counts.Sent != 4 {
				t.Fatalf("%v %+v", err, p.Counts)
			}
			for _, m := range e.sink.Messages() {
				if !m.TLS || m.User != "portal" || m.Conn != 1 {
					t.Errorf("message over conn %d, TLS %v, user %q", m.Conn, m.TLS, m.User)
				}
			}
		})
	}
}
