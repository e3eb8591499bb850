// Package keychain keeps an administrator's sign-in secrets (the portal session token and
// the identity provider's refresh token) in the operating system's keychain: Windows
// Credential Manager, the macOS Keychain, or a Secret Service (gnome-keyring, KWallet) on
// Linux. They are never written to SQLite or to logs.
//
// The app depends on the Keychain interface; System is the real one and Memory stands in
// for it in tests of the app.
package keychain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"gatehouse/backend/portal"
)

// Service is the name Gatehouse's entries are filed under in the OS keychain.
const Service = "Gatehouse"

// Size limits. Windows Credential Manager holds at most 2,560 bytes per secret; the
// macOS "security" tool takes one command line of at most 4,096 bytes, with the secret
// base64-encoded in it. Every store enforces the tightest of them, so a secret that works
// on the developer's Linux machine works on an administrator's Windows one too.
const (
	MaxSecretBytes  = 2560
	MaxAccountBytes = 512
	macCommandLimit = 4096
)

// Secret is what one sign-in leaves behind. It prints, logs and marshals as redacted:
// only the keychain itself ever sees the tokens.
type Secret struct {
	// SessionToken is the portal server's API session token.
	SessionToken string
	// RefreshToken is the identity provider's refresh token, if offline access was
	// granted; it lets Gatehouse sign in again without the browser.
	RefreshToken string
	// Expiry is when the session token expires.
	Expiry time.Time
}

func (s Secret) String() string {
	return fmt.Sprintf("keychain.Secret{SessionToken:%s RefreshToken:%s Expiry:%s}", redacted(s.SessionToken), redacted(s.RefreshToken), s.Expiry.UTC().Format(time.RFC3339))
}

// GoString keeps %#v from printing the tokens.
func (s Secret) GoString() string { return s.String() }

// Format keeps every fmt verb (%v, %+v, %x, %d, ...) from printing the tokens.
func (s Secret) Format(f fmt.State, verb rune) { io.WriteString(f, s.String()) }

// LogValue keeps log/slog from printing the tokens.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON refuses to put the tokens in JSON: a Secret has no business in a settings
// file, a database row or a message to the frontend.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func redacted(v string) string {
	if v == "" {
		return "none"
	}
	return "[redacted]"
}

// Expired reports whether the session has expired at now.
func (s Secret) Expired(now time.Time) bool { return !s.Expiry.IsZero() && !now.Before(s.Expiry) }

// Key names one stored sign-in: which portal server, and who signed in to it.
type Key struct {
	ServerURL string
	Account   string // the administrator's e-mail address or subject
}

// Keychain stores, loads and forgets sign-in secrets.
type Keychain interface {
	// Store saves s under k, replacing what was there. A secret too large for the
	// smallest keychain is refused with an invalid error; nothing is stored then.
	Store(ctx context.Context, k Key, s Secret) error
	// Load returns the secret under k; ErrNotFound (a not_found portal.Error) if there is
	// none.
	Load(ctx context.Context, k Key) (Secret, error)
	// Delete forgets the secret under k. Deleting what is not there is not an error:
	// signing out twice is fine.
	Delete(ctx context.Context, k Key) error
}

// ErrNotFound is in the chain of Load's error when nothing is stored under the key.
var ErrNotFound = errors.New("keychain: no secret stored")

// user is the keychain entry's account name: the normalised server URL and the account,
// so one computer can keep sign-ins for several portals and administrators.
func (k Key) user() (string, error) {
	server, err := normaliseServer(k.ServerURL)
	if err != nil {
		return "", err
	}
	account := strings.TrimSpace(k.Account)
	if account == "" {
		return "", portal.FieldErrorf("account", "Say which account the sign-in belongs to.")
	}
	if strings.ContainsAny(account, "\x00\n\r") {
		return "", portal.FieldErrorf("account", "The account name contains control characters.")
	}
	u := server + " " + portal.NormalizeEmail(account)
	if len(u) > MaxAccountBytes {
		return "", portal.FieldErrorf("account", "The server URL and account name together are longer than %d bytes, more than the system keychain accepts. Use a shorter server URL.", MaxAccountBytes)
	}
	return u, nil
}

func normaliseServer(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", portal.FieldErrorf("serverUrl", "%q is not a server URL such as https://portal.example.org.", raw)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// wire is the stored form: short names, Unix seconds, empty fields left out, to stay far
// below the Windows limit.
type wire struct {
	V int    `json:"v"`
	S string `json:"s,omitempty"`
	R string `json:"r,omitempty"`
	E int64  `json:"e,omitempty"`
}

func encode(user string, s Secret) (string, error) {
	w := wire{V: 1, S: s.SessionToken, R: s.RefreshToken}
	if !s.Expiry.IsZero() {
		w.E = s.Expiry.Unix()
	}
	b, err := json.Marshal(w)
	if err != nil {
		return "", err
	}
	if err := checkSize(user, len(b)); err != nil {
		return "", err
	}
	return string(b), nil
}

// checkSize enforces the Windows and macOS limits, with a message that says which token
// is at fault.
func checkSize(user string, n int) error {
	base64Len := (len("go-keyring-base64:") + (n+2)/3*4)
	macLine := len("add-generic-password -U -s '' -a '' -w ''\n") + len(Service) + len(user) + base64Len
	if n > MaxSecretBytes || macLine > macCommandLimit {
		return &portal.Error{Code: portal.EINVALID, Field: "refreshToken", Message: fmt.Sprintf(
			"The sign-in tokens take %d bytes, more than the system keychain can hold (%d on Windows). Gatehouse did not store them. Sign in without offline access (remove \"offline_access\" from the scopes in Settings) so that no long refresh token has to be kept.", n, MaxSecretBytes)}
	}
	return nil
}

func decode(data string) (Secret, error) {
	var w wire
	dec := json.NewDecoder(strings.NewReader(data))
	if err := dec.Decode(&w); err != nil || w.V != 1 {
		return Secret{}, fmt.Errorf("%w: %w", ErrNotFound, portal.Errorf(portal.ENOTFOUND, "The stored sign-in could not be read (it was written by another version of Gatehouse or changed outside it). Sign in again."))
	}
	s := Secret{SessionToken: w.S, RefreshToken: w.R}
	if w.E != 0 {
		s.Expiry = time.Unix(w.E, 0).UTC()
	}
	return s, nil
}

func notFound(k Key) error {
	return fmt.Errorf("%w: %w", ErrNotFound, portal.Errorf(portal.ENOTFOUND, "You are not signed in to %s as %s on this computer. Sign in.", k.ServerURL, k.Account))
}
