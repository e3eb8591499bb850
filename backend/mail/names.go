package mail

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameRunes is as long as a person's name gets in a message; longer is cut.
const maxNameRunes = 80

// linkLike matches what a mail program would turn into a link: an e-mail address, a
// scheme's address, a www. name, or a bare domain name with a well-known ending.
var linkLike = regexp.MustCompile(`(?i)\S+@\S+|\b[a-z][a-z0-9+.-]*://\S*|\bwww\.\S*|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|org|net|io|co|info|biz|xyz|ru|cn|top|link|click|app|dev|me|ly|gl|to)\b\S*`)

// PlainName is a name as it may appear in a message, its subject above all: a name comes
// from the person (their identity provider, a registration form), and a name such as
// "Urgent: verify at https://evil.example" must not put the attacker's words and links in an
// approver's inbox under the portal's name. Control characters and line breaks go, links
// go, spaces are single, and it is cut to 80 characters.
func PlainName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf) {
			return ' '
		}
		return r
	}, s)
	s = linkLike.ReplaceAllString(s, " ")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxNameRunes {
		s = strings.TrimSpace(string([]rune(s)[:maxNameRunes-1])) + "…"
	}
	return s
}
