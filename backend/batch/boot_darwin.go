//go:build darwin

package batch

import (
	"encoding/hex"
	"syscall"
)

// bootID identifies this boot of the machine: per-message commits written during the
// same boot survive a process crash, so recovery may trust them (see doc.go).
func bootID() string {
	if v, err := syscall.Sysctl("kern.bootsessionuuid"); err == nil && v != "" {
		return "darwin:" + v
	}
	// Older systems: the boot time. A clock change can move it, which only makes recovery
	// more careful.
	if v, err := syscall.Sysctl("kern.boottime"); err == nil && v != "" {
		return "darwin-boottime:" + hex.EncodeToString([]byte(v))
	}
	return ""
}

func sameBoot(a, b string) bool { return a != "" && a == b }
