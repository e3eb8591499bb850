package replica

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces out retries: the n-th consecutive failure waits Initial·2^(n-1), at most
// Max, of which the last Jitter fraction is random, so that many desktops coming back
// online at once do not all knock at the same moment.
type Backoff struct {
	Initial time.Duration // zero: 1 s
	Max     time.Duration // zero: 5 min
	Jitter  float64       // 0..1; zero: 0.5
	// Rand returns a number in [0, 1); nil uses math/rand/v2.
	Rand func() float64
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Minute
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Jitter <= 0 || b.Jitter > 1 {
		b.Jitter = 0.5
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// Delay is the wait after the n-th consecutive failure (n ≥ 1).
func (b Backoff) Delay(n int) time.Duration {
	b = b.withDefaults()
	d := b.Initial
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	fixed := time.Duration(float64(d) * (1 - b.Jitter))
	return fixed + time.Duration(float64(d-fixed)*b.Rand())
}

// Sleeper waits. The engine asks for a channel so that SyncNow or Stop can cut a wait short.
type Sleeper interface {
	After(d time.Duration) <-chan time.Time
}

type realSleeper struct{}

func (realSleeper) After(d time.Duration) <-chan time.Time { return time.After(d) }
