package batch

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

// FromImport returns the rows of an import session the administrator kept (not excluded
// or merged away) as candidates, with their quality findings. When known is given, rows
// are matched to the cache's organisations (by name: ID, type, membership) and contacts
// (by e-mail address: contact and account), so that they can be filtered by organisation
// type and, once the contacts exist on the portal, invited.
func FromImport(ctx context.Context, st *imports.Store, sessionID string, known *cache.DB) ([]Candidate, error) {
	ss, err := st.Get(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	switch {
	case ss.State != imports.StateReview && ss.State != imports.StateApplied:
		return nil, portal.Errorf(portal.ECONFLICT, "The import %s is %s; finish mapping its columns and checking it before forming a batch.", ss.FileName, ss.State)
	case ss.Stale:
		return nil, portal.Errorf(portal.ECONFLICT, "The checks of import %s are out of date (rows changed since). Run the checks again before forming a batch.", ss.FileName)
	}
	var dir directory
	if known != nil {
		if dir, err = loadDirectory(ctx, known); err != nil {
			return nil, err
		}
	}
	var out []Candidate
	for offset := 0; ; {
		page, err := st.Rows(ctx, sessionID, imports.RowQuery{Offset: offset, Limit: 1000, Filter: imports.FilterIncluded})
		if err != nil {
			return nil, err
		}
		for _, v := range page.Rows {
			rec := imports.RecordOf(v.Row, v.Cells, ss.Mapping)
			c := Candidate{
				RowRef: fmt.Sprintf("import:%s:%d", sessionID, v.Row), Name: strings.TrimSpace(rec.FullName),
				FirstName: strings.TrimSpace(rec.FirstName), LastName: strings.TrimSpace(rec.LastName), Email: strings.TrimSpace(rec.Email),
				OrganizationName: strings.TrimSpace(rec.Organization), Member: !quality.IsNonMember(rec.Member), Findings: []string{},
			}
			for _, f := range v.Findings {
				c.Findings = append(c.Findings, string(f.Code))
			}
			if o, ok := dir.orgs[fold(c.OrganizationName)]; ok {
				c.OrganizationID, c.OrganizationType = o.id, o.typ
				if strings.TrimSpace(rec.Member) == "" {
					c.Member = o.member
				}
			}
			if c.OrganizationType == "" {
				// An organisation the import will create is of the kind its sheet says.
				c.OrganizationType = strings.TrimSpace(ss.Mapping.Value(v.Cells, sheets.FieldOrgType))
			}
			if k, ok := dir.contacts[portal.NormalizeEmail(c.Email)]; ok && (c.OrganizationID == "" || k.orgID == c.OrganizationID) {
				c.ContactID, c.AccountID = k.id, k.accountID
				if c.OrganizationID == "" {
					c.OrganizationID = k.orgID
				}
			}
			out = append(out, c)
		}
		offset += len(page.Rows)
		if len(page.Rows) == 0 || offset >= page.Total {
			return out, nil
		}
	}
}

// LinkApplied links the batch's rows formed from import sessions to the contacts the
// import's apply created or updated, once the portal has them (a row whose change is still
// waiting to be sent stays unlinked, and is named when the batch starts). It returns how
// many rows it linked.
func LinkApplied(ctx context.Context, s *Store, im *imports.Store, q imports.Queuer, batchID string) (int, error) {
	refs, err := s.UnlinkedRefs(ctx, batchID)
	if err != nil || len(refs) == 0 {
		return 0, err
	}
	bySession := map[string]map[int]string{} // session -> row -> ref
	for _, ref := range refs {
		rest, ok := strings.CutPrefix(ref, "import:")
		if !ok {
			continue
		}
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			continue
		}
		row, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			continue
		}
		if bySession[rest[:i]] == nil {
			bySession[rest[:i]] = map[int]string{}
		}
		bySession[rest[:i]][row] = ref
	}
	links := map[string]ContactLink{}
	for sessionID, rows := range bySession {
		if _, err := im.ApplyResults(ctx, sessionID, q); err != nil {
			if portal.ErrorCode(err) == portal.ENOTFOUND {
				continue // the import was deleted; its rows stay unlinked
			}
			return 0, err
		}
		results, err := im.Results(ctx, sessionID)
		if err != nil {
			return 0, err
		}
		for _, r := range results {
			ref, ok := rows[r.Row]
			if ok && r.RecordID != "" && (r.Result == imports.ResultCreated || r.Result == imports.ResultUpdated) {
				links[ref] = ContactLink{ContactID: r.RecordID}
			}
		}
	}
	if len(links) == 0 {
		return 0, nil
	}
	return len(links), s.LinkContacts(ctx, batchID, links)
}

