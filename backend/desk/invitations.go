package desk

import (
	"context"
	"strings"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/keychain"
	"gatehouse/backend/mail"
	"gatehouse/backend/outreach"
	"gatehouse/backend/portal"
)

// EventBatchProgress carries a running batch's progress to the Invitations screen.
const EventBatchProgress = "batch:progress"

// BatchProgress is the "batch:progress" event.
type BatchProgress struct {
	BatchID    string            `json:"batchId"`
	Done       int               `json:"done"`
	Total      int               `json:"total"`
	Rate       float64           `json:"rate"`
	ETASeconds float64           `json:"etaSeconds"`
	State      batch.BatchState  `json:"state"`
	Counts     batch.StateCounts `json:"counts"`
	LastError  string            `json:"lastError,omitempty"`
	Finished   bool              `json:"finished"`
}

// The Invitations screen's types, from backend/outreach.
type (
	FormBatchRequest = outreach.FormBatchRequest
	FormBatchResult  = outreach.FormBatchResult
	SMTPSettings     = outreach.SMTPSettings
	TemplateInfo     = outreach.TemplateInfo
	TemplatePreview  = outreach.TemplatePreview
)

func (a *Desk) batchStore() (*batch.Store, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	return batch.NewStore(db), nil
}

// mailer is the desktop's mail server settings.
func (a *Desk) mailer() (outreach.Mail, error) {
	db, err := a.cache()
	if err != nil {
		return outreach.Mail{}, err
	}
	return mailOn(db), nil
}

// mailOn is the mail settings kept in db, their password in the OS keychain.
func mailOn(db *cache.DB) outreach.Mail {
	return outreach.Mail{DB: db, Keychain: keychain.NewSystem()}
}

// templates is the portal in use's messages.
func (a *Desk) templates() (outreach.Templates, error) {
	c, err := a.current()
	if err != nil {
		return outreach.Templates{}, err
	}
	return outreach.Templates{DB: c.eng.Cache(), Commands: c.eng.Commands()}, nil
}

// desk forms batches with the portal's messages and the mail settings' sender.
func (a *Desk) desk() (outreach.Desk, error) {
	t, err := a.templates()
	if err != nil {
		return outreach.Desk{}, err
	}
	return outreach.Desk{By: a.byWhom(), Inviter: a.signedInName(), DB: t.DB, Templates: t, Mail: mailOn(t.DB),
		Imports: func(ctx context.Context) (*imports.Store, error) {
			im, err := a.importer(ctx)
			if err != nil {
				return nil, err
			}
			return im.store, nil
		}}, nil
}

// ---- batches ----

// Batches lists every batch, newest first.
func (a *Desk) Batches() ([]batch.Batch, error) {
	st, err := a.batchStore()
	if err != nil {
		return nil, err
	}
	bs, err := st.List(a.ctx())
	if bs == nil {
		bs = []batch.Batch{}
	}
	return bs, err
}

// FormBatch forms an invitation batch from an import session or the cache's contacts.
func (a *Desk) FormBatch(req FormBatchRequest) (FormBatchResult, error) {
	d, err := a.desk()
	if err != nil {
		return FormBatchResult{}, err
	}
	res, err := d.Form(a.ctx(), req)
	if err == nil {
		a.recordFormed(res.Batch)
	}
	return res, err
}

// recordFormed records a batch just formed, with every override and why.
func (a *Desk) recordFormed(b batch.Batch) {
	overrides := []map[string]string{}
	if st, err := a.batchStore(); err == nil {
		ovs, _ := st.Overrides(a.ctx(), b.ID)
		for _, o := range ovs {
			overrides = append(overrides, map[string]string{"row": o.RowRef, "finding": o.Code, "reason": o.Reason})
		}
	}
	a.recordBatchWork(b, portal.ActionBatchForm, "", map[string]any{"source": b.Source, "excluded": b.Counts.Excluded, "overrides": overrides})
}

// BatchPreview returns the exact messages of a page of recipients and the counts.
func (a *Desk) BatchPreview(id string, q batch.RecipientQuery) (batch.Preview, error) {
	st, err := a.batchStore()
	if err != nil {
		return batch.Preview{}, err
	}
	return st.Preview(a.ctx(), id, q)
}

// BatchRecipients returns a page of a batch's recipients (for the unknowns to decide).
func (a *Desk) BatchRecipients(id string, q batch.RecipientQuery) (batch.Page[batch.Recipient], error) {
	st, err := a.batchStore()
	if err != nil {
		return batch.Page[batch.Recipient]{}, err
	}
	return st.Recipients(a.ctx(), id, q)
}

