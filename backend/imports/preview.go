package imports

import (
	"context"
	"fmt"
	"strings"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

// Known is what the portal already holds, as far as an import needs to know it.
type Known struct {
	Accounts      quality.AccountSet
	Contacts      map[string]KnownContact // by quality.EmailKey of the address
	Organizations map[string]string       // organisation ID by folded name (see FoldName)
}

// KnownContact is an existing contact an imported row may update.
type KnownContact struct {
	ID             string
	OrganizationID string
	FullName       string
	Phone          string
	Position       string
}

// Directory loads what the portal already holds.
type Directory interface {
	Load(ctx context.Context) (Known, error)
}

// CacheDirectory is what the desktop cache's mirror holds (organisations, contacts,
// accounts), asked of the cache, which owns those tables.
type CacheDirectory struct{ DB *cache.DB }

func (d CacheDirectory) Load(ctx context.Context) (Known, error) {
	k := Known{Accounts: quality.AccountSet{}, Contacts: map[string]KnownContact{}, Organizations: map[string]string{}}
	statuses, err := d.DB.AccountStatuses(ctx)
	if err != nil {
		return k, err
	}
	for email, st := range statuses {
		k.Accounts[quality.EmailKey(email)] = st
	}
	contacts, err := d.DB.ContactsWithEmail(ctx, false)
	if err != nil {
		return k, err
	}
	for _, c := range contacts {
		k.Contacts[quality.EmailKey(c.Email)] = KnownContact{ID: c.ID, OrganizationID: c.OrganizationID, FullName: c.FullName, Phone: c.Phone, Position: c.Position}
	}
	orgs, err := d.DB.Organizations(ctx)
	if err != nil {
		return k, err
	}
	for _, o := range orgs {
		k.Organizations[FoldName(o.Name)] = o.ID
	}
	return k, nil
}

// noDirectory knows nothing: a store of imports alone, with no portal to match against.
type noDirectory struct{}

func (noDirectory) Load(context.Context) (Known, error) {
	return Known{Accounts: quality.AccountSet{}, Contacts: map[string]KnownContact{}, Organizations: map[string]string{}}, nil
}

// FoldName is the form in which organisation names are matched: case, accents and
// punctuation ignored.
func FoldName(s string) string { return sheets.NormalizeHeader(s) }

// PreviewAction is what applying the import would do with a row.
type PreviewAction string

const (
	PreviewCreate PreviewAction = "create" // a new contact
	PreviewUpdate PreviewAction = "update" // an existing contact with the same address changes
	PreviewSkip   PreviewAction = "skip"   // left out, with the reason
)

// PreviewRow says what applying would do with one data row.
type PreviewRow struct {
	Row    int           `json:"row"`
	Action PreviewAction `json:"action"`
	Reason string        `json:"reason,omitempty"`
	// Contact is what would be stored (for create and update).
	Contact portal.Contact `json:"contact"`
	// ContactID is the existing contact an update changes.
	ContactID string `json:"contactId,omitempty"`
	// Changes names the fields an update changes.
	Changes []string `json:"changes,omitempty"`
	// Organization is the organisation's name; NewOrganization is true when the portal
	// does not know it yet and applying would create it.
	Organization    string `json:"organization"`
	NewOrganization bool   `json:"newOrganization"`
	// OrganizationType is the kind of organisation the sheet gives ("council"), which a
	// new organisation is created with.
	OrganizationType string   `json:"organizationType,omitempty"`
	Warnings         []string `json:"warnings,omitempty"`
}

// Preview is the whole plan with its counts.
type Preview struct {
	Rows             []PreviewRow          `json:"rows"`
	Counts           map[PreviewAction]int `json:"counts"`
	NewOrganizations []string              `json:"newOrganizations"`
}

// Preview tells for every data row what applying the import would do: create a contact,
// update the one with the same address, or skip the row and why. Findings that need a
// decision (anything but a possible duplicate) make a row skip until resolved. Stale
// findings are refreshed first.
func (s *Store) Preview(ctx context.Context, id string) (Preview, error) {
	ss, err := s.Get(ctx, id)
	if err != nil {
		return Preview{}, err
	}
	if ss.State == StateMapping || ss.Stale {
		if ss, err = s.Recheck(ctx, id); err != nil {
			return Preview{}, err
		}
	}
	known, err := s.dir.Load(ctx)
	if err != nil {
		return Preview{}, fmt.Errorf("read the portal's contacts for the preview: %w", err)
	}
	all, err := s.findings(ctx, id, 0, 1<<31-1)
	if err != nil {
		return Preview{}, err
	}
	byRow := map[int][]quality.Finding{}
	for _, f := range all {
		byRow[f.Row] = append(byRow[f.Row], f)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT row_number, cells, edits, excluded, exclude_reason, merged_into, result, result_reason FROM import_rows
		WHERE session_id = ? AND row_number > ? ORDER BY row_number`, id, ss.Mapping.HeaderRow)
	if err != nil {
		return Preview{}, fmt.Errorf("read rows: %w", err)
	}
	defer rows.Close()
	p := newPreview()
	newOrgs := map[string]bool{}
	for rows.Next() {
		v, err := scanRowView(rows)
		if err != nil {
			return Preview{}, err
		}
		p.add(planView(v, ss, byRow[v.Row], known), newOrgs)
	}
	return p, rows.Err()
}

// planView plans one stored row of a session.
func planView(v RowView, ss Session, findings []quality.Finding, known Known) PreviewRow {
	p := PlanRow(RecordOf(v.Row, v.Cells, ss.Mapping), v.Excluded, v.ExcludeReason, findings, known, ss.DayFirst)
	p.OrganizationType = strings.TrimSpace(ss.Mapping.Value(v.Cells, sheets.FieldOrgType))
	return p
}

func newPreview() Preview {
	return Preview{Counts: map[PreviewAction]int{PreviewCreate: 0, PreviewUpdate: 0, PreviewSkip: 0}, NewOrganizations: []string{}, Rows: []PreviewRow{}}
}

func (p *Preview) add(pr PreviewRow, newOrgs map[string]bool) {
	if pr.NewOrganization && pr.Action != PreviewSkip && !newOrgs[FoldName(pr.Organization)] {
		newOrgs[FoldName(pr.Organization)] = true
		p.NewOrganizations = append(p.NewOrganizations, pr.Organization)
	}
	p.Counts[pr.Action]++
	p.Rows = append(p.Rows, pr)
}

// Plan tells for every record of an analysis what applying it would do, as Preview does
// for a stored session.
func Plan(a Analysis, known Known, dayFirst bool) Preview {
	byRow := map[int][]quality.Finding{}
	for _, f := range a.Findings {
		byRow[f.Row] = append(byRow[f.Row], f)
	}
	p := newPreview()
	newOrgs := map[string]bool{}
	for _, rec := range a.Records {
		p.add(PlanRow(rec, false, "", byRow[rec.Row], known, dayFirst), newOrgs)
	}
	return p
}

// PlanRow tells what applying would do with one record, given its findings and what the
// portal already holds.
func PlanRow(rec quality.Record, excluded bool, excludeReason string, findings []quality.Finding, known Known, dayFirst bool) PreviewRow {
	pr := PreviewRow{Row: rec.Row, Organization: rec.Organization, Contact: ContactOf(rec, dayFirst)}
	if excluded {
		pr.Action, pr.Reason = PreviewSkip, excludeReason
		return pr
	}
	for _, f := range findings {
		if f.Code == quality.PossibleDuplicate {
			pr.Warnings = append(pr.Warnings, f.Message)
			continue
		}
		pr.Action, pr.Reason = PreviewSkip, f.Message
		return pr
	}
	if rec.Organization != "" {
		if orgID, ok := known.Organizations[FoldName(rec.Organization)]; ok {
			pr.Contact.OrganizationID = orgID
		} else {
			pr.NewOrganization = true
		}
	}
	existing, ok := known.Contacts[quality.EmailKey(rec.Email)]
	if !ok {
		pr.Action = PreviewCreate
		return pr
	}
	pr.ContactID = existing.ID
	if existing.FullName != pr.Contact.FullName && pr.Contact.FullName != "" {
		pr.Changes = append(pr.Changes, "name")
	}
	if existing.Phone != pr.Contact.Phone && pr.Contact.Phone != "" {
		pr.Changes = append(pr.Changes, "phone")
	}
	if existing.Position != pr.Contact.Position && pr.Contact.Position != "" {
		pr.Changes = append(pr.Changes, "position")
	}
	if pr.Contact.OrganizationID != "" && existing.OrganizationID != pr.Contact.OrganizationID || pr.NewOrganization {
		pr.Changes = append(pr.Changes, "organisation")
	}
	if len(pr.Changes) == 0 {
		pr.Action, pr.Reason = PreviewSkip, "Already in the portal with the same details; nothing to change."
		return pr
	}
	pr.Action = PreviewUpdate
	return pr
}

// ContactOf turns a checked record into the contact it describes.
func ContactOf(r quality.Record, dayFirst bool) portal.Contact {
	c := portal.Contact{
		FirstName: r.FirstName, LastName: r.LastName, FullName: r.FullName,
		Phone: r.Phone, Position: r.Role, Member: !quality.IsNonMember(r.Member),
	}
	if email, err := portal.ParseEmail(r.Email); err == nil {
		c.Email = email
	} else {
		c.Email = strings.TrimSpace(r.Email)
	}
	if c.FullName == "" {
		c.FullName = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	if c.FullName == "" && c.Email != "" {
		c.FullName = portal.NameFromEmail(c.Email)
	}
	if t, ok := quality.RoleEnd(r.RoleUntil, dayFirst); ok {
		c.RoleUntil = &t
	}
	return c
}
