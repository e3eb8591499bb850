package desk

import "testing"

// The status bar says "Not encrypted" for a portal server reached over plain HTTP off
// this computer (possible only with GATEHOUSE_INSECURE_HTTP=1).
func TestUnencryptedIsPlainHTTPOffThisComputer(t *testing.T) {
	for raw, want := range map[string]bool{"http://portal.example.org": true, "http://192.0.2.7:8080": true, "https://portal.example.org": false, "http://127.0.0.1:8080": false, "http://localhost:1": false} {
		if got := unencrypted(raw); got != want {
			t.Errorf("%s: %v", raw, got)
		}
	}
}
