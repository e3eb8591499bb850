package portal_test

import (
	"testing"

	"gatehouse/backend/portal"
)

func TestParseEmail(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"ann@example.org", "ann@example.org", true},
		{"  Ann.Smith@Example.ORG ", "Ann.Smith@example.org", true},
		{"clerk@bücher.example", "clerk@bücher.example", true},
		{"clerk@xn--bcher-kva.example", "clerk@xn--bcher-kva.example", true},
		{"", "", false},
		{"Anna <anna@example.org>", "", false},
		{"a@example.org, b@example.org", "", false},
		{"a@example.org; b@example.org", "", false},
		{"a@localhost", "", false},
		{"a@[192.0.2.1]", "", false},
		{"a@-bad-.org", "", false},
		{"a@example.123", "", false},
		{"a@@example.org", "", false},
		{"no-at-sign.example.org", "", false},
		{"a@exa mple.org", "", false},
	}
	for _, c := range cases {
		got, err := portal.ParseEmail(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if !c.ok && portal.ErrorCode(err) != portal.EINVALID {
			t.Errorf("ParseEmail(%q) = %q, %v; want invalid", c.in, got, err)
		}
	}
}

func TestTokens(t *testing.T) {
	tok, hash := portal.NewToken()
	tok2, _ := portal.NewToken()
	if len(tok) < 40 || tok == tok2 || hash == tok {
		t.Fatalf("weak tokens: %q %q", tok, tok2)
	}
	if !portal.TokenMatches(tok, hash) || portal.TokenMatches(tok2, hash) {
		t.Fatal("TokenMatches wrong")
	}
}

func TestErrorHelpers(t *testing.T) {
	if portal.ErrorCode(nil) != "" || portal.ErrorMessage(nil) != "" {
		t.Fatal("nil")
	}
	err := portal.Errorf(portal.ENOTFOUND, "No account %q.", "x")
	if portal.ErrorCode(err) != portal.ENOTFOUND || portal.ErrorMessage(err) != `No account "x".` {
		t.Fatal(err)
	}
	plain := errTest("db exploded at /var/lib/x")
	if portal.ErrorCode(plain) != portal.EINTERNAL || portal.ErrorMessage(plain) == plain.Error() {
		t.Fatal("internal errors must not leak their text")
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestValidateRole(t *testing.T) {
	for _, r := range portal.DefaultRoles() {
		if err := portal.ValidateRole(r); err != nil {
			t.Errorf("default role %s: %v", r.ID, err)
		}
	}
	bad := []portal.Role{
		{Name: "x", Scope: portal.ScopeSystem},
		{ID: "x", Scope: portal.ScopeSystem},
		{ID: "x", Name: "x", Scope: "global"},
		{ID: "x", Name: "x", Scope: portal.ScopeOrganization},
		{ID: "x", Name: "x", Scope: portal.ScopeOrganization, OrganizationID: "o", Core: true},
		{ID: "x", Name: "x", Scope: portal.ScopeOrganization, OrganizationID: "o", Permissions: []portal.Permission{portal.PermSystemAdmin}},
	}
	for _, r := range bad {
		if portal.ErrorCode(portal.ValidateRole(r)) != portal.EINVALID {
			t.Errorf("role %+v accepted", r)
		}
	}
}
