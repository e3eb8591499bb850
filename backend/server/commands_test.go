package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

func TestIdempotencyReplaysAndRefusesReuse(t *testing.T) {
	e := newEnv(t)
	admin := e.sysAdmin()
	org := e.org("Org")
	pending := e.account(portal.Account{Status: portal.StatusPending, OrganizationID: org.ID, Email: "pat@example.org"})
	c := e.client(admin.ID)

	cmd := &client.Cmd{IdempotencyKey: "approve-pat-1"}
	first, err := c.Approve(e.ctx, pending.ID, cmd)
	if err != nil || cmd.Replayed {
		t.Fatalf("first approve: %v replayed=%v", err, cmd.Replayed)
	}
	// The same command again (a retry after a lost answer): the same answer, applied once.
	again, err := c.Approve(e.ctx, pending.ID, cmd)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if !cmd.Replayed || again.Version != first.Version || again.Status != portal.StatusActive {
		t.Errorf("replay: replayed=%v %+v vs %+v", cmd.Replayed, again, first)
	}
	if evs := e.audit(store.AuditFilter{EntityID: pending.ID, Action: portal.ActionApprove}); len(evs) != 1 {
		t.Errorf("%d approve events, want 1", len(evs))
	}
	if n := len(e.sink.WaitFor(t, 1, 10*time.Second)); n != 1 {
		t.Errorf("%d approval e-mails", n)
	}

	// The same key for a different request is refused, naming the header.
	other := e.account(portal.Account{Status: portal.StatusPending, OrganizationID: org.ID})
	_, err = c.Deny(e.ctx, other.ID, "no", &client.Cmd{IdempotencyKey: "approve-pat-1"})
	ce, ok := client.AsError(err)
	if !ok || ce.Status != http.StatusConflict || ce.Field != api.HeaderIdempotencyKey || !strings.Contains(ce.Message, "different request") {
		t.Errorf("key reused for another request: %v", err)
	}
	if e.stored(other.ID).Status != portal.StatusPending {
		t.Error("the refused command was applied")
	}

	// A key belongs to its sender: another admin may use the same key for their own command.
	admin2 := e.sysAdmin()
	if _, err := e.client(admin2.ID).Deny(e.ctx, other.ID, "no", &client.Cmd{IdempotencyKey: "approve-pat-1"}); err != nil {
		t.Errorf("another sender's key: %v", err)
	}

	// A failed command is not stored: after fixing the cause the same key applies it.
	third := e.account(portal.Account{Status: portal.StatusPending, OrganizationID: org.ID})
	key := &client.Cmd{IdempotencyKey: "deny-third"}
	if _, err := c.Deny(e.ctx, third.ID, "   ", key); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("deny without reason: %v", err)
	}
	// (a different body is a different request, so a fresh key)
	if _, err := c.Deny(e.ctx, third.ID, "Not known", &client.Cmd{IdempotencyKey: "deny-third-2"}); err != nil {
		t.Fatal(err)
	}

	// An invitation's one-time link is never stored: a replay withholds it.
	con := e.contact(org.ID, "ivy@example.org")
	ik := &client.Cmd{IdempotencyKey: "invite-ivy"}
	inv, err := c.Invite(e.ctx, api.CreateInvitationRequest{ContactID: con.ID}, ik)
	if err != nil || inv.Token == "" || !strings.HasPrefix(inv.URL, e.url+"/invite/") {
		t.Fatalf("invite: %v %+v", err, inv)
	}
	inv2, err := c.Invite(e.ctx, api.CreateInvitationRequest{ContactID: con.ID}, ik)
	if err != nil || !ik.Replayed || inv2.Token != "" || !inv2.LinkWithheld || inv2.Invitation.ID != inv.Invitation.ID {
		t.Fatalf("invite replay: %v replayed=%v %+v", err, ik.Replayed, inv2)
	}
	if p := e.browser().get(inv.URL); p.Status != http.StatusOK {
		t.Errorf("the link from the first answer: %d", p.Status)
	}
}

