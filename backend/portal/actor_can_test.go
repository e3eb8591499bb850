package portal

import "testing"

func TestActorCanHelpers(t *testing.T) {
	sys := Actor{ID: "s", SystemAdmin: true, UserSetup: true}
	setup := Actor{ID: "u", UserSetup: true}
	orgAdmin := Actor{ID: "o", OrgAdminOf: "org_a"}
	nobody := Actor{ID: "n"}
	ownRole := Role{ID: "r1", Name: "Driver", Scope: ScopeOrganization, OrganizationID: "org_a"}
	otherRole := Role{ID: "r2", Name: "Driver", Scope: ScopeOrganization, OrganizationID: "org_b"}
	sysRole := Role{ID: "r3", Name: "Reports", Scope: ScopeSystem}
	inA := Account{ID: "x", OrganizationID: "org_a"}
	inB := Account{ID: "y", OrganizationID: "org_b"}
	for _, c := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"system may purge", sys.CanSystem(), true},
		{"user setup may not purge", setup.CanSystem(), false},
		{"org admin may not purge", orgAdmin.CanSystem(), false},
		{"user setup decides anywhere", setup.CanDecide(inB), true},
		{"org admin decides in own org", orgAdmin.CanDecide(inA), true},
		{"org admin not in other org", orgAdmin.CanDecide(inB), false},
		{"nobody decides nothing", nobody.CanDecide(inA), false},
		{"system edits system role", sys.CanEditRole(sysRole), true},
		{"system edits any org role", sys.CanEditRole(otherRole), true},
		{"org admin edits own org role", orgAdmin.CanEditRole(ownRole), true},
		{"org admin not other org role", orgAdmin.CanEditRole(otherRole), false},
		{"org admin not system role", orgAdmin.CanEditRole(sysRole), false},
		{"user setup not system role", setup.CanEditRole(sysRole), false},
	} {
		if got := c.err == nil; got != c.ok {
			t.Errorf("%s: err = %v", c.name, c.err)
		}
		if c.err != nil && (ErrorCode(c.err) != EFORBIDDEN || ErrorMessage(c.err) == "") {
			t.Errorf("%s: want a forbidden error with a sentence, got %v", c.name, c.err)
		}
	}
}
