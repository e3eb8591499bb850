// Package seal keeps a secret unreadable at rest: AES-256-GCM under a key that the
// database holding the sealed value does not hold. The server seals the links of waiting
// e-mail with it, the desktop the invitation links of a batch until they are sent.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the length of a key (AES-256).
const KeySize = 32

// NewKey makes a random key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("make a key: %w", err)
	}
	return k, nil
}

// Box seals and opens values under one key.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a key of KeySize bytes.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("the key has %d bytes, not %d", len(key), KeySize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal returns plain sealed, in base64, bound to bound: the sealed value opens only with
// the same bound (a row's ID), so a value moved to another row does not open.
func (b *Box) Seal(plain []byte, bound string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, []byte(bound))), nil
}

// ErrBroken is the error of a value that does not open: another key, another bound, or an
// altered value.
var ErrBroken = errors.New("the sealed value does not open with this key")

// Open returns what Seal sealed under the same bound.
func (b *Box) Open(sealed, bound string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return nil, ErrBroken
	}
	plain, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], []byte(bound))
	if err != nil {
		return nil, ErrBroken
	}
	return plain, nil
}
