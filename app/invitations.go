package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"

	"gatehouse/backend/batch"
	"gatehouse/backend/client"
	"gatehouse/backend/keychain"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// EventBatchProgress carries a running batch's progress to the Invitations screen.
const EventBatchProgress = "batch:progress"

// Cache settings of the Invitations screen. The SMTP password is never among them: it is
// kept in the OS keychain.
const (
	smtpSetting      = "mail.smtp"
	templatesSetting = "mail.templates"
)

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

// sender is what the App keeps between invitation calls: the engines of the runs in
// progress, so Pause and Cancel reach the run that SendBatch started.
type sender struct {
	mu      sync.Mutex
	engines map[string]*batch.Engine // by batch ID, while running
}

func (a *App) sender() *sender { return a.sends }

func (a *App) batchStore() (*batch.Store, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	return batch.NewStore(db), nil
}

// ---- batches ----

// FormBatchRequest is the Batches tab's form.
type FormBatchRequest struct {
	Name             string           `json:"name"`
	ImportSessionID  string           `json:"importSessionId"`
	ContactIDs       []string         `json:"contactIds"` // with no import session: these contacts; empty: all of them
	LetterFrom       string           `json:"letterFrom"`
	LetterTo         string           `json:"letterTo"`
	SortBy           batch.SortKey    `json:"sortBy"`
	OrganizationType string           `json:"organizationType"`
	MembersOnly      bool             `json:"membersOnly"`
	Overrides        []batch.Override `json:"overrides"`
	Roles            []string         `json:"roles"` // role names, granted in each recipient's organisation
	ExpiresInDays    int              `json:"expiresInDays"`
}

// FormBatchResult is the batch formed, with the rows left out and why.
type FormBatchResult struct {
	Batch    batch.Batch       `json:"batch"`
	Excluded []batch.Recipient `json:"excluded"`
}

// Batches lists every batch, newest first.
func (a *App) Batches() ([]batch.Batch, error) {
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
func (a *App) FormBatch(req FormBatchRequest) (FormBatchResult, error) {
	db, err := a.cache()
	if err != nil {
		return FormBatchResult{}, err
	}
	ctx := a.ctx()
	opt := batch.FormOptions{
		Name: req.Name, SortBy: req.SortBy, Overrides: req.Overrides, RoleNames: req.Roles,
		Letters:       batch.LetterRange{From: strings.TrimSpace(req.LetterFrom), To: strings.TrimSpace(req.LetterTo)},
		ExpiresInDays: req.ExpiresInDays, By: "administrator",
	}
	if t := strings.TrimSpace(req.OrganizationType); t != "" {
		opt.OrganizationTypes = []string{t}
	}
	if req.MembersOnly {
		opt.Membership = batch.MembershipMembers
	}
	if len(opt.RoleNames) > 0 {
		if opt.Catalog, err = db.RoleCatalog(ctx); err != nil {
			return FormBatchResult{}, err
		}
	}
	if t, ok, err := a.template(ctx, mail.KeyInvitation); err != nil {
		return FormBatchResult{}, err
	} else if ok {
		opt.Template = &t
	}
	if s, _, err := a.smtpSettings(ctx); err != nil {
		return FormBatchResult{}, err
	} else {
		opt.From = s.From
	}
	var cands []batch.Candidate
	if req.ImportSessionID != "" {
		im, err := a.importer(ctx)
		if err != nil {
			return FormBatchResult{}, err
		}
		if cands, err = batch.FromImport(ctx, im.store, req.ImportSessionID, db); err != nil {
			return FormBatchResult{}, err
		}
		opt.Source = "import " + req.ImportSessionID
	} else {
		if cands, err = batch.FromCache(ctx, db, batch.CacheQuery{}); err != nil {
			return FormBatchResult{}, err
		}
		opt.Source = "contacts"
		for _, id := range req.ContactIDs {
			opt.Select = append(opt.Select, "contact:"+id)
		}
	}
	st := batch.NewStore(db)
	b, err := st.Create(ctx, cands, opt)
	if err != nil {
		return FormBatchResult{}, err
	}
	page, err := st.Recipients(ctx, b.ID, batch.RecipientQuery{States: []batch.State{batch.StateExcluded}, Limit: 1000})
	if err != nil {
		return FormBatchResult{}, err
	}
	return FormBatchResult{Batch: b, Excluded: page.Items}, nil
}

// BatchPreview returns the exact messages of a page of recipients and the counts.
func (a *App) BatchPreview(id string, q batch.RecipientQuery) (batch.Preview, error) {
	st, err := a.batchStore()
	if err != nil {
		return batch.Preview{}, err
	}
	return st.Preview(a.ctx(), id, q)
}

// BatchRecipients returns a page of a batch's recipients (for the unknowns to decide).
func (a *App) BatchRecipients(id string, q batch.RecipientQuery) (batch.Page[batch.Recipient], error) {
	st, err := a.batchStore()
	if err != nil {
		return batch.Page[batch.Recipient]{}, err
	}
	return st.Recipients(a.ctx(), id, q)
}

// SendBatch starts sending a batch in the background; progress arrives as
// "batch:progress". Sending a paused or interrupted batch resumes it.
func (a *App) SendBatch(id string) error {
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
		// A link only its sender's computer can open must never be e-mailed.
		set, err := c.cl.Settings(ctx)
		if err != nil {
			return err
		}
		base := set.PublicURL
		if base == "" {
			base = c.cl.BaseURL()
		}
		if err := portal.CheckLinkBase(base); err != nil {
			return err
		}
	}
	if err := a.linkApplied(ctx, c, st, id); err != nil {
		return err
	}
	cfg, err := a.smtpConfig(ctx)
	if err != nil {
		return err
	}
	s := a.sender()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engines[id] != nil {
		return portal.Errorf(portal.ECONFLICT, "This batch is already being sent.")
	}
	smtp := mail.NewSMTPSender(cfg)
	rt := a.rt
	emit := func(p batch.Progress, finished bool) {
		rt.Emit(EventBatchProgress, BatchProgress{BatchID: id, Done: p.Done, Total: p.Total, Rate: p.RatePerSecond,
			ETASeconds: p.ETASeconds, State: p.State, Counts: p.Counts, LastError: p.LastError, Finished: finished})
	}
	eng := batch.NewEngine(st, batch.ClientInviter{Client: c.cl}, smtp,
		batch.EngineOptions{Clock: a.cfg.Clock, Progress: func(p batch.Progress) { emit(p, false) }})
	s.engines[id] = eng
	log := a.log
	go func() {
		p, err := eng.Run(ctx, id)
		if cerr := smtp.Close(); cerr != nil {
			log.Debug("close the mail connection", "err", cerr)
		}
		s.mu.Lock()
		delete(s.engines, id)
		s.mu.Unlock()
		if err != nil {
			log.Error("send batch", "batch", id, "err", err)
			if p.LastError == "" {
				p.LastError = portal.ErrorMessage(err)
			}
		}
		if b, gerr := st.Get(context.WithoutCancel(ctx), id); gerr == nil {
			p.State, p.Counts = b.State, b.Counts
			if p.Total == 0 {
				p.Total, p.Done = b.Counts.Total, b.Counts.Done()
			}
			if p.LastError == "" {
				p.LastError = b.LastError
			}
		}
		emit(p, true)
	}()
	return nil
}

