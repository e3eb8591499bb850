//go:build linux

package batch

import (
	"os"
	"strings"
)

// bootID identifies this boot of the machine: per-message commits written during the
// same boot survive a process crash, so recovery may trust them (see doc.go).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return "linux:" + strings.TrimSpace(string(b))
}

func sameBoot(a, b string) bool { return a != "" && a == b }
