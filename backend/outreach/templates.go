package outreach

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// The messages are the portal's: one store, so that an invitation sent from Users (by the
// portal) and one sent in a batch (by the desktop) read the same. The desktop keeps the
// last copy it read (templatesSetting), to form a batch while the portal cannot be reached.

// TemplateInfo is one editable message with its placeholders.
type TemplateInfo struct {
	mail.Template
	Customised bool `json:"customised"`
}

// TemplatePreview is a message rendered for one recipient.
type TemplatePreview struct {
	Recipient string   `json:"recipient"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	Problems  []string `json:"problems"`
}

// Templates reads and edits the portal's messages through Client, the portal in use.
type Templates struct {
	DB     *cache.DB
	Client *client.Client
	Log    *slog.Logger
}

func (t Templates) saved(ctx context.Context) (map[string]mail.Template, error) {
	m := map[string]mail.Template{}
	_, err := t.DB.GetSetting(ctx, templatesSetting, &m)
	return m, err
}

// All reads the portal's messages and keeps a copy; when the portal cannot be reached,
// the copy answers and stale says so. versions are the portal's, for a save.
func (t Templates) All(ctx context.Context) (m map[string]mail.Template, versions map[string]int64, stale bool, err error) {
	versions = map[string]int64{}
	ts, err := t.Client.Templates(ctx)
	if err != nil {
		if _, refused := client.AsError(err); refused {
			return nil, nil, false, err // the portal answered no: nothing to fall back on
		}
		m, serr := t.saved(ctx)
		return m, versions, true, serr
	}
	m = map[string]mail.Template{}
	for _, pt := range ts {
		def, ok := mail.DefaultTemplate(pt.Key)
		if !ok {
			continue // a message this version does not know
		}
		def.Subject, def.Body = pt.Subject, pt.Body
		m[pt.Key], versions[pt.Key] = def, pt.Version
	}
	if err := t.DB.SetSetting(ctx, templatesSetting, m); err != nil && t.Log != nil {
		t.Log.Warn("keep a copy of the portal's messages", "err", err)
	}
	return m, versions, false, nil
}

// Get is the message key as the portal has it, for a batch to snapshot when formed.
func (t Templates) Get(ctx context.Context, key string) (*mail.Template, error) {
	m, _, _, err := t.All(ctx)
	if err != nil {
		return nil, err
	}
	if tm, ok := m[key]; ok {
		return &tm, nil
	}
	return nil, nil
}

// List is every message as the portal has it; Customised marks those that differ from
// the built-in text.
func (t Templates) List(ctx context.Context) ([]TemplateInfo, error) {
	saved, _, _, err := t.All(ctx)
	if err != nil {
		return nil, err
	}
	var out []TemplateInfo
	for _, d := range mail.Defaults() {
		info := TemplateInfo{Template: d}
		if s, ok := saved[d.Key]; ok {
			info.Subject, info.Body = s.Subject, s.Body
			info.Customised = s.Subject != d.Subject || s.Body != d.Body
		}
		out = append(out, info)
	}
	return out, nil
}

// Save changes a message on the portal, so that every message it or a batch sends from
// now on reads so. A placeholder the message does not know, or a broken default
// (@name|"…"@), is refused with its line and column; someone else's change since the
// message was read is refused, not overwritten.
func (t Templates) Save(ctx context.Context, key, subject, body string) (TemplateInfo, error) {
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
	cur, err := t.Client.Template(ctx, key)
	if err != nil {
		return TemplateInfo{}, err
	}
	saved, err := t.Client.UpdateTemplate(ctx, key, client.TemplateUpdate{Name: cur.Name, Subject: subject, Body: body}, &client.Cmd{IfMatch: cur.Version})
	if err != nil {
		return TemplateInfo{}, err
	}
	out := def
	out.Subject, out.Body = saved.Subject, saved.Body
	if _, _, _, err := t.All(ctx); err != nil && t.Log != nil {
		t.Log.Warn("refresh the copy of the portal's messages", "err", err)
	}
	return TemplateInfo{Template: out, Customised: out.Subject != def.Subject || out.Body != def.Body}, nil
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
