package service

import (
	"context"
	"fmt"
	"net/url"
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
		if !cmd.Actor.SystemAdmin {
			return api.Template{}, portal.Errorf(portal.EFORBIDDEN, "Only a system administrator can change message templates.")
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

// ValidateSettings checks settings before they are stored and normalises the addresses.
func ValidateSettings(set *api.Settings) error {
	set.ProductName = strings.TrimSpace(set.ProductName)
	switch {
	case set.ProductName == "":
		return portal.FieldErrorf("productName", "Give the portal a name; it appears in every message.")
	case len(set.ProductName) > 200:
		return portal.FieldErrorf("productName", "The portal's name is too long; keep it under 200 characters.")
	case strings.ContainsAny(set.ProductName, "\r\n"):
		return portal.FieldErrorf("productName", "The portal's name must be one line.")
	}
	set.PublicURL = strings.TrimRight(strings.TrimSpace(set.PublicURL), "/")
	if set.PublicURL != "" {
		u, err := url.Parse(set.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") || u.User != nil {
			return portal.FieldErrorf("publicUrl", "%q is not a public address. Enter the address people open the portal at, like https://portal.example.org.", set.PublicURL)
		}
	}
	if set.SignUpMode != portal.SignUpApproval && set.SignUpMode != portal.SignUpClient {
		return portal.FieldErrorf("signUpMode", "The sign-up mode must be %q (new SSO sign-ins wait for approval) or %q (they become clients).", portal.SignUpApproval, portal.SignUpClient)
	}
	if set.RequestAccessIntervalMinutes < 1 || set.RequestAccessIntervalMinutes > 30*24*60 {
		return portal.FieldErrorf("requestAccessIntervalMinutes", "The wait between access requests must be between 1 minute and 30 days (43200 minutes).")
	}
	out := make([]string, 0, len(set.ApproverEmails))
	for i, e := range set.ApproverEmails {
		addr, err := portal.ParseEmail(e)
		if err != nil {
			return &portal.Error{Code: portal.EINVALID, Field: fmt.Sprintf("approverEmails[%d]", i), Message: portal.ErrorMessage(err)}
		}
		out = append(out, addr)
	}
	set.ApproverEmails = out
	set.SenderName = strings.Join(strings.Fields(set.SenderName), " ")
	if set.SenderAddress = strings.TrimSpace(set.SenderAddress); set.SenderAddress != "" {
		addr, err := portal.ParseEmail(set.SenderAddress)
		if err != nil {
			return &portal.Error{Code: portal.EINVALID, Field: "senderAddress", Message: portal.ErrorMessage(err)}
		}
		set.SenderAddress = addr
	} else if set.SenderName != "" {
		return portal.FieldErrorf("senderAddress", "Give the address the portal's messages come from, or leave the name empty too.")
	}
	max := portal.MaxInvitationTTL / (24 * time.Hour)
	switch {
	case set.MaxInvitationDays < 1 || set.MaxInvitationDays > int(max):
		return portal.FieldErrorf("maxInvitationDays", "The longest an invitation may stay valid must be between 1 and %d days.", max)
	case set.InvitationDays < 1 || set.InvitationDays > set.MaxInvitationDays:
		return portal.FieldErrorf("invitationDays", "An invitation must stay valid between 1 day and the longest allowed, %d days.", set.MaxInvitationDays)
	case set.SessionHours < 1 || set.SessionHours > 30*24:
		return portal.FieldErrorf("sessionHours", "A sign-in must last between 1 hour and 30 days (720 hours).")
	}
	return nil
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
		if !cmd.Actor.SystemAdmin {
			return api.Settings{}, portal.Errorf(portal.EFORBIDDEN, "Only a system administrator can change the portal settings.")
		}
		before, err := tx.Settings(ctx)
		if err != nil {
			return api.Settings{}, err
		}
		if err := checkVersion(cmd, "settings", "portal", before.Version, before); err != nil {
			return api.Settings{}, err
		}
		if err := ValidateSettings(&set); err != nil {
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
