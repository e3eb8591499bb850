package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// The SCIM endpoint against the real server, written from RFC 7644 and from the requests
// Microsoft Entra ID and Okta document that they send.

// scimClient is a directory: it sends SCIM requests with its token.
type scimClient struct {
	t     testing.TB
	url   string
	token string
}

type scimAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request; body is raw JSON text or nil. hdr holds header name, value pairs.
func (c scimClient) do(method, path, body string, hdr ...string) scimAnswer {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.url+"/scim/v2"+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := scimAnswer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(b) > 0 {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			c.t.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
		if err := json.Unmarshal(b, &a.body); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return a
}

// must fails unless the answer has status want.
func (a scimAnswer) must(t testing.TB, want int) scimAnswer {
	t.Helper()
	if a.status != want {
		t.Fatalf("status %d, want %d: %s", a.status, want, a.raw)
	}
	return a
}

// get reads a value by a dotted path of keys and list indexes: "emails.0.value".
func (a scimAnswer) get(path string) any {
	var v any = a.body
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (a scimAnswer) str(path string) string { s, _ := a.get(path).(string); return s }

// scimError checks a SCIM error answer: the status, the error schema and the scimType.
func (a scimAnswer) scimError(t testing.TB, status int, scimType string) {
	t.Helper()
	a.must(t, status)
	if a.str("schemas.0") != "urn:ietf:params:scim:api:messages:2.0:Error" || a.str("status") != fmt.Sprint(status) || a.str("scimType") != scimType || a.str("detail") == "" {
		t.Fatalf("not the SCIM error %d %q: %s", status, scimType, a.raw)
	}
}

type scimEnv struct {
	*env
	admin portal.Account
	dir   scimClient
	tok   api.NewDirectoryToken
}

// newSCIM starts a server with a system administrator who connects a directory.
func newSCIM(t *testing.T, req api.DirectoryTokenRequest, opts ...envOption) *scimEnv {
	e := newEnv(t, opts...)
	s := &scimEnv{env: e, admin: e.sysAdmin()}
	if req.Name == "" {
		req.Name = "Microsoft Entra ID"
	}
	s.tok = s.connect(req)
	s.dir = scimClient{t: t, url: e.url, token: s.tok.Token}
	return s
}

func (s *scimEnv) connect(req api.DirectoryTokenRequest) api.NewDirectoryToken {
	s.t.Helper()
	tok, err := s.client(s.admin.ID).CreateDirectoryToken(s.ctx, req)
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

const entraUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": []
}`

func scimUser(userName, email, given, family string, active bool) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"name":{"givenName":%q,"familyName":%q},
		"emails":[{"primary":true,"value":%q,"type":"work"}],"active":%t}`, userName, given, family, email, active)
}

func patch(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

func TestSCIMDiscovery(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	cfg := s.dir.do("GET", "/ServiceProviderConfig", "").must(t, 200)
	if cfg.get("patch.supported") != true || cfg.get("filter.supported") != true || cfg.get("bulk.supported") != false || cfg.get("etag.supported") != true {
		t.Errorf("ServiceProviderConfig: %s", cfg.raw)
	}
	if cfg.str("authenticationSchemes.0.type") != "oauthbearertoken" {
		t.Errorf("authentication scheme: %s", cfg.raw)
	}
	types := s.dir.do("GET", "/ResourceTypes", "").must(t, 200)
	if types.get("totalResults") != 2.0 || types.str("Resources.0.endpoint") != "/Users" || types.str("Resources.1.endpoint") != "/Groups" {
		t.Errorf("ResourceTypes: %s", types.raw)
	}
	if u := s.dir.do("GET", "/ResourceTypes/User", "").must(t, 200); u.str("schemaExtensions.0.schema") != "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" {
		t.Errorf("ResourceTypes/User: %s", u.raw)
	}
	schemas := s.dir.do("GET", "/Schemas", "").must(t, 200)
	if schemas.get("totalResults") != 3.0 || schemas.str("Resources.0.attributes.0.name") != "userName" {
		t.Errorf("Schemas: %s", schemas.raw)
	}
	s.dir.do("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", "").must(t, 200)
	s.dir.do("GET", "/Schemas/nothing", "").scimError(t, 404, "")
	s.dir.do("GET", "/Nothing", "").scimError(t, 404, "")
}

func TestSCIMAuthentication(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	for _, tc := range []struct {
		name, token string
	}{
		{"no token", ""},
		{"not a token", "abc"},
		{"an API session token", s.session(s.admin.ID)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := scimClient{t: t, url: s.url, token: tc.token}.do("GET", "/Users", "")
			a.scimError(t, 401, "")
			if a.header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
		})
	}
	// The admin API does not take a directory's token either.
	req, _ := http.NewRequest("GET", s.url+"/api/v1/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+s.tok.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("admin API with a directory token: %v %v", resp.StatusCode, err)
	}
	s.dir.do("GET", "/Users", "").must(t, 200)
	// Revoked: refused, with what to do.
	if _, err := s.client(s.admin.ID).RevokeDirectoryToken(s.ctx, s.tok.ID); err != nil {
		t.Fatal(err)
	}
	a := s.dir.do("GET", "/Users", "")
	a.scimError(t, 401, "")
	if !strings.Contains(a.str("detail"), "revoked") {
		t.Errorf("revoked: %s", a.raw)
	}
	list, err := s.client(s.admin.ID).DirectoryTokens(s.ctx)
	if err != nil || len(list) != 1 || list[0].RevokedAt == nil || list[0].LastUsedAt == nil || list[0].CreatedBy != s.admin.Name {
		t.Fatalf("tokens after revocation: %+v %v", list, err)
	}
	// Wrong tokens from one address (three so far; no token at all is not a guess): after
	// 20, the address waits.
	bad := scimClient{t: t, url: s.url, token: "wrong"}
	for range 18 {
		bad.do("GET", "/Users", "").must(t, 401)
	}
	a = bad.do("GET", "/Users", "")
	a.scimError(t, 429, "")
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestSCIMTokensAreAdministrators(t *testing.T) {
	e := newEnv(t)
	org := e.org("Northside Pantry")
	orgAdmin := e.account(portal.Account{OrganizationID: org.ID, OrgAdmin: true})
	plain := e.account(portal.Account{})
	// Someone who administers nothing connects nothing.
	if _, err := e.client(plain.ID).CreateDirectoryToken(e.ctx, api.DirectoryTokenRequest{Name: "Okta"}); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Fatalf("a staff user connects a directory: %v", err)
	}
	// An organisation's administrator connects one for their organisation only.
	if _, err := e.client(orgAdmin.ID).CreateDirectoryToken(e.ctx, api.DirectoryTokenRequest{Name: "Okta"}); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Fatalf("an organisation administrator connects a directory to the whole portal: %v", err)
	}
	tok, err := e.client(orgAdmin.ID).CreateDirectoryToken(e.ctx, api.DirectoryTokenRequest{Name: "Okta", OrganizationID: org.ID})
	if err != nil || tok.OrganizationID != org.ID || tok.Token == "" || tok.BaseURL != e.url+"/scim/v2" {
		t.Fatalf("an organisation administrator connects their organisation's directory: %+v %v", tok, err)
	}
	// …and sees and revokes only that one.
	other, err := e.client(e.sysAdmin().ID).CreateDirectoryToken(e.ctx, api.DirectoryTokenRequest{Name: "Entra"})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := e.client(orgAdmin.ID).DirectoryTokens(e.ctx); err != nil || len(list) != 1 || list[0].ID != tok.ID {
		t.Fatalf("an organisation administrator's list: %+v %v", list, err)
	}
	if _, err := e.client(orgAdmin.ID).RevokeDirectoryToken(e.ctx, other.ID); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("revoke another's directory: %v", err)
	}
	if _, err := e.client(plain.ID).DirectoryTokens(e.ctx); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Fatalf("a staff user lists directories: %v", err)
	}
	if _, err := e.client(e.sysAdmin().ID).CreateDirectoryToken(e.ctx, api.DirectoryTokenRequest{Name: " "}); portal.ErrorField(err) != "name" {
		t.Fatalf("no name: %v", err)
	}
}

