package replica_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server/service"
)

func (d *desk) template(key string) client.Template {
	d.t.Helper()
	var t client.Template
	if ok, err := d.db.Document(d.ctx, cache.EntityTemplate, key, &t); err != nil || !ok {
		d.t.Fatalf("the message %q is not in the local copy: %v", key, err)
	}
	return t
}

func (d *desk) settings() client.Settings {
	d.t.Helper()
	var s client.Settings
	if ok, err := d.db.Document(d.ctx, cache.EntitySettings, portal.SettingsID, &s); err != nil || !ok {
		d.t.Fatalf("the settings are not in the local copy: %v", err)
	}
	return s.WithDefaults()
}

// The portal's messages and settings reach the desktop with the first sync, are edited
// while the server is away, shown at once, and sent when it is back; the server's next
// e-mail, received by a real SMTP sink, reads as edited.
func TestTemplateAndSettingsEditedOfflineThenSynced(t *testing.T) {
	sink := mailtest.NewSink(t)
	p := &portalEnv{t: t, ctx: context.Background(), dbPath: filepath.Join(t.TempDir(), "portal.db"), addr: "127.0.0.1:0",
		clock: portal.NewFixedClock(t0), smtp: &mail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), Security: mail.SecurityNone, From: "Portal <portal@example.org>"}}
	p.start()
	t.Cleanup(p.stop)
	p.seed(standardSeed())
	d := newDesk(t, p)
	if err := d.eng.Sync(d.ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	inv := d.template(mail.KeyInvitation)
	if inv.Version == 0 || inv.Body == "" || len(inv.Placeholders) == 0 {
		t.Fatalf("the invitation as synced: %+v", inv)
	}
	if s := d.settings(); s.ProductName == "" || s.Version == 0 {
		t.Fatalf("the settings as synced: %+v", s)
	}

	p.stop()
	body := "Hello @UserName@,\n\n@system.ProductName@ invites you: @InvitationUrl@\n"
	if _, err := d.cmds.UpdateTemplate(d.ctx, mail.KeyInvitation, client.TemplateUpdate{Subject: "Your place at Riverside", Body: body}); err != nil {
		t.Fatalf("edit the invitation offline: %v", err)
	}
	set := d.settings()
	set.ProductName, set.ApproverEmails = "  Riverside Pantry ", []string{"Desk@Riverside.example"}
	if _, err := d.cmds.UpdateSettings(d.ctx, set); err != nil {
		t.Fatalf("edit the settings offline: %v", err)
	}
	if got := d.template(mail.KeyInvitation); got.Subject != "Your place at Riverside" || got.Body != body || got.Version != inv.Version {
		t.Fatalf("the edit is not shown at once: %+v", got)
	}
	if got := d.settings(); got.ProductName != "Riverside Pantry" || got.ApproverEmails[0] != "Desk@riverside.example" {
		t.Fatalf("the settings are not shown at once, normalised as the server would: %+v", got)
	}
	pending, err := d.eng.Pending(d.ctx)
	if err != nil || len(pending) != 2 || !strings.HasPrefix(pending[0].Description, "Change the message Invitation") ||
		pending[1].Description != "Change the settings of Riverside Pantry" {
		t.Fatalf("pending: %+v %v", pending, err)
	}

	p.start()
	d.cl.SetToken(p.token)
	if err := d.eng.Sync(d.ctx); err != nil {
		t.Fatalf("sync after the server came back: %v", err)
	}
	st, err := p.client().Template(d.ctx, mail.KeyInvitation)
	if err != nil || st.Subject != "Your place at Riverside" || st.Body != body || st.Version != inv.Version+1 {
		t.Fatalf("the server's invitation: %+v %v", st, err)
	}
	ss, err := p.client().Settings(d.ctx)
	if err != nil || ss.ProductName != "Riverside Pantry" || len(ss.ApproverEmails) != 1 {
		t.Fatalf("the server's settings: %+v %v", ss, err)
	}
	if n := p.auditCount(mail.KeyInvitation, service.ActionUpdateTemplate); n != 1 {
		t.Fatalf("the template change is audited %d times, want 1", n)
	}
	if n := p.auditCount(portal.SettingsID, service.ActionUpdateSettings); n != 1 {
		t.Fatalf("the settings change is audited %d times, want 1", n)
	}
	d.pull()
	sameAsServer(t, p, d.db)

	// The server's next invitation is the edited one, from the edited portal.
	c, err := p.client().CreateContact(d.ctx, portal.Contact{OrganizationID: "org_a", FirstName: "Nell", LastName: "Ward", Email: "nell.ward@example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.client().Invite(d.ctx, client.CreateInvitation{ContactID: c.ID, Send: true}, nil); err != nil {
		t.Fatal(err)
	}
	got := sink.WaitFor(t, 1, 30*time.Second)[0]
	if subj := got.Header.Get("Subject"); subj != "Your place at Riverside" || !strings.HasPrefix(got.Body, "Hello Nell Ward,\r\n\r\nRiverside Pantry invites you: http://") ||
		!strings.Contains(got.Body, "/invite/") {
		t.Fatalf("the server's next invitation:\nSubject: %s\n%s", subj, got.Body)
	}
}

// Rules the server runs refuse an edit at once, offline too, with the line and column.
func TestTemplateAndSettingsRefusedAtOnce(t *testing.T) {
	p, d := syncedDesk(t)
	p.stop()
	_, err := d.cmds.UpdateTemplate(d.ctx, mail.KeyApproved, client.TemplateUpdate{Subject: "Welcome", Body: "Hi\n@Nope@"})
	if portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(portal.ErrorMessage(err), "line 2, column 1") {
		t.Fatalf("unknown placeholder: %v", err)
	}
	_, err = d.cmds.UpdateTemplate(d.ctx, mail.KeyApproved, client.TemplateUpdate{Subject: "", Body: "Hi"})
	if portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("empty subject: %v", err)
	}
	set := d.settings()
	set.MaxInvitationDays, set.InvitationDays = 30, 45
	if _, err := d.cmds.UpdateSettings(d.ctx, set); portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(portal.ErrorMessage(err), "30 days") {
		t.Fatalf("invitation days over the maximum: %v", err)
	}
	if n, _ := d.db.PendingCount(d.ctx); n != 0 {
		t.Fatalf("%d refused edits were queued", n)
	}
}

