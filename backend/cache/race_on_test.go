//go:build race

package cache

// raceEnabled shrinks the heaviest tests: under the race detector the transpiled SQLite runs
// some twenty times slower, and the machine is shared.
const raceEnabled = true
