package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// maxMailAttempts is how often a message is tried before it is marked failed.
const maxMailAttempts = 8

// queueMail renders template key for one recipient and puts it in the outbox, inside the
// transaction of the change it reports: the change and its e-mail commit together.
func (s *Service) queueMail(ctx context.Context, tx store.Tx, key string, to netmail.Address, vars map[string]string) error {
	t, err := s.template(ctx, tx, key)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	id := NewID("mail")
	vars = maps.Clone(vars) // the caller's keep their links
	sealed, err := s.sealLinks(id, vars)
	if err != nil {
		return fmt.Errorf("seal the links of the e-mail to %s: %w", to.Address, err)
	}
	m := store.Mail{
		ID: id, CreatedAt: now, Template: key, Sealed: sealed,
		ToAddr: to.Address, ToName: to.Name,
		Subject:   mail.Render(t.Subject, vars),
		Body:      mail.RenderText(t.Body, vars),
		HTML:      mail.MessageHTML(t.Body, vars),
		MessageID: mail.NewMessageID(s.host()),
		Status:    store.MailQueued, NextAttemptAt: now,
	}
	// A message whose links nobody but this computer could open is not sent: recorded
	// as skipped with the reason, like a message with no mail server.
	if s.local && carriesLink(t.Body, t.Subject) {
		if err := portal.CheckLinkBase(s.LinkBase()); err != nil {
			// Its links point at this computer and are useless elsewhere: none is kept.
			m.Status, m.LastError, m.Sealed = store.MailSkipped, portal.ErrorMessage(err), ""
		}
	}
	return tx.QueueMail(ctx, m)
}

// carriesLink reports whether a template uses one of the portal's links.
func carriesLink(texts ...string) bool {
	for _, t := range texts {
		for _, p := range mail.Placeholders(t) {
			if strings.HasSuffix(p, "Url") {
				return true
			}
		}
	}
	return false
}

func (s *Service) host() string {
	u, err := url.Parse(s.baseURL)
	if err != nil || u.Hostname() == "" {
		return "gatehouse.invalid"
	}
	return u.Hostname()
}

// template returns the stored template, or the built-in one if it is missing.
func (s *Service) template(ctx context.Context, r store.Reader, key string) (api.Template, error) {
	t, err := r.Template(ctx, key)
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		d, ok := mail.DefaultTemplate(key)
		if !ok {
			return api.Template{}, fmt.Errorf("no message template %q", key)
		}
		return api.Template{Key: d.Key, Name: d.Name, Subject: d.Subject, Body: d.Body, Placeholders: d.Placeholders}, nil
	}
	return t, err
}

// vars are the placeholder values about one account.
func (s *Service) vars(ctx context.Context, r store.Reader, set api.Settings, a portal.Account) map[string]string {
	v := map[string]string{
		mail.VarProductName: set.ProductName,
		mail.VarUserName:    mailName(a),
		mail.VarEmail:       a.Email,
		mail.VarDomain:      a.Source,
		mail.VarSignInURL:   s.LinkBase() + "/",
		mail.VarDenyReason:  a.DenyReason,
	}
	if a.OrganizationID != "" {
		if o, err := r.Organization(ctx, a.OrganizationID); err == nil {
			v[mail.VarOrganizationName] = o.Name
		}
	}
	return v
}

// mailName is the person's name as a message may carry it: a name from an identity
// provider or a registration form is the person's own text (mail.PlainName).
func mailName(a portal.Account) string {
	if n := mail.PlainName(a.Name); n != "" {
		return n
	}
	return a.Email
}

