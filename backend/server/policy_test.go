package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// whoMayActOnWhom is the contract of account actions: for each action on each kind of
// target account, the HTTP status every kind of caller gets. It is written from the policy
// in DESIGN.md ("Who may act on whom"), not from the code: an actor reaches the accounts of
// the organisations they administer (approvers: every account, to decide sign-ins), and may
// change an account only if every permission it holds is one they hold too. Nobody changes
// their own access. A caller without reach is refused before anything is read; a record of
// an organisation the caller does not administer answers as if it did not exist.
//
// Columns (callers):
//
//	sysA  system administrator (no organisation)    uset  approver with user setup
//	oadA  administrator of organisation A          oadB  administrator of organisation B
//	staf  staff of A without permissions           clnt  client of A
//	pend  pending account                          self  the target account itself
//
// Targets (all of organisation A unless named): member (active client), staff, orgadm
// (another administrator of A), sysadm (a system administrator who belongs to A), approv (a
// staff user of A with user setup), pending, pendadm (pending, but already given the
// administrator role), denied, deact (deactivated client), deactsys (a system administrator
// of A another one deactivated), invited, ghost (a client who never finished registering),
// memberB (a client of B), unknown (an id nobody has).
//
// Suffixes: "+stale" sends If-Match with an old version; "+again" sends the same request
// with the same Idempotency-Key twice and records the second answer. "-" marks a cell that
// has no meaning (an unknown id has no self).
const whoMayActOnWhom = `
action              target          sysA uset oadA oadB staf clnt pend self
get                 member           200  200  200  404  403  403  403  403
get                 sysadm           200  200  200  404  403  403  403  200
get                 memberB          200  200  404  200  403  403  403  403
get                 unknown          404  404  404  404  403  403  403    -
approve             pending          200  200  200  404  403  403  403  403
approve             pendadm          200  403  403  404  403  403  403  403
deny                pending          200  200  200  404  403  403  403  403
deny                pendadm          200  403  403  404  403  403  403  403
approve-instead     denied           200  200  200  404  403  403  403  403
restore             denied           200  200  200  404  403  403  403  403
purge               denied           204  403  403  403  403  403  403  403
purge+stale         denied           412  403  403  403  403  403  403  403
purge               unknown          404  403  403  403  403  403  403    -
promote             member           200  403  403  404  403  403  403  403
roles               staff            200  403  200  404  403  403  403  403
roles               sysadm           200  403  403  404  403  403  403  200
roles               approv           200  403  403  404  403  403  403  403
org-admin           member           200  403  200  404  403  403  403  403
org-admin           sysadm           200  403  403  404  403  403  403  403
org-admin           approv           200  403  403  404  403  403  403  403
org-admin-remove    orgadm           200  403  200  404  403  403  403  403
deactivate          member           200  403  200  404  403  403  403  403
deactivate          staff            200  403  200  404  403  403  403  403
deactivate          orgadm           200  403  200  404  403  403  403  403
deactivate          sysadm           200  403  403  404  403  403  403  403
deactivate          approv           200  403  403  404  403  403  403  403
deactivate          memberB          200  403  404  200  403  403  403  403
deactivate          unknown          404  404  404  404  403  403  403    -
deactivate+stale    member           412  403  412  404  403  403  403  403
deactivate+stale    sysadm           412  403  403  404  403  403  403  403
deactivate+again    member           200  403  200  404  403  403  403  403
reactivate          deact            200  403  200  404  403  403  403  403
reactivate          deactsys         200  403  403  404  403  403  403  403
complete-reg        ghost            200  403  200  404  403  403  403  403
resend              invited          200  403  200  404  403  403  403  403
revoke              invited          200  403  200  404  403  403  403  403
`

var policyCallers = []string{"sysA", "uset", "oadA", "oadB", "staf", "clnt", "pend", "self"}

// policyTarget is one fresh target account: its id, version and, when invited, its
// invitation.
type policyTarget struct {
	acc          portal.Account
	invitationID string
}