func TestStaleVersionGets412WithCurrentRecord(t *testing.T) {
	e := newEnv(t)
	admin := e.sysAdmin()
	org := e.org("Org")
	a := e.account(portal.Account{OrganizationID: org.ID})
	c := e.client(admin.ID)

	seen, err := c.Account(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else changes the account first.
	if _, err := e.client(e.sysAdmin().ID).SetOrgAdmin(e.ctx, a.ID, true, &client.Cmd{IfMatch: seen.Version}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Deactivate(e.ctx, a.ID, &client.Cmd{IfMatch: seen.Version})
	ce, ok := client.AsError(err)
	if !ok || !ce.Stale() || ce.Field != "If-Match" {
		t.Fatalf("stale deactivate: %v", err)
	}
	var cur portal.Account
	if err := client.CurrentOf(err, &cur); err != nil {
		t.Fatal(err)
	}
	if !cur.OrgAdmin || cur.Version != seen.Version+1 || cur.Status != portal.StatusActive {
		t.Errorf("current record in the 412: %+v", cur)
	}
	// With the current version it goes through.
	if _, err := c.Deactivate(e.ctx, a.ID, &client.Cmd{IfMatch: cur.Version}); err != nil {
		t.Errorf("deactivate with the current version: %v", err)
	}
	// The ETag of a GET is the version If-Match wants.
	resp, _ := send(t, e.url, e.session(admin.ID), call{"GET", "/api/v1/accounts/" + a.ID, nil})
	if got := resp.Header.Get("ETag"); got != fmt.Sprintf(`"%d"`, cur.Version+1) {
		t.Errorf("ETag %q", got)
	}
	// Organisations, contacts and settings are guarded the same way.
	if _, err := c.UpdateOrganization(e.ctx, org.ID, portal.Organization{Name: "New"}, &client.Cmd{IfMatch: 99}); !isStale(err) {
		t.Errorf("stale organisation update: %v", err)
	}
	if _, err := c.UpdateSettings(e.ctx, api.DefaultSettings(), &client.Cmd{IfMatch: 99}); !isStale(err) {
		t.Errorf("stale settings update: %v", err)
	}
	// A malformed If-Match is a 400 naming the header.
	resp, body := send(t, e.url, e.session(admin.ID), call{"POST", "/api/v1/accounts/" + a.ID + "/reactivate", nil}, "If-Match", "yesterday")
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"field":"If-Match"`) {
		t.Errorf("bad If-Match: %d %s", resp.StatusCode, body)
	}
}

func isStale(err error) bool {
	ce, ok := client.AsError(err)
	return ok && ce.Stale()
}

// Two last administrators deactivate each other at the same moment, round after round. The
// guard runs inside the single writing transaction, so whatever the interleaving exactly
// one of them is left; both succeeding would leave the portal with none.
func TestLastAdminGuardUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	countAdmins := func() int {
		var n int
		e.st.View(e.ctx, func(r store.Reader) error {
			var err error
			n, err = r.CountActiveSystemAdmins(e.ctx)
			return err
		})
		return n
	}
	var last portal.Account
	for round := range 15 {
		// Retire the survivor of the previous round behind the API's back, so that the
		// two new administrators are the only ones.
		if last.ID != "" {
			a := e.stored(last.ID)
			a.Status = portal.StatusDeactivated
			e.update(func(tx store.Tx) error { return tx.PutAccount(e.ctx, &a) })
		}
		x, y := e.sysAdmin(), e.sysAdmin()
		cx, cy := e.client(x.ID), e.client(y.ID)
		var wg sync.WaitGroup
		var errX, errY error
		wg.Add(2)
		go func() { defer wg.Done(); _, errX = cx.Deactivate(e.ctx, y.ID, nil) }()
		go func() { defer wg.Done(); _, errY = cy.Deactivate(e.ctx, x.ID, nil) }()
		wg.Wait()
		for _, err := range []error{errX, errY} {
			if c := portal.ErrorCode(err); c != "" && c != portal.ECONFLICT && c != portal.EFORBIDDEN {
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if (errX == nil) == (errY == nil) {
			t.Fatalf("round %d: both or neither deactivation succeeded: %v / %v", round, errX, errY)
		}
		if n := countAdmins(); n != 1 {
			t.Fatalf("round %d: %d active administrators left, want 1", round, n)
		}
		last = x
		if errX != nil {
			last = y
		}
	}

	// The survivor cannot deactivate (nobody deactivates themselves) or demote themselves
	// either.
	c := e.client(last.ID)
	if _, err := c.Deactivate(e.ctx, last.ID, nil); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("deactivating the last administrator: %v", err)
	}
	if _, err := c.SetRoles(e.ctx, last.ID, api.SetRolesRequest{CoreRole: portal.RoleStaff}, nil); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("demoting the last administrator: %v", err)
	}
	// Nor can the administrator role lose its permission.
	roles, _ := c.Roles(e.ctx)
	for _, r := range roles {
		if r.ID == portal.RoleAdministrator {
			r.Permissions = []portal.Permission{portal.PermUserSetup}
			if _, err := c.PutRole(e.ctx, r, nil); portal.ErrorCode(err) != portal.ECONFLICT {
				t.Errorf("stripping the administrator role: %v", err)
			}
		}
	}
	if n := countAdmins(); n != 1 {
		t.Errorf("%d administrators at the end", n)
	}
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	admin := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "ada@example.org", Subject: "", Name: "Ada"})
	c := client.New(e.url, "")
	ada := opUser{Sub: "ada-sso", Email: "ada@example.org", Name: "Ada"}

	// A good ID token: an opaque session, the account bound to the SSO identity, the login recorded.
	s, err := c.CreateSession(e.ctx, e.op.IDToken(desktopAudience, ada, "", time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Actor.SystemAdmin || s.Account.ID != admin.ID || strings.Count(s.Token, ".") > 0 || len(s.Token) < 40 {
		t.Errorf("session: %+v", s)
	}
	if a := e.stored(admin.ID); a.Subject != "ada-sso" || a.LastLoginAt == nil {
		t.Errorf("account after sign-in: %+v", a)
	}
	var stored []string
	e.st.View(e.ctx, func(r store.Reader) error {
		_, err := r.Session(e.ctx, s.Token)
		if err == nil {
			stored = append(stored, "raw token found in the database")
		}
		return nil
	})
	if len(stored) > 0 {
		t.Error("the session token is stored as it is, not hashed")
	}
	if me, err := c.Me(e.ctx); err != nil || me.Actor.ID != admin.ID {
		t.Fatalf("me: %v %+v", err, me)
	}

	refuse := func(name, token, want string) {
		t.Helper()
		_, err := client.New(e.url, "").CreateSession(e.ctx, token)
		ce, ok := client.AsError(err)
		if !ok || ce.Status != http.StatusUnauthorized || !strings.Contains(ce.Message, want) {
			t.Errorf("%s: %v, want 401 mentioning %q", name, err, want)
		}
	}
	refuse("expired", e.op.IDToken(desktopAudience, ada, "", -time.Minute), "expired")
	refuse("wrong audience", e.op.IDToken("another-app", ada, "", time.Hour), "issued to another-app")
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged := e.op.sign(map[string]any{"iss": e.op.URL, "aud": desktopAudience, "sub": "ada-sso", "exp": e.clock.Now().Add(time.Hour).Unix()}, other)
	refuse("forged signature", forged, "refused")
	untrusted := newTestOP(t, e.clock)
	refuse("untrusted issuer", untrusted.IDToken(desktopAudience, ada, "", time.Hour), "does not trust")

	// An ID token buys one session, with or without a jti: a second trade, at once or
	// later, is refused in a way the desktop recognises (it asks its provider again).
	spent := func(name, token string) {
		t.Helper()
		_, err := client.New(e.url, "").CreateSession(e.ctx, token)
		ce, ok := client.AsError(err)
		if !ok || ce.Status != http.StatusUnauthorized || !portal.IsIDTokenSpent(ce.Code, ce.Field) || !strings.Contains(ce.Message, "already used") {
			t.Errorf("%s: %v, want 401 saying the token was already used", name, err)
		}
	}
	once := e.op.IDToken(desktopAudience, ada, "", 3*time.Hour)
	if _, err := client.New(e.url, "").CreateSession(e.ctx, once); err != nil {
		t.Fatal(err)
	}
	spent("the same token at once", once)
	noJTI := e.op.IDTokenWith(desktopAudience, ada, "n-1", 3*time.Hour, map[string]any{"jti": nil})
	if _, err := client.New(e.url, "").CreateSession(e.ctx, noJTI); err != nil {
		t.Fatal(err)
	}
	spent("the same token without a jti at once", noJTI)
	e.clock.Advance(61 * time.Second)
	spent("the same token a minute later", once)
	spent("the same token without a jti a minute later", noJTI)
	// A refusal for another reason is not one the desktop mends by asking again.
	_, err = client.New(e.url, "").CreateSession(e.ctx, e.op.IDToken("another-app", ada, "", time.Hour))
	if ce, _ := client.AsError(err); ce == nil || portal.IsIDTokenSpent(ce.Code, ce.Field) {
		t.Errorf("wrong audience reads as a spent token: %v", err)
	}
	if _, err := client.New(e.url, "").CreateSession(e.ctx, e.op.IDTokenWith(desktopAudience, ada, "n-2", time.Hour, map[string]any{"jti": nil})); err != nil {
		t.Errorf("a new sign-in: %v", err)
	}
	// Several audiences: the token must name this portal's client as its authorised party.
	refuse("several audiences without azp", e.op.IDTokenWith(desktopAudience, ada, "", time.Hour, map[string]any{"aud": []string{desktopAudience, "another-app"}}), "azp")
	refuse("several audiences for another party", e.op.IDTokenWith(desktopAudience, ada, "", time.Hour, map[string]any{"aud": []string{desktopAudience, "another-app"}, "azp": "another-app"}), "azp")
	if _, err := client.New(e.url, "").CreateSession(e.ctx, e.op.IDTokenWith(desktopAudience, ada, "", time.Hour, map[string]any{"aud": []string{desktopAudience, "another-app"}, "azp": desktopAudience})); err != nil {
		t.Errorf("several audiences, issued to the desktop: %v", err)
	}

	// Nobody is signed up through the API.
	_, err = client.New(e.url, "").CreateSession(e.ctx, e.op.IDToken(desktopAudience, opUser{Sub: "stranger", Email: "stranger@example.org"}, "", time.Hour))
	if ce, ok := client.AsError(err); !ok || ce.Status != 403 || !strings.Contains(ce.Message, "has no account") {
		t.Errorf("stranger: %v", err)
	}

	// Sessions expire by the clock...
	e.clock.Advance(12*time.Hour + time.Second)
	if _, err := c.Me(e.ctx); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Errorf("expired session: %v", err)
	}
	// ...and end on sign-out.
	s2, err := c.CreateSession(e.ctx, e.op.IDToken(desktopAudience, ada, "", time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSession(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := client.New(e.url, s2.Token).Me(e.ctx); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Errorf("revoked session: %v", err)
	}
	// A deactivated account's session stops working at once.
	s3, _ := c.CreateSession(e.ctx, e.op.IDToken(desktopAudience, ada, "", time.Hour))
	other2 := e.sysAdmin()
	if _, err := e.client(other2.ID).Deactivate(e.ctx, admin.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := client.New(e.url, s3.Token).Me(e.ctx); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("deactivated account's session: %v", err)
	}
}

func TestBadRequestsNameTheProblem(t *testing.T) {
	e := newEnv(t)
	admin := e.sysAdmin()
	tok := e.session(admin.ID)
	org := e.org("Org")
	a := e.account(portal.Account{Status: portal.StatusPending, OrganizationID: org.ID})
	deny := "/api/v1/accounts/" + a.ID + "/deny"

	raw := func(path, body string, headers ...string) (int, api.Error) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ae api.Error
		json.NewDecoder(resp.Body).Decode(&ae)
		return resp.StatusCode, ae
	}
	cases := []struct {
		name, path, body string
		headers          []string
		field, msg       string
	}{
		{"malformed", deny, `{"reason": "x",}`, nil, "", "not valid JSON"},
		{"truncated", deny, `{"reason": "x"`, nil, "", "ends in the middle"},
		{"unknown field", deny, `{"reason": "x", "reasn": "y"}`, nil, "reasn", `"reasn" is not known`},
		{"wrong type", deny, `{"reason": 42}`, nil, "reason", "must be a string"},
		{"not an object", deny, `["x"]`, nil, "", "must be an object, not array"},
		{"two values", deny, `{"reason": "x"} {"reason": "y"}`, nil, "", "more than one JSON value"},
		{"empty", deny, ``, nil, "", "empty"},
		{"oversized", "/api/v1/organizations", `{"name": "` + strings.Repeat("x", 2<<20) + `"}`, nil, "", "larger than the limit"},
		{"not JSON", deny, `reason=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, "Content-Type", "as JSON"},
		{"missing reason", deny, `{"reason": ""}`, nil, "reason", "Say why"},
		{"bad e-mail", "/api/v1/users", `{"organizationId": "` + org.ID + `", "emails": ["ok@example.org", "Anna <anna@example.org>"]}`, nil, "emails[1]", "not a plain e-mail address"},
		{"bad idempotency key", "/api/v1/accounts/" + a.ID + "/approve", `{}`, []string{"Idempotency-Key", strings.Repeat("k", 300)}, "Idempotency-Key", "too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, ae := raw(tc.path, tc.body, tc.headers...)
			if status != http.StatusBadRequest || ae.Code != portal.EINVALID || ae.Field != tc.field || !strings.Contains(ae.Message, tc.msg) {
				t.Errorf("got %d %+v, want 400 field %q message containing %q", status, ae, tc.field, tc.msg)
			}
		})
	}
	if e.stored(a.ID).Status != portal.StatusPending {
		t.Error("a refused request changed the account")
	}
	// Query parameters are checked too.
	resp, body := send(t, e.url, tok, call{"GET", "/api/v1/accounts?status=happy", nil})
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"field":"status"`) {
		t.Errorf("bad status filter: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, e.url, tok, call{"GET", "/api/v1/changes?after=-1&colour=red", nil})
	if resp.StatusCode != 400 {
		t.Errorf("bad feed query: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, e.url, tok, call{"GET", "/api/v1/nothing", nil})
	if resp.StatusCode != 404 || !strings.Contains(string(body), `"code":"not_found"`) {
		t.Errorf("unknown endpoint: %d %s", resp.StatusCode, body)
	}
}
