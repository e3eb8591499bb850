package outreach

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gatehouse/backend/internal/seal"
	"gatehouse/backend/keychain"
)

// LinkKey returns the key that seals a batch's invitation links while they wait for
// their e-mail (batch.EngineOptions.LinkKey), made on first use. It is kept in the OS
// keychain, apart from the local database at dbPath, so that a copy of the database
// holds no link that works. Where the keychain cannot be reached (a Linux session without
// a secret service) it is kept in a file beside the database, readable by its owner
// only; once such a file exists it stays the key, so that links sealed with it open.
func LinkKey(ctx context.Context, kc keychain.Keychain, dbPath string) (key []byte, where string, err error) {
	file := dbPath + ".links-key"
	if raw, err := os.ReadFile(file); err == nil {
		key, err := decodeKey(string(raw))
		if err != nil {
			return nil, "", fmt.Errorf("the link key file %s: %w; move it away to make a new key (links waiting for their e-mail must then be resent)", file, err)
		}
		return key, file, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("read the link key file: %w", err)
	}
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256([]byte(abs))
	k := keychain.Key{ServerURL: "https://gatehouse.invalid/invitation-links", Account: hex.EncodeToString(sum[:8])}
	sec, err := kc.Load(ctx, k)
	switch {
	case err == nil:
		key, derr := decodeKey(sec.SessionToken)
		if derr != nil {
			return nil, "", fmt.Errorf("the link key in the keychain: %w", derr)
		}
		return key, "keychain", nil
	case errors.Is(err, keychain.ErrNotFound):
		if key, err = seal.NewKey(); err != nil {
			return nil, "", err
		}
		if err = kc.Store(ctx, k, keychain.Secret{SessionToken: base64.RawStdEncoding.EncodeToString(key)}); err == nil {
			return key, "keychain", nil
		}
	}
	// No keychain to be had: a file only its owner reads, as the database itself.
	if key == nil {
		if key, err = seal.NewKey(); err != nil {
			return nil, "", err
		}
	}
	f, ferr := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if ferr != nil {
		return nil, "", fmt.Errorf("keep the key that seals invitation links: the keychain cannot be reached (%v) and the file %s cannot be made: %w", err, file, ferr)
	}
	defer f.Close()
	if _, ferr = f.WriteString(base64.RawStdEncoding.EncodeToString(key)); ferr == nil {
		ferr = f.Sync()
	}
	if ferr != nil {
		return nil, "", fmt.Errorf("write the link key file %s: %w", file, ferr)
	}
	return key, file, nil
}

func decodeKey(s string) ([]byte, error) {
	key, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(key) != seal.KeySize {
		return nil, fmt.Errorf("it does not hold a key (%d base64-encoded bytes)", seal.KeySize)
	}
	return key, nil
}