func TestSCIMUsers(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	// Create, as Entra sends it: a userName that is not an address, the address in emails.
	created := s.dir.do("POST", "/Users", entraUser).must(t, 201)
	id := created.str("id")
	if created.header.Get("Location") != s.url+"/scim/v2/Users/"+id || created.header.Get("ETag") != created.str("meta.version") {
		t.Errorf("Location %q, ETag %q: %s", created.header.Get("Location"), created.header.Get("ETag"), created.raw)
	}
	if created.str("userName") != "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1" || created.get("active") != true ||
		created.str("emails.0.value") != "Test_User_fd0ea19b@testuser.com" || created.str("name.givenName") != "givenName" ||
		created.str("externalId") != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
		t.Errorf("created: %s", created.raw)
	}
	a := s.stored(id)
	if a.Status != portal.StatusActive || a.Kind != portal.KindStaff || a.Name != "givenName familyName" || a.Source != "Microsoft Entra ID" || !a.RegistrationComplete {
		t.Errorf("stored account: %+v", a)
	}
	// The same person again is refused as not unique, by userName or by address.
	s.dir.do("POST", "/Users", entraUser).scimError(t, 409, "uniqueness")
	s.dir.do("POST", "/Users", scimUser("other", "TEST_USER_FD0EA19B@testuser.com", "A", "B", true)).scimError(t, 409, "uniqueness")
	// Bad input names the attribute.
	for _, tc := range []struct{ name, body, scimType, detail string }{
		{"no userName", `{"emails":[{"value":"x@example.org"}]}`, "invalidValue", "userName"},
		{"no address", `{"userName":"not-an-address"}`, "invalidValue", "e-mail"},
		{"active not a boolean", `{"userName":"x@example.org","active":"maybe"}`, "invalidValue", "active"},
		{"emails not a list", `{"userName":"x@example.org","emails":"x@example.org"}`, "invalidValue", "emails"},
		{"not JSON", `{"userName":`, "invalidSyntax", "JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := s.dir.do("POST", "/Users", tc.body)
			a.scimError(t, 400, tc.scimType)
			if !strings.Contains(a.str("detail"), tc.detail) {
				t.Errorf("detail %q does not name %q", a.str("detail"), tc.detail)
			}
		})
	}
	got := s.dir.do("GET", "/Users/"+id, "").must(t, 200)
	if got.str("id") != id || got.header.Get("ETag") == "" {
		t.Errorf("get: %s", got.raw)
	}
	s.dir.do("GET", "/Users/acc_nobody", "").scimError(t, 404, "")

	// PUT replaces what the directory keeps (Okta updates so).
	put := s.dir.do("PUT", "/Users/"+id, scimUser("Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1", "ann.new@testuser.com", "Ann", "Other", true)).must(t, 200)
	if put.str("emails.0.value") != "ann.new@testuser.com" || put.str("displayName") != "Ann Other" || put.get("externalId") != nil {
		t.Errorf("put: %s", put.raw)
	}
	// A stale If-Match is refused with 412 and the version now.
	s.dir.do("PUT", "/Users/"+id, scimUser("Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1", "ann.new@testuser.com", "Ann", "Stale", true),
		"If-Match", created.header.Get("ETag")).scimError(t, 412, "")
	s.dir.do("PUT", "/Users/"+id, scimUser("Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1", "ann.new@testuser.com", "Ann", "Other", true),
		"If-Match", put.header.Get("ETag")).must(t, 200)
}