// ResumeBatch sends what is left of a paused or interrupted batch.
func (a *App) ResumeBatch(id string) error { return a.SendBatch(id) }

func (a *App) running(id string) *batch.Engine {
	s := a.sender()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.engines[id]
}

// PauseBatch stops a running batch after the message in flight.
func (a *App) PauseBatch(id string) error {
	eng := a.running(id)
	if eng == nil {
		return portal.Errorf(portal.ECONFLICT, "The batch is not being sent, so there is nothing to pause.")
	}
	return eng.Pause(id)
}

// CancelBatch stops a batch for good; the rest is not sent.
func (a *App) CancelBatch(id string) error {
	if eng := a.running(id); eng != nil {
		return eng.Cancel(a.ctx(), id)
	}
	st, err := a.batchStore()
	if err != nil {
		return err
	}
	return st.Cancel(a.ctx(), id)
}

// DecideUnknown settles recipients whose e-mail may or may not have arrived: "resend" or
// "sent". It returns how many were settled.
func (a *App) DecideUnknown(id string, seqs []int, decision string) (int, error) {
	st, err := a.batchStore()
	if err != nil {
		return 0, err
	}
	d := batch.Decision(decision)
	if decision == "sent" {
		d = batch.DecisionMarkSent
	}
	return st.Decide(a.ctx(), id, seqs, d, "administrator")
}

// ---- SMTP settings ----

// SMTPSettings is the SMTP tab. The password is not part of it.
type SMTPSettings struct {
	Host        string  `json:"host"`
	Port        int     `json:"port"`
	Security    string  `json:"security"`
	Username    string  `json:"username"`
	From        string  `json:"from"`
	RatePerSec  float64 `json:"ratePerSecond"`
	HasPassword bool    `json:"hasPassword"`
}