func TestWhoMayActOnWhom(t *testing.T) {
	e := newEnv(t)
	orgA, orgB := e.org("Org A"), e.org("Org B")
	A := orgA.ID
	orgRole := portal.Role{ID: "helpers-a", Name: "Helpers", Scope: portal.ScopeOrganization, OrganizationID: A}
	if _, err := e.svc.PutRole(e.ctx, sysCmd(), orgRole.ID, orgRole); err != nil {
		t.Fatal(err)
	}
	callers := map[string]portal.Account{
		"sysA": e.account(portal.Account{CoreRole: portal.RoleAdministrator}),
		"uset": e.account(portal.Account{AdditionalRoles: []string{portal.RoleUserSetup}}),
		"oadA": e.account(portal.Account{OrganizationID: A, OrgAdmin: true, Kind: portal.KindClient, RegistrationComplete: true}),
		"oadB": e.account(portal.Account{OrganizationID: orgB.ID, OrgAdmin: true, Kind: portal.KindClient, RegistrationComplete: true}),
		"staf": e.account(portal.Account{OrganizationID: A}),
		"clnt": e.account(portal.Account{OrganizationID: A, Kind: portal.KindClient, RegistrationComplete: true}),
		"pend": e.account(portal.Account{OrganizationID: A, Status: portal.StatusPending}),
	}
	tokens := map[string]string{}
	for name, a := range callers {
		tokens[name] = e.session(a.ID)
	}

	client := func(org string) portal.Account {
		return portal.Account{OrganizationID: org, Kind: portal.KindClient, RegistrationComplete: true, ClientRecord: true}
	}
	makeTarget := map[string]func() policyTarget{
		"member":  func() policyTarget { return policyTarget{acc: e.account(client(A))} },
		"memberB": func() policyTarget { return policyTarget{acc: e.account(client(orgB.ID))} },
		"staff":   func() policyTarget { return policyTarget{acc: e.account(portal.Account{OrganizationID: A})} },
		"orgadm": func() policyTarget {
			a := client(A)
			a.OrgAdmin = true
			return policyTarget{acc: e.account(a)}
		},
		"sysadm": func() policyTarget {
			return policyTarget{acc: e.account(portal.Account{OrganizationID: A, CoreRole: portal.RoleAdministrator})}
		},
		"approv": func() policyTarget {
			return policyTarget{acc: e.account(portal.Account{OrganizationID: A, AdditionalRoles: []string{portal.RoleUserSetup}})}
		},
		"pending": func() policyTarget {
			return policyTarget{acc: e.account(portal.Account{OrganizationID: A, Status: portal.StatusPending})}
		},
		"pendadm": func() policyTarget {
			return policyTarget{acc: e.account(portal.Account{OrganizationID: A, Status: portal.StatusPending, CoreRole: portal.RoleAdministrator})}
		},
		"denied": func() policyTarget {
			return policyTarget{acc: e.account(portal.Account{OrganizationID: A, Status: portal.StatusDenied})}
		},
		"deact": func() policyTarget {
			a := client(A)
			a.Status = portal.StatusDeactivated
			return policyTarget{acc: e.account(a)}
		},
		"deactsys": func() policyTarget {
			return policyTarget{acc: e.account(portal.Account{OrganizationID: A, Status: portal.StatusDeactivated, CoreRole: portal.RoleAdministrator})}
		},
		"ghost": func() policyTarget {
			a := client(A)
			a.RegistrationComplete = false
			return policyTarget{acc: e.account(a)}
		},
		"invited": func() policyTarget {
			c := e.contact(A, strings.ToLower(e.id("inv"))+"@example.org")
			res, err := e.svc.Invite(e.ctx, sysCmd(), api.CreateInvitationRequest{ContactID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			return policyTarget{acc: res.Account, invitationID: res.Invitation.ID}
		},
		"unknown": func() policyTarget { return policyTarget{acc: portal.Account{ID: "acc_0123456789abcdef0123"}} },
	}
	request := func(action string, tg policyTarget) call {
		id := tg.acc.ID
		switch action {
		case "get":
			return call{"GET", "/api/v1/accounts/" + id, nil}
		case "deny":
			return call{"POST", "/api/v1/accounts/" + id + "/deny", api.DenyRequest{Reason: "Not staff"}}
		case "promote":
			return call{"POST", "/api/v1/accounts/" + id + "/promote", api.PromoteRequest{CoreRole: portal.RoleStaff}}
		case "roles":
			// Keep the core role, add one of A's own roles.
			return call{"POST", "/api/v1/accounts/" + id + "/roles", api.SetRolesRequest{CoreRole: tg.acc.CoreRole, AdditionalRoles: append(tg.acc.AdditionalRoles, orgRole.ID)}}
		case "org-admin":
			return call{"POST", "/api/v1/accounts/" + id + "/org-admin", api.SetOrgAdminRequest{Admin: true}}
		case "org-admin-remove":
			return call{"POST", "/api/v1/accounts/" + id + "/org-admin", api.SetOrgAdminRequest{Admin: false}}
		case "complete-reg":
			return call{"POST", "/api/v1/accounts/" + id + "/complete-registration", nil}
		case "resend", "revoke":
			return call{"POST", "/api/v1/invitations/" + tg.invitationID + "/" + action, nil}
		}
		return call{"POST", "/api/v1/accounts/" + id + "/" + action, nil}
	}

	type row struct{ action, target string }
	var rows []row
	want := map[row]map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(whoMayActOnWhom), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) != 2+len(policyCallers) {
			t.Fatalf("policy line has %d columns: %q", len(f), line)
		}
		r := row{f[0], f[1]}
		if _, ok := makeTarget[r.target]; !ok {
			t.Fatalf("unknown target %q", r.target)
		}
		rows = append(rows, r)
		want[r] = map[string]string{}
		for i, c := range policyCallers {
			want[r][c] = f[2+i]
		}
	}

	got := map[row]map[string]string{}
	failed := 0
	for _, r := range rows {
		got[r] = map[string]string{}
		action, mode, _ := strings.Cut(r.action, "+")
		for _, caller := range policyCallers {
			if want[r][caller] == "-" {
				got[r][caller] = "-"
				continue
			}
			tg := makeTarget[r.target]()
			token := tokens[caller]
			if caller == "self" {
				token = e.session(tg.acc.ID)
			}
			c := request(action, tg)
			var headers []string
			switch mode {
			case "stale":
				headers = []string{api.HeaderIfMatch, strconv.Quote(strconv.FormatInt(tg.acc.Version+7, 10))}
			case "again":
				headers = []string{api.HeaderIdempotencyKey, e.id("key")}
			}
			resp, body := send(t, e.url, token, c, headers...)
			if mode == "again" {
				resp, body = send(t, e.url, token, c, headers...)
			}
			status := strconv.Itoa(resp.StatusCode)
			got[r][caller] = status
			if status != want[r][caller] {
				failed++
				t.Errorf("%s %s as %s: got %s, want %s: %s", r.action, r.target, caller, status, want[r][caller], body)
			}
			// A refusal never carries the record, and its sentence is the policy's.
			if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound {
				if strings.Contains(string(body), `"current"`) || strings.Contains(string(body), tg.acc.Email+`"`) && tg.acc.Email != "" {
					t.Errorf("%s %s as %s: the refusal shows the record: %s", r.action, r.target, caller, body)
				}
			}
		}
	}

	// Every finding of the policy issue is a cell above that must refuse.
	for _, finding := range []struct {
		row    row
		caller string
	}{
		{row{"deactivate", "sysadm"}, "oadA"},
		{row{"reactivate", "deactsys"}, "oadA"},
		{row{"org-admin", "sysadm"}, "oadA"},
		{row{"purge+stale", "denied"}, "clnt"},
	} {
		if w := want[finding.row][finding.caller]; w != "403" {
			t.Errorf("the contract lost a finding: %v as %s wants %s", finding.row, finding.caller, w)
		}
	}

	names := make([]string, len(rows))
	byName := map[string]row{}
	for i, r := range rows {
		names[i] = fmt.Sprintf("%-20s %s", r.action, r.target)
		byName[names[i]] = r
	}
	table := printMatrix("action               target", names, policyCallers, func(name, c string) (string, bool) {
		r := byName[name]
		return got[r][c], got[r][c] == want[r][c]
	})
	t.Logf("who may act on whom (%d cells, %d differ; ! marks them):\n%s", len(rows)*len(policyCallers), failed, table)
}

