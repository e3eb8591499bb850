package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

// expectedMatrix is the authorisation contract of the admin API: the HTTP status every
// kind of caller gets from every endpoint, on a record of organisation A.
//
//	anon  no token              pend  pending account     deny  denied account
//	clnt  active client         staf  staff, no rights    uset  staff with user setup
//	oadA  admin of org A        oadB  admin of org B      sysA  system administrator
//
// A caller with no reach at all is refused (403) before anything is read; a caller who
// administers another organisation meets organisation A's accounts, contacts, invitations
// and roles as if they did not exist (404), so that ids cannot be probed. A role ID is one
// namespace, so creating a role under an ID another organisation uses is a conflict (409)
// that names nothing of that role. Who may act on whom within reach is
// TestWhoMayActOnWhom's.
const expectedMatrix = `
endpoint                                              anon pend deny clnt staf uset oadA oadB sysA
POST /api/v1/session                                   401  403  403  201  201  201  201  201  201
DELETE /api/v1/session                                 401  403  403  204  204  204  204  204  204
GET /api/v1/me                                         401  403  403  200  200  200  200  200  200
GET /api/v1/changes                                    401  403  403  403  403  200  200  200  200
GET /api/v1/organizations                              401  403  403  403  403  200  200  200  200
POST /api/v1/organizations                             401  403  403  403  403  403  403  403  201
GET /api/v1/organizations/{id}                         401  403  403  403  403  200  200  403  200
PUT /api/v1/organizations/{id}                         401  403  403  403  403  403  200  403  200
DELETE /api/v1/organizations/{id}                      401  403  403  403  403  403  403  403  204
GET /api/v1/contacts                                   401  403  403  403  403  403  200  200  200
POST /api/v1/contacts                                  401  403  403  403  403  403  201  403  201
POST /api/v1/contacts/bulk                             401  403  403  403  403  403  200  200  200
GET /api/v1/contacts/{id}                              401  403  403  403  403  403  200  404  200
PUT /api/v1/contacts/{id}                              401  403  403  403  403  403  200  404  200
DELETE /api/v1/contacts/{id}                           401  403  403  403  403  403  204  404  204
POST /api/v1/users                                     401  403  403  403  403  403  200  403  200
GET /api/v1/accounts                                   401  403  403  403  403  200  200  200  200
GET /api/v1/accounts/{id}                              401  403  403  403  403  200  200  404  200
POST /api/v1/accounts/{id}/approve                     401  403  403  403  403  200  200  404  200
POST /api/v1/accounts/{id}/deny                        401  403  403  403  403  200  200  404  200
POST /api/v1/accounts/{id}/approve-instead             401  403  403  403  403  200  200  404  200
POST /api/v1/accounts/{id}/restore                     401  403  403  403  403  200  200  404  200
POST /api/v1/accounts/{id}/purge                       401  403  403  403  403  403  403  403  204
POST /api/v1/accounts/{id}/promote                     401  403  403  403  403  403  403  404  200
POST /api/v1/accounts/{id}/roles                       401  403  403  403  403  403  200  404  200
POST /api/v1/accounts/{id}/org-admin                   401  403  403  403  403  403  200  404  200
POST /api/v1/accounts/{id}/deactivate                  401  403  403  403  403  403  200  404  200
POST /api/v1/accounts/{id}/reactivate                  401  403  403  403  403  403  200  404  200
POST /api/v1/accounts/{id}/complete-registration       401  403  403  403  403  403  200  404  200
POST /api/v1/accounts/{id}/delete-client-record        401  403  403  403  403  403  200  404  200
GET /api/v1/invitations                                401  403  403  403  403  403  200  200  200
POST /api/v1/invitations                               401  403  403  403  403  403  201  404  201
POST /api/v1/invitations/bulk                          401  403  403  403  403  403  200  200  200
GET /api/v1/invitations/{id}                           401  403  403  403  403  403  200  404  200
POST /api/v1/invitations/{id}/resend                   401  403  403  403  403  403  200  404  200
POST /api/v1/invitations/{id}/revoke                   401  403  403  403  403  403  200  404  200
GET /api/v1/roles                                      401  403  403  403  403  200  200  200  200
PUT /api/v1/roles/{id}                                 401  403  403  403  403  403  200  409  200
DELETE /api/v1/roles/{id}                              401  403  403  403  403  403  204  404  204
GET /api/v1/audit                                      401  403  403  403  403  200  200  200  200
POST /api/v1/audit/desktop-events                      401  403  403  403  403  200  200  200  200
GET /api/v1/mail                                       401  403  403  403  403  403  403  403  200
POST /api/v1/mail/{id}/retry                           401  403  403  403  403  403  403  403  404
GET /api/v1/templates                                  401  403  403  403  403  200  200  200  200
GET /api/v1/templates/{key}                            401  403  403  403  403  200  200  200  200
PUT /api/v1/templates/{key}                            401  403  403  403  403  403  403  403  200
GET /api/v1/settings                                   401  403  403  403  403  200  200  200  200
GET /api/v1/directory-tokens                           401  403  403  403  403  403  200  200  200
POST /api/v1/directory-tokens                          401  403  403  403  403  403  201  403  201
POST /api/v1/directory-tokens/{id}/revoke              401  403  403  403  403  403  200  404  200
PUT /api/v1/settings                                   401  403  403  403  403  403  403  403  200
`

