package batch

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
)

func cand(ref, org, orgType string, member bool, first, last, email string, findings ...string) Candidate {
	return Candidate{RowRef: ref, OrganizationID: "org_" + strings.ToLower(strings.Fields(org + " x")[0]), OrganizationName: org,
		OrganizationType: orgType, Member: member, FirstName: first, LastName: last, Email: email, Findings: findings}
}

// planCands: councils and a pantry, A to Z, with every kind of finding.
var planCands = []Candidate{
	cand("r1", "Acton Parish Council", "council", true, "Ann", "Lee", "ann@acton.example.org"),
	cand("r2", "Barton Town Council", "council", true, "Bob", "Ray", "bob@barton.example.org"),
	cand("r3", "Carlton Parish Council", "council", true, "Cara", "Doe", "", string(quality.MissingEmail)),
	cand("r4", "Dunton Parish Council", "council", false, "Dan", "Fox", "dan@dunton.example.org", string(quality.NonMember)),
	cand("r5", "Eaton Parish Council", "council", true, "Eve", "Gale", "eve@eaton.example.org", string(quality.RoleExpired)),
	cand("r6", "Bramley Food Pantry", "pantry", true, "Fay", "Hill", "fay@bramley.example.org"),
	cand("r7", "Ávila Council", "council", true, "Gus", "Ives", "gus@avila.example.org", string(quality.HasAccess)),
	cand("r8", "Zeal Council", "council", true, "Hal", "Zorn", "clerk@shared.example.org", string(quality.SharedEmail)),
	cand("r9", "Yarm Council", "council", true, "Ida", "Young", "clerk@shared.example.org", string(quality.SharedEmail)),
	cand("r10", "Acton Parish Council", "council", true, "Jo", "Kent", "not an address"),
}

