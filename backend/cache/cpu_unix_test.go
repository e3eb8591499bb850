//go:build unix

package cache

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used. Benchmarks report it beside wall time
// because the machines they run on are shared: CPU time is what a ratio should compare.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