func (s SMTPSettings) keychainKey() keychain.Key {
	// The keychain names entries by a server URL; this one stands for the mail server.
	return keychain.Key{ServerURL: "https://" + net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) + "/smtp", Account: s.Username}
}

func (a *App) smtpSettings(ctx context.Context) (SMTPSettings, bool, error) {
	db, err := a.cache()
	if err != nil {
		return SMTPSettings{}, false, err
	}
	var s SMTPSettings
	ok, err := db.GetSetting(ctx, smtpSetting, &s)
	return s, ok, err
}

// SMTPSettings returns the saved mail server settings.
func (a *App) SMTPSettings() (SMTPSettings, error) {
	s, ok, err := a.smtpSettings(a.ctx())
	if !ok && err == nil {
		s = SMTPSettings{Port: 587, Security: mail.SecurityStartTLS}
	}
	return s, err
}

// SaveSMTPSettings checks and saves the settings; a non-empty password goes to the OS
// keychain, never to the local database.
func (a *App) SaveSMTPSettings(s SMTPSettings, password string) (SMTPSettings, error) {
	db, err := a.cache()
	if err != nil {
		return SMTPSettings{}, err
	}
	ctx := a.ctx()
	s.Host, s.Username, s.From = strings.TrimSpace(s.Host), strings.TrimSpace(s.Username), strings.TrimSpace(s.From)
	cfg := mail.SMTPConfig{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username, Password: password, From: s.From}
	if err := cfg.Validate(); err != nil {
		return SMTPSettings{}, err
	}
	old, _, _ := a.smtpSettings(ctx)
	if password != "" {
		if s.Username == "" {
			return SMTPSettings{}, portal.FieldErrorf("username", "Enter the user name that goes with the password.")
		}
		if err := keychain.NewSystem().Store(ctx, s.keychainKey(), keychain.Secret{SessionToken: password}); err != nil {
			return SMTPSettings{}, err
		}
		s.HasPassword = true
	} else {
		s.HasPassword = old.HasPassword && old.keychainKey() == s.keychainKey()
	}
	if err := db.SetSetting(ctx, smtpSetting, s); err != nil {
		return SMTPSettings{}, fmt.Errorf("save the mail settings: %w", err)
	}
	return s, nil
}

// smtpConfig is the saved settings with the password from the keychain.
func (a *App) smtpConfig(ctx context.Context) (mail.SMTPConfig, error) {
	s, ok, err := a.smtpSettings(ctx)
	if err != nil {
		return mail.SMTPConfig{}, err
	}
	if !ok || s.Host == "" {
		return mail.SMTPConfig{}, portal.Errorf(portal.EINVALID, "No mail server is set up. Enter it on the SMTP tab first.")
	}
	cfg := mail.SMTPConfig{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username, From: s.From,
		RatePerSecond: s.RatePerSec, Clock: a.cfg.Clock}
	if s.HasPassword {
		sec, err := keychain.NewSystem().Load(ctx, s.keychainKey())
		if err != nil {
			return mail.SMTPConfig{}, fmt.Errorf("read the mail server's password from the keychain (enter it again on the SMTP tab): %w", err)
		}
		cfg.Password = sec.SessionToken
	}
	return cfg, nil
}

// SendTestMessage sends a test message with the saved settings.
func (a *App) SendTestMessage(to string) error {
	addr, err := netmail.ParseAddress(strings.TrimSpace(to))
	if err != nil {
		return portal.FieldErrorf("to", "%q is not an e-mail address.", to)
	}
	ctx := a.ctx()
	cfg, err := a.smtpConfig(ctx)
	if err != nil {
		return err
	}
	s := mail.NewSMTPSender(cfg)
	defer s.Close()
	if err := s.Test(ctx, *addr); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) {
			return portal.Errorf(portal.EINVALID, "%s", se.Error())
		}
		return err
	}
	return nil
}

// ---- templates ----

// TemplateInfo is one editable message with its placeholders.
type TemplateInfo struct {
	mail.Template
	Customised bool `json:"customised"`
}

// The messages are the portal's: one store, so that an invitation sent from Users (by the
// portal) and one sent in a batch (by the desktop) read the same. The desktop keeps the
// last copy it read (templatesSetting), to form a batch while the portal cannot be reached.

func (a *App) savedTemplates(ctx context.Context) (map[string]mail.Template, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	m := map[string]mail.Template{}
	_, err = db.GetSetting(ctx, templatesSetting, &m)
	return m, err
}

