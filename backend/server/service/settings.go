package service

import (
	"context"
	"strings"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// ListTemplates returns every message template.
func (s *Service) ListTemplates(ctx context.Context, act portal.Actor) ([]api.Template, error) {
	if !act.MayReadAdmin() {
		return nil, errNoAdminRights()
	}
	var out []api.Template
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		out, err = r.Templates(ctx)
		return err
	})
	return out, err
}

// GetTemplate returns one message template.
func (s *Service) GetTemplate(ctx context.Context, act portal.Actor, key string) (api.Template, error) {
	if !act.MayReadAdmin() {
		return api.Template{}, errNoAdminRights()
	}
	var t api.Template
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		t, err = r.Template(ctx, key)
		return err
	})
	return t, err
}

// UpdateTemplate changes a message's name, subject and text; only system administrators may.
func (s *Service) UpdateTemplate(ctx context.Context, cmd *Cmd, key string, u api.TemplateUpdate) (api.Template, error) {
	return command(ctx, s, cmd, func(tx store.Tx) (api.Template, error) {
		if err := portal.MayChangePortal(cmd.Actor, "message templates"); err != nil {
			return api.Template{}, err
		}
		before, err := tx.Template(ctx, key)
		if err != nil {
			return api.Template{}, err
		}
		if err := checkVersion(cmd, "template", key, before.Version, before); err != nil {
			return api.Template{}, err
		}
		t := before
		t.Name, t.Subject, t.Body, t.UpdatedAt = u.Name, u.Subject, u.Body, s.clock.Now()
		if strings.TrimSpace(t.Name) == "" {
			t.Name = before.Name
		}
		if err := mail.Validate(mail.Template{Key: t.Key, Name: t.Name, Subject: t.Subject, Body: t.Body, Placeholders: t.Placeholders}); err != nil {
			return api.Template{}, err
		}
		if err := tx.PutTemplate(ctx, &t); err != nil {
			return api.Template{}, err
		}
		return t, audit(ctx, tx, portal.AuditEvent{At: t.UpdatedAt, ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionUpdateTemplate,
			EntityType: api.EntityTemplate, EntityID: key, Before: jsonOf(before), After: jsonOf(t)})
	})
}

// GetSettings returns the portal settings.
func (s *Service) GetSettings(ctx context.Context, act portal.Actor) (api.Settings, error) {
	if !act.MayReadAdmin() {
		return api.Settings{}, errNoAdminRights()
	}
	return s.settings(ctx)
}

func (s *Service) settings(ctx context.Context) (api.Settings, error) {
	var set api.Settings
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		set, err = r.Settings(ctx)
		return err
	})
	return set, err
}

// invitationTTL is how long an invitation asked to last days (0: the portal's usual
// lifetime) stays valid, within the portal's longest, as its settings are in tx.
func invitationTTL(ctx context.Context, tx store.Reader, days int) (time.Duration, error) {
	set, err := tx.Settings(ctx)
	if err != nil {
		return 0, err
	}
	set = set.WithDefaults()
	if days == 0 {
		days = set.InvitationDays
	}
	if days > set.MaxInvitationDays {
		return 0, portal.FieldErrorf("expiresInDays", "Invitations on this portal stay valid for %d days at most.", set.MaxInvitationDays)
	}
	return portal.InvitationTTLDays(days)
}

// UpdateSettings replaces the portal settings; only system administrators may.
func (s *Service) UpdateSettings(ctx context.Context, cmd *Cmd, set api.Settings) (api.Settings, error) {
	out, err := s.updateSettings(ctx, cmd, set)
	if err == nil {
		// The links use the stored public address from now on.
		public := out.PublicURL
		s.publicURL.Store(&public)
	}
	return out, err
}

func (s *Service) updateSettings(ctx context.Context, cmd *Cmd, set api.Settings) (api.Settings, error) {
	return command(ctx, s, cmd, func(tx store.Tx) (api.Settings, error) {
		if err := portal.MayChangePortal(cmd.Actor, "the portal settings"); err != nil {
			return api.Settings{}, err
		}
		before, err := tx.Settings(ctx)
		if err != nil {
			return api.Settings{}, err
		}
		if err := checkVersion(cmd, "settings", "portal", before.Version, before); err != nil {
			return api.Settings{}, err
		}
		if err := set.Validate(); err != nil {
			return api.Settings{}, err
		}
		set.Version, set.UpdatedAt = before.Version, s.clock.Now()
		if err := tx.PutSettings(ctx, &set); err != nil {
			return api.Settings{}, err
		}
		return set, audit(ctx, tx, portal.AuditEvent{At: set.UpdatedAt, ActorID: cmd.Actor.ID, ActorName: cmd.Actor.Name, Action: ActionUpdateSettings,
			EntityType: api.EntitySettings, EntityID: "portal", Before: jsonOf(before), After: jsonOf(set)})
	})
}
