package keychain

import (
	"errors"
	"os"
	"path/filepath"
)

// noSessionBus refuses to reach the Secret Service when this process has no D-Bus
// session: go-keyring's D-Bus library would then autolaunch a session bus of its own
// (dbus-launch), with a keyring daemon, that outlive the process and pile up, one pair
// per run. A desktop session always has one; a terminal without one gets this error, which
// callers treat like any unreachable keychain.
func noSessionBus() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	// Where the D-Bus library looks before it autolaunches.
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}

var errNoSessionBus = errors.New("keychain: there is no desktop session (D-Bus) to reach the Secret Service in; set DBUS_SESSION_BUS_ADDRESS, or run under dbus-run-session")