var personaNames = []string{"anon", "pend", "deny", "clnt", "staf", "uset", "oadA", "oadB", "sysA"}

type fixture struct {
	e          *env
	orgA, orgB portal.Organization
	orgRole    portal.Role
	people     map[string]portal.Account
}

func newFixture(e *env) *fixture {
	f := &fixture{e: e, orgA: e.org("Org A"), orgB: e.org("Org B"), people: map[string]portal.Account{}}
	f.orgRole = portal.Role{ID: "orgrole-a", Name: "Org A managers", Scope: portal.ScopeOrganization, OrganizationID: f.orgA.ID}
	e.update(func(tx store.Tx) error { return tx.PutRole(e.ctx, &f.orgRole) })
	src := strings.TrimPrefix(e.op.URL, "http://")
	mk := func(name string, a portal.Account) {
		a.Subject, a.Source, a.Email = "sub-"+name, src, name+"@example.org"
		f.people[name] = e.account(a)
	}
	mk("pend", portal.Account{Status: portal.StatusPending, OrganizationID: f.orgA.ID})
	mk("deny", portal.Account{Status: portal.StatusDenied, OrganizationID: f.orgA.ID})
	mk("clnt", portal.Account{Kind: portal.KindClient, OrganizationID: f.orgA.ID, RegistrationComplete: true})
	mk("staf", portal.Account{OrganizationID: f.orgA.ID})
	mk("uset", portal.Account{AdditionalRoles: []string{portal.RoleUserSetup}})
	mk("oadA", portal.Account{OrganizationID: f.orgA.ID, OrgAdmin: true})
	mk("oadB", portal.Account{OrganizationID: f.orgB.ID, OrgAdmin: true})
	mk("sysA", portal.Account{CoreRole: portal.RoleAdministrator})
	return f
}

type call struct {
	method, path string
	body         any
}

