//go:build windows

package batch

import (
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bootID identifies this boot of the machine by its boot time (now minus the time since
// boot): per-message commits written during the same boot survive a process crash, so
// recovery may trust them (see doc.go).
func bootID() string {
	proc := syscall.NewLazyDLL("kernel32.dll").NewProc("GetTickCount64")
	if proc.Find() != nil {
		return ""
	}
	ms, _, _ := proc.Call()
	boot := time.Now().Add(-time.Duration(ms) * time.Millisecond)
	return "windows:" + strconv.FormatInt(boot.Unix(), 10)
}

// sameBoot allows a few seconds of difference: the boot time is computed from the wall
// clock. Two boots are always further apart than that (by the first boot's uptime); a
// clock change larger than that only makes recovery more careful.
func sameBoot(a, b string) bool {
	ta, okA := windowsBoot(a)
	tb, okB := windowsBoot(b)
	if !okA || !okB {
		return false
	}
	d := ta - tb
	return d >= -5 && d <= 5
}

func windowsBoot(s string) (int64, bool) {
	v, ok := strings.CutPrefix(s, "windows:")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}