func TestSCIMPatchUser(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	id := s.dir.do("POST", "/Users", scimUser("pat@example.org", "pat@example.org", "Pat", "Jones", true)).must(t, 201).str("id")
	for _, tc := range []struct {
		name  string
		ops   []string
		check func(a scimAnswer) bool
	}{
		{"Entra: Replace the work address and the family name", []string{
			`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"pat.jones@example.org"}`,
			`{"op":"Replace","path":"name.familyName","value":"Jones-Smith"}`,
		}, func(a scimAnswer) bool {
			return a.str("emails.0.value") == "pat.jones@example.org" && a.str("name.familyName") == "Jones-Smith"
		}},
		{"Entra: Replace userName", []string{`{"op":"Replace","path":"userName","value":"pat.jones@example.org"}`},
			func(a scimAnswer) bool { return a.str("userName") == "pat.jones@example.org" }},
		{"Entra: Add with no path and flattened keys", []string{
			`{"op":"Add","value":{"title":"Coordinator","name.givenName":"Patricia","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Food bank"}}`,
		}, func(a scimAnswer) bool {
			ext, _ := a.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
			return a.str("title") == "Coordinator" && a.str("name.givenName") == "Patricia" && ext["department"] == "Food bank"
		}},
		{"remove an attribute", []string{`{"op":"remove","path":"title"}`},
			func(a scimAnswer) bool { return a.get("title") == nil }},
		{"Entra: active as the string \"False\"", []string{`{"op":"Replace","path":"active","value":"False"}`},
			func(a scimAnswer) bool { return a.get("active") == false }},
		{"Okta: replace with a value object", []string{`{"op":"replace","value":{"active":true}}`},
			func(a scimAnswer) bool { return a.get("active") == true }},
		{"op names in any case", []string{`{"op":"REPLACE","path":"displayName","value":"Pat J."}`},
			func(a scimAnswer) bool { return a.str("displayName") == "Pat J." }},
		{"an attribute the portal does not keep is taken and left", []string{`{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"}`},
			func(a scimAnswer) bool { return a.get("phoneNumbers") == nil }},
		{"read-only attributes echoed back change nothing", []string{`{"op":"replace","value":{"id":"other","meta":{"resourceType":"User"}}}`},
			func(a scimAnswer) bool { return a.str("displayName") == "Pat J." }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := s.dir.do("PATCH", "/Users/"+id, patch(tc.ops...)).must(t, 200)
			if !tc.check(a) {
				t.Fatalf("after PATCH: %s", a.raw)
			}
		})
	}
	acc := s.stored(id)
	if acc.Email != "pat.jones@example.org" || acc.Status != portal.StatusActive || acc.Directory == nil || acc.Directory.Department != "Food bank" {
		t.Errorf("stored: %+v %+v", acc, acc.Directory)
	}
	for _, tc := range []struct{ name, body, scimType string }{
		{"no Operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, "invalidSyntax"},
		{"unknown op", patch(`{"op":"move","path":"title","value":"x"}`), "invalidSyntax"},
		{"remove without a path", patch(`{"op":"remove"}`), "noTarget"},
		{"a path that is none", patch(`{"op":"replace","path":"emails[type eq","value":"x"}`), "invalidPath"},
		{"groups are the groups'", patch(`{"op":"add","path":"groups","value":[{"value":"staff"}]}`), "mutability"},
		{"an address that is none", patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"not an address"}`), "invalidValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.dir.do("PATCH", "/Users/"+id, tc.body).scimError(t, 400, tc.scimType)
		})
	}
	if after := s.stored(id); after.Version != acc.Version {
		t.Errorf("a refused PATCH changed the account: version %d → %d", acc.Version, after.Version)
	}
}

func TestSCIMFilterAndPages(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	for i := range 7 {
		body := fmt.Sprintf(`{"userName":"user%d@example.org","externalId":"ext-%d","name":{"givenName":"User","familyName":"%d"},"active":%t}`, i, i, i, i%2 == 0)
		s.dir.do("POST", "/Users", body).must(t, 201)
	}
	invited := s.account(portal.Account{Email: "Invited.Person@example.org", Status: portal.StatusInvited})
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`userName eq "user3@example.org"`, 1},
		{`userName eq "USER3@EXAMPLE.ORG"`, 1}, // userName is not case-exact
		{`externalId eq "ext-4"`, 1},
		{`externalId eq "EXT-4"`, 0}, // externalId is
		{`emails[type eq "work"].value eq "user5@example.org"`, 1},
		{`emails[type eq "work" and value eq "user5@example.org"]`, 1},
		{`emails.value eq "user6@example.org"`, 1},
		{`userName sw "user"`, 7},
		{`userName co "ser1"`, 1},
		{`userName ew "@example.org" and active eq true`, 4 + 2}, // four active users, the administrator and the invited person
		{`active eq false`, 3},
		{`userName eq "user1@example.org" or externalId eq "ext-2"`, 2},
		{`not (userName sw "user")`, 2},
		{`userName eq "invited.person@example.org"`, 1}, // an account the directory did not create is found by its address
		{`userName eq "nobody@example.org"`, 0},
		{`name.familyName eq "2"`, 1},
		{`meta.lastModified gt "2000-01-01T00:00:00Z" and userName sw "user"`, 7},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			a := s.dir.do("GET", "/Users?filter="+url.QueryEscape(tc.filter), "").must(t, 200)
			if a.get("totalResults") != float64(tc.want) || len(a.get("Resources").([]any)) != tc.want {
				t.Fatalf("totalResults %v, want %d: %s", a.get("totalResults"), tc.want, a.raw)
			}
		})
	}
	if a := s.dir.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "invited.person@example.org"`), "").must(t, 200); a.str("Resources.0.id") != invited.ID {
		t.Errorf("the invited person: %s", a.raw)
	}
	s.dir.do("GET", "/Users?filter="+url.QueryEscape(`userName eq`), "").scimError(t, 400, "invalidFilter")
	// Pages: 1-based startIndex, count, totalResults over all of them.
	var ids []string
	for start := 1; ; start += 3 {
		a := s.dir.do("GET", fmt.Sprintf("/Users?filter=%s&startIndex=%d&count=3", url.QueryEscape(`userName sw "user"`), start), "").must(t, 200)
		if a.get("totalResults") != 7.0 || a.get("startIndex") != float64(start) {
			t.Fatalf("page at %d: %s", start, a.raw)
		}
		res := a.get("Resources").([]any)
		if len(res) == 0 {
			break
		}
		if a.get("itemsPerPage") != float64(len(res)) {
			t.Fatalf("itemsPerPage: %s", a.raw)
		}
		for _, r := range res {
			ids = append(ids, r.(map[string]any)["id"].(string))
		}
	}
	if len(ids) != 7 {
		t.Fatalf("paged through %d users, want 7: %v", len(ids), ids)
	}
	// Without a filter (Okta's import), pages come from the database, in one order.
	seen := map[string]bool{}
	for start := 1; start <= 12; start += 4 {
		a := s.dir.do("GET", fmt.Sprintf("/Users?startIndex=%d&count=4", start), "").must(t, 200)
		if a.get("totalResults") != 9.0 || a.get("startIndex") != float64(start) || a.get("itemsPerPage") != float64(len(a.get("Resources").([]any))) {
			t.Fatalf("page at %d: %s", start, a.raw)
		}
		for _, r := range a.get("Resources").([]any) {
			seen[r.(map[string]any)["id"].(string)] = true
		}
	}
	if len(seen) != 9 {
		t.Fatalf("paged through %d users without a filter, want 9", len(seen))
	}
	if a := s.dir.do("GET", "/Users?count=0", "").must(t, 200); a.get("totalResults") != 9.0 || len(a.get("Resources").([]any)) != 0 {
		t.Errorf("count=0: %s", a.raw)
	}
	s.dir.do("GET", "/Users?startIndex=x", "").scimError(t, 400, "invalidValue")
}

