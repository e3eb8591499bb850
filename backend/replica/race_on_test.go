//go:build race

package replica_test

// raceEnabled: under the race detector the transpiled SQLite runs many times slower.
const raceEnabled = true
