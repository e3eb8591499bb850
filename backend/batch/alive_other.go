//go:build !unix && !windows

package batch

// processAlive cannot tell on this system; the lease's time decides.
func processAlive(pid int) (alive, known bool) { return false, false }
