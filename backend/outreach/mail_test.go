package outreach

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"gatehouse/backend/cache"
	"gatehouse/backend/keychain"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"

	"github.com/zalando/go-keyring"
)

// TestSMTPPasswordGoesToTheKeychain: the password is kept in the keychain, never in the
// local database, and comes back with the settings when mail is sent.
func TestSMTPPasswordGoesToTheKeychain(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := Mail{DB: db, Keychain: keychain.NewSystem()}
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
