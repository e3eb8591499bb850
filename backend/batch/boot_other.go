//go:build !linux && !darwin && !windows

package batch

// bootID is unknown on this system: recovery then treats every reserved message as
// possibly sent (see doc.go).
func bootID() string { return "" }

func sameBoot(a, b string) bool { return false }
