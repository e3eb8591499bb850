// Package poll waits for something that happens in the background: the one polling loop
// of the tests, instead of a sleep followed by a hope.
package poll

import "time"

// Until asks done until it says true, or until within has passed; it reports whether done
// said true. It asks at once, then after 5 ms, doubling to at most 100 ms between asks, so
// a quick answer is seen quickly and a slow one does not spin.
func Until(within time.Duration, done func() bool) bool {
	deadline := time.Now().Add(within)
	pause := 5 * time.Millisecond
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
	return true
}
