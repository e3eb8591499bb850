package replica

import (
	"context"
	"encoding/json"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// The portal's settings and message templates are changed like any other record: checked
// at once with the rules the server runs, queued (offline too), shown as pending, sent
// with the version they were edited from, and on a conflict shown beside the server's.

const (
	CmdUpdateTemplate = "update_template"
	CmdUpdateSettings = "update_settings"
)

func init() {
	kinds[CmdUpdateTemplate] = kind{entity: cache.EntityTemplate, verb: "Change the message", load: loadTemplateDoc,
		decide: decideUpdateTemplate, send: sendUpdateTemplate, rebase: rebaseTemplate}
	kinds[CmdUpdateSettings] = kind{entity: cache.EntitySettings, verb: "Change the settings of", load: loadSettingsDoc,
		decide: decideUpdateSettings, send: sendUpdateSettings, rebase: rebaseSettings}
}

// templatePayload is a message as edited and the one it was edited from, so that "apply
// mine again" carries over only what the administrator changed.
type templatePayload struct {
	Template client.Template `json:"template"`
	Base     client.Template `json:"base"`
}

// settingsPayload is the settings as edited and as they were when the edit began.
type settingsPayload struct {
	Settings client.Settings `json:"settings"`
	Base     client.Settings `json:"base"`
}

// loadDocument reads one document as the administrator sees it; nil when the cache has none.
func loadDocument(ctx context.Context, e *Engine, entity, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if ok, err := e.db.Document(ctx, entity, id, &raw); err != nil || !ok {
		return nil, err
	}
	return raw, nil
}

func loadTemplateDoc(ctx context.Context, e *Engine, id string) (json.RawMessage, error) {
	return loadDocument(ctx, e, cache.EntityTemplate, id)
}

func loadSettingsDoc(ctx context.Context, e *Engine, id string) (json.RawMessage, error) {
	return loadDocument(ctx, e, cache.EntitySettings, id)
}

// loadDocumentOrNotFound is loadDocument for Engine.current: a document not synced yet is
// a not-found error.
func loadDocumentOrNotFound(ctx context.Context, e *Engine, entity, id string) (json.RawMessage, error) {
	raw, err := loadDocument(ctx, e, entity, id)
	if err == nil && raw == nil {
		err = notSynced(entity, id)
	}
	return raw, err
}

func notSynced(entity, id string) error {
	if entity == cache.EntitySettings {
		return portal.Errorf(portal.ENOTFOUND, "The portal's settings have not reached this computer yet. Let Gatehouse sync once with the portal, then change them.")
	}
	return portal.Errorf(portal.ENOTFOUND, "The message %q has not reached this computer yet. Let Gatehouse sync once with the portal, then change it.", id)
}

// UpdateTemplate queues the message key as the administrator edited it: its name (empty:
// unchanged), subject and text.
func (c *Commands) UpdateTemplate(ctx context.Context, key string, u client.TemplateUpdate) (Queued, error) {
	raw, err := loadDocumentOrNotFound(ctx, c.e, cache.EntityTemplate, key)
	if err != nil {
		return Queued{}, err
	}
	base, err := decode[client.Template](raw)
	if err != nil {
		return Queued{}, err
	}
	t := base
	if u.Name != "" {
		t.Name = u.Name
	}
	t.Subject, t.Body = u.Subject, u.Body
	return c.one(ctx, item{name: CmdUpdateTemplate, id: key, payload: templatePayload{Template: t, Base: base}})
}

// UpdateSettings queues the portal's settings as edited. They are checked and normalised
// now, as the server will.
func (c *Commands) UpdateSettings(ctx context.Context, s client.Settings) (Queued, error) {
	raw, err := loadDocumentOrNotFound(ctx, c.e, cache.EntitySettings, portal.SettingsID)
	if err != nil {
		return Queued{}, err
	}
	base, err := decode[client.Settings](raw)
	if err != nil {
		return Queued{}, err
	}
	return c.one(ctx, item{name: CmdUpdateSettings, id: portal.SettingsID, payload: settingsPayload{Settings: s, Base: base.WithDefaults()}})
}

func decideUpdateTemplate(_ context.Context, _ *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
	if err := portal.MayChangePortal(op.Actor, "message templates"); err != nil {
		return decided{}, err
	}
	before, err := decode[client.Template](cur)
	if err != nil {
		return decided{}, err
	}
	p, err := decode[templatePayload](payload)
	if err != nil {
		return decided{}, err
	}
	after := before
	after.Name, after.Subject, after.Body = p.Template.Name, p.Template.Subject, p.Template.Body
	if after.Name == "" {
		after.Name = before.Name
	}
	if err := mail.Validate(mail.Template{Key: after.Key, Name: after.Name, Subject: after.Subject, Body: after.Body, Placeholders: after.Placeholders}); err != nil {
		return decided{}, err
	}
	return previewOf(after, before.Version)
}

func sendUpdateTemplate(ctx context.Context, cl *client.Client, id string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
	p, err := decode[templatePayload](payload)
	if err != nil {
		return sent{}, local(err)
	}
	t, err := cl.UpdateTemplate(ctx, id, client.TemplateUpdate{Name: p.Template.Name, Subject: p.Template.Subject, Body: p.Template.Body}, cmd)
	if err != nil {
		return sent{}, err
	}
	return answer(t, t.Version, record{entity: cache.EntityTemplate, id: t.Key, version: t.Version, value: t})
}

// rebaseTemplate carries the name, subject and text the administrator changed over to theirs.
func rebaseTemplate(payload, theirs json.RawMessage) (json.RawMessage, error) {
	p, err := decode[templatePayload](payload)
	if err != nil {
		return nil, err
	}
	cur, err := decode[client.Template](theirs)
	if err != nil {
		return nil, err
	}
	merged := mergeChanged(p.Template, p.Base, cur)
	merged.Version, merged.UpdatedAt = cur.Version, cur.UpdatedAt
	return json.Marshal(templatePayload{Template: merged, Base: cur})
}

func decideUpdateSettings(_ context.Context, _ *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
	if err := portal.MayChangePortal(op.Actor, "the portal settings"); err != nil {
		return decided{}, err
	}
	before, err := decode[client.Settings](cur)
	if err != nil {
		return decided{}, err
	}
	p, err := decode[settingsPayload](payload)
	if err != nil {
		return decided{}, err
	}
	after := p.Settings
	if err := after.Validate(); err != nil {
		return decided{}, err
	}
	after.Version, after.UpdatedAt = before.Version, before.UpdatedAt
	return previewOf(after, before.Version)
}

func sendUpdateSettings(ctx context.Context, cl *client.Client, _ string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
	p, err := decode[settingsPayload](payload)
	if err != nil {
		return sent{}, local(err)
	}
	s, err := cl.UpdateSettings(ctx, p.Settings, cmd)
	if err != nil {
		return sent{}, err
	}
	return answer(s, s.Version, record{entity: cache.EntitySettings, id: portal.SettingsID, version: s.Version, value: s})
}

// rebaseSettings carries the settings the administrator changed (Settings against Base)
// over to theirs.
func rebaseSettings(payload, theirs json.RawMessage) (json.RawMessage, error) {
	p, err := decode[settingsPayload](payload)
	if err != nil {
		return nil, err
	}
	cur, err := decode[client.Settings](theirs)
	if err != nil {
		return nil, err
	}
	cur = cur.WithDefaults()
	merged := mergeChanged(p.Settings, p.Base, cur)
	merged.Version, merged.UpdatedAt = cur.Version, cur.UpdatedAt
	return json.Marshal(settingsPayload{Settings: merged, Base: cur})
}
