package portal

import (
	"net"
	"net/url"
)

// RequireHTTPS refuses a plain-HTTP address that leaves this computer: a portal server or
// identity provider reached so would carry sign-ins and session tokens in the clear. The
// loopback address is this computer (the local portal, a proxy on the same machine).
// allowInsecure is the operator's explicit choice (GATEHOUSE_INSECURE_HTTP=1 on the
// desktop, --insecure-http on the server).
func RequireHTTPS(field string, u *url.URL, allowInsecure bool) error {
	if u.Scheme != "http" || allowInsecure || IsLoopbackHost(u.Hostname()) {
		return nil
	}
	return FieldErrorf(field, "%s is plain HTTP: sign-ins and session tokens would cross the network unencrypted. Use its https:// address (or, only for a test setup, start Gatehouse with GATEHOUSE_INSECURE_HTTP=1).", u.Redacted())
}

// IsLoopbackHost reports whether host is this computer only.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