// SendBatch starts sending a batch in the background; progress arrives as
// "batch:progress". Sending a paused or interrupted batch resumes it.
func (a *Desk) SendBatch(id string) error {
	c, err := a.current()
	if err != nil {
		return err
	}
	db := c.eng.Cache()
	ctx := a.ctx()
	st := batch.NewStore(db)
	b, err := st.Get(ctx, id)
	if err != nil {
		return err
	}
	if b.Kind.CarriesLinks() {
		if err := linksReachable(ctx, c); err != nil {
			return err
		}
	}
	if err := a.linkApplied(ctx, c, st, id); err != nil {
		return err
	}
	cfg, err := mailOn(db).Config(ctx, a.cfg.Clock)
	if err != nil {
		return err
	}
	var linkKey []byte
	if b.Kind.CarriesLinks() {
		var where string
		if linkKey, where, err = outreach.LinkKey(ctx, a.keychain(), db.Path()); err != nil {
			return err
		}
		a.log.Debug("invitation links sealed", "key", where)
	}
	smtp := mail.NewSMTPSender(cfg)
	rt := a.rt
	err = a.runs.Start(ctx, id, outreach.Run{Store: st, Inviter: batch.ClientInviter{Client: c.cl}, Sender: smtp, Close: smtp.Close,
		Clock: a.cfg.Clock, Log: a.log, LinkKey: linkKey, Progress: func(p batch.Progress, finished bool) {
			rt.Emit(EventBatchProgress, BatchProgress{BatchID: id, Done: p.Done, Total: p.Total, Rate: p.RatePerSecond,
				ETASeconds: p.ETASeconds, State: p.State, Counts: p.Counts, LastError: p.LastError, Finished: finished})
		}})
	if err != nil {
		_ = smtp.Close()
		return err
	}
	a.recordBatchWork(b, portal.ActionBatchSend, "", nil)
	return nil
}

// ResumeBatch sends what is left of a paused or interrupted batch.
func (a *Desk) ResumeBatch(id string) error { return a.SendBatch(id) }

// PauseBatch stops a running batch after the message in flight.
func (a *Desk) PauseBatch(id string) error { return a.runs.Pause(id) }

// CancelBatch stops a batch for good; the rest is not sent.
func (a *Desk) CancelBatch(id string) error {
	st, err := a.batchStore()
	if err != nil {
		return err
	}
	if err := a.runs.Cancel(a.ctx(), st, id); err != nil {
		return err
	}
	a.recordBatchByID(id, portal.ActionBatchCancel, "", nil)
	return nil
}

// DecideUnknown settles recipients whose e-mail may or may not have arrived: "resend" or
// "sent". It returns how many were settled.
func (a *Desk) DecideUnknown(id string, seqs []int, decision string) (int, error) {
	st, err := a.batchStore()
	if err != nil {
		return 0, err
	}
	d := batch.Decision(decision)
	if decision == "sent" {
		d = batch.DecisionMarkSent
	}
	n, err := st.Decide(a.ctx(), id, seqs, d, a.byWhom())
	if err == nil && n > 0 {
		a.recordBatchByID(id, portal.ActionBatchDecide, "", map[string]any{"decision": decision, "settled": n})
	}
	return n, err
}

// byWhom names the administrator on what the desktop records itself (a batch's overrides
// and decisions): the signed-in account's name, or the local portal's administrator.
func (a *Desk) byWhom() string {
	if name := a.signedInName(); name != "" {
		return name
	}
	return "administrator"
}

// signedInName is the name of the person signed in to the portal; empty on the local
// portal, where no one is, or before the portal has said.
func (a *Desk) signedInName() string {
	c, err := a.current()
	if err != nil {
		return ""
	}
	act, err := c.eng.Actor(a.ctx())
	if err != nil {
		return ""
	}
	return act.PersonName()
}

// ---- SMTP settings ----

// SMTPSettings returns the saved mail server settings.
func (a *Desk) SMTPSettings() (SMTPSettings, error) {
	m, err := a.mailer()
	if err != nil {
		return SMTPSettings{}, err
	}
	return m.Settings(a.ctx())
}

// SaveSMTPSettings checks and saves the settings; a non-empty password goes to the OS
// keychain, never to the local database.
func (a *Desk) SaveSMTPSettings(s SMTPSettings, password string) (SMTPSettings, error) {
	m, err := a.mailer()
	if err != nil {
		return SMTPSettings{}, err
	}
	return m.Save(a.ctx(), s, password)
}

// SendTestMessage sends a test message with the saved settings.
func (a *Desk) SendTestMessage(to string) error {
	m, err := a.mailer()
	if err != nil {
		return err
	}
	return m.SendTest(a.ctx(), a.cfg.Clock, to)
}

// linksReachable refuses to have links e-mailed that only this computer could open: the
// portal's public address, or its own when it has none, must be reachable by others.
func linksReachable(ctx context.Context, c *connection) error {
	set, err := c.cl.Settings(ctx)
	if err != nil {
		return err
	}
	base := set.PublicURL
	if base == "" {
		base = c.cl.BaseURL()
	}
	return portal.CheckLinkBase(base)
}