func TestSCIMDeactivateDeleteAndTheLastAdministrator(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	id := s.dir.do("POST", "/Users", scimUser("sam@example.org", "sam@example.org", "Sam", "Lee", true)).must(t, 201).str("id")
	head := storedRecord(s.env, func(r store.Reader) (int64, error) {
		_, h, err := r.Changes(s.ctx, 0, 1)
		return h, err
	})
	s.dir.do("PATCH", "/Users/"+id, patch(`{"op":"Replace","path":"active","value":false}`)).must(t, 200)
	if st := s.stored(id).Status; st != portal.StatusDeactivated {
		t.Fatalf("after active=false: %s", st)
	}
	// The change is in the feed, and in the audit log under the directory's name.
	changes := storedRecord(s.env, func(r store.Reader) ([]api.Change, error) {
		c, _, err := r.Changes(s.ctx, head, 100)
		return c, err
	})
	found := false
	for _, c := range changes {
		found = found || (c.Entity == api.EntityAccount && c.ID == id && strings.Contains(string(c.Data), `"deactivated"`))
	}
	if !found {
		t.Errorf("no deactivation of %s in the feed after %d: %+v", id, head, changes)
	}
	evs := s.audit(store.AuditFilter{EntityID: id})
	if len(evs) != 2 || evs[0].Action != portal.ActionDeactivate || evs[1].Action != portal.ActionProvision ||
		evs[0].ActorName != "Microsoft Entra ID" || evs[0].ActorID != "directory:"+s.tok.ID {
		t.Fatalf("audit: %+v", evs)
	}
	// Reactivated by active=true; DELETE deactivates again and keeps the account.
	s.dir.do("PATCH", "/Users/"+id, patch(`{"op":"replace","value":{"active":true}}`)).must(t, 200)
	s.dir.do("DELETE", "/Users/"+id, "").must(t, 204)
	if a := s.stored(id); a.Status != portal.StatusDeactivated {
		t.Fatalf("after DELETE: %s", a.Status)
	}
	if g := s.dir.do("GET", "/Users/"+id, "").must(t, 200); g.get("active") != false {
		t.Errorf("after DELETE: %s", g.raw)
	}
	s.dir.do("DELETE", "/Users/"+id, "").must(t, 204) // again: nothing more to do

	// The portal's only system administrator cannot be deactivated by a directory.
	a := s.dir.do("PATCH", "/Users/"+s.admin.ID, patch(`{"op":"replace","path":"active","value":false}`))
	a.scimError(t, 409, "")
	if !strings.Contains(a.str("detail"), "last active system administrator") {
		t.Errorf("last administrator: %s", a.raw)
	}
	s.dir.do("DELETE", "/Users/"+s.admin.ID, "").scimError(t, 409, "")
	if st := s.stored(s.admin.ID).Status; st != portal.StatusActive {
		t.Fatalf("the last administrator is %s", st)
	}

	// A directory configured to purge removes an account that is no longer active; the
	// audit log keeps its last state.
	purger := scimClient{t: t, url: s.url, token: s.connect(api.DirectoryTokenRequest{Name: "Okta", Purge: true}).Token}
	purger.do("DELETE", "/Users/"+id, "").must(t, 204)
	purger.do("GET", "/Users/"+id, "").scimError(t, 404, "")
	if evs := s.audit(store.AuditFilter{EntityID: id}); evs[0].Action != portal.ActionPurge || evs[0].ActorName != "Okta" || len(evs[0].Before) == 0 {
		t.Errorf("purge audit: %+v", evs[0])
	}
}