// Someone else changed the message first: both versions are shown, and "apply mine
// again" keeps their subject and my text.
func TestTemplateConflictShowsBothAndAppliesMineAgain(t *testing.T) {
	p, d := syncedDesk(t)
	before := d.template(mail.KeyApproved)
	if _, err := d.cmds.UpdateTemplate(d.ctx, mail.KeyApproved, client.TemplateUpdate{Subject: before.Subject, Body: "Welcome in, @UserName@."}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.client().UpdateTemplate(d.ctx, mail.KeyApproved, client.TemplateUpdate{Name: before.Name, Subject: "You are in", Body: before.Body}, nil); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Conflicts != 1 {
		t.Fatalf("push: %+v", res)
	}
	cs, err := d.eng.Conflicts(d.ctx)
	if err != nil || len(cs) != 1 || cs[0].Command != replica.CmdUpdateTemplate {
		t.Fatalf("conflicts: %+v %v", cs, err)
	}
	m, th := cs[0].Mine.Template, cs[0].Theirs.Template
	if m == nil || th == nil || m.Body != "Welcome in, @UserName@." || m.Subject != before.Subject || th.Subject != "You are in" || th.Body != before.Body {
		t.Fatalf("conflict versions: mine %+v, theirs %+v", m, th)
	}
	if _, err := d.eng.ApplyMineAgain(d.ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Sent != 1 {
		t.Fatalf("push after apply mine again: %+v", res)
	}
	st, _ := p.client().Template(d.ctx, mail.KeyApproved)
	if st.Subject != "You are in" || st.Body != "Welcome in, @UserName@." {
		t.Fatalf("server: %+v, want their subject and my text", st)
	}
	d.pull()
	sameAsServer(t, p, d.db)
}

// Settings changed on both sides: mine carries only the fields I changed.
func TestSettingsConflictMergesFields(t *testing.T) {
	p, d := syncedDesk(t)
	mine := d.settings()
	mine.RequestAccessIntervalMinutes = 90
	if _, err := d.cmds.UpdateSettings(d.ctx, mine); err != nil {
		t.Fatal(err)
	}
	theirs, err := p.client().Settings(d.ctx)
	if err != nil {
		t.Fatal(err)
	}
	theirs.ProductName = "Council Hub"
	if _, err := p.client().UpdateSettings(d.ctx, theirs, nil); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Conflicts != 1 {
		t.Fatalf("push: %+v", res)
	}
	cs, _ := d.eng.Conflicts(d.ctx)
	if len(cs) != 1 || cs[0].Mine.Settings == nil || cs[0].Theirs.Settings == nil || cs[0].Theirs.Settings.ProductName != "Council Hub" {
		t.Fatalf("conflicts: %+v", cs)
	}
	if _, err := d.eng.ApplyMineAgain(d.ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if res := d.push(); res.Sent != 1 {
		t.Fatalf("push: %+v", res)
	}
	s, _ := p.client().Settings(d.ctx)
	if s.ProductName != "Council Hub" || s.RequestAccessIntervalMinutes != 90 {
		t.Fatalf("server settings: %+v", s)
	}
}
