package desk

import (
	"strings"
	"testing"
)

// The local portal's outgoing mail, as its administrator sees it: the demo's messages that
// carry links were not sent (no public address yet), each with the reason; no body.
func TestPortalMailOnTheLocalPortal(t *testing.T) {
	a := withDemo(t)
	all, err := a.PortalMail("")
	if err != nil || len(all) == 0 {
		t.Fatalf("the outbox: %v %d", err, len(all))
	}
	skipped, err := a.PortalMail("skipped")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range skipped {
		if m.LastError == "" || m.To == "" {
			t.Errorf("a skipped message without its reason: %+v", m)
		}
	}
	if _, err := a.PortalMail("lost"); err == nil || !strings.Contains(err.Error(), "queued, sent, skipped or failed") {
		t.Errorf("an unknown status: %v", err)
	}
	t.Logf("%d messages, %d skipped; first: %+v", len(all), len(skipped), all[0])
}