// targets builds, for each endpoint, a request on fresh records of organisation A, so
// that one caller's success does not change what the next caller meets.
func (f *fixture) targets() map[string]func() call {
	e := f.e
	A := f.orgA.ID
	acc := func(a portal.Account) string {
		a.OrganizationID = A
		return e.account(a).ID
	}
	invitation := func() string {
		c := e.contact(A, e.id("inv")+"@example.org")
		res, err := e.svc.Invite(e.ctx, sysCmd(), api.CreateInvitationRequest{ContactID: c.ID})
		if err != nil {
			e.t.Fatal(err)
		}
		return res.Invitation.ID
	}
	orgRole := func() string {
		r := portal.Role{ID: strings.ToLower(e.id("role")), Name: "Helpers", Scope: portal.ScopeOrganization, OrganizationID: A}
		e.update(func(tx store.Tx) error { return tx.PutRole(e.ctx, &r) })
		return r.ID
	}
	def, _ := mail.DefaultTemplate(mail.KeyApproved)
	settings := api.DefaultSettings()
	settings.ProductName = "Riverside Portal"
	return map[string]func() call{
		"DELETE /api/v1/session":         func() call { return call{"DELETE", "/api/v1/session", nil} },
		"GET /api/v1/me":                 func() call { return call{"GET", "/api/v1/me", nil} },
		"GET /api/v1/changes":            func() call { return call{"GET", "/api/v1/changes?limit=50", nil} },
		"GET /api/v1/organizations":      func() call { return call{"GET", "/api/v1/organizations", nil} },
		"POST /api/v1/organizations":     func() call { return call{"POST", "/api/v1/organizations", portal.Organization{Name: "New org"}} },
		"GET /api/v1/organizations/{id}": func() call { return call{"GET", "/api/v1/organizations/" + A, nil} },
		"PUT /api/v1/organizations/{id}": func() call {
			return call{"PUT", "/api/v1/organizations/" + A, portal.Organization{Name: "Org A", Phone: "+44 1234 567890"}}
		},
		"DELETE /api/v1/organizations/{id}": func() call { return call{"DELETE", "/api/v1/organizations/" + e.org("Empty").ID, nil} },
		"GET /api/v1/contacts":              func() call { return call{"GET", "/api/v1/contacts", nil} },
		"POST /api/v1/contacts": func() call {
			return call{"POST", "/api/v1/contacts", portal.Contact{OrganizationID: A, FullName: "Ann Example", Email: e.id("ann") + "@example.org"}}
		},
		// As for invitations, whether each item was allowed is in its outcome: oadB may not
		// add contacts to organisation A.
		"POST /api/v1/contacts/bulk": func() call {
			return call{"POST", "/api/v1/contacts/bulk", api.BulkContactsRequest{Items: []api.BulkContactItem{{
				Contact: portal.Contact{OrganizationID: A, FullName: "Bulk Example", Email: e.id("bulk") + "@example.org"}, IdempotencyKey: e.id("kc")}}}}
		},
		"GET /api/v1/contacts/{id}": func() call { return call{"GET", "/api/v1/contacts/" + e.contact(A, "c@example.org").ID, nil} },
		"PUT /api/v1/contacts/{id}": func() call {
			c := e.contact(A, "c@example.org")
			return call{"PUT", "/api/v1/contacts/" + c.ID, portal.Contact{OrganizationID: A, FullName: "Renamed", Email: c.Email}}
		},
		"DELETE /api/v1/contacts/{id}": func() call { return call{"DELETE", "/api/v1/contacts/" + e.contact(A, "d@example.org").ID, nil} },
		"POST /api/v1/users": func() call {
			return call{"POST", "/api/v1/users", api.AddUsersRequest{OrganizationID: A, Emails: []string{e.id("new") + "@example.org"}}}
		},
		"GET /api/v1/accounts": func() call { return call{"GET", "/api/v1/accounts", nil} },
		"GET /api/v1/accounts/{id}": func() call {
			return call{"GET", "/api/v1/accounts/" + acc(portal.Account{Status: portal.StatusPending}), nil}
		},
		"POST /api/v1/accounts/{id}/approve": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{Status: portal.StatusPending}) + "/approve", nil}
		},
		"POST /api/v1/accounts/{id}/deny": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{Status: portal.StatusPending}) + "/deny", api.DenyRequest{Reason: "Not staff"}}
		},
		"POST /api/v1/accounts/{id}/approve-instead": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{Status: portal.StatusDenied}) + "/approve-instead", nil}
		},
		"POST /api/v1/accounts/{id}/restore": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{Status: portal.StatusDenied}) + "/restore", nil}
		},
		"POST /api/v1/accounts/{id}/purge": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{Status: portal.StatusDenied}) + "/purge", nil}
		},
		"POST /api/v1/accounts/{id}/promote": func() call {
			id := acc(portal.Account{Kind: portal.KindClient, RegistrationComplete: true})
			return call{"POST", "/api/v1/accounts/" + id + "/promote", api.PromoteRequest{CoreRole: portal.RoleStaff, DeleteClientRecord: true}}
		},
		"POST /api/v1/accounts/{id}/roles": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{}) + "/roles", api.SetRolesRequest{CoreRole: portal.RoleStaff, AdditionalRoles: []string{f.orgRole.ID}}}
		},
		"POST /api/v1/accounts/{id}/org-admin": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{}) + "/org-admin", api.SetOrgAdminRequest{Admin: true}}
		},
		"POST /api/v1/accounts/{id}/deactivate": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{}) + "/deactivate", nil}
		},
		"POST /api/v1/accounts/{id}/reactivate": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{Status: portal.StatusDeactivated}) + "/reactivate", nil}
		},
		"POST /api/v1/accounts/{id}/complete-registration": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{Kind: portal.KindClient}) + "/complete-registration", nil}
		},
		"POST /api/v1/accounts/{id}/delete-client-record": func() call {
			return call{"POST", "/api/v1/accounts/" + acc(portal.Account{Kind: portal.KindStaff, CoreRole: portal.RoleStaff, ClientRecord: true}) + "/delete-client-record", nil}
		},
		"GET /api/v1/invitations": func() call { return call{"GET", "/api/v1/invitations", nil} },
		"POST /api/v1/invitations": func() call {
			return call{"POST", "/api/v1/invitations", api.CreateInvitationRequest{ContactID: e.contact(A, e.id("i")+"@example.org").ID}}
		},
		// The answer is 200 for any caller who administers an organisation; whether each
		// item was allowed is in the item's outcome (oadB's contact is not found: see
		// TestBulkInvitations).
		"POST /api/v1/invitations/bulk": func() call {
			return call{"POST", "/api/v1/invitations/bulk", api.BulkInvitationsRequest{Items: []api.BulkInvitationItem{{
				CreateInvitationRequest: api.CreateInvitationRequest{ContactID: e.contact(A, e.id("b")+"@example.org").ID}, IdempotencyKey: e.id("k")}}}}
		},
		"GET /api/v1/invitations/{id}":         func() call { return call{"GET", "/api/v1/invitations/" + invitation(), nil} },
		"POST /api/v1/invitations/{id}/resend": func() call { return call{"POST", "/api/v1/invitations/" + invitation() + "/resend", nil} },
		"POST /api/v1/invitations/{id}/revoke": func() call { return call{"POST", "/api/v1/invitations/" + invitation() + "/revoke", nil} },
		"GET /api/v1/roles":                    func() call { return call{"GET", "/api/v1/roles", nil} },
		"PUT /api/v1/roles/{id}": func() call {
			return call{"PUT", "/api/v1/roles/" + orgRole(), portal.Role{Name: "Renamed", Scope: portal.ScopeOrganization, OrganizationID: A}}
		},
		"DELETE /api/v1/roles/{id}":    func() call { return call{"DELETE", "/api/v1/roles/" + orgRole(), nil} },
		"GET /api/v1/audit":            func() call { return call{"GET", "/api/v1/audit", nil} },
		"GET /api/v1/mail":             func() call { return call{"GET", "/api/v1/mail", nil} },
		"POST /api/v1/mail/{id}/retry": func() call { return call{"POST", "/api/v1/mail/mail_unknown/retry", nil} },
		"POST /api/v1/audit/desktop-events": func() call {
			return call{"POST", "/api/v1/audit/desktop-events", api.DesktopEventsRequest{Events: []portal.DesktopEvent{{Action: portal.ActionBatchSend, EntityID: "bat_1", Name: "Councils A–B"}}}}
		},
		"GET /api/v1/templates":       func() call { return call{"GET", "/api/v1/templates", nil} },
		"GET /api/v1/templates/{key}": func() call { return call{"GET", "/api/v1/templates/" + mail.KeyApproved, nil} },
		"PUT /api/v1/templates/{key}": func() call {
			return call{"PUT", "/api/v1/templates/" + mail.KeyApproved, api.TemplateUpdate{Name: def.Name, Subject: def.Subject, Body: def.Body}}
		},
		"GET /api/v1/settings":         func() call { return call{"GET", "/api/v1/settings", nil} },
		"GET /api/v1/directory-tokens": func() call { return call{"GET", "/api/v1/directory-tokens", nil} },
		"POST /api/v1/directory-tokens": func() call {
			return call{"POST", "/api/v1/directory-tokens", api.DirectoryTokenRequest{Name: "Org A's Okta", OrganizationID: A}}
		},
		"POST /api/v1/directory-tokens/{id}/revoke": func() call {
			tok, err := e.svc.CreateDirectoryToken(e.ctx, portal.SystemActor(), api.DirectoryTokenRequest{Name: "Org A's Entra", OrganizationID: A})
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", "/api/v1/directory-tokens/" + tok.ID + "/revoke", nil}
		},
		"PUT /api/v1/settings": func() call { return call{"PUT", "/api/v1/settings", settings} },
	}
}

