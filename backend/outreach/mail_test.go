package outreach

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/keychain"
	"gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
)

// TestSMTPPasswordGoesToTheKeychain: the password is kept in the keychain, never in the
// local database, and comes back with the settings when mail is sent.
func TestSMTPPasswordGoesToTheKeychain(t *testing.T) {
	keychain.MockInit()
	ctx := context.Background()
	m, db := newMail(t)
	if s, err := m.Settings(ctx); err != nil || s.Port != 587 || s.Security != mail.SecurityStartTLS {
		t.Fatalf("settings before any are saved: %+v, %v", s, err)
	}
	if _, err := m.Config(ctx, portal.SystemClock{}); portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(err.Error(), "SMTP tab") {
		t.Fatalf("config without settings: %v", err)
	}
	s, err := m.Save(ctx, SMTPSettings{Host: "127.0.0.1", Port: 2525, Security: mail.SecurityNone, Username: "portal", From: "portal@example.org"}, "s3cret-pw")
	if err != nil || !s.HasPassword {
		t.Fatalf("Save: %+v, %v", s, err)
	}
	var raw map[string]any
	if _, err := db.GetSetting(ctx, smtpSetting, &raw); err != nil {
		t.Fatal(err)
	}
	for k, v := range raw {
		if str, ok := v.(string); ok && strings.Contains(str, "s3cret") {
			t.Fatalf("password stored in the database under %s", k)
		}
	}
	cfg, err := m.Config(ctx, portal.SystemClock{})
	if err != nil || cfg.Password != "s3cret-pw" {
		t.Fatalf("Config = %q, %v", cfg.Password, err)
	}
	// Saved again without a password for the same server and user: the password stays.
	if s, err = m.Save(ctx, s, ""); err != nil || !s.HasPassword {
		t.Fatalf("saved again: %+v, %v", s, err)
	}
	// Another user: the old password is not theirs.
	s.Username = "other"
	if s, err = m.Save(ctx, s, ""); err != nil || s.HasPassword {
		t.Fatalf("another user: %+v, %v", s, err)
	}
	if _, err := m.Save(ctx, SMTPSettings{Host: "", Port: 25}, ""); err == nil {
		t.Fatal("settings with no host accepted")
	}
	if _, err := m.Save(ctx, SMTPSettings{Host: "mail.example.org", Port: 587, Security: mail.SecurityStartTLS, From: "a@example.org"}, "pw"); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("a password without a user name: %v", err)
	}
}

// Without a keychain the mail password cannot be kept: the refusal names the password
// field and speaks of mail, not of signing in, and nothing is saved.
func TestSMTPPasswordWithoutAKeychain(t *testing.T) {
	keychain.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	defer keychain.MockInit()
	ctx := context.Background()
	m, _ := newMail(t)
	_, err := m.Save(ctx, SMTPSettings{Host: "smtp.example.org", Port: 587, Security: mail.SecurityStartTLS, Username: "portal", From: "portal@example.org"}, "s3cret-pw")
	var pe *portal.Error
	if !errors.As(err, &pe) || pe.Field != "password" || !strings.Contains(pe.Message, "mail server's password") || strings.Contains(pe.Message, "sign in") {
		t.Fatalf("Save without a keychain: %v", err)
	}
	if s, _, _ := m.Saved(ctx); s.Host != "" {
		t.Errorf("settings were saved: %+v", s)
	}
}

// A mail server with a private or self-signed certificate: its certificate, pasted into
// the settings, is trusted (and only then); something that is not one is refused at its
// field.
func TestSMTPWithAPrivateCertificate(t *testing.T) {
	keychain.MockInit()
	ctx := context.Background()
	m, _ := newMail(t)
	sink := mailtest.NewSink(t, mailtest.WithTLS())
	base := SMTPSettings{Host: sink.Host(), Port: sink.Port(), Security: mail.SecurityTLS, From: "portal@example.org"}
	if _, err := m.Save(ctx, base, ""); err != nil {
		t.Fatal(err)
	}
	if err := m.SendTest(ctx, portal.SystemClock{}, "ann@example.org"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an untrusted self-signed server: %v", err)
	}
	bad := base
	bad.CACertificates = "not a certificate"
	var pe *portal.Error
	if _, err := m.Save(ctx, bad, ""); !errors.As(err, &pe) || pe.Field != "caCertificates" {
		t.Fatalf("a paste that is not a certificate: %v", err)
	}
	trusted := base
	trusted.CACertificates = sink.CertPEM()
	if _, err := m.Save(ctx, trusted, ""); err != nil {
		t.Fatal(err)
	}
	if err := m.SendTest(ctx, portal.SystemClock{}, "ann@example.org"); err != nil {
		t.Fatalf("with its certificate trusted: %v", err)
	}
	if got := sink.WaitFor(t, 1, 10*time.Second); got[0].To[0] != "ann@example.org" {
		t.Errorf("the test message: %+v", got[0])
	}
}

// newMail is the mail settings over a fresh local database and the (mocked) keychain.
func newMail(t *testing.T) (Mail, *cache.DB) {
	t.Helper()
	db, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return Mail{DB: db, Keychain: keychain.NewSystem()}, db
}