func TestSCIMOrganisationScope(t *testing.T) {
	e := newEnv(t)
	north, south := e.org("Northside Pantry"), e.org("Southside Council")
	admin := e.sysAdmin()
	southPerson := e.account(portal.Account{OrganizationID: south.ID, Email: "sue@south.example.org"})
	approver := e.account(portal.Account{OrganizationID: north.ID, AdditionalRoles: []string{portal.RoleUserSetup}})
	tok, err := e.client(admin.ID).CreateDirectoryToken(e.ctx, api.DirectoryTokenRequest{Name: "North's Google", OrganizationID: north.ID, Kind: portal.KindClient})
	if err != nil {
		t.Fatal(err)
	}
	dir := scimClient{t: t, url: e.url, token: tok.Token}
	id := dir.do("POST", "/Users", scimUser("nia@north.example.org", "nia@north.example.org", "Nia", "North", true)).must(t, 201).str("id")
	if a := e.stored(id); a.OrganizationID != north.ID || a.Kind != portal.KindClient || !a.ClientRecord {
		t.Errorf("scoped create: %+v", a)
	}
	// Other organisations' people and the system administrators are out of its reach.
	dir.do("GET", "/Users/"+southPerson.ID, "").scimError(t, 404, "")
	dir.do("PATCH", "/Users/"+southPerson.ID, patch(`{"op":"replace","path":"active","value":false}`)).scimError(t, 404, "")
	dir.do("GET", "/Users/"+admin.ID, "").scimError(t, 404, "")
	if a := dir.do("GET", "/Users", "").must(t, 200); a.get("totalResults") != 2.0 {
		t.Errorf("a scoped directory lists its organisation's people only: %s", a.raw)
	}
	// Someone of its organisation who holds user setup is not the directory's to deactivate.
	dir.do("PATCH", "/Users/"+approver.ID, patch(`{"op":"replace","path":"active","value":false}`)).scimError(t, 403, "")
	if st := e.stored(approver.ID).Status; st != portal.StatusActive {
		t.Fatalf("approver: %s", st)
	}
	// Its groups are its organisation's roles: system roles are not its to give.
	dir.do("PATCH", "/Groups/"+portal.RoleAdministrator, patch(`{"op":"add","path":"members","value":[{"value":"`+id+`"}]}`)).scimError(t, 404, "")
}

