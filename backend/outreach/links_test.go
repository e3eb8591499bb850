package outreach

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gatehouse/backend/keychain"
)

// The key that seals waiting invitation links is made once and kept in the keychain; the
// database's folder holds nothing of it.
func TestLinkKeyInTheKeychain(t *testing.T) {
	keychain.MockInit()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	kc := keychain.NewSystem()
	first, where, err := LinkKey(ctx, kc, db)
	if err != nil || where != "keychain" || len(first) != 32 {
		t.Fatalf("first: %d bytes in %q, %v", len(first), where, err)
	}
	again, _, err := LinkKey(ctx, kc, db)
	if err != nil || !bytes.Equal(first, again) {
		t.Fatalf("again: a different key, %v", err)
	}
	if other, _, _ := LinkKey(ctx, kc, filepath.Join(t.TempDir(), "other.db")); bytes.Equal(first, other) {
		t.Error("another database got the same key")
	}
	if _, err := os.Stat(db + ".links-key"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was made beside the database: %v", err)
	}
}

// Without a keychain the key is kept in a file only its owner reads, and stays the key.
func TestLinkKeyWithoutAKeychain(t *testing.T) {
	keychain.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	defer keychain.MockInit()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	first, where, err := LinkKey(ctx, keychain.NewSystem(), db)
	if err != nil || where != db+".links-key" {
		t.Fatalf("first: %q, %v", where, err)
	}
	if fi, err := os.Stat(where); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v, %v", fi.Mode(), err)
	}
	keychain.MockInit() // the keychain is back: the file's key is still the one
	again, where, err := LinkKey(ctx, keychain.NewSystem(), db)
	if err != nil || !bytes.Equal(first, again) || where != db+".links-key" {
		t.Fatalf("again: %q, %v", where, err)
	}
	if err := os.WriteFile(db+".links-key", []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LinkKey(ctx, keychain.NewSystem(), db); err == nil || !bytes.Contains([]byte(err.Error()), []byte(".links-key")) {
		t.Fatalf("a damaged key file: %v", err)
	}
}
