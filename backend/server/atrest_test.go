package server_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/poll"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// No live link at rest: whoever reads the database file (or a backup of it) finds no
// invitation or approval link that works — not while the message waits for a mail server
// that is down, and not after it was sent. The key that seals the links lives beside the
// database, readable by this user only.
func TestNoLiveLinksAtRest(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "portal.db")
	// A mail server that is not there: the invitation waits in the outbox.
	down := func(c *server.Config) {
		c.DBPath = dbPath
		c.SMTP = &mail.SMTPConfig{Host: "127.0.0.1", Port: 1, Security: mail.SecurityNone, From: "Portal <portal@example.org>"}
	}
	e := newEnv(t, down)
	admin := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "admin@example.org", Name: "Ada Admin"})
	c := e.client(admin.ID)
	org, err := c.CreateOrganization(e.ctx, portal.Organization{Name: "Riverside Council"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.AddUsers(e.ctx, api.AddUsersRequest{OrganizationID: org.ID, Emails: []string{"clara@example.org"}, Invite: true, Send: true}, nil)
	if err != nil || res.Users[0].Invitation == nil {
		t.Fatalf("invite: %v %+v", err, res)
	}
	if _, err := e.svc.DeliverMail(e.ctx); err != nil {
		t.Fatal(err)
	}
	waiting, err := e.svc.Outbox(e.ctx, store.MailFilter{ToAddr: "clara@example.org"})
	if err != nil || len(waiting) != 1 || waiting[0].Status != "queued" {
		t.Fatalf("the waiting invitation: %v %+v", err, waiting)
	}
	m := waiting[0]
	if m.Sealed == "" || strings.Contains(m.Body, "/invite/") || !strings.Contains(m.Body, "https://sealed-link.invalid/InvitationUrl") {
		t.Fatalf("the stored message carries its link:\nsealed %q\n%s", m.Sealed, m.Body)
	}
	assertNoInviteLinkInFiles(t, dbPath)
	if fi, err := os.Stat(dbPath + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the key file: %v %v", fi, err)
	}
	e.srv.Shutdown(e.ctx)

	// The mail server is back (the same database, the same key file): the message goes
	// with its link, and the sealed link is forgotten.
	up := newEnv(t, func(c *server.Config) { c.DBPath = dbPath })
	up.clock.Advance(time.Hour)                           // past the retry the failed attempt set
	if _, err := up.svc.DeliverMail(up.ctx); err != nil { // its own mailer may have been first
		t.Fatal(err)
	}
	got := up.sink.WaitFor(t, 1, 10*time.Second)
	// The link was made when the invitation was (this test's first server had another port).
	_, after, ok := strings.Cut(got[0].Body, "/invite/")
	token := strings.Fields(after + " ")[0]
	if !ok || len(token) < 40 {
		t.Fatalf("no invitation link in:\n%s", got[0].Body)
	}
	if !strings.Contains(got[0].HTML, "/invite/"+token) {
		t.Errorf("the HTML part lacks the link:\n%s", got[0].HTML)
	}
	if p := up.browser().get("/invite/" + token); p.Status != 200 {
		t.Errorf("the link from the e-mail: %d", p.Status)
	}
	// The sink has the message a moment before the mailer records it as sent.
	var sent []store.Mail
	poll.Until(10*time.Second, func() bool {
		sent, _ = up.svc.Outbox(up.ctx, store.MailFilter{ToAddr: "clara@example.org"})
		return len(sent) == 1 && sent[0].Status == "sent"
	})
	if len(sent) != 1 || sent[0].Status != "sent" || sent[0].Sealed != "" {
		t.Errorf("after sending: %+v", sent)
	}
	up.srv.Shutdown(up.ctx)
	if raw := readAll(t, dbPath); bytes.Contains(raw, []byte(token)) {
		t.Error("the invitation token is in the database file")
	}
}

func assertNoInviteLinkInFiles(t *testing.T, dbPath string) {
	t.Helper()
	if raw := readAll(t, dbPath); bytes.Contains(raw, []byte("/invite/")) {
		i := bytes.Index(raw, []byte("/invite/"))
		t.Errorf("a live invitation link is in the database files: %q", raw[i:min(len(raw), i+60)])
	}
}

// readAll is the database file and its -wal file, as a copy or backup would hold them.
func readAll(t *testing.T, dbPath string) []byte {
	t.Helper()
	var out []byte
	for _, p := range []string{dbPath, dbPath + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// A system administrator sees the portal's outgoing mail — where each message stands and
// why — but never what it says; a waiting message is tried again at once, a failed one
// that carried a link is not (its link is gone: the person needs a new one).
func TestMailOutboxForAdministrators(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.SMTP = &mail.SMTPConfig{Host: "127.0.0.1", Port: 1, Security: mail.SecurityNone, From: "Portal <portal@example.org>"}
	})
	admin := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "admin@example.org", Name: "Ada Admin"})
	c := e.client(admin.ID)
	org, err := c.CreateOrganization(e.ctx, portal.Organization{Name: "Riverside Council"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddUsers(e.ctx, api.AddUsersRequest{OrganizationID: org.ID, Emails: []string{"clara@example.org"}, Invite: true, Send: true}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeliverMail(e.ctx); err != nil {
		t.Fatal(err)
	}
	// The server's own mailer, woken by the invitation, may be trying the message already:
	// it then holds the message's lease, DeliverMail leaves it alone, and the attempt is
	// recorded when the dial fails. Wait for the first attempt, by whichever mailer.
	var items []api.MailItem
	if !poll.Until(10*time.Second, func() bool {
		items, err = c.Mail(e.ctx, "")
		return err != nil || len(items) != 1 || items[0].Attempts >= 1
	}) || err != nil || len(items) != 1 {
		t.Fatalf("items: %v %+v", err, items)
	}
	resp, body := send(t, e.url, e.session(admin.ID), call{"GET", "/api/v1/mail", nil})
	if resp.StatusCode != 200 || strings.Contains(string(body), "/invite/") || strings.Contains(string(body), `"body"`) {
		t.Fatalf("the outbox: %d %s", resp.StatusCode, body)
	}
	it := items[0]
	if it.To != "clara@example.org" || it.Status != "queued" || it.Attempts != 1 || !it.CarriesLink || !strings.Contains(it.LastError, "127.0.0.1:1") || it.NextAttemptAt == nil {
		t.Errorf("the waiting invitation: %+v", it)
	}
	again, err := c.RetryMail(e.ctx, it.ID)
	if err != nil || again.Status != "queued" || !again.NextAttemptAt.Equal(e.clock.Now()) {
		t.Errorf("retry a waiting message: %+v %v", again, err)
	}
	// The mailer tries it (and fails again: the server is still down) before the test
	// gives it up, so that the two do not write the row at once.
	var ms []store.Mail
	if !poll.Until(10*time.Second, func() bool {
		ms, err = e.svc.Outbox(e.ctx, store.MailFilter{ID: it.ID})
		return err == nil && len(ms) == 1 && ms[0].Attempts >= 2
	}) {
		t.Fatalf("the retry was not tried: %+v %v", ms, err)
	}
	// Given up: its link was forgotten; retrying says to send a new link.
	e.update(func(tx store.Tx) error {
		ms, _ := tx.Mail(e.ctx, store.MailFilter{ID: it.ID})
		ms[0].Status = store.MailFailed
		return tx.UpdateMail(e.ctx, ms[0])
	})
	if _, err := c.RetryMail(e.ctx, it.ID); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), "new link") {
		t.Errorf("retry a failed invitation: %v", err)
	}
}
