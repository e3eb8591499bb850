package service

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

// Throttles make guessing cost the guesser, not the people signing in: a password guessed
// wrong, an invitation link that is not one, a sign-in started again and again. Each kind
// lets a few tries through, then refuses for a time that doubles with every further
// failure, up to a ceiling; a quiet window forgets. A shared office address gets far more
// tries than one account, so that a colleague's typos lock out nobody else. The state is
// in the database: a restart does not forgive, and several server processes agree.

type throttleKind struct {
	prefix string
	free   int           // failures let through before any wait
	base   time.Duration // the first wait; each further failure doubles it
	max    time.Duration
	window time.Duration // a key quiet this long starts afresh
}

var (
	// A person's password: five tries, then 1 s, 2 s, 4 s … up to 15 minutes.
	throttlePasswordAccount = throttleKind{"password:account:", 5, time.Second, 15 * time.Minute, time.Hour}
	// One client address's password tries across accounts (an office behind one address).
	throttlePasswordAddress = throttleKind{"password:address:", 50, time.Second, 15 * time.Minute, time.Hour}
	// Invitation links that are not one, from one address.
	throttleInviteAddress = throttleKind{"invite:address:", 20, time.Second, 15 * time.Minute, time.Hour}
	// SSO sign-ins started from one address (each leaves a sign-in in flight behind).
	throttleLoginAddress = throttleKind{"login:address:", 60, time.Second, 5 * time.Minute, 10 * time.Minute}
	// Access requests from one address.
	throttleRequestAddress = throttleKind{"request:address:", 20, time.Second, 15 * time.Minute, time.Hour}
)

// ThrottledError refuses a try until a time: pages and the API answer 429 with
// Retry-After.
type ThrottledError struct {
	Until time.Time
	err   *portal.Error
}

func (e *ThrottledError) Error() string { return e.err.Error() }
func (e *ThrottledError) Unwrap() error { return e.err }

// RetryAfter is the whole seconds until the next try is let through.
func (e *ThrottledError) RetryAfter(now time.Time) int {
	return max(1, int(e.Until.Sub(now).Round(time.Second)/time.Second))
}

func (k throttleKind) key(v string) string { return k.prefix + strings.ToLower(strings.TrimSpace(v)) }

func (k throttleKind) wait(failures int) time.Duration {
	over := failures - k.free
	if over <= 0 {
		return 0
	}
	if over > 30 {
		return k.max
	}
	return min(k.base<<(over-1), k.max)
}

type throttleKey struct {
	kind  throttleKind
	value string
}

// checkThrottles refuses when any of the keys is waiting.
func (s *Service) checkThrottles(ctx context.Context, keys ...throttleKey) error {
	now := s.clock.Now()
	var until time.Time
	// Before every sign-in and directory request; each key stands alone, so no snapshot
	// (Store.Read).
	err := s.store.Read(ctx, func(r store.Reader) error {
		for _, k := range keys {
			if k.value == "" {
				continue
			}
			th, err := r.Throttle(ctx, k.kind.key(k.value))
			if err != nil {
				return err
			}
			if th.BlockedUntil.After(now) && th.BlockedUntil.After(until) {
				until = th.BlockedUntil
			}
		}
		return nil
	})
	if err != nil || until.IsZero() {
		return err
	}
	wait := until.Sub(now).Round(time.Second)
	return &ThrottledError{Until: until, err: portal.Errorf(ETOOMANY,
		"Too many tries. For your safety, wait %s before trying again.", humanWait(wait))}
}

// hitThrottles counts a failure (or, for rate throttles, a try) against each key.
func (s *Service) hitThrottles(ctx context.Context, keys ...throttleKey) error {
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx store.Tx) error {
		for _, k := range keys {
			if k.value == "" {
				continue
			}
			th, err := tx.Throttle(ctx, k.kind.key(k.value))
			if err != nil {
				return err
			}
			if now.Sub(th.UpdatedAt) > k.kind.window {
				th.Failures = 0
			}
			th.Failures++
			th.UpdatedAt = now
			if w := k.kind.wait(th.Failures); w > 0 {
				th.BlockedUntil = now.Add(w)
			}
			if err := tx.PutThrottle(ctx, th); err != nil {
				return err
			}
		}
		return nil
	})
}

// clearThrottle forgets a key's failures (the right password was given).
func (s *Service) clearThrottle(ctx context.Context, k throttleKey) error {
	return s.store.Update(ctx, func(tx store.Tx) error { return tx.DeleteThrottle(ctx, k.kind.key(k.value)) })
}

// ETOOMANY is the code of a refusal for too many tries.
const ETOOMANY = portal.ETOOMANY

func humanWait(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "a second"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d/time.Second))
	case d < 2*time.Minute:
		return "a minute"
	default:
		return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
	}
}

// argon2 checks run a few at a time, as many as the machine has cores: a flood of guesses
// queues here instead of taking every core (and, before, a database connection) from the
// people who are signed in.
var passwordSlots = make(chan struct{}, max(1, runtime.NumCPU()))

func verifyPasswordBounded(ctx context.Context, password, hash string) (bool, error) {
	select {
	case passwordSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-passwordSlots }()
	return VerifyPassword(password, hash), nil
}