func TestSCIMDepartmentPlacesPeople(t *testing.T) {
	e := newEnv(t)
	pantry := e.org("Eastside Food Pantry")
	tok, err := e.client(e.sysAdmin().ID).CreateDirectoryToken(e.ctx, api.DirectoryTokenRequest{Name: "Entra", DepartmentOrganizations: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := scimClient{t: t, url: e.url, token: tok.Token}
	body := `{"userName":"dee@example.org","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"eastside food pantry"}}`
	id := dir.do("POST", "/Users", body).must(t, 201).str("id")
	if a := e.stored(id); a.OrganizationID != pantry.ID {
		t.Fatalf("department → organisation: %q", a.OrganizationID)
	}
	// A department that names no organisation leaves the person where they are.
	dir.do("PATCH", "/Users/"+id, patch(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Finance"}`)).must(t, 200)
	if a := e.stored(id); a.OrganizationID != pantry.ID || a.Directory.Department != "Finance" {
		t.Fatalf("unknown department: %+v", a)
	}
}

func TestSCIMGroups(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	ann := s.dir.do("POST", "/Users", scimUser("ann@example.org", "ann@example.org", "Ann", "A", true)).must(t, 201).str("id")
	bob := s.dir.do("POST", "/Users", scimUser("bob@example.org", "bob@example.org", "Bob", "B", true)).must(t, 201).str("id")
	// The built-in roles are groups; a directory finds one by displayName.
	found := s.dir.do("GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "staff"`), "").must(t, 200)
	if found.get("totalResults") != 1.0 || found.str("Resources.0.id") != portal.RoleStaff || found.get("Resources.0.members") != nil {
		t.Fatalf("find a group: %s", found.raw)
	}
	// Entra adds members: a core role becomes a staff user's core role.
	s.dir.do("PATCH", "/Groups/"+portal.RoleStaff, patch(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+ann+`"},{"value":"`+bob+`"}]}`)).must(t, 204)
	if a := s.stored(ann); a.CoreRole != portal.RoleStaff {
		t.Fatalf("ann after joining Staff: %+v", a)
	}
	g := s.dir.do("GET", "/Groups/"+portal.RoleStaff, "").must(t, 200)
	if n := len(g.get("members").([]any)); n != 2 {
		t.Fatalf("members: %s", g.raw)
	}
	if a := s.dir.do("GET", "/Users/"+ann, "").must(t, 200); a.str("groups.0.value") != portal.RoleStaff || a.str("groups.0.display") != "Staff" {
		t.Errorf("ann's groups: %s", a.raw)
	}
	if a := s.dir.do("GET", "/Groups?filter="+url.QueryEscape(`id eq "staff" and members[value eq "`+bob+`"]`), "").must(t, 200); a.get("totalResults") != 1.0 {
		t.Errorf("membership query: %s", a.raw)
	}
	// A new group becomes an additional role without permissions.
	created := s.dir.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"8aa1a0c0","displayName":"Drivers","meta":{"resourceType":"Group"}}`).must(t, 201)
	gid := created.str("id")
	role := storedRecord(s.env, func(r store.Reader) (portal.Role, error) { return r.Role(s.ctx, gid) })
	if role.Name != "Drivers" || role.Core || len(role.Permissions) != 0 || created.header.Get("Location") == "" {
		t.Fatalf("created group: %+v %s", role, created.raw)
	}
	s.dir.do("POST", "/Groups", `{"displayName":"drivers"}`).scimError(t, 409, "uniqueness")
	// Okta: add, rename with a value object, remove with a filtered path.
	s.dir.do("PATCH", "/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"`+bob+`","display":"bob@example.org"}]}`)).must(t, 204)
	s.dir.do("PATCH", "/Groups/"+gid, patch(`{"op":"replace","value":{"id":"`+gid+`","displayName":"Van drivers"}}`)).must(t, 204)
	if b := s.stored(bob); b.CoreRole != portal.RoleStaff || len(b.AdditionalRoles) != 1 || b.AdditionalRoles[0] != gid {
		t.Fatalf("bob: %+v", b)
	}
	s.dir.do("PATCH", "/Groups/"+gid, patch(`{"op":"remove","path":"members[value eq \"`+bob+`\"]"}`)).must(t, 204)
	if b := s.stored(bob); len(b.AdditionalRoles) != 0 {
		t.Fatalf("bob after removal: %+v", b)
	}
	// Entra removes with a value list; PUT replaces the membership.
	s.dir.do("PATCH", "/Groups/"+portal.RoleStaff, patch(`{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+ann+`"}]}`)).must(t, 204)
	if a := s.stored(ann); a.CoreRole != "" {
		t.Fatalf("ann after leaving Staff: %+v", a)
	}
	put := s.dir.do("PUT", "/Groups/"+gid, `{"displayName":"Van drivers","members":[{"value":"`+ann+`"}]}`).must(t, 200)
	if put.str("members.0.value") != ann || len(put.get("members").([]any)) != 1 {
		t.Fatalf("PUT group: %s", put.raw)
	}
	// A role someone holds is not deleted; an empty one is.
	s.dir.do("DELETE", "/Groups/"+gid, "").scimError(t, 409, "")
	s.dir.do("PATCH", "/Groups/"+gid, patch(`{"op":"replace","path":"members","value":[]}`)).must(t, 204)
	s.dir.do("DELETE", "/Groups/"+gid, "").must(t, 204)
	s.dir.do("GET", "/Groups/"+gid, "").scimError(t, 404, "")
	// Taking the administrator role from the last administrator is refused.
	a := s.dir.do("PATCH", "/Groups/"+portal.RoleAdministrator, patch(`{"op":"remove","path":"members[value eq \"`+s.admin.ID+`\"]"}`))
	a.scimError(t, 409, "")
	if s.stored(s.admin.ID).CoreRole != portal.RoleAdministrator {
		t.Fatal("the last administrator lost the role")
	}
	s.dir.do("PATCH", "/Groups/"+portal.RoleStaff, patch(`{"op":"add","path":"members","value":[{"value":"acc_nobody"}]}`)).scimError(t, 400, "invalidValue")
}

func TestSCIMRateAndBodyLimits(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{}, func(c *server.Config) {
		c.SCIMRate, c.SCIMBurst, c.MaxBodyBytes = 0.01, 3, 4096
	})
	for range 3 {
		s.dir.do("GET", "/ServiceProviderConfig", "").must(t, 200)
	}
	a := s.dir.do("GET", "/Users", "")
	a.scimError(t, 429, "")
	if ra := a.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	// Another directory has its own allowance.
	other := scimClient{t: t, url: s.url, token: s.connect(api.DirectoryTokenRequest{Name: "Okta"}).Token}
	other.do("POST", "/Users", `{"userName":"`+strings.Repeat("x", 5000)+`@example.org"}`).scimError(t, 400, "invalidValue")
}

// Entra's provisioning cycle, as Microsoft documents the requests its provisioning service
// sends ("Develop and plan provisioning for a SCIM endpoint", request/response examples).
func TestSCIMEntraCycle(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	ids := map[string]string{}
	steps := []scimStep{
		{"Get User by query (none yet)", "GET", `/Users?filter=` + url.QueryEscape(`userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"`), "", 200,
			func(a scimAnswer) error { return want(a.get("totalResults") == 0.0, "totalResults 0") }},
		{"Create User (the tenant URL with Entra's SCIM-compliance flag)", "POST", "/Users?aadOptscim062020", entraUser, 201,
			func(a scimAnswer) error { ids["user"] = a.str("id"); return want(a.get("active") == true, "active") }},
		{"Get User", "GET", "/Users/{user}", "", 200,
			func(a scimAnswer) error { return want(a.str("name.familyName") == "familyName", "familyName") }},
		{"Get User by query", "GET", `/Users?aadOptscim062020&filter=` + url.QueryEscape(`userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"`), "", 200,
			func(a scimAnswer) error { return want(a.str("Resources.0.id") == ids["user"], "the user") }},
		{"Update User [Multi-valued properties]", "PATCH", "/Users/{user}", patch(
			`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"}`,
			`{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}`), 200,
			func(a scimAnswer) error {
				return want(a.str("emails.0.value") == "updatedEmail@microsoft.com" && a.str("name.familyName") == "updatedFamilyName", "updated")
			}},
		{"Update User [Single-valued properties]", "PATCH", "/Users/{user}", patch(
			`{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}`), 200,
			func(a scimAnswer) error {
				return want(a.str("userName") == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com", "userName")
			}},
		{"Create Group", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`, 201,
			func(a scimAnswer) error {
				ids["group"] = a.str("id")
				return want(a.str("displayName") == "displayName", "displayName")
			}},
		{"Get Group", "GET", "/Groups/{group}?excludedAttributes=members", "", 200,
			func(a scimAnswer) error { return want(a.get("members") == nil, "no members listed") }},
		{"Get Group by displayName", "GET", "/Groups?excludedAttributes=members&filter=" + url.QueryEscape(`displayName eq "displayName"`), "", 200,
			func(a scimAnswer) error { return want(a.str("Resources.0.id") == ids["group"], "the group") }},
		{"Update Group [Non-member attributes]", "PATCH", "/Groups/{group}", patch(`{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}`), 204, nil},
		{"Update Group [Add Members]", "PATCH", "/Groups/{group}", patch(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"{user}"}]}`), 204, nil},
		{"the member holds the role", "GET", "/Users/{user}", "", 200,
			func(a scimAnswer) error {
				return want(a.str("groups.0.value") == ids["group"] && strings.HasSuffix(a.str("groups.0.display"), "updatedDisplayName"), "group")
			}},
		{"Update Group [Remove Members]", "PATCH", "/Groups/{group}", patch(`{"op":"Remove","path":"members","value":[{"$ref":null,"value":"{user}"}]}`), 204, nil},
		{"Disable User", "PATCH", "/Users/{user}", patch(`{"op":"Replace","path":"active","value":false}`), 200,
			func(a scimAnswer) error { return want(a.get("active") == false, "inactive") }},
		{"Delete User", "DELETE", "/Users/{user}", "", 204, nil},
		{"Delete Group", "DELETE", "/Groups/{group}", "", 204, nil},
	}
	replay(t, s.dir, ids, steps)
	acc := s.stored(ids["user"])
	if acc.Status != portal.StatusDeactivated || acc.Email != "updatedEmail@microsoft.com" {
		t.Fatalf("after the cycle: %+v", acc)
	}
	var actions []string
	for _, ev := range s.audit(store.AuditFilter{EntityID: ids["user"]}) {
		actions = append([]string{ev.Action}, actions...)
	}
	if got := strings.Join(actions, " "); got != "account.provision account.directory_update account.directory_update account.set_roles account.set_roles account.deactivate" {
		t.Errorf("audit trail: %s", got)
	}
}

// Okta's cycle, from Okta's "SCIM 2.0 protocol reference" and its SCIM test suite: the
// userName filter with paging, create, read, PUT to update, PATCH with a value object to
// deactivate and reactivate, then groups.
func TestSCIMOktaCycle(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{Name: "Okta"})
	ids := map[string]string{}
	const oktaUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
		"name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
		"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`
	steps := []scimStep{
		{"Check the user exists", "GET", "/Users?filter=" + url.QueryEscape(`userName eq "test.user@okta.local"`) + "&startIndex=1&count=100", "", 200,
			func(a scimAnswer) error {
				return want(a.get("totalResults") == 0.0 && a.str("schemas.0") == "urn:ietf:params:scim:api:messages:2.0:ListResponse", "an empty list")
			}},
		{"Create the user", "POST", "/Users", oktaUser, 201,
			func(a scimAnswer) error {
				ids["user"] = a.str("id")
				return want(a.str("displayName") == "Test User", "displayName")
			}},
		{"Retrieve the user", "GET", "/Users/{user}", "", 200,
			func(a scimAnswer) error { return want(a.str("userName") == "test.user@okta.local", "userName") }},
		{"Update the user (PUT)", "PUT", "/Users/{user}", strings.Replace(oktaUser, `"givenName":"Test"`, `"givenName":"Another"`, 1), 200,
			func(a scimAnswer) error { return want(a.str("name.givenName") == "Another", "givenName") }},
		{"Deactivate the user", "PATCH", "/Users/{user}", patch(`{"op":"replace","value":{"active":false}}`), 200,
			func(a scimAnswer) error { return want(a.get("active") == false, "inactive") }},
		{"Reactivate the user", "PATCH", "/Users/{user}", patch(`{"op":"replace","value":{"active":true}}`), 200,
			func(a scimAnswer) error { return want(a.get("active") == true, "active") }},
		{"Create a group", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`, 201,
			func(a scimAnswer) error { ids["group"] = a.str("id"); return nil }},
		{"Find the group", "GET", "/Groups?filter=" + url.QueryEscape(`displayName eq "Test SCIMv2"`) + "&startIndex=1&count=100", "", 200,
			func(a scimAnswer) error { return want(a.str("Resources.0.id") == ids["group"], "the group") }},
		{"Rename the group", "PATCH", "/Groups/{group}", patch(`{"op":"replace","value":{"id":"{group}","displayName":"Test SCIMv2 renamed"}}`), 204, nil},
		{"Add a member", "PATCH", "/Groups/{group}", patch(`{"op":"add","path":"members","value":[{"value":"{user}","display":"test.user@okta.local"}]}`), 204, nil},
		{"Retrieve the group", "GET", "/Groups/{group}", "", 200,
			func(a scimAnswer) error {
				return want(a.str("displayName") == "Test SCIMv2 renamed" && a.str("members.0.value") == ids["user"], "renamed, one member")
			}},
		{"Remove the member", "PATCH", "/Groups/{group}", patch(`{"op":"remove","path":"members[value eq \"{user}\"]"}`), 204, nil},
		{"Delete the group", "DELETE", "/Groups/{group}", "", 204, nil},
	}
	replay(t, s.dir, ids, steps)
	if a := s.stored(ids["user"]); a.Status != portal.StatusActive || a.Name != "Test User" || len(a.AdditionalRoles) != 0 {
		t.Fatalf("after the cycle: %+v", a)
	}
	list, err := s.client(s.admin.ID).DirectoryTokens(s.ctx)
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil || time.Since(*list[0].LastUsedAt) < 0 {
		t.Fatalf("last use: %+v %v", list, err)
	}
}

// scimStep is one request of a recorded provisioning cycle: "{user}" and the like in its
// path and body stand for IDs an earlier step's check wrote into the cycle's ids.
type scimStep struct {
	name, method, path, body string
	status                   int
	check                    func(a scimAnswer) error
}

func replay(t *testing.T, dir scimClient, ids map[string]string, steps []scimStep) {
	t.Helper()
	for _, st := range steps {
		path, body := st.path, st.body
		for k, v := range ids {
			path, body = strings.ReplaceAll(path, "{"+k+"}", v), strings.ReplaceAll(body, "{"+k+"}", v)
		}
		a := dir.do(st.method, path, body)
		if a.status != st.status {
			t.Fatalf("%s: %d, want %d: %s", st.name, a.status, st.status, a.raw)
		}
		if st.check != nil {
			if err := st.check(a); err != nil {
				t.Fatalf("%s: %v: %s", st.name, err, a.raw)
			}
		}
	}
}

func want(ok bool, what string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("want %s", what)
}

func TestSCIMGroupsAsOrganisations(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{Name: "Okta", GroupsAs: portal.GroupsAsOrganizations})
	north, south := s.org("Northside Pantry"), s.org("Southside Council")
	boss := s.account(portal.Account{OrganizationID: south.ID, OrgAdmin: true})
	ann := s.dir.do("POST", "/Users", scimUser("ann@example.org", "ann@example.org", "Ann", "A", true)).must(t, 201).str("id")
	// The organisations are the groups.
	found := s.dir.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "northside pantry"`), "").must(t, 200)
	if found.get("totalResults") != 1.0 || found.str("Resources.0.id") != north.ID {
		t.Fatalf("find an organisation: %s", found.raw)
	}
	s.dir.do("PATCH", "/Groups/"+north.ID, patch(`{"op":"add","path":"members","value":[{"value":"`+ann+`"}]}`)).must(t, 204)
	if a := s.stored(ann); a.OrganizationID != north.ID {
		t.Fatalf("ann after joining Northside: %+v", a)
	}
	if u := s.dir.do("GET", "/Users/"+ann, "").must(t, 200); u.str("groups.0.value") != north.ID || u.str("groups.0.display") != "Northside Pantry" || len(u.get("groups").([]any)) != 1 {
		t.Errorf("ann's groups: %s", u.raw)
	}
	// A new group is a new organisation; renamed, given the whole membership by PUT.
	west := s.dir.do("POST", "/Groups", `{"displayName":"Westside Pantry"}`).must(t, 201).str("id")
	s.dir.do("POST", "/Groups", `{"displayName":"westside pantry"}`).scimError(t, 409, "uniqueness")
	s.dir.do("PATCH", "/Groups/"+west, patch(`{"op":"Replace","path":"displayName","value":"Westside Food Pantry"}`)).must(t, 204)
	s.dir.do("PUT", "/Groups/"+west, `{"displayName":"Westside Food Pantry","members":[{"value":"`+ann+`"}]}`).must(t, 200)
	o := storedRecord(s.env, func(r store.Reader) (portal.Organization, error) { return r.Organization(s.ctx, west) })
	if a := s.stored(ann); o.Name != "Westside Food Pantry" || a.OrganizationID != west {
		t.Fatalf("after PUT: %+v %+v", o, a)
	}
	// An organisation's administrator is not moved by a directory.
	s.dir.do("PATCH", "/Groups/"+west, patch(`{"op":"add","path":"members","value":[{"value":"`+boss.ID+`"}]}`)).scimError(t, 409, "")
	// Taken out of the group, Ann belongs to no organisation; the empty organisation goes.
	s.dir.do("DELETE", "/Groups/"+west, "").scimError(t, 409, "")
	s.dir.do("PATCH", "/Groups/"+west, patch(`{"op":"remove","path":"members[value eq \"`+ann+`\"]"}`)).must(t, 204)
	if a := s.stored(ann); a.OrganizationID != "" {
		t.Fatalf("ann after leaving: %+v", a)
	}
	s.dir.do("DELETE", "/Groups/"+west, "").must(t, 204)
	s.dir.do("GET", "/Groups/"+west, "").scimError(t, 404, "")
	evs := s.audit(store.AuditFilter{ActorID: "directory:" + s.tok.ID})
	var actions []string
	for _, ev := range evs {
		actions = append([]string{ev.Action}, actions...)
	}
	if got := strings.Join(actions, " "); got != "account.provision account.directory_update organization.create organization.update account.directory_update account.directory_update organization.delete" {
		t.Errorf("audit: %s", got)
	}
	// A directory for one organisation has that organisation as its only group.
	scoped := scimClient{t: t, url: s.url, token: s.connect(api.DirectoryTokenRequest{Name: "North's", OrganizationID: north.ID, GroupsAs: portal.GroupsAsOrganizations}).Token}
	if g := scoped.do("GET", "/Groups", "").must(t, 200); g.get("totalResults") != 1.0 || g.str("Resources.0.id") != north.ID {
		t.Errorf("a scoped directory's groups: %s", g.raw)
	}
	scoped.do("POST", "/Groups", `{"displayName":"Eastside"}`).scimError(t, 403, "")
	// Groups as organisations and departments as organisations are one choice.
	if _, err := s.client(s.admin.ID).CreateDirectoryToken(s.ctx, api.DirectoryTokenRequest{Name: "x", GroupsAs: portal.GroupsAsOrganizations, DepartmentOrganizations: true}); portal.ErrorField(err) != "departmentOrganizations" {
		t.Errorf("both ways: %v", err)
	}
	if _, err := s.client(s.admin.ID).CreateDirectoryToken(s.ctx, api.DirectoryTokenRequest{Name: "x", GroupsAs: "teams"}); portal.ErrorField(err) != "groupsAs" {
		t.Errorf("groups as teams: %v", err)
	}
}

// Someone waiting for approval whom the directory sends as active is approved: they are
// told by e-mail, as when an approver approves them.
func TestSCIMApprovesSomeoneWaiting(t *testing.T) {
	s := newSCIM(t, api.DirectoryTokenRequest{})
	pat := s.account(portal.Account{Email: "pat@example.org", Name: "Pat", Status: portal.StatusPending})
	found := s.dir.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "pat@example.org"`), "").must(t, 200)
	if found.str("Resources.0.id") != pat.ID || found.get("Resources.0.active") != false {
		t.Fatalf("the waiting person: %s", found.raw)
	}
	s.dir.do("PATCH", "/Users/"+pat.ID, patch(`{"op":"replace","path":"active","value":true}`)).must(t, 200)
	if a := s.stored(pat.ID); a.Status != portal.StatusActive || a.DecidedBy != "directory:"+s.tok.ID {
		t.Fatalf("after active=true: %+v", a)
	}
	got := messagesTo(s.sink.WaitFor(t, 1, 10*time.Second), "pat@example.org")
	if len(got) != 1 || !strings.Contains(strings.ToLower(subject(got[0])), "approved") {
		t.Fatalf("the approved e-mail: %+v", got)
	}
}
