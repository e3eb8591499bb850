package keychain

import (
	"context"
	"sync"
)

// Memory is a keychain held in memory, for tests of the app and for a session that must
// not persist. It applies the same checks and size limits as System.
type Memory struct {
	mu      sync.Mutex
	entries map[string]string
}

// NewMemory returns an empty in-memory keychain.
func NewMemory() *Memory { return &Memory{entries: map[string]string{}} }

func (m *Memory) Store(ctx context.Context, k Key, s Secret) error {
	user, err := k.user()
	if err != nil {
		return err
	}
	data, err := encode(user, s)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[user] = data
	return nil
}

func (m *Memory) Load(ctx context.Context, k Key) (Secret, error) {
	user, err := k.user()
	if err != nil {
		return Secret{}, err
	}
	m.mu.Lock()
	data, ok := m.entries[user]
	m.mu.Unlock()
	if !ok {
		return Secret{}, notFound(k)
	}
	return decode(data)
}

func (m *Memory) Delete(ctx context.Context, k Key) error {
	user, err := k.user()
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, user)
	return nil
}

// Len reports how many secrets are stored.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

var (
	_ Keychain = (*Memory)(nil)
	_ Keychain = (*System)(nil)
)
