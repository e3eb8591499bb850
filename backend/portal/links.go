package portal

import (
	"net"
	"net/url"
	"strings"
)

// CheckLinkBase refuses to e-mail links that point at base when nobody but this computer
// could open them: base's host is a loopback or unspecified address, or a name for this
// computer. The portal inside Gatehouse runs on 127.0.0.1: its links are dead in anyone
// else's mail, so they wait for a public address (a tunnel or proxy to this computer) or a
// portal server.
func CheckLinkBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return FieldErrorf("publicUrl", "The portal has no address people can open (%q). Set its public address in Settings, then send again.", base)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	ip := net.ParseIP(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		return FieldErrorf("publicUrl", "The links in these messages would point to this computer (%s), which nobody else can open, so nothing was sent. "+
			"Set the portal's public address in Settings (the address people reach this computer's portal at), or connect to your organisation's portal server, then send again.", u.Host)
	}
	return nil
}
