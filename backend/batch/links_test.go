package batch

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// waitForMail runs b with a mail server nobody answers: its invitations are made and
// their links wait, then the batch pauses.
func (e *env) waitForMail(t *testing.T, b Batch, key []byte) {
	t.Helper()
	down := mail.NewSMTPSender(mail.SMTPConfig{Host: "127.0.0.1", Port: closedPort(t), Security: mail.SecurityNone, From: "portal@example.org", Clock: e.clock})
	defer down.Close()
	p, err := e.engine(EngineOptions{LinkKey: key, MaxConnectFailures: 1}).withSender(down).Run(e.ctx, b.ID)
	if err == nil || p.State != BatchPaused {
		t.Fatalf("with the mail server down: %v, %+v", err, p)
	}
	if n := len(e.recipients(b.ID, StateInvited)); n != b.Counts.Total {
		t.Fatalf("%d of %d links wait for their e-mail", n, b.Counts.Total)
	}
}

// withSender is the engine with another mail sender.
func (eng *Engine) withSender(s mail.Sender) *Engine { eng.sender = s; return eng }

// TestWaitingLinksAreSealed: a link made and not yet e-mailed is in neither the local
// database nor its WAL as it is; the e-mail, sent later, carries a link that works.
func TestWaitingLinksAreSealed(t *testing.T) {
	e := newEnv(t, envOptions{people: 4})
	b := e.form(FormOptions{})
	e.waitForMail(t, b, testLinkKey)

	var stored []byte
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(e.db.Path() + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		stored = append(stored, raw...)
	}
	if len(stored) == 0 || bytes.Contains(stored, []byte("/invite/")) {
		t.Fatalf("the local database (%d bytes) holds a live invitation link", len(stored))
	}
	for _, r := range e.recipients(b.ID, StateInvited) {
		if !strings.HasPrefix(r.url, sealedPrefix) {
			t.Errorf("%s: stored link %.20q… is not sealed", r.Email, r.url)
		}
	}

	p, err := e.engine(EngineOptions{}).Run(e.ctx, b.ID)
	if err != nil || p.State != BatchDone || p.Counts.Sent != b.Counts.Total {
		t.Fatalf("sent later: %v, %+v", err, p)
	}
	got := e.received()
	sent := e.recipients(b.ID, StateSent)
	for _, r := range sent {
		if msgs := got[r.Email]; len(msgs) != 1 {
			t.Fatalf("%s got %d messages", r.Email, len(msgs))
		}
	}
	link := linkIn(t, got[sent[0].Email][0])
	if status, page := accept(t, link); status != http.StatusOK {
		t.Fatalf("accepting %s: %d\n%s", link, status, page)
	}
}

// TestLinksSealedWithALostKey: when the key is gone (the keychain entry was removed), a
// waiting link cannot be read back. The row fails with a sentence that says so and what to
// do; resending it makes a new link that works, and the old one dies.
func TestLinksSealedWithALostKey(t *testing.T) {
	e := newEnv(t, envOptions{people: 2})
	b := e.form(FormOptions{})
	lost := bytes.Repeat([]byte{9}, len(testLinkKey))
	e.waitForMail(t, b, lost)

	p, err := e.engine(EngineOptions{}).Run(e.ctx, b.ID)
	if err != nil || p.Counts.Failed != 2 || p.Counts.Sent != 0 {
		t.Fatalf("with another key: %v, %+v", err, p)
	}
	if len(e.received()) != 0 {
		t.Fatalf("%d people got mail without a link", len(e.received()))
	}
	failed := e.recipients(b.ID, StateFailed)
	var seqs []int
	for _, r := range failed {
		if !strings.Contains(r.LastError, "could not be read back") || !strings.Contains(r.LastError, "Resend") || r.url != "" {
			t.Errorf("%s: failed with %q, link %q", r.Email, r.LastError, r.url)
		}
		seqs = append(seqs, r.Seq)
	}
	if n, err := e.st.Decide(e.ctx, b.ID, seqs, DecisionResend, "Maria Admin"); err != nil || n != 2 {
		t.Fatalf("resend: %d, %v", n, err)
	}
	if n := len(e.recipients(b.ID, StateQueued)); n != 2 {
		t.Fatalf("%d rows wait for a new invitation, want 2", n)
	}
	p, err = e.engine(EngineOptions{}).Run(e.ctx, b.ID)
	if err != nil || p.State != BatchDone || p.Counts.Sent != 2 {
		t.Fatalf("resent: %v, %+v", err, p)
	}
	for _, c := range e.people {
		var pending, revoked int
		for _, inv := range e.serverInvitations()[c.ID] {
			switch inv.Status {
			case portal.InvitationPending:
				pending++
			case portal.InvitationRevoked:
				revoked++
			}
		}
		if pending != 1 || revoked != 1 {
			t.Errorf("%s: the server holds %d pending and %d revoked invitations, want the new one pending and the unreadable one revoked", c.Email, pending, revoked)
		}
	}
	link := linkIn(t, e.received()[e.people[1].Email][0])
	if status, page := accept(t, link); status != http.StatusOK {
		t.Fatalf("accepting the new link %s: %d\n%s", link, status, page)
	}
}

// TestInvitationBatchNeedsALinkKey: without a key nothing is invited.
func TestInvitationBatchNeedsALinkKey(t *testing.T) {
	e := newEnv(t, envOptions{people: 1})
	b := e.form(FormOptions{})
	eng := NewEngine(e.st, ClientInviter{Client: e.client}, e.sender(), EngineOptions{})
	if _, err := eng.Run(e.ctx, b.ID); err == nil || !strings.Contains(err.Error(), "seals its invitation links") {
		t.Fatalf("Run without a key: %v", err)
	}
	if n := len(e.serverInvitations()); n != 0 {
		t.Errorf("%d invitations were made", n)
	}
}
