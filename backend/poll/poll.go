// Package poll waits for something that happens in the background: the one polling loop
// of the tests, instead of a sleep followed by a hope.
package poll

import "time"

// Until asks done until it says true, or until within has passed; it reports whether done
// said true. It asks at once, then after 5 ms, doubling to at most 20 ms between asks: a
// quick answer is seen quickly, and a waiting test is never held long past its answer
// (the tests wait this way thousands of times).
func Until(within time.Duration, done func() bool) bool {
	deadline := time.Now().Add(within)
	pause := 5 * time.Millisecond
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 20*time.Millisecond)
	}
	return true
}