func sysCmd() *service.Cmd { return &service.Cmd{Actor: portal.SystemActor()} }

// send makes one API request with an optional bearer token.
func send(t testing.TB, base, token string, c call, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		b, _ := json.Marshal(c.body)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(c.method, base+c.path, body)
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func parseMatrix(t *testing.T) (rows []string, want map[string]map[string]int) {
	want = map[string]map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(expectedMatrix), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) != 2+len(personaNames) {
			t.Fatalf("matrix line has %d columns: %q", len(f), line)
		}
		ep := f[0] + " " + f[1]
		rows = append(rows, ep)
		want[ep] = map[string]int{}
		for i, p := range personaNames {
			n, err := strconv.Atoi(f[2+i])
			if err != nil {
				t.Fatal(err)
			}
			want[ep][p] = n
		}
	}
	return rows, want
}

func TestAuthorisationMatrix(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	rows, want := parseMatrix(t)

	// Every route of the server has a row, and every row a route.
	var routes []string
	for _, r := range e.srv.Routes() {
		routes = append(routes, r.Method+" "+r.Pattern)
	}
	sort.Strings(routes)
	sorted := append([]string(nil), rows...)
	sort.Strings(sorted)
	if strings.Join(routes, "\n") != strings.Join(sorted, "\n") {
		t.Fatalf("the matrix does not cover exactly the server's routes:\nroutes:\n%s\nmatrix:\n%s", strings.Join(routes, "\n"), strings.Join(sorted, "\n"))
	}

	targets := f.targets()
	got := map[string]map[string]int{}
	for _, ep := range rows {
		got[ep] = map[string]int{}
		for _, p := range personaNames {
			var status int
			var body []byte
			if ep == "POST /api/v1/session" {
				aud := desktopAudience
				u := opUser{Sub: "sub-" + p, Email: p + "@example.org"}
				if p == "anon" {
					aud = "some-other-app" // a token, but not for this portal
				}
				resp, b := send(t, e.url, "", call{"POST", "/api/v1/session", api.SessionRequest{IDToken: e.op.IDToken(aud, u, "", time.Hour)}})
				status, body = resp.StatusCode, b
			} else {
				c := targets[ep]()
				token := ""
				if p != "anon" {
					token = e.session(f.people[p].ID)
				}
				resp, b := send(t, e.url, token, c)
				status, body = resp.StatusCode, b
			}
			got[ep][p] = status
			if status != want[ep][p] {
				t.Errorf("%s as %s: got %d, want %d: %s", ep, p, status, want[ep][p], body)
			}
			if ep == "POST /api/v1/contacts/bulk" && status == http.StatusOK {
				want := map[string]string{"oadA": "", "sysA": "", "oadB": portal.EFORBIDDEN}[p]
				var res api.BulkContactsResult
				if err := json.Unmarshal(body, &res); err != nil || len(res.Items) != 1 {
					t.Errorf("%s as %s: answer %s", ep, p, body)
				} else if got := res.Items[0].Error; (got == nil) != (want == "") || (got != nil && got.Code != want) {
					t.Errorf("%s as %s: item outcome %+v, want code %q", ep, p, got, want)
				}
			}
			if ep == "POST /api/v1/invitations/bulk" && status == http.StatusOK {
				// Authorisation is per item here: the item's outcome is the cell's meaning.
				want := map[string]string{"oadA": "", "sysA": "", "oadB": portal.ENOTFOUND}[p]
				var res api.BulkInvitationsResult
				if err := json.Unmarshal(body, &res); err != nil || len(res.Items) != 1 {
					t.Errorf("%s as %s: answer %s", ep, p, body)
				} else if got := res.Items[0].Error; (got == nil) != (want == "") || (got != nil && got.Code != want) {
					t.Errorf("%s as %s: item outcome %+v, want code %q", ep, p, got, want)
				}
			}
			if status >= 400 {
				var ae api.Error
				if json.Unmarshal(body, &ae) != nil || ae.Code == "" || ae.Message == "" {
					t.Errorf("%s as %s: error body is not {code, message}: %s", ep, p, body)
				}
			}
		}
	}

	table := printMatrix("endpoint", rows, personaNames, func(ep, p string) (string, bool) {
		return strconv.Itoa(got[ep][p]), got[ep][p] == want[ep][p]
	})
	t.Logf("authorisation matrix (status per caller; ! marks a cell that differs from the contract):\n%s", table)
}

