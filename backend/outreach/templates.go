package outreach

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// The messages are the portal's: one store, so that an invitation sent from Users (by the
// portal) and one sent in a batch (by the desktop) read the same. The desktop reads them
// from its mirror of the portal (offline too) and edits them through the outbox, like any
// other record: checked at once, shown as pending, sent when the portal can be reached.

// TemplateInfo is one editable message with its placeholders.
type TemplateInfo struct {
	mail.Template
	Customised bool `json:"customised"`
	// Pending is true while an edit waits to reach the portal.
	Pending bool `json:"pending"`
	// Synced is false while the portal's copy has not reached this computer yet: the
	// built-in text is shown and cannot be edited.
	Synced bool `json:"synced"`
}

// TemplatePreview is a message rendered for one recipient.
type TemplatePreview struct {
	Recipient string   `json:"recipient"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	Problems  []string `json:"problems"`
}

// Templates reads the portal's messages from the cache and edits them through Commands.
type Templates struct {
	DB       *cache.DB
	Commands *replica.Commands
}

// All is every message the portal has, as the administrator sees it (a pending edit
// included), keyed by message.
func (t Templates) All(ctx context.Context) (map[string]mail.Template, error) {
	docs, err := t.DB.Documents(ctx, cache.EntityTemplate)
	if err != nil {
		return nil, err
	}
	m := map[string]mail.Template{}
	for key, raw := range docs {
		def, ok := mail.DefaultTemplate(key)
		if !ok {
			continue // a message this version does not know
		}
		var pt client.Template
		if err := json.Unmarshal(raw, &pt); err != nil {
			return nil, fmt.Errorf("read the message %q from the local copy: %w", key, err)
		}
		def.Subject, def.Body = pt.Subject, pt.Body
		m[key] = def
	}
	return m, nil
}

// Get is the message key as the portal has it, for a batch to snapshot when formed; nil
// while the portal's copy has not reached this computer (the batch uses the built-in text).
func (t Templates) Get(ctx context.Context, key string) (*mail.Template, error) {
	m, err := t.All(ctx)
	if err != nil {
		return nil, err
	}
	if tm, ok := m[key]; ok {
		return &tm, nil
	}
	return nil, nil
}

// List is every message as the portal has it; Customised marks those that differ from
// the built-in text, Pending those with an edit on its way.
func (t Templates) List(ctx context.Context) ([]TemplateInfo, error) {
	saved, err := t.All(ctx)
	if err != nil {
		return nil, err
	}
	var out []TemplateInfo
	for _, d := range mail.Defaults() {
		info := TemplateInfo{Template: d}
		if s, ok := saved[d.Key]; ok {
			info.Subject, info.Body, info.Synced = s.Subject, s.Body, true
			info.Customised = s.Subject != d.Subject || s.Body != d.Body
		}
		pending, err := t.DB.PendingFor(ctx, cache.EntityTemplate, d.Key)
		if err != nil {
			return nil, err
		}
		info.Pending = len(pending) > 0
		out = append(out, info)
	}
	return out, nil
}

// Save queues a change to a message: every message the portal or a batch sends reads so
// once the portal has it. A placeholder the message does not know, or a broken default
// (@name|"…"@), is refused at once with its line and column; someone else's change since
// the message was read comes back as a conflict showing both.
func (t Templates) Save(ctx context.Context, key, subject, body string) (TemplateInfo, error) {
	if _, ok := mail.DefaultTemplate(key); !ok {
		return TemplateInfo{}, portal.FieldErrorf("key", "There is no message %q.", key)
	}
	if _, err := t.Commands.UpdateTemplate(ctx, key, client.TemplateUpdate{Subject: subject, Body: body}); err != nil {
		return TemplateInfo{}, err
	}
	return t.Info(ctx, key)
}

// Info is one message as List shows it.
func (t Templates) Info(ctx context.Context, key string) (TemplateInfo, error) {
	list, err := t.List(ctx)
	if err != nil {
		return TemplateInfo{}, err
	}
	for _, info := range list {
		if info.Key == key {
			return info, nil
		}
	}
	return TemplateInfo{}, portal.FieldErrorf("key", "There is no message %q.", key)
}

// PreviewPortal is what the preview takes from the portal in use: its name, and when an
// invitation sent now would stop working.
type PreviewPortal struct {
	ProductName string
	ExpiresAt   time.Time
}

// Preview renders subject and body (as being edited) for a real contact of the cache, or
// the sample person when there is none, with the portal's name and a real expiry; what a
// person does not have is filled with sample values.
func Preview(ctx context.Context, db *cache.DB, key, subject, body string, pp PreviewPortal) (TemplatePreview, error) {
	def, ok := mail.DefaultTemplate(key)
	if !ok {
		return TemplatePreview{}, portal.FieldErrorf("key", "There is no message %q.", key)
	}
	vars := mail.SampleValues()
	if pp.ProductName != "" {
		vars[mail.VarProductName] = pp.ProductName
	}
	if !pp.ExpiresAt.IsZero() {
		vars[mail.VarExpiresAt] = pp.ExpiresAt.UTC().Format(batch.ExpiresLayout)
	}
	p := TemplatePreview{Recipient: vars[mail.VarUserName], Problems: []string{}}
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
