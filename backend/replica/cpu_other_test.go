//go:build !unix

package replica_test

import "time"

func cpuTime() time.Duration { return 0 }