func (s *Service) wakeMailer() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RunMailer delivers queued e-mail until ctx ends: at once after each change that queued
// some, and every interval for retries.
func (s *Service) RunMailer(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.DeliverMail(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("deliver e-mail", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// mailClaim is how many due messages a process takes at a time.
const mailClaim = 20

// DeliverMail sends every message that is due and returns how many were sent. Each message
// is sent once however many server processes share the database: a process first takes
// the messages it will send, in a write transaction (writers run one at a time), by moving
// their next attempt past its lease (Config.MailLease); the others find them not due, and
// take them after the lease if the process died holding them.
func (s *Service) DeliverMail(ctx context.Context) (int, error) {
	sent := 0
	for {
		var due []store.Mail
		from := s.from
		now := s.clock.Now()
		err := s.store.Update(ctx, func(tx store.Tx) error {
			set, err := tx.Settings(ctx)
			if err != nil {
				return err
			}
			// The portal's own sender, when its settings name one (a registration
			// mailbox); otherwise the server's.
			if set.SenderAddress != "" {
				from = netmail.Address{Name: set.SenderName, Address: set.SenderAddress}
			}
			if due, err = tx.DueMail(ctx, now, mailClaim); err != nil {
				return err
			}
			for _, m := range due {
				m.NextAttemptAt = now.Add(s.mailLease)
				if err := tx.UpdateMail(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || len(due) == 0 {
			return sent, err
		}
		if s.sender == nil {
			// Nothing is sent: record the whole batch at once.
			err := s.store.Update(ctx, func(tx store.Tx) error {
				for _, m := range due {
					if err := tx.UpdateMail(ctx, s.deliver(ctx, m, from)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return sent, err
			}
			continue
		}
		// One message at a time, its outcome stored at once: after a crash no message is
		// sent twice because its "sent" was never written. The messages are this process's
		// until its lease on them ends; past three quarters of it (a slow mail server, a
		// busy machine), the rest are left for whoever takes them when it ends, as another
		// process may then be sending them.
		held := now.Add(s.mailLease * 3 / 4)
		for i, m := range due {
			if s.clock.Now().After(held) {
				break
			}
			if ctx.Err() != nil {
				// Stopping: the messages taken and not tried are due again at once, for
				// this process when it starts again or for another.
				s.release(due[i:])
				return sent, ctx.Err()
			}
			m = s.deliver(ctx, m, from)
			if m.Status == store.MailSent {
				sent++
			}
			if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.UpdateMail(ctx, m) }); err != nil {
				return sent, err
			}
		}
	}
}

// release gives back messages taken and not tried: their next attempt is as it was.
func (s *Service) release(ms []store.Mail) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		for _, m := range ms {
			if err := tx.UpdateMail(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("give back the e-mail not sent", "err", err)
	}
}

func (s *Service) deliver(ctx context.Context, m store.Mail, from netmail.Address) store.Mail {
	now := s.clock.Now()
	m.Attempts++
	if s.sender == nil {
		m.Status, m.LastError = store.MailSkipped, "no SMTP server is configured"
		return m
	}
	subject, text, htmlPart, err := s.unsealLinks(m)
	if err != nil {
		m.Status, m.LastError = store.MailFailed, err.Error()
		return m
	}
	err = s.sender.Send(ctx, mail.Message{
		From: from, To: netmail.Address{Name: m.ToName, Address: m.ToAddr},
		Subject: subject, Text: text, HTML: htmlPart, MessageID: m.MessageID,
	})
	if err == nil {
		m.Status, m.SentAt, m.LastError = store.MailSent, now, ""
		return m
	}
	if errors.Is(err, mail.ErrNotConfigured) {
		m.Status, m.LastError = store.MailSkipped, err.Error()
		return m
	}
	m.LastError = err.Error()
	var se *mail.SendError
	// A refusal of the message is final; a mail server that cannot be reached or secured is
	// the operator's to fix (its certificate, the security setting), so the message waits
	// and is tried again, less and less often, rather than failing at once.
	retry := !errors.As(err, &se) || se.Temporary || (!se.Unknown && (se.Stage == mail.StageTLS || se.Stage == mail.StageDial))
	if retry && m.Attempts < maxMailAttempts {
		backoff := time.Minute << (m.Attempts - 1)
		m.NextAttemptAt = now.Add(min(backoff, time.Hour))
		s.log.Warn("e-mail not sent, will retry", "to", m.ToAddr, "template", m.Template, "attempt", m.Attempts, "err", err)
		return m
	}
	m.Status = store.MailFailed
	s.log.Error("e-mail not sent", "to", m.ToAddr, "template", m.Template, "err", err)
	return m
}

// Outbox lists outgoing e-mail, for operators and tests.
func (s *Service) Outbox(ctx context.Context, f store.MailFilter) ([]store.Mail, error) {
	var out []store.Mail
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		out, err = r.Mail(ctx, f)
		return err
	})
	return out, err
}

// maxMailList bounds one answer of MailList.
const maxMailList = 500

// MailList lists the portal's outgoing mail for a system administrator, newest last,
// without bodies: status "" lists all, otherwise queued, sent, skipped or failed.
func (s *Service) MailList(ctx context.Context, act portal.Actor, status string, limit int) ([]api.MailItem, error) {
	if err := act.CanSystem(); err != nil {
		return nil, err
	}
	switch status {
	case "", store.MailQueued, store.MailSent, store.MailSkipped, store.MailFailed:
	default:
		return nil, portal.FieldErrorf("status", "Choose queued, sent, skipped or failed, not %q.", status)
	}
	if limit <= 0 || limit > maxMailList {
		limit = maxMailList
	}
	ms, err := s.Outbox(ctx, store.MailFilter{Status: status, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]api.MailItem, len(ms))
	for i, m := range ms {
		out[i] = mailItem(m)
	}
	return out, nil
}

func mailItem(m store.Mail) api.MailItem {
	it := api.MailItem{ID: m.ID, CreatedAt: m.CreatedAt, Template: m.Template, To: m.ToAddr, Status: m.Status,
		Attempts: m.Attempts, LastError: m.LastError, CarriesLink: m.Sealed != "" || strings.Contains(m.Body, linkMarker(""))}
	if m.Status == store.MailQueued && !m.NextAttemptAt.IsZero() {
		t := m.NextAttemptAt
		it.NextAttemptAt = &t
	}
	if !m.SentAt.IsZero() {
		t := m.SentAt
		it.SentAt = &t
	}
	return it
}

// RetryMail sends a message again: a waiting one at once, a failed one (without a link, or
// the mail server's problem fixed) from the start. A failed message that carried a link no
// longer has it: the person needs a new link, not this message.
func (s *Service) RetryMail(ctx context.Context, act portal.Actor, id string) (api.MailItem, error) {
	if err := act.CanSystem(); err != nil {
		return api.MailItem{}, err
	}
	var out store.Mail
	err := s.store.Update(ctx, func(tx store.Tx) error {
		ms, err := tx.Mail(ctx, store.MailFilter{ID: id, Limit: 1})
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return portal.NotFound("message", id)
		}
		m := ms[0]
		switch {
		case m.Status == store.MailSent:
			return portal.Errorf(portal.ECONFLICT, "The message to %s was sent on %s; it is not sent twice.", m.ToAddr, m.SentAt.Format(time.RFC1123))
		case m.Status != store.MailQueued && m.Sealed == "" && strings.Contains(m.Body, linkMarker("")):
			return portal.Errorf(portal.ECONFLICT, "The message to %s carried a link that is no longer kept. Send the person a new link from Gatehouse (their record → Send a new link).", m.ToAddr)
		case m.Status != store.MailQueued && m.Body == "" && m.HTML == "":
			return portal.Errorf(portal.ECONFLICT, "What the message to %s said is no longer kept (finished messages are emptied after a week).", m.ToAddr)
		}
		if m.Status != store.MailQueued {
			m.Attempts = 0
		}
		m.Status, m.NextAttemptAt, m.LastError = store.MailQueued, s.clock.Now(), ""
		out = m
		return tx.UpdateMail(ctx, m)
	})
	if err == nil {
		s.wakeMailer()
	}
	return mailItem(out), err
}
