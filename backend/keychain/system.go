package keychain

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/zalando/go-keyring"

	"gatehouse/backend/portal"
)

// System is the operating system's keychain, through github.com/zalando/go-keyring.
type System struct {
	service string
}

// mocked is set by MockInit: System then keeps its entries in memory (go-keyring's mock),
// and needs no D-Bus session.
var mocked atomic.Bool

// MockInit makes System keep its entries in this process's memory, for the tests of code
// that uses the OS keychain.
func MockInit() {
	keyring.MockInit()
	mocked.Store(true)
}

// MockInitWithError makes every call of System fail with err, for the tests of what code
// does when the keychain cannot be reached.
func MockInitWithError(err error) {
	keyring.MockInitWithError(err)
	mocked.Store(true)
}

// NewSystem returns the OS keychain with Gatehouse's entries filed under Service.
func NewSystem() *System { return &System{service: Service} }

// NewSystemService files entries under another service name; tests use it so that they
// never touch a real Gatehouse sign-in.
func NewSystemService(service string) *System { return &System{service: service} }

// The keychain calls do not take a context and can block (a locked keyring asks for its
// password), so each runs in its own goroutine and the caller stops waiting when ctx ends.
func call[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, fmt.Errorf("keychain: %w", err)
	}
	if !mocked.Load() {
		if err := noSessionBus(); err != nil {
			var zero T
			return zero, err
		}
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("keychain: %w", ctx.Err())
	}
}

func (s *System) Store(ctx context.Context, k Key, sec Secret) error {
	user, err := k.user()
	if err != nil {
		return err
	}
	data, err := encode(user, sec)
	if err != nil {
		return err
	}
	_, err = call(ctx, func() (struct{}, error) { return struct{}{}, keyring.Set(s.service, user, data) })
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return &portal.Error{Code: portal.EINVALID, Field: "refreshToken", Message: "The system keychain refused the sign-in tokens as too large. Sign in without offline access (remove \"offline_access\" from the scopes in Settings)."}
	}
	if err != nil {
		return unavailable("store the sign-in", err)
	}
	return nil
}

func (s *System) Load(ctx context.Context, k Key) (Secret, error) {
	user, err := k.user()
	if err != nil {
		return Secret{}, err
	}
	data, err := call(ctx, func() (string, error) { return keyring.Get(s.service, user) })
	if errors.Is(err, keyring.ErrNotFound) {
		return Secret{}, notFound(k)
	}
	if err != nil {
		return Secret{}, unavailable("read the stored sign-in", err)
	}
	return decode(data)
}

func (s *System) Delete(ctx context.Context, k Key) error {
	user, err := k.user()
	if err != nil {
		return err
	}
	_, err = call(ctx, func() (struct{}, error) { return struct{}{}, keyring.Delete(s.service, user) })
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return unavailable("forget the sign-in", err)
	}
	return nil
}

// unavailable explains a keychain that cannot be reached. The cause (a D-Bus or Windows
// error) goes to the log through the error chain; it never contains the secret.
func unavailable(doing string, cause error) error {
	return fmt.Errorf("keychain: %w: %w", portal.Errorf(portal.EINTERNAL,
		"Gatehouse could not %s in this computer's keychain. On Windows and macOS, check that you are logged in normally; on Linux, install and unlock a Secret Service keyring (for example gnome-keyring). Then sign in again.", doing), cause)
}