// ---- templates ----

// Templates lists every message as the portal has it; Customised marks those that differ
// from the built-in text.
func (a *Desk) Templates() ([]TemplateInfo, error) {
	t, err := a.templates()
	if err != nil {
		return nil, err
	}
	return t.List(a.ctx())
}

// SaveTemplate changes a message on the portal, so that every message it or a batch sends
// from now on reads so. The change goes through the outbox: offline it waits (Pending),
// and someone else's change since it was read comes back as a conflict showing both.
func (a *Desk) SaveTemplate(key, subject, body string) (TemplateInfo, error) {
	c, err := a.current()
	if err != nil {
		return TemplateInfo{}, err
	}
	t := outreach.Templates{DB: c.eng.Cache(), Commands: c.eng.Commands()}
	if _, err := t.Save(a.ctx(), key, subject, body); err != nil {
		return TemplateInfo{}, err
	}
	a.pushSoon(c.eng)
	return t.Info(a.ctx(), key)
}

// PreviewTemplate renders subject and body (as being edited) for a real contact of the
// cache, or the sample person when there is none, with the portal's name and the expiry
// of an invitation sent now, from the local copy of its settings (sample ones before the
// first sync).
func (a *Desk) PreviewTemplate(key, subject, body string) (TemplatePreview, error) {
	db, err := a.cache()
	if err != nil {
		return TemplatePreview{}, err
	}
	var pp outreach.PreviewPortal
	if v, err := portalSettingsOf(a, db); err == nil {
		set := v.Settings
		pp = outreach.PreviewPortal{ProductName: set.ProductName, ExpiresAt: a.cfg.Clock.Now().Add(time.Duration(set.InvitationDays) * 24 * time.Hour)}
	}
	return outreach.Preview(a.ctx(), db, key, subject, body, pp)
}

// ---- follow-up ----

// InvitationsList returns a page of the invitations e-mailed by batches, with status.
func (a *Desk) InvitationsList(q batch.InvitationQuery) (batch.Page[batch.InvitationRow], error) {
	st, err := a.batchStore()
	if err != nil {
		return batch.Page[batch.InvitationRow]{}, err
	}
	p, err := st.Invitations(a.ctx(), q)
	if p.Items == nil {
		p.Items = []batch.InvitationRow{}
	}
	return p, err
}

// ResendInvitation forms a reminder batch for these lines of the invitations list: sending
// it gives each person a new link (the old one dies). The batch is formed, not sent.
func (a *Desk) ResendInvitation(rows []batch.RecipientRef) (batch.Batch, error) {
	if len(rows) == 0 {
		return batch.Batch{}, portal.FieldErrorf("rows", "Select the invitations to resend first.")
	}
	d, err := a.desk()
	if err != nil {
		return batch.Batch{}, err
	}
	return a.formed(d.Remind(a.ctx(), rows))
}

// formed records a batch formed by one of the shortcuts (resend, remind, pre-notify).
func (a *Desk) formed(b batch.Batch, err error) (batch.Batch, error) {
	if err == nil {
		a.recordFormed(b)
	}
	return b, err
}

// RevokeInvitation revokes an invitation on the portal server: its link stops working.
func (a *Desk) RevokeInvitation(invitationID string) error {
	c, err := a.current()
	if err != nil {
		return err
	}
	if strings.TrimSpace(invitationID) == "" {
		return portal.FieldErrorf("invitationId", "This line has no invitation on the server yet.")
	}
	if _, err := c.cl.RevokeInvitation(a.ctx(), invitationID, &client.Cmd{IdempotencyKey: client.NewKey()}); err != nil {
		return err
	}
	_, _ = a.SyncNow()
	return nil
}

// RemindAll forms a reminder batch for everyone who has not activated their invitation.
func (a *Desk) RemindAll() (batch.Batch, error) {
	d, err := a.desk()
	if err != nil {
		return batch.Batch{}, err
	}
	return a.formed(d.Remind(a.ctx(), nil))
}

// PreNotify forms the "your invitation is coming" batch for the people an invitation batch
// will invite. It is formed, not sent. People who are not contacts on the portal yet (an
// import not applied) are left out unless includeNotOnPortal.
func (a *Desk) PreNotify(invitationBatchID string, includeNotOnPortal bool) (batch.Batch, error) {
	d, err := a.desk()
	if err != nil {
		return batch.Batch{}, err
	}
	ctx := a.ctx()
	if c, err := a.current(); err == nil {
		if err := a.linkApplied(ctx, c, batch.NewStore(d.DB), invitationBatchID); err != nil {
			return batch.Batch{}, err
		}
	}
	return a.formed(d.PreNotify(ctx, invitationBatchID, includeNotOnPortal))
}
