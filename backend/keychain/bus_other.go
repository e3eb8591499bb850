//go:build !linux

package keychain

// noSessionBus: only Linux reaches its keychain over a D-Bus session (bus_linux.go).
func noSessionBus() error { return nil }
