package keychain

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

// The same contract holds for the in-memory keychain and the real one. The real one is
// the Secret Service on Linux: run the tests as
//
//	dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets; go test ./backend/keychain/...'

func needExternal(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and a required test dependency is missing: %s", msg)
	}
	t.Skipf("skipping (set CI=true to make this a failure): %s", msg)
}

func token(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// systemKeychain returns the real OS keychain under a service name of its own, after
// checking that a Secret Service answers.
func systemKeychain(t *testing.T) *System {
	t.Helper()
	service := "Gatehouse-test-" + token(t, 12)
	s := NewSystemService(service)
	probe := Key{ServerURL: "https://probe.invalid", Account: "probe@example.org"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Store(ctx, probe, Secret{SessionToken: "probe"}); err != nil {
		needExternal(t, "no OS keychain reachable (on Linux: gnome-keyring under dbus-run-session, see the package test comment): %v", err)
	}
	if err := s.Delete(ctx, probe); err != nil {
		t.Fatalf("delete probe: %v", err)
	}
	t.Logf("using the OS keychain, service %q", service)
	return s
}

func TestMemory(t *testing.T) { testContract(t, NewMemory(), nil) }

func TestSystem(t *testing.T) {
	s := systemKeychain(t)
	testContract(t, s, func(t *testing.T, k Key, want string) {
		// Look the entry up with libsecret's own tool: it really is in the Secret
		// Service, under our service and account, in the compact stored form.
		tool, err := exec.LookPath("secret-tool")
		if err != nil {
			needExternal(t, "secret-tool is not installed (apt-get install libsecret-tools)")
		}
		user, _ := k.user()
		out, err := exec.Command(tool, "lookup", "service", s.service, "username", user).Output()
		if err != nil {
			t.Fatalf("secret-tool lookup: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("secret-tool sees %q, want %q", got, want)
		}
	})
}

func testContract(t *testing.T, kc Keychain, external func(t *testing.T, k Key, stored string)) {
	ctx := context.Background()
	anna := Key{ServerURL: "https://portal.example.org", Account: "anna@example.org"}
	annaOther := Key{ServerURL: "https://other.example.org", Account: "anna@example.org"}
	bert := Key{ServerURL: "https://portal.example.org", Account: "bert@example.org"}
	expiry := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	sec := Secret{SessionToken: token(t, 43), RefreshToken: token(t, 43), Expiry: expiry}
	t.Cleanup(func() {
		for _, k := range []Key{anna, annaOther, bert} {
			kc.Delete(ctx, k)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		if err := kc.Store(ctx, anna, sec); err != nil {
			t.Fatal(err)
		}
		got, err := kc.Load(ctx, anna)
		if err != nil {
			t.Fatal(err)
		}
		if got.SessionToken != sec.SessionToken || got.RefreshToken != sec.RefreshToken || !got.Expiry.Equal(expiry) {
			t.Errorf("loaded %#v, want what was stored", got)
		}
		if external != nil {
			stored, _ := encode(mustUser(t, anna), sec)
			external(t, anna, stored)
		}
	})

	t.Run("same server written differently is the same entry", func(t *testing.T) {
		got, err := kc.Load(ctx, Key{ServerURL: " HTTPS://Portal.Example.ORG/ ", Account: "Anna@Example.org"})
		if err != nil || got.SessionToken != sec.SessionToken {
			t.Fatalf("Load with a differently written key: %v", err)
		}
	})

	t.Run("entries are per server and account", func(t *testing.T) {
		for _, k := range []Key{annaOther, bert} {
			if _, err := kc.Load(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Load(%v) = %v, want ErrNotFound", k, err)
			}
		}
		other := Secret{SessionToken: token(t, 43)}
		if err := kc.Store(ctx, bert, other); err != nil {
			t.Fatal(err)
		}
		if got, _ := kc.Load(ctx, anna); got.SessionToken != sec.SessionToken {
			t.Error("storing bert's sign-in changed anna's")
		}
		if got, _ := kc.Load(ctx, bert); got.SessionToken != other.SessionToken || got.RefreshToken != "" || !got.Expiry.IsZero() {
			t.Errorf("bert's sign-in = %#v", got)
		}
	})

	t.Run("store replaces", func(t *testing.T) {
		next := Secret{SessionToken: token(t, 43), Expiry: expiry.Add(time.Hour)}
		if err := kc.Store(ctx, bert, next); err != nil {
			t.Fatal(err)
		}
		if got, _ := kc.Load(ctx, bert); got.SessionToken != next.SessionToken || !got.Expiry.Equal(next.Expiry) {
			t.Errorf("after replacing, loaded %#v", got)
		}
	})

	t.Run("largest secret that fits Windows", func(t *testing.T) {
		base, _ := encode(mustUser(t, bert), Secret{SessionToken: sec.SessionToken, RefreshToken: "x"})
		big := Secret{SessionToken: sec.SessionToken, RefreshToken: token(t, MaxSecretBytes-len(base)+1)}
		stored, err := encode(mustUser(t, bert), big)
		if err != nil || len(stored) != MaxSecretBytes {
			t.Fatalf("test set-up: encoded %d bytes (%v), want exactly %d", len(stored), err, MaxSecretBytes)
		}
		if err := kc.Store(ctx, bert, big); err != nil {
			t.Fatalf("Store of %d bytes: %v", len(stored), err)
		}
		if got, err := kc.Load(ctx, bert); err != nil || got.RefreshToken != big.RefreshToken {
			t.Fatalf("Load of the largest secret: %v", err)
		}
	})

	t.Run("too large is refused and nothing is lost", func(t *testing.T) {
		huge := Secret{SessionToken: sec.SessionToken, RefreshToken: token(t, MaxSecretBytes)}
		err := kc.Store(ctx, anna, huge)
		var pe *portal.Error
		if !errors.As(err, &pe) || pe.Code != portal.EINVALID || pe.Field != "refreshToken" || !strings.Contains(pe.Message, "2560") {
			t.Fatalf("Store of an oversized secret = %v, want an invalid refreshToken error naming the limit", err)
		}
		if strings.Contains(err.Error(), huge.RefreshToken[:16]) {
			t.Error("the error message contains the token")
		}
		if got, err := kc.Load(ctx, anna); err != nil || got.RefreshToken != sec.RefreshToken {
			t.Errorf("the earlier sign-in was lost: %v", err)
		}
	})

	t.Run("delete signs out, twice is fine", func(t *testing.T) {
		if err := kc.Delete(ctx, anna); err != nil {
			t.Fatal(err)
		}
		_, err := kc.Load(ctx, anna)
		if !errors.Is(err, ErrNotFound) || portal.ErrorCode(err) != portal.ENOTFOUND || !strings.Contains(portal.ErrorMessage(err), "Sign in") {
			t.Fatalf("Load after Delete = %v, want ErrNotFound with a sentence", err)
		}
		if err := kc.Delete(ctx, anna); err != nil {
			t.Errorf("second Delete: %v", err)
		}
		if got, _ := kc.Load(ctx, bert); got.SessionToken == "" {
			t.Error("deleting anna's sign-in removed bert's")
		}
	})

	t.Run("bad keys", func(t *testing.T) {
		for _, tc := range []struct {
			k     Key
			field string
		}{
			{Key{ServerURL: "portal.example.org", Account: "a@example.org"}, "serverUrl"},
			{Key{ServerURL: "ftp://portal.example.org", Account: "a@example.org"}, "serverUrl"},
			{Key{ServerURL: "https://portal.example.org", Account: " "}, "account"},
			{Key{ServerURL: "https://portal.example.org", Account: "a\nb"}, "account"},
			{Key{ServerURL: "https://portal.example.org/" + strings.Repeat("p", MaxAccountBytes), Account: "a@example.org"}, "account"},
		} {
			err := kc.Store(ctx, tc.k, sec)
			var pe *portal.Error
			if !errors.As(err, &pe) || pe.Field != tc.field {
				t.Errorf("Store(%q, %q) = %v, want an error on %s", tc.k.ServerURL, tc.k.Account, err, tc.field)
			}
		}
	})
}

func mustUser(t *testing.T, k Key) string {
	t.Helper()
	u, err := k.user()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret{SessionToken: "session-" + token(t, 30), RefreshToken: "refresh-" + token(t, 30), Expiry: time.Now()}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, &s), fmt.Sprintf(verb, []Secret{s}), fmt.Sprintf(verb, struct{ S Secret }{s}))
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("signed in", "secret", s)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("signed in", "secret", s)
	outputs = append(outputs, logBuf.String())
	j, err := json.Marshal(map[string]any{"secret": s})
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j))
	for _, out := range outputs {
		if strings.Contains(out, s.SessionToken[:12]) || strings.Contains(out, s.RefreshToken[:12]) ||
			strings.Contains(out, fmt.Sprintf("%x", s.SessionToken[:6])) {
			t.Errorf("a token leaked: %s", out)
		}
		if !strings.Contains(out, "redacted") {
			t.Errorf("output does not show the redaction: %s", out)
		}
	}
}

func TestContextEndsWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	release := make(chan struct{})
	defer close(release)
	_, err := call(ctx, func() (int, error) { <-release; return 0, nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("call with an ended context = %v, want context.Canceled", err)
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expiry time.Time
		want   bool
	}{{time.Time{}, false}, {now.Add(time.Second), false}, {now, true}, {now.Add(-time.Second), true}} {
		if got := (Secret{Expiry: tc.expiry}).Expired(now); got != tc.want {
			t.Errorf("Expired with expiry %v = %v, want %v", tc.expiry, got, tc.want)
		}
	}
}

func BenchmarkSystemRoundTrip(b *testing.B) {
	s := NewSystemService("Gatehouse-bench-" + token(b, 8))
	ctx := context.Background()
	k := Key{ServerURL: "https://portal.example.org", Account: "bench@example.org"}
	sec := Secret{SessionToken: token(b, 43), RefreshToken: token(b, 43), Expiry: time.Now()}
	if err := s.Store(ctx, k, sec); err != nil {
		needExternal(b, "no OS keychain reachable: %v", err)
	}
	defer s.Delete(ctx, k)
	for b.Loop() {
		if err := s.Store(ctx, k, sec); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Load(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
}