// portalTemplates reads the portal's messages and keeps a copy; when the portal cannot be
// reached, the copy (and the built-in text for any message it lacks) answers, and stale
// says so.
func (a *App) portalTemplates(ctx context.Context) (m map[string]mail.Template, versions map[string]int64, stale bool, err error) {
	c, err := a.current()
	if err != nil {
		return nil, nil, false, err
	}
	versions = map[string]int64{}
	ts, err := c.cl.Templates(ctx)
	if err != nil {
		if _, refused := client.AsError(err); refused {
			return nil, nil, false, err // the portal answered no: nothing to fall back on
		}
		m, serr := a.savedTemplates(ctx)
		return m, versions, true, serr
	}
	m = map[string]mail.Template{}
	for _, t := range ts {
		def, ok := mail.DefaultTemplate(t.Key)
		if !ok {
			continue // a message this version does not know
		}
		def.Subject, def.Body = t.Subject, t.Body
		m[t.Key], versions[t.Key] = def, t.Version
	}
	if db, err := a.cache(); err == nil {
		if err := db.SetSetting(ctx, templatesSetting, m); err != nil {
			a.log.Warn("keep a copy of the portal's messages", "err", err)
		}
	}
	return m, versions, false, nil
}

// template is the message key as the portal has it, for a batch to snapshot when formed.
func (a *App) template(ctx context.Context, key string) (mail.Template, bool, error) {
	m, _, _, err := a.portalTemplates(ctx)
	if err != nil {
		return mail.Template{}, false, err
	}
	t, ok := m[key]
	return t, ok, nil
}

// Templates lists every message as the portal has it; Customised marks those that differ
// from the built-in text.
func (a *App) Templates() ([]TemplateInfo, error) {
	saved, _, _, err := a.portalTemplates(a.ctx())
	if err != nil {
		return nil, err
	}
	var out []TemplateInfo
	for _, t := range mail.Defaults() {
		info := TemplateInfo{Template: t}
		if s, ok := saved[t.Key]; ok {
			info.Subject, info.Body = s.Subject, s.Body
			info.Customised = s.Subject != t.Subject || s.Body != t.Body
		}
		out = append(out, info)
	}
	return out, nil
}

// SaveTemplate changes a message on the portal, so that every message it or a batch sends
// from now on reads so. A placeholder the message does not know, or a broken default
// (@name|"…"@), is refused with its line and column; someone else's change since the
// message was read is refused, not overwritten.
func (a *App) SaveTemplate(key, subject, body string) (TemplateInfo, error) {
	def, ok := mail.DefaultTemplate(key)
	if !ok {
		return TemplateInfo{}, portal.FieldErrorf("key", "There is no message %q.", key)
	}
	for _, f := range []struct{ field, text string }{{"subject", subject}, {"body", body}} {
		if ps := mail.Check(f.text, def.Placeholders); len(ps) > 0 {
			return TemplateInfo{}, portal.FieldErrorf(f.field, "Line %d, column %d: %s", ps[0].Line, ps[0].Column, ps[0].Message)
		}
	}
	if strings.TrimSpace(subject) == "" && key != mail.KeyNotAuthorised {
		return TemplateInfo{}, portal.FieldErrorf("subject", "Enter a subject.")
	}
	ctx := a.ctx()
	c, err := a.current()
	if err != nil {
		return TemplateInfo{}, err
	}
	cur, err := c.cl.Template(ctx, key)
	if err != nil {
		return TemplateInfo{}, err
	}
	saved, err := c.cl.UpdateTemplate(ctx, key, client.TemplateUpdate{Name: cur.Name, Subject: subject, Body: body}, &client.Cmd{IfMatch: cur.Version})
	if err != nil {
		return TemplateInfo{}, err
	}
	t := def
	t.Subject, t.Body = saved.Subject, saved.Body
	if _, _, _, err := a.portalTemplates(ctx); err != nil {
		a.log.Warn("refresh the copy of the portal's messages", "err", err)
	}
	return TemplateInfo{Template: t, Customised: t.Subject != def.Subject || t.Body != def.Body}, nil
}