type knownOrg struct {
	id, typ string
	member  bool
}

type knownContact struct {
	id, orgID, accountID string
}

type directory struct {
	orgs     map[string]knownOrg
	contacts map[string]knownContact
}

func loadDirectory(ctx context.Context, db *cache.DB) (directory, error) {
	d := directory{orgs: map[string]knownOrg{}, contacts: map[string]knownContact{}}
	orgs, err := db.Organizations(ctx)
	if err != nil {
		return d, err
	}
	for _, o := range orgs {
		d.orgs[fold(o.Name)] = knownOrg{id: o.ID, typ: o.Type, member: o.Member}
	}
	contacts, err := db.ContactsWithEmail(ctx, true)
	if err != nil {
		return d, err
	}
	for _, c := range contacts {
		d.contacts[portal.NormalizeEmail(c.Email)] = knownContact{id: c.ID, orgID: c.OrganizationID, accountID: c.AccountID}
	}
	return d, nil
}

// CacheQuery selects contacts of the cache as candidates.
type CacheQuery struct {
	// OrganizationIDs keeps contacts of these organisations; empty keeps all.
	OrganizationIDs []string
	// AsOf is the day roles are checked against ("clerk until"); zero means today by the
	// cache's clock.
	AsOf time.Time
	// DayFirst reads dates like 03/04/2024 as 3 April.
	DayFirst bool
}

// FromCache returns the cache's contacts as candidates (row reference "contact:<id>"),
// with their organisation and account, checked by the quality package the way an import
// is: missing or invalid addresses, shared and duplicate addresses, organisation rows,
// lapsed members, people who already have an account, roles that have ended.
func FromCache(ctx context.Context, db *cache.DB, q CacheQuery) ([]Candidate, error) {
	contacts, err := db.ContactsInOrganizations(ctx, q.OrganizationIDs)
	if err != nil {
		return nil, err
	}
	var cands []Candidate
	var recs []quality.Record
	for _, k := range contacts {
		c := Candidate{ContactID: k.ID, OrganizationID: k.OrganizationID, Name: k.FullName, FirstName: k.FirstName, LastName: k.LastName,
			Email: k.Email, OrganizationName: k.OrganizationName, OrganizationType: k.OrganizationType, AccountID: k.AccountID}
		c.RowRef = "contact:" + c.ContactID
		c.Member = k.Member
		if k.OrganizationMember.Valid {
			c.Member = k.OrganizationMember.Bool // membership belongs to the organisation
		}
		member := "yes"
		if !c.Member {
			member = "no"
		}
		until := ""
		if k.RoleUntil.Valid && len(k.RoleUntil.String) >= 10 {
			until = k.RoleUntil.String[:10] // 2006-01-02
		}
		recs = append(recs, quality.Record{Row: len(recs) + 1, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, FullName: c.Name,
			Organization: c.OrganizationName, Role: k.Position, Member: member, RoleUntil: until})
		c.Findings = []string{}
		cands = append(cands, c)
	}
	statuses, err := db.AccountStatuses(ctx)
	if err != nil {
		return nil, err
	}
	accounts := quality.NewAccountSet(statuses)
	asOf := q.AsOf
	if asOf.IsZero() {
		asOf = db.Clock().Now()
	}
	for _, f := range quality.Check(recs, quality.Config{AsOf: asOf, DayFirst: q.DayFirst, Accounts: accounts}) {
		c := &cands[f.Row-1]
		c.Findings = append(c.Findings, string(f.Code))
	}
	return cands, nil
}
