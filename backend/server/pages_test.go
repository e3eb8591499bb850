package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

func TestFormsNeedTheirCSRFToken(t *testing.T) {
	e := newEnv(t)
	e.sysAdmin()
	b := e.browser()
	p := b.signInSSO(opUser{Sub: "x", Email: "x@example.org"})
	if p.Status != http.StatusForbidden {
		t.Fatalf("sign-in: %d", p.Status)
	}
	// No token, a wrong token: refused, and nothing is e-mailed.
	for _, tok := range []string{"", "forged-token-forged-token-forged-token"} {
		resp, err := b.hc.PostForm(e.url+"/account/request-access", url.Values{"csrf": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		pg := readPage(t, resp)
		if pg.Status != http.StatusForbidden || !strings.Contains(pg.Body, "form expired") {
			t.Errorf("csrf %q: %d %s", tok, pg.Status, pg.Body)
		}
	}
	// A cross-site browser request is refused before the form is read.
	req, _ := http.NewRequest("POST", e.url+"/account/request-access", strings.NewReader("csrf=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", resp.StatusCode)
	}
	if n := len(e.sink.Messages()); n != 0 {
		t.Errorf("%d e-mails sent by refused forms", n)
	}
	// With the page's token it works.
	if r := b.post(p, "/account/request-access", nil); r.Status != http.StatusOK {
		t.Errorf("proper form: %d", r.Status)
	}
}

func TestApprovalLinksExpireAndCheckTheApproversRights(t *testing.T) {
	e := newEnv(t)
	approver := e.account(portal.Account{AdditionalRoles: []string{portal.RoleUserSetup}, Email: "setup@example.org"})
	b := e.browser()
	b.post(b.signInSSO(opUser{Sub: "q", Email: "q@example.org", Name: "Quinn"}), "/account/request-access", nil)
	msgs := e.sink.WaitFor(t, 1, 10*time.Second)
	approveURL := link(t, msgs[0].Body, e.url+"/approvals/approve?token=")

	// The approver loses user setup: the link stops working.
	a := e.stored(approver.ID)
	a.AdditionalRoles = []string{}
	e.update(func(tx store.Tx) error { return tx.PutAccount(e.ctx, &a) })
	if p := e.browser().get(approveURL); p.Status != http.StatusForbidden {
		t.Errorf("link of an approver without rights: %d\n%s", p.Status, p.Body)
	}
	a = e.stored(approver.ID)
	a.AdditionalRoles = []string{portal.RoleUserSetup}
	e.update(func(tx store.Tx) error { return tx.PutAccount(e.ctx, &a) })

	ap := e.browser()
	page := ap.get(approveURL)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Approve Quinn") {
		t.Fatalf("approve page: %d\n%s", page.Status, page.Body)
	}
	// Fourteen days later the link has expired, even from the open page.
	e.clock.Advance(14*24*time.Hour + time.Minute)
	r := ap.post(page, "/approvals/decide", url.Values{"token": {tokenOf(approveURL)}, "decision": {"approve"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "expired") {
		t.Errorf("expired link: %d\n%s", r.Status, r.Body)
	}
	if p := ap.get("/approvals/approve?token=nonsense"); p.Status != http.StatusNotFound {
		t.Errorf("unknown token: %d", p.Status)
	}
}
