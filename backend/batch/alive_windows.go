//go:build windows

package batch

import "syscall"

// processAlive reports whether process pid exists, and whether that could be told.
func processAlive(pid int) (alive, known bool) {
	const queryLimitedInformation = 0x1000
	const stillActive = 259
	const errInvalidParameter = syscall.Errno(87)
	if pid <= 0 {
		return false, true
	}
	h, err := syscall.OpenProcess(queryLimitedInformation, false, uint32(pid))
	switch {
	case err == errInvalidParameter:
		return false, true
	case err == syscall.ERROR_ACCESS_DENIED:
		return true, true
	case err != nil:
		return false, false
	}
	defer syscall.CloseHandle(h)
	var code uint32
	if err := syscall.GetExitCodeProcess(h, &code); err != nil {
		return false, false
	}
	return code == stillActive, true
}