// TemplatePreview is a message rendered for one recipient.
type TemplatePreview struct {
	Recipient string   `json:"recipient"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	Problems  []string `json:"problems"`
}

// PreviewTemplate renders subject and body (as being edited) for a real contact of the
// cache, or the sample person when there is none, filling what a person does not have
// with sample values.
func (a *App) PreviewTemplate(key, subject, body string) (TemplatePreview, error) {
	db, err := a.cache()
	if err != nil {
		return TemplatePreview{}, err
	}
	def, ok := mail.DefaultTemplate(key)
	if !ok {
		return TemplatePreview{}, portal.FieldErrorf("key", "There is no message %q.", key)
	}
	vars := mail.SampleValues()
	p := TemplatePreview{Recipient: vars[mail.VarUserName], Problems: []string{}}
	ctx := a.ctx()
	if cands, err := batch.FromCache(ctx, db, batch.CacheQuery{}); err == nil {
		for _, c := range cands {
			if c.Email != "" && c.Name != "" {
				vars[mail.VarUserName], vars[mail.VarEmail], vars[mail.VarOrganizationName] = batch.DisplayName(c), c.Email, c.OrganizationName
				p.Recipient = batch.DisplayName(c) + " <" + c.Email + ">"
				break
			}
		}
	}
	for _, text := range []string{subject, body} {
		for _, pr := range mail.Check(text, def.Placeholders) {
			p.Problems = append(p.Problems, fmt.Sprintf("Line %d, column %d: %s", pr.Line, pr.Column, pr.Message))
		}
	}
	p.Subject, p.Body = mail.Render(subject, vars), mail.Render(body, vars)
	return p, nil
}

// ---- follow-up ----

// InvitationsList returns a page of the invitations e-mailed by batches, with status.
func (a *App) InvitationsList(q batch.InvitationQuery) (batch.Page[batch.InvitationRow], error) {
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
func (a *App) ResendInvitation(rows []batch.RecipientRef) (batch.Batch, error) {
	st, err := a.batchStore()
	if err != nil {
		return batch.Batch{}, err
	}
	if len(rows) == 0 {
		return batch.Batch{}, portal.FieldErrorf("rows", "Select the invitations to resend first.")
	}
	return a.remind(st, rows)
}

// RevokeInvitation revokes an invitation on the portal server: its link stops working.
func (a *App) RevokeInvitation(invitationID string) error {
	c, err := a.current()
	if err != nil {
		return err
	}
	if strings.TrimSpace(invitationID) == "" {
		return portal.FieldErrorf("invitationId", "This line has no invitation on the server yet.")
	}
	ctx := a.ctx()
	if _, err := c.cl.RevokeInvitation(ctx, invitationID, &client.Cmd{IdempotencyKey: client.NewKey()}); err != nil {
		return err
	}
	_, _ = a.SyncNow()
	return nil
}

// RemindAll forms a reminder batch for everyone who has not activated their invitation.
func (a *App) RemindAll() (batch.Batch, error) {
	st, err := a.batchStore()
	if err != nil {
		return batch.Batch{}, err
	}
	return a.remind(st, nil)
}

// remind forms a reminder batch with the saved reminder message.
func (a *App) remind(st *batch.Store, rows []batch.RecipientRef) (batch.Batch, error) {
	ctx := a.ctx()
	opt := batch.ReminderOptions{Rows: rows, By: "administrator"}
	if t, ok, err := a.template(ctx, mail.KeyReminder); err != nil {
		return batch.Batch{}, err
	} else if ok {
		opt.Template = &t
	}
	return st.CreateReminders(ctx, opt)
}

// PreNotify forms the "your invitation is coming" batch for the people an invitation batch
// will invite, with the saved pre-notification message. It is formed, not sent. People who
// are not contacts on the portal yet (an import not applied) are left out unless
// includeNotOnPortal: their invitation cannot come until the import is applied.
func (a *App) PreNotify(invitationBatchID string, includeNotOnPortal bool) (batch.Batch, error) {
	st, err := a.batchStore()
	if err != nil {
		return batch.Batch{}, err
	}
	ctx := a.ctx()
	if c, err := a.current(); err == nil {
		if err := a.linkApplied(ctx, c, st, invitationBatchID); err != nil {
			return batch.Batch{}, err
		}
	}
	opt := batch.NotifyOptions{By: "administrator", IncludeNotOnPortal: includeNotOnPortal}
	if t, ok, err := a.template(ctx, mail.KeyPreNotification); err != nil {
		return batch.Batch{}, err
	} else if ok {
		opt.Template = &t
	}
	return st.CreatePreNotification(ctx, invitationBatchID, opt)
}

// desktopMail is the local portal's mail server: the desktop's own mail settings, read at
// each message, so that approval notices and approved e-mails go out as a batch's do. The
// sender address is the settings' too. Without settings the portal records the message as
// not sent (mail.ErrNotConfigured).
type desktopMail struct{ a *App }

func (d desktopMail) Send(ctx context.Context, m mail.Message) error {
	cfg, err := d.a.smtpConfig(ctx)
	if portal.ErrorCode(err) == portal.EINVALID {
		return mail.ErrNotConfigured
	}
	if err != nil {
		return err
	}
	if from, err := netmail.ParseAddress(cfg.From); err == nil {
		m.From = *from
	}
	s := mail.NewSMTPSender(cfg)
	defer s.Close()
	return s.Send(ctx, m)
}
