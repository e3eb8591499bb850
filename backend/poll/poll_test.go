package poll

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	var n atomic.Int32
	go func() {
		time.Sleep(30 * time.Millisecond)
		n.Store(1)
	}()
	if !Until(10*time.Second, func() bool { return n.Load() == 1 }) {
		t.Fatal("Until gave up on a condition that came true")
	}
	asks := 0
	if Until(50*time.Millisecond, func() bool { asks++; return false }) {
		t.Fatal("Until said true for a condition that never was")
	}
	if asks < 2 {
		t.Errorf("asked %d times in 50 ms", asks)
	}
}
