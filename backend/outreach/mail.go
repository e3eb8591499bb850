// Package outreach is what the desktop sends people: its mail server settings (the
// password in the OS keychain), the portal's messages as the desktop edits and snapshots
// them, the invitation batches it forms, and the runs that send them. The App binds it;
// the rules of a batch are in backend/batch, the messages' text in backend/mail.
package outreach

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"

	"gatehouse/backend/cache"
	"gatehouse/backend/keychain"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// smtpSetting is the local database's setting of the SMTP tab. The SMTP password is
// never in it.
const smtpSetting = "mail.smtp"

// SMTPSettings is the SMTP tab. The password is not part of it.
type SMTPSettings struct {
	Host        string  `json:"host"`
	Port        int     `json:"port"`
	Security    string  `json:"security"`
	Username    string  `json:"username"`
	From        string  `json:"from"`
	RatePerSec  float64 `json:"ratePerSecond"`
	HasPassword bool    `json:"hasPassword"`
	// CACertificates (PEM) are the roots trusted for the mail server's certificate instead
	// of the system's: a private CA, or a server's own self-signed certificate. Public
	// data, so kept with the settings.
	CACertificates string `json:"caCertificates"`
}

// rootCAs is the pool CACertificates make; nil (the system's roots) when there are none.
func (s SMTPSettings) rootCAs() (*x509.CertPool, error) {
	if strings.TrimSpace(s.CACertificates) == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(s.CACertificates)) {
		return nil, portal.FieldErrorf("caCertificates", "This is not a certificate in PEM form (text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----). Paste the mail server's CA certificate, or leave it empty to trust the system's.")
	}
	return pool, nil
}

func (s SMTPSettings) keychainKey() keychain.Key {
	// The keychain names entries by a server URL; this one stands for the mail server.
	return keychain.Key{ServerURL: "https://" + net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) + "/smtp", Account: s.Username}
}

// Mail is the desktop's mail server: its settings in the local database, its password
// in the keychain.
type Mail struct {
	DB       *cache.DB
	Keychain keychain.Keychain
}

// Saved returns the saved settings and whether there are any.
func (m Mail) Saved(ctx context.Context) (SMTPSettings, bool, error) {
	var s SMTPSettings
	ok, err := m.DB.GetSetting(ctx, smtpSetting, &s)
	return s, ok, err
}

// Settings returns the saved settings, or the usual port and security for a new one.
func (m Mail) Settings(ctx context.Context) (SMTPSettings, error) {
	s, ok, err := m.Saved(ctx)
	if !ok && err == nil {
		s = SMTPSettings{Port: 587, Security: mail.SecurityStartTLS}
	}
	return s, err
}

// Save checks and saves the settings; a non-empty password goes to the keychain, never to
// the local database. An empty one keeps the saved password while the server and user
// stay the same.
func (m Mail) Save(ctx context.Context, s SMTPSettings, password string) (SMTPSettings, error) {
	s.Host, s.Username, s.From = strings.TrimSpace(s.Host), strings.TrimSpace(s.Username), strings.TrimSpace(s.From)
	cfg := mail.SMTPConfig{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username, Password: password, From: s.From}
	if err := cfg.Validate(); err != nil {
		return SMTPSettings{}, err
	}
	s.CACertificates = strings.TrimSpace(s.CACertificates)
	if _, err := s.rootCAs(); err != nil {
		return SMTPSettings{}, err
	}
	old, _, _ := m.Saved(ctx)
	if password != "" {
		if s.Username == "" {
			return SMTPSettings{}, portal.FieldErrorf("username", "Enter the user name that goes with the password.")
		}
		if err := m.Keychain.Store(ctx, s.keychainKey(), keychain.Secret{SessionToken: password}); err != nil {
			if portal.ErrorCode(err) == portal.EINVALID {
				return SMTPSettings{}, err
			}
			// The password is kept nowhere else (never in the local database): without the
			// keychain it cannot be kept at all, and the message says so about mail, not
			// about signing in.
			return SMTPSettings{}, fmt.Errorf("%w: %w", portal.FieldErrorf("password",
				"Gatehouse keeps the mail server's password only in this computer's keychain, and could not reach it. On Linux, install and unlock a Secret Service keyring (for example gnome-keyring); on Windows and macOS, check that you are logged in normally. The mail settings were not saved."), err)
		}
		s.HasPassword = true
	} else {
		s.HasPassword = old.HasPassword && old.keychainKey() == s.keychainKey()
	}
	if err := m.DB.SetSetting(ctx, smtpSetting, s); err != nil {
		return SMTPSettings{}, fmt.Errorf("save the mail settings: %w", err)
	}
	return s, nil
}

// Config is the saved settings with the password from the keychain. Without settings it
// is an invalid error that says where to enter them.
func (m Mail) Config(ctx context.Context, clock portal.Clock) (mail.SMTPConfig, error) {
	s, ok, err := m.Saved(ctx)
	if err != nil {
		return mail.SMTPConfig{}, err
	}
	if !ok || s.Host == "" {
		return mail.SMTPConfig{}, portal.Errorf(portal.EINVALID, "No mail server is set up. Enter it on the SMTP tab first.")
	}
	roots, err := s.rootCAs()
	if err != nil {
		return mail.SMTPConfig{}, err
	}
	cfg := mail.SMTPConfig{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username, From: s.From,
		RatePerSecond: s.RatePerSec, Clock: clock, RootCAs: roots}
	if s.HasPassword {
		sec, err := m.Keychain.Load(ctx, s.keychainKey())
		if err != nil {
			return mail.SMTPConfig{}, fmt.Errorf("read the mail server's password from the keychain (enter it again on the SMTP tab): %w", err)
		}
		cfg.Password = sec.SessionToken
	}
	return cfg, nil
}

// SendTest sends a test message with the saved settings.
func (m Mail) SendTest(ctx context.Context, clock portal.Clock, to string) error {
	addr, err := netmail.ParseAddress(strings.TrimSpace(to))
	if err != nil {
		return portal.FieldErrorf("to", "%q is not an e-mail address.", to)
	}
	cfg, err := m.Config(ctx, clock)
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

// PortalMail is the local portal's mail server: the desktop's own settings, read at each
// message, so that approval notices and approved e-mails go out as a batch's do, from
// the settings' sender. Without settings the portal records the message as not sent
// (mail.ErrNotConfigured).
type PortalMail struct {
	Mail  func() (Mail, error)
	Clock portal.Clock
}

func (p PortalMail) Send(ctx context.Context, msg mail.Message) error {
	m, err := p.Mail()
	if err != nil {
		return err
	}
	cfg, err := m.Config(ctx, p.Clock)
	if portal.ErrorCode(err) == portal.EINVALID {
		return mail.ErrNotConfigured
	}
	if err != nil {
		return err
	}
	if from, err := netmail.ParseAddress(cfg.From); err == nil {
		msg.From = *from
	}
	s := mail.NewSMTPSender(cfg)
	defer s.Close()
	return s.Send(ctx, msg)
}