// printMatrix lays out a contract table: one row per name, one column per caller, each
// cell as cell gives it, marked ! where it differs from the contract.
func printMatrix(heading string, rows, cols []string, cell func(row, col string) (string, bool)) string {
	width := len(heading)
	for _, r := range rows {
		width = max(width, len(r))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", width, heading)
	for _, c := range cols {
		fmt.Fprintf(&b, " %5s", c)
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s", width, r)
		for _, c := range cols {
			v, ok := cell(r, c)
			mark := " "
			if !ok {
				mark = "!"
			}
			fmt.Fprintf(&b, " %4s%s", v, mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Lists hold only what the caller may see.
func TestListsAreFilteredByReach(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	e.contact(f.orgA.ID, "a-only@example.org")
	e.contact(f.orgB.ID, "b-only@example.org")
	cB := e.client(f.people["oadB"].ID)
	accs, err := cB.Accounts(e.ctx, client.AccountQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accs.Items {
		if a.OrganizationID != f.orgB.ID {
			t.Errorf("admin of B sees account %s of organisation %q", a.Email, a.OrganizationID)
		}
	}
	if len(accs.Items) == 0 {
		t.Error("admin of B sees no account at all, not even their own")
	}
	cons, err := cB.Contacts(e.ctx, client.ContactQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cons.Items) != 1 || cons.Items[0].Email != "b-only@example.org" {
		t.Errorf("admin of B sees contacts %+v, want only b-only@example.org", cons.Items)
	}
	orgs, err := cB.Organizations(e.ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs.Items) != 1 || orgs.Items[0].ID != f.orgB.ID {
		t.Errorf("admin of B sees organisations %+v", orgs.Items)
	}
	page, err := cB.Changes(e.ctx, 0, 5000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Changes {
		if (c.Entity == api.EntityContact || c.Entity == api.EntityInvitation) && c.OrganizationID != f.orgB.ID {
			t.Errorf("admin of B got feed entry %s %s of organisation %q", c.Entity, c.ID, c.OrganizationID)
		}
		if c.Entity == api.EntityOrganization && c.ID != f.orgB.ID {
			t.Errorf("admin of B got organisation %s in the feed", c.ID)
		}
	}
	roles, err := cB.Roles(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.ID == f.orgRole.ID {
			t.Errorf("admin of B sees the org role of A")
		}
	}
}
