package mail

import (
	"strings"
	"testing"
)

func TestPlainName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Ann Reed", "Ann Reed"},
		{"  Zoë   Ménard ", "Zoë Ménard"},
		{"Ann\r\nBcc: all@example.org", "Ann Bcc:"},
		{"Urgent: verify at https://evil.example/login now", "Urgent: verify at now"},
		{"Pat www.evil.example/x", "Pat"},
		{"Call evil.com/pay", "Call"},
		{"Ann\u202eReed", "Ann Reed"}, // a right-to-left override
		{strings.Repeat("a", 100), strings.Repeat("a", 79) + "…"},
	} {
		if got := PlainName(tc.in); got != tc.want {
			t.Errorf("PlainName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
