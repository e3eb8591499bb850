package batch

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
)

// SortKey is what a batch is sorted and cut into letter ranges by.
type SortKey string

const (
	// SortOrganization sorts by organisation name, then surname (seed: "re-sort into
	// alphabetical order" of councils).
	SortOrganization SortKey = "organization"
	// SortSurname sorts by the person's surname, then first name.
	SortSurname SortKey = "surname"
)

// Membership filters candidates by their organisation's membership.
type Membership string

const (
	MembershipAny        Membership = ""
	MembershipMembers    Membership = "members"
	MembershipNonMembers Membership = "non_members"
)

// LetterRange keeps candidates whose sort key starts with a letter from From to To,
// inclusive ("A"–"B"). "#" stands for anything that does not start with a letter A–Z
// (after removing accents) and sorts before A. Empty bounds are open.
type LetterRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Override is the administrator's explicit decision to invite a row despite a blocking
// finding (or, for possible_duplicate, that the rows are different people). It is stored
// with the batch, with who made it and why.
type Override struct {
	RowRef string `json:"rowRef"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// FormOptions is how a batch is formed from candidates. Every criterion given applies.
type FormOptions struct {
	Name   string `json:"name"`
	Source string `json:"source"` // where the candidates came from, shown with the batch

	// OrganizationTypes keeps candidates whose organisation type is one of these
	// (ignoring case); empty keeps all.
	OrganizationTypes []string    `json:"organizationTypes"`
	Membership        Membership  `json:"membership"`
	SortBy            SortKey     `json:"sortBy"`
	Letters           LetterRange `json:"letters"`
	// Select keeps only these rows (explicit selection); empty keeps all.
	Select    []string   `json:"select"`
	Overrides []Override `json:"overrides"`

	// Roles are role IDs to grant; each recipient gets those that belong to their own
	// organisation. RoleNames grant, in each recipient's organisation, its role with that
	// name. Both need Catalog (cache.DB.RoleCatalog).
	Roles     []string     `json:"roles"`
	RoleNames []string     `json:"roleNames"`
	Catalog   portal.Roles `json:"-"`

	// ExpiresInDays is the invitation lifetime; 0 means 7 days, 30 at most.
	ExpiresInDays int `json:"expiresInDays"`
	// Template is the message; nil means the built-in invitation (mail.Defaults).
	Template    *mail.Template `json:"template,omitempty"`
	ProductName string         `json:"productName"`
	InvitedBy   string         `json:"invitedBy"`
	// From is the sender, "Name <address>"; empty uses the mail settings' sender.
	From string `json:"from"`
	// MessageIDDomain ends every Message-ID (normally the sender's domain from the mail
	// settings); empty uses From's domain, or gatehouse.invalid.
	MessageIDDomain string `json:"messageIdDomain"`
	// By is the administrator forming the batch; it is recorded with overrides.
	By string `json:"by"`
}

// Outcome is what will happen to a selected row.
type Outcome string

const (
	OutcomeSend          Outcome = "send"
	OutcomeExcluded      Outcome = "excluded"
	OutcomeNeedsDecision Outcome = "needs_decision"
)

// RowPlan is a row and what will happen to it: what a planned row and a formed batch's
// recipient both carry.
type RowPlan struct {
	Candidate
	Outcome Outcome `json:"outcome"`
	// Reasons: the blocking findings that exclude the row, or the duplicates to resolve.
	Reasons []Reason `json:"reasons"`
	// Overridden: blocking findings the administrator overrode for this row.
	Overridden []Reason `json:"overridden"`
	Roles      []string `json:"roles"`
	Notes      []string `json:"notes"`
}

// Planned is one selected row and what will happen to it, with the letter that sorts it
// into its group.
type Planned struct {
	RowPlan
	Letter string `json:"letter"`
}

// Counts is how many rows have each outcome.
type Counts struct {
	Selected      int `json:"selected"`
	WillSend      int `json:"willSend"`
	Excluded      int `json:"excluded"`
	NeedsDecision int `json:"needsDecision"`
	// ExcludedBy counts excluded rows per finding code (a row may count under several).
	ExcludedBy      map[string]int `json:"excludedBy"`
	NeedsDecisionBy map[string]int `json:"needsDecisionBy"`
}

// Plan is a batch before it is stored: the selected rows in sending order and the counts.
type Plan struct {
	Recipients  []Planned `json:"recipients"`
	Counts      Counts    `json:"counts"`
	NotSelected int       `json:"notSelected"` // candidates left out by the filters
}

// Rows returns the row references with the given outcome, in order.
func (p Plan) Rows(o Outcome) []string {
	var out []string
	for _, r := range p.Recipients {
		if r.Outcome == o {
			out = append(out, r.RowRef)
		}
	}
	return out
}

func (o FormOptions) sortBy() SortKey {
	if o.SortBy == "" {
		return SortOrganization
	}
	return o.SortBy
}

func (o FormOptions) template(key string) (mail.Template, error) {
	t, _ := mail.DefaultTemplate(key)
	if o.Template != nil {
		t = *o.Template
	}
	if err := mail.Validate(t); err != nil {
		return mail.Template{}, err
	}
	return t, nil
}

// MakePlan selects, sorts and checks candidates. It stores nothing: the screens call it as
// the administrator changes filters, to show the rows, the counts and the e-mails (with
// Composer) before the batch is formed with Store.Create.
func MakePlan(cands []Candidate, opt FormOptions) (Plan, error) {
	if err := checkOptions(opt); err != nil {
		return Plan{}, err
	}
	from, to, err := letterBounds(opt.Letters)
	if err != nil {
		return Plan{}, err
	}
	byRef := make(map[string]int, len(cands))
	for i, c := range cands {
		if strings.TrimSpace(c.RowRef) == "" {
			return Plan{}, portal.FieldErrorf("rowRef", "Candidate %d (%s) has no row reference.", i+1, c.Email)
		}
		if _, dup := byRef[c.RowRef]; dup {
			return Plan{}, portal.FieldErrorf("rowRef", "Row %s appears twice among the candidates.", c.RowRef)
		}
		byRef[c.RowRef] = i
	}
	selected := map[string]bool{}
	for _, ref := range opt.Select {
		if _, ok := byRef[ref]; !ok {
			return Plan{}, portal.FieldErrorf("select", "Row %s is not among the candidates; refresh the list and select again.", ref)
		}
		selected[ref] = true
	}
	overrides := map[string]map[string]Override{}
	for _, ov := range opt.Overrides {
		i, ok := byRef[ov.RowRef]
		if !ok {
			return Plan{}, portal.FieldErrorf("overrides", "Row %s is not among the candidates; it cannot be overridden.", ov.RowRef)
		}
		if err := checkOverride(cands[i], ov); err != nil {
			return Plan{}, err
		}
		if overrides[ov.RowRef] == nil {
			overrides[ov.RowRef] = map[string]Override{}
		}
		overrides[ov.RowRef][ov.Code] = ov
	}
	types := map[string]bool{}
	for _, t := range opt.OrganizationTypes {
		types[fold(t)] = true
	}

	var plan Plan
	type keyed struct {
		p   Planned
		key string
	}
	var rows []keyed
	for _, c := range cands {
		letter, key := sortKey(c, opt.sortBy())
		switch {
		case len(types) > 0 && !types[fold(c.OrganizationType)],
			opt.Membership == MembershipMembers && !c.Member,
			opt.Membership == MembershipNonMembers && c.Member,
			letter < from || letter > to,
			len(selected) > 0 && !selected[c.RowRef]:
			plan.NotSelected++
			continue
		}
		p := Planned{RowPlan: RowPlan{Candidate: c}, Letter: string(letter)}
		p.Findings = findingsOf(c)
		rows = append(rows, keyed{p, key})
	}
	slices.SortFunc(rows, func(a, b keyed) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.p.RowRef, b.p.RowRef)) })

	plan.Recipients = make([]Planned, len(rows))
	for i := range rows {
		plan.Recipients[i] = rows[i].p
	}
	// Outcomes, then a last guard: two rows to send with one address would put two
	// invitations in one mailbox, whatever the findings said.
	firstWithEmail := map[string]int{}
	for i := range plan.Recipients {
		p := &plan.Recipients[i]
		ovs := overrides[p.RowRef]
		for _, code := range p.Findings {
			if _, ok := ovs[code]; ok {
				p.Overridden = append(p.Overridden, reasonFor(code))
				continue
			}
			p.Reasons = append(p.Reasons, reasonFor(code))
		}
		p.Outcome = OutcomeSend
		for _, r := range p.Reasons {
			if NeedsResolution(r.Code) {
				p.Outcome = OutcomeNeedsDecision
			}
		}
		if p.Outcome == OutcomeSend && len(p.Reasons) > 0 {
			p.Outcome = OutcomeExcluded
		}
		if p.Outcome != OutcomeSend {
			continue
		}
		key := portal.NormalizeEmail(p.Email)
		if j, ok := firstWithEmail[key]; ok {
			for _, k := range []int{i, j} {
				q := &plan.Recipients[k]
				if q.Outcome == OutcomeSend {
					r := reasonFor(string(quality.DuplicateEmail))
					r.Message = fmt.Sprintf("Rows %s and %s have the same e-mail address %s: two invitations would reach one mailbox. Merge or exclude one of them first.", plan.Recipients[j].RowRef, p.RowRef, p.Email)
					q.Reasons = append(q.Reasons, r)
					q.Outcome = OutcomeNeedsDecision
				}
			}
			continue
		}
		firstWithEmail[key] = i
	}
	for i := range plan.Recipients {
		p := &plan.Recipients[i]
		if p.Outcome == OutcomeSend {
			if err := grantRoles(p, opt); err != nil {
				return Plan{}, err
			}
		}
		if p.Reasons == nil {
			p.Reasons = []Reason{}
		}
		if p.Overridden == nil {
			p.Overridden = []Reason{}
		}
		if p.Roles == nil {
			p.Roles = []string{}
		}
		if p.Notes == nil {
			p.Notes = []string{}
		}
	}
	plan.Counts = countPlan(plan.Recipients)
	return plan, nil
}

func checkOptions(opt FormOptions) error {
	switch opt.sortBy() {
	case SortOrganization, SortSurname:
	default:
		return portal.FieldErrorf("sortBy", "Sort by %q or %q, not %q.", SortOrganization, SortSurname, opt.SortBy)
	}
	switch opt.Membership {
	case MembershipAny, MembershipMembers, MembershipNonMembers:
	default:
		return portal.FieldErrorf("membership", "Membership filter %q is unknown: use %q, %q or nothing.", opt.Membership, MembershipMembers, MembershipNonMembers)
	}
	if _, err := portal.InvitationTTLDays(opt.ExpiresInDays); err != nil {
		return err
	}
	if opt.From != "" {
		if _, err := parseFrom(opt.From); err != nil {
			return err
		}
	}
	if (len(opt.Roles) > 0 || len(opt.RoleNames) > 0) && opt.Catalog == nil {
		return portal.FieldErrorf("roles", "Roles were chosen but the role catalogue was not loaded; sync and try again.")
	}
	for _, id := range opt.Roles {
		r, ok := opt.Catalog[id]
		switch {
		case !ok:
			return portal.FieldErrorf("roles", "There is no role %q; sync and choose again.", id)
		case r.Scope != portal.ScopeOrganization:
			return portal.FieldErrorf("roles", "%q is a system role for staff users; invitations can grant only roles of the person's own organisation.", r.Name)
		}
	}
	return nil
}

func checkOverride(c Candidate, ov Override) error {
	if !slices.Contains(findingsOf(c), ov.Code) {
		return portal.FieldErrorf("overrides", "Row %s has no %q finding to override.", ov.RowRef, ov.Code)
	}
	switch quality.Code(ov.Code) {
	case quality.DuplicateEmail:
		return portal.FieldErrorf("overrides", "Row %s shares its e-mail address with another row; that cannot be overridden, because both would be invited to one mailbox. Merge or exclude one of the rows.", ov.RowRef)
	case quality.MissingEmail, quality.InvalidEmail:
		if _, err := portal.ParseEmail(c.Email); err != nil {
			return portal.FieldErrorf("overrides", "Row %s has no usable e-mail address (%s); correct the address instead of overriding.", ov.RowRef, portal.ErrorMessage(err))
		}
	}
	if strings.TrimSpace(ov.Reason) == "" {
		return portal.FieldErrorf("overrides", "Say why row %s is invited despite %q; the reason is kept with the batch.", ov.RowRef, quality.Code(ov.Code).Label())
	}
	return nil
}

// findingsOf returns the candidate's findings, adding the address checks when the source
// did not run them: a batch must never hold an address nobody can send to.
func findingsOf(c Candidate) []string {
	out := make([]string, 0, len(c.Findings)+1)
	for _, f := range c.Findings {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if slices.Contains(out, string(quality.MissingEmail)) || slices.Contains(out, string(quality.InvalidEmail)) {
		return out
	}
	if strings.TrimSpace(c.Email) == "" {
		out = append(out, string(quality.MissingEmail))
	} else if _, err := portal.ParseEmail(c.Email); err != nil {
		out = append(out, string(quality.InvalidEmail))
	}
	return out
}

func grantRoles(p *Planned, opt FormOptions) error {
	if len(opt.Roles) == 0 && len(opt.RoleNames) == 0 {
		return nil
	}
	if p.OrganizationID == "" {
		p.Notes = append(p.Notes, "No organisation on the portal yet, so no organisation roles can be granted.")
		return nil
	}
	for _, id := range opt.Roles {
		if r := opt.Catalog[id]; r.OrganizationID == p.OrganizationID && !slices.Contains(p.Roles, id) {
			p.Roles = append(p.Roles, id)
		}
	}
	for _, name := range opt.RoleNames {
		found := false
		for _, r := range opt.Catalog {
			if r.Scope == portal.ScopeOrganization && r.OrganizationID == p.OrganizationID && strings.EqualFold(strings.TrimSpace(r.Name), strings.TrimSpace(name)) {
				found = true
				if !slices.Contains(p.Roles, r.ID) {
					p.Roles = append(p.Roles, r.ID)
				}
			}
		}
		if !found {
			p.Notes = append(p.Notes, fmt.Sprintf("%s has no role named %q; it is not granted.", orgLabel(p.Candidate), name))
		}
	}
	if len(p.Roles) == 0 && len(opt.Roles) > 0 && len(opt.RoleNames) == 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("None of the chosen roles belongs to %s; invited without roles.", orgLabel(p.Candidate)))
	}
	slices.Sort(p.Roles)
	return nil
}

func orgLabel(c Candidate) string {
	if c.OrganizationName != "" {
		return c.OrganizationName
	}
	return "The person's organisation"
}

func countPlan(ps []Planned) Counts {
	c := Counts{Selected: len(ps), ExcludedBy: map[string]int{}, NeedsDecisionBy: map[string]int{}}
	for _, p := range ps {
		switch p.Outcome {
		case OutcomeSend:
			c.WillSend++
		case OutcomeExcluded:
			c.Excluded++
			for _, r := range p.Reasons {
				c.ExcludedBy[r.Code]++
			}
		case OutcomeNeedsDecision:
			c.NeedsDecision++
			for _, r := range p.Reasons {
				if NeedsResolution(r.Code) {
					c.NeedsDecisionBy[r.Code]++
				}
			}
		}
	}
	return c
}

// letterBounds checks a letter range and returns its bounds as bytes ('#', 'A'..'Z').
func letterBounds(lr LetterRange) (from, to byte, err error) {
	parse := func(field, s string, open byte) (byte, error) {
		s = strings.TrimSpace(s)
		if s == "" {
			return open, nil
		}
		if s == "#" {
			return '#', nil
		}
		l := letterOf(s)
		if utf8.RuneCountInString(s) != 1 || l == '#' {
			return 0, portal.FieldErrorf(field, "%q is not a letter: give one letter A–Z, or # for names that start otherwise.", s)
		}
		return l, nil
	}
	if from, err = parse("letters.from", lr.From, '#'); err != nil {
		return 0, 0, err
	}
	if to, err = parse("letters.to", lr.To, 'Z'); err != nil {
		return 0, 0, err
	}
	if from > to {
		return 0, 0, portal.FieldErrorf("letters", "The letter range %s–%s runs backwards; put the earlier letter first.", lr.From, lr.To)
	}
	return from, to, nil
}

var foldAccents = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// fold is the comparison form of a name: accents removed, lower case, spaces trimmed.
func fold(s string) string {
	out, _, err := transform.String(foldAccents, strings.TrimSpace(s))
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// letterOf is the index letter of a name: its first letter without accents, upper case,
// or '#' when it does not start with A–Z.
func letterOf(s string) byte {
	f := fold(s)
	if f != "" && f[0] >= 'a' && f[0] <= 'z' {
		return f[0] - 'a' + 'A'
	}
	return '#'
}

// surname and given name of a candidate, from the separate fields or the full name.
func nameParts(c Candidate) (surname, given string) {
	words := strings.Fields(c.Name)
	surname, given = strings.TrimSpace(c.LastName), strings.TrimSpace(c.FirstName)
	if surname == "" && len(words) > 0 {
		surname = words[len(words)-1]
	}
	if given == "" && len(words) > 1 {
		given = words[0]
	}
	if surname == "" {
		surname = portal.NameFromEmail(c.Email)
	}
	return surname, given
}

func sortKey(c Candidate, by SortKey) (letter byte, key string) {
	surname, given := nameParts(c)
	if by == SortSurname {
		return letterOf(surname), fold(surname) + "\x00" + fold(given) + "\x00" + fold(c.OrganizationName)
	}
	return letterOf(c.OrganizationName), fold(c.OrganizationName) + "\x00" + fold(surname) + "\x00" + fold(given)
}
