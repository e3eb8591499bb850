package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

// What reaches the portal from outside — a name from the identity provider, the words in a
// sign-in answer — never speaks in the portal's voice: an approver's e-mail subject carries
// the name without its line breaks and links, and the callback page says fixed sentences.
func TestHostileNamesAndCallbackWords(t *testing.T) {
	e := newEnv(t)
	e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "admin@example.org", Name: "Ada Admin"})

	b := e.browser()
	p := b.signInSSO(opUser{Sub: "mal-1", Email: "mal@example.org", Name: "Mal\r\nUrgent: confirm at https://evil.example/pay"})
	p = b.post(p, "/account/request-access", nil)
	if p.Status != http.StatusOK {
		t.Fatalf("request access: %d\n%s", p.Status, p.Body)
	}
	msgs := e.sink.WaitFor(t, 1, 10*time.Second)
	if s := subject(msgs[0]); s != "Mal Urgent: confirm at is requesting access to Gatehouse" {
		t.Errorf("subject %q", s)
	}
	if strings.Contains(msgs[0].Body, "evil.example") {
		t.Errorf("the attacker's link reached the approver:\n%s", msgs[0].Body)
	}

	// An identity provider's error (or anyone's link to the callback) with words in it.
	page := e.browser().get("/auth/callback?error=access_denied&error_description=Your+account+is+locked.+Call+0800+123+or+visit+evil.example")
	if page.Status != http.StatusUnauthorized || strings.Contains(page.Body, "evil.example") || strings.Contains(page.Body, "0800") ||
		!strings.Contains(page.Body, "the sign-in was cancelled or refused") {
		t.Errorf("callback error page: %d\n%s", page.Status, page.Body)
	}
}
