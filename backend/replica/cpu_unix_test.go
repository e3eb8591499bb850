//go:build unix

package replica_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) this process has used, for benchmark figures
// that the other programs on a shared machine disturb less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
