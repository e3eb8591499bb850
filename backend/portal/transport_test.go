package portal

import (
	"net/url"
	"strings"
	"testing"
)

func TestRequireHTTPS(t *testing.T) {
	for _, tc := range []struct {
		raw      string
		insecure bool
		ok       bool
	}{
		{"https://portal.example.org", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://[::1]:8080", false, true},
		{"http://localhost:8080", false, true},
		{"http://portal.example.org", false, false},
		{"http://192.0.2.7:8080", false, false},
		{"http://portal.example.org", true, true},
	} {
		u, _ := url.Parse(tc.raw)
		err := RequireHTTPS("serverUrl", u, tc.insecure)
		if (err == nil) != tc.ok {
			t.Errorf("%s (insecure %v): %v", tc.raw, tc.insecure, err)
		}
		if err != nil && (!strings.Contains(ErrorMessage(err), "https://") || err.(*Error).Field != "serverUrl") {
			t.Errorf("%s: the refusal %v", tc.raw, err)
		}
	}
}