func TestPlanSelection(t *testing.T) {
	refs := func(p Plan) []string {
		var out []string
		for _, r := range p.Recipients {
			out = append(out, r.RowRef)
		}
		return out
	}
	tests := []struct {
		name string
		opt  FormOptions
		want []string // selected rows, in sending order
		send []string
	}{
		{"councils A-B by organisation", FormOptions{OrganizationTypes: []string{"Council"}, Letters: LetterRange{From: "A", To: "B"}},
			[]string{"r10", "r1", "r7", "r2"}, []string{"r1", "r2"}},
		{"members only, by surname D-L", FormOptions{Membership: MembershipMembers, SortBy: SortSurname, Letters: LetterRange{From: "d", To: "L"}},
			[]string{"r3", "r5", "r6", "r7", "r10", "r1"}, []string{"r6", "r1"}},
		{"non-members", FormOptions{Membership: MembershipNonMembers}, []string{"r4"}, nil},
		{"explicit selection", FormOptions{Select: []string{"r6", "r2"}}, []string{"r2", "r6"}, []string{"r2", "r6"}},
		{"pantries", FormOptions{OrganizationTypes: []string{"pantry"}}, []string{"r6"}, []string{"r6"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := MakePlan(planCands, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := refs(p); !slices.Equal(got, tc.want) {
				t.Errorf("selected %v, want %v", got, tc.want)
			}
			if got := p.Rows(OutcomeSend); !slices.Equal(got, tc.send) {
				t.Errorf("to send %v, want %v", got, tc.send)
			}
			if p.NotSelected+p.Counts.Selected != len(planCands) {
				t.Errorf("%d not selected + %d selected != %d", p.NotSelected, p.Counts.Selected, len(planCands))
			}
		})
	}
}

func TestPlanOutcomes(t *testing.T) {
	p, err := MakePlan(planCands, FormOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"r3": {"missing_email"}, "r4": {"non_member"}, "r5": {"role_expired"}, "r7": {"has_access"},
		"r8": {"shared_email"}, "r9": {"shared_email"}, "r10": {"invalid_email"},
	}
	for _, r := range p.Recipients {
		var codes []string
		for _, re := range r.Reasons {
			codes = append(codes, re.Code)
			if re.Message == "" || re.Label == "" {
				t.Errorf("%s: reason %q has no label or message", r.RowRef, re.Code)
			}
		}
		if !slices.Equal(codes, want[r.RowRef]) {
			t.Errorf("%s: reasons %v, want %v", r.RowRef, codes, want[r.RowRef])
		}
		if (len(codes) == 0) != (r.Outcome == OutcomeSend) {
			t.Errorf("%s: outcome %s with reasons %v", r.RowRef, r.Outcome, codes)
		}
	}
	if p.Counts.WillSend != 3 || p.Counts.Excluded != 7 || p.Counts.NeedsDecision != 0 || p.Counts.ExcludedBy["shared_email"] != 2 {
		t.Errorf("counts %+v", p.Counts)
	}

	// Overrides: recorded per row and code, with a reason; the row is then sent.
	p, err = MakePlan(planCands, FormOptions{Overrides: []Override{{RowRef: "r8", Code: "shared_email", Reason: "Zeal's clerk agreed to use this address for Zeal only"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Recipients {
		if r.RowRef == "r8" && (r.Outcome != OutcomeSend || len(r.Overridden) != 1 || r.Overridden[0].Code != "shared_email") {
			t.Errorf("overridden row: %+v", r)
		}
		if r.RowRef == "r9" && r.Outcome != OutcomeExcluded {
			t.Errorf("row r9 was not overridden but is %s", r.Outcome)
		}
	}

	bad := []struct {
		name string
		ov   Override
		msg  string
	}{
		{"no reason", Override{RowRef: "r4", Code: "non_member"}, "Say why"},
		{"no such finding", Override{RowRef: "r1", Code: "non_member", Reason: "x"}, "no \"non_member\" finding"},
		{"unusable address", Override{RowRef: "r10", Code: "invalid_email", Reason: "x"}, "correct the address"},
		{"unknown row", Override{RowRef: "r99", Code: "non_member", Reason: "x"}, "not among the candidates"},
	}
	for _, tc := range bad {
		_, err := MakePlan(planCands, FormOptions{Overrides: []Override{tc.ov}})
		if portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(portal.ErrorMessage(err), tc.msg) {
			t.Errorf("%s: err %v, want invalid with %q", tc.name, err, tc.msg)
		}
	}
}

func TestPlanDuplicatesMustBeResolved(t *testing.T) {
	cands := append([]Candidate(nil), planCands[:3]...)
	cands = append(cands,
		cand("d1", "Fenton Council", "council", true, "Kim", "Moss", "kim@fenton.example.org", string(quality.DuplicateEmail)),
		cand("d2", "Fenton Council", "council", true, "Kim", "Moss", "kim@fenton.example.org", string(quality.DuplicateEmail)),
		cand("p1", "Acton Parish Council", "council", true, "A.", "Lee", "a.lee@acton.example.org", string(quality.PossibleDuplicate)),
		// Same address, no finding from the source: the batch's own guard catches it.
		cand("s1", "Grange Council", "council", true, "Lou", "Nye", "ANN@acton.example.org"),
	)
	p, err := MakePlan(cands, FormOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Rows(OutcomeNeedsDecision); !slices.Equal(got, []string{"p1", "r1", "d1", "d2", "s1"}) {
		t.Errorf("needs decision %v", got)
	}
	if p.Counts.NeedsDecisionBy["duplicate_email"] != 4 || p.Counts.NeedsDecisionBy["possible_duplicate"] != 1 {
		t.Errorf("counts %+v", p.Counts)
	}
	e := &env{t: t, ctx: context.Background(), clock: portal.NewFixedClock(start)}
	e.db = openCache(t, filepath.Join(t.TempDir(), "c.db"), e.clock)
	e.st = NewStore(e.db)
	_, err = e.st.Create(e.ctx, cands, FormOptions{})
	msg := portal.ErrorMessage(err)
	if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(msg, "d1, d2") || !strings.Contains(msg, "p1") || !strings.Contains(msg, "s1") {
		t.Fatalf("create with duplicates: %v", err)
	}
	if bs, _ := e.st.List(e.ctx); len(bs) != 0 {
		t.Fatalf("a batch was stored: %+v", bs)
	}
	// A duplicate e-mail cannot be overridden; a possible duplicate can (different people).
	if _, err := MakePlan(cands, FormOptions{Overrides: []Override{{RowRef: "d1", Code: "duplicate_email", Reason: "x"}}}); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("override of duplicate_email: %v", err)
	}
	b, err := e.st.Create(e.ctx, cands, FormOptions{Select: []string{"r1", "r2", "r3", "p1"},
		Overrides: []Override{{RowRef: "p1", Code: "possible_duplicate", Reason: "Alan Lee, not Ann Lee"}}, By: "Maria Admin"})
	if err != nil {
		t.Fatal(err)
	}
	ovs, err := e.st.Overrides(e.ctx, b.ID)
	if err != nil || len(ovs) != 1 || ovs[0].By != "Maria Admin" || ovs[0].Reason != "Alan Lee, not Ann Lee" || !ovs[0].At.Equal(start) {
		t.Fatalf("recorded overrides %+v, %v", ovs, err)
	}
	if b.Counts.Queued != 3 || b.Counts.Excluded != 1 || b.Counts.Total != 3 {
		t.Fatalf("batch counts %+v", b.Counts)
	}
}

func TestPlanRolesAndOptions(t *testing.T) {
	catalog := portal.NewRoles(append(portal.DefaultRoles(),
		portal.Role{ID: "acton-managers", Name: "Portal managers", Scope: portal.ScopeOrganization, OrganizationID: "org_acton"},
		portal.Role{ID: "barton-managers", Name: "Portal Managers", Scope: portal.ScopeOrganization, OrganizationID: "org_barton"},
		portal.Role{ID: "barton-finance", Name: "Finance", Scope: portal.ScopeOrganization, OrganizationID: "org_barton"},
	)...)
	p, err := MakePlan(planCands[:2], FormOptions{RoleNames: []string{"portal managers"}, Roles: []string{"barton-finance"}, Catalog: catalog})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range p.Recipients {
		got[r.RowRef] = r.Roles
	}
	if !slices.Equal(got["r1"], []string{"acton-managers"}) || !slices.Equal(got["r2"], []string{"barton-finance", "barton-managers"}) {
		t.Errorf("roles %v", got)
	}
	p, err = MakePlan(planCands[:2], FormOptions{RoleNames: []string{"Finance"}, Catalog: catalog})
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Recipients[0].Notes; len(n) != 1 || !strings.Contains(n[0], `no role named "Finance"`) {
		t.Errorf("notes for Acton: %v", n)
	}

	bad := []struct {
		name, field string
		opt         FormOptions
	}{
		{"system role", "roles", FormOptions{Roles: []string{portal.RoleAdministrator}, Catalog: catalog}},
		{"unknown role", "roles", FormOptions{Roles: []string{"nope"}, Catalog: catalog}},
		{"no catalogue", "roles", FormOptions{Roles: []string{"acton-managers"}}},
		{"backwards letters", "letters", FormOptions{Letters: LetterRange{From: "M", To: "C"}}},
		{"not a letter", "letters.from", FormOptions{Letters: LetterRange{From: "Ab"}}},
		{"sort", "sortBy", FormOptions{SortBy: "age"}},
		{"too long", "expiresInDays", FormOptions{ExpiresInDays: 31}},
		{"sender", "from", FormOptions{From: "nobody"}},
		{"subject with a line break", "subject", FormOptions{Template: &mail.Template{Key: "invitation", Name: "x", Subject: "Hi\r\nBcc: x@example.org", Body: "b"}}},
		{"unknown placeholder", "body", FormOptions{Template: &mail.Template{Key: "invitation", Name: "x", Subject: "Hi", Body: "@Nope@",
			Placeholders: []string{mail.VarUserName}}}},
	}
	for _, tc := range bad {
		_, err := MakePlan(planCands, tc.opt)
		if err == nil {
			// Template problems are found when the message is composed.
			_, err = PreviewPlanned(Planned{RowPlan: RowPlan{Candidate: planCands[0]}}, tc.opt, start)
		}
		var pe *portal.Error
		if !errors.As(err, &pe) || pe.Code != portal.EINVALID || pe.Field != tc.field {
			t.Errorf("%s: %v, want invalid %s", tc.name, err, tc.field)
		}
	}
}

func TestPreviewPlanned(t *testing.T) {
	p, err := MakePlan(planCands[:1], FormOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := PreviewPlanned(p.Recipients[0], FormOptions{ProductName: "Riverside Portal", InvitedBy: "Maria Admin", ExpiresInDays: 14}, start)
	if err != nil {
		t.Fatal(err)
	}
	if m.To != "Ann Lee <ann@acton.example.org>" || m.Subject != "Your invitation to Riverside Portal" || m.Link != LinkPlaceholder {
		t.Errorf("preview %+v", m)
	}
	for _, want := range []string{"Hello Ann Lee,", "Maria Admin has invited you", "for Acton Parish Council", LinkPlaceholder,
		"expires on " + start.Add(14*24*time.Hour).Format(ExpiresLayout)} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("preview body lacks %q:\n%s", want, m.Body)
		}
	}
}