// An account no identity is bound to yet (the first system administrator, an invited client
// who chose a password) is linked only by the identity provider trusted for its kind: the
// desktop's issuers for staff and administrators, the portal's sign-in issuer for clients.
// Before, whichever issuer first presented a verified address owned the account.
func TestUnboundAccountsAreLinkedOnlyByTheirIssuer(t *testing.T) {
	var people *testOP
	e := newEnv(t, func(c *server.Config) {
		people = newTestOP(t, c.Clock)
		c.SSO = &server.SSOConfig{Issuer: people.URL, ClientID: portalClientID, ClientSecret: people.secret}
	})
	admin := e.account(portal.Account{CoreRole: portal.RoleAdministrator, Email: "boss@example.org", Source: "bootstrap"})
	clientAcc := e.account(portal.Account{Kind: portal.KindClient, RegistrationComplete: true, Email: "carla@example.org", Source: "invitation"})

	// The people's issuer presents the administrator's address: refused, nothing bound.
	b := e.browser()
	people.SignInAs(opUser{Sub: "people-boss", Email: "boss@example.org", Name: "Not the boss"})
	p := b.get("/login")
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "not the identity provider this portal trusts for staff") {
		t.Fatalf("people's issuer on the administrator: %d\n%s", p.Status, p.Body)
	}
	if a := e.stored(admin.ID); a.Subject != "" || a.Source != "bootstrap" {
		t.Fatalf("the administrator was bound: %+v", a)
	}

	// The desktop's issuer links the administrator, recording the issuer.
	resp, body := send(t, e.url, "", call{"POST", "/api/v1/session", api.SessionRequest{IDToken: e.op.IDToken(desktopAudience, opUser{Sub: "boss-1", Email: "boss@example.org"}, "", time.Hour)}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("admin sign-in: %d %s", resp.StatusCode, body)
	}
	if a := e.stored(admin.ID); a.Subject != "boss-1" || a.Source != strings.TrimPrefix(e.op.URL, "http://") {
		t.Fatalf("after the admin's sign-in: subject %q source %q", a.Subject, a.Source)
	}

	// The desktop's issuer may not take a client's account; the people's issuer may.
	resp, body = send(t, e.url, "", call{"POST", "/api/v1/session", api.SessionRequest{IDToken: e.op.IDToken(desktopAudience, opUser{Sub: "carla-desk", Email: "carla@example.org"}, "", time.Hour)}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "not the identity provider this portal trusts for clients") {
		t.Fatalf("desktop issuer on a client: %d %s", resp.StatusCode, body)
	}
	people.SignInAs(opUser{Sub: "carla-1", Email: "carla@example.org", Name: "Carla"})
	if p := e.browser().get("/login"); p.Status != http.StatusOK || !strings.Contains(p.Body, "You are signed in") {
		t.Fatalf("client sign-in: %d\n%s", p.Status, p.Body)
	}
	if a := e.stored(clientAcc.ID); a.Subject != "carla-1" || a.Source != strings.TrimPrefix(people.URL, "http://") {
		t.Fatalf("after the client's sign-in: %+v", a)
	}
}

// Ids a client chooses must have the server's own shape; an id another organisation's
// contact already has is answered as if it were free.
func TestClientChosenIDs(t *testing.T) {
	e := newEnv(t)
	orgA, orgB := e.org("Org A"), e.org("Org B")
	oadA := e.account(portal.Account{OrganizationID: orgA.ID, OrgAdmin: true, Kind: portal.KindClient, RegistrationComplete: true})
	hidden := portal.Contact{ID: "con_b0000000000000000001", OrganizationID: orgB.ID, Email: "bea@example.org", FullName: "Bea"}
	own := portal.Contact{ID: "con_a0000000000000000001", OrganizationID: orgA.ID, Email: "ann@example.org", FullName: "Ann"}
	e.update(func(tx store.Tx) error {
		if err := tx.PutContact(e.ctx, &hidden); err != nil {
			return err
		}
		return tx.PutContact(e.ctx, &own)
	})
	token := e.session(oadA.ID)
	for _, tc := range []struct {
		name, id string
		status   int
	}{
		{"path", "../../x", http.StatusBadRequest},
		{"long", "con_" + strings.Repeat("a", 500_000), http.StatusBadRequest},
		{"wrong prefix", "org_0123456789abcdef0123", http.StatusBadRequest},
		{"upper case", "con_ABC", http.StatusBadRequest},
		{"own shape", "con_0123456789abcdef0123", http.StatusCreated},
		{"another organisation's", hidden.ID, http.StatusCreated},
		{"one the caller sees", own.ID, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, e.url, token, call{"POST", "/api/v1/contacts", portal.Contact{ID: tc.id, OrganizationID: orgA.ID, FullName: "Someone", Email: "someone@example.org"}})
			if resp.StatusCode != tc.status && !(tc.name == "long" && resp.StatusCode == http.StatusRequestEntityTooLarge) {
				t.Fatalf("got %d, want %d: %.300s", resp.StatusCode, tc.status, body)
			}
			if strings.Contains(string(body), hidden.Email) || strings.Contains(string(body), orgB.ID) {
				t.Errorf("the answer tells of organisation B's contact: %.300s", body)
			}
			if tc.name == "another organisation's" && strings.Contains(string(body), hidden.ID) {
				t.Errorf("the new contact took organisation B's id: %s", body)
			}
		})
	}
	if c := e.storedContact(hidden.ID); c.OrganizationID != orgB.ID || c.Email != hidden.Email {
		t.Errorf("organisation B's contact changed: %+v", c)
	}
}

func (e *env) storedContact(id string) portal.Contact {
	return storedRecord(e, func(r store.Reader) (portal.Contact, error) { return r.Contact(e.ctx, id) })
}
