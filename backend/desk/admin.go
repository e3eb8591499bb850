package desk

import (
	"context"
	"strings"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// Types shared by the admin screens' bound methods. Everything crossing to the frontend is
// a plain struct with camelCase JSON names; times are RFC 3339 strings, absent ones null.

// QueuedChange is an administrator action written to the outbox: shown at once, sent to
// the server in the background. ID identifies it for DiscardChange and ResolveConflict.
type QueuedChange struct {
	ID         int64  `json:"id"`
	Command    string `json:"command"`
	EntityType string `json:"entityType"`
	EntityID   string `json:"entityId"`
}

// ActionResult is the answer to an action on one record: the queued change and the record
// as every screen now shows it (pending until the server confirms). User is nil when the
// action removes the account (purge).
type ActionResult struct {
	Change QueuedChange `json:"change"`
	User   *UserRow     `json:"user,omitempty"`
}

// BulkItem is the outcome of a bulk action for one selected record.
type BulkItem struct {
	// ID is the account the administrator selected.
	ID string `json:"id"`
	OK bool   `json:"ok"`
	// ChangeID is the queued change when OK.
	ChangeID int64 `json:"changeId,omitempty"`
	// Code and Message say why the record was left out when not OK.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// BulkResult is the answer to a bulk action: one item per selected record, in the order
// selected, and the counts for the summary line.
type BulkResult struct {
	Items   []BulkItem `json:"items"`
	Queued  int        `json:"queued"`
	Refused int        `json:"refused"`
}

// UserRow is one account as the Users table, the queues and the drawers show it.
type UserRow struct {
	ID                   string     `json:"id"`
	Name                 string     `json:"name"`
	Email                string     `json:"email"`
	Status               string     `json:"status"` // pending|active|denied|invited|deactivated
	Kind                 string     `json:"kind"`   // client|staff
	OrganizationID       string     `json:"organizationId"`
	OrganizationName     string     `json:"organizationName"`
	ContactID            string     `json:"contactId"`
	OrgAdmin             bool       `json:"orgAdmin"`
	CoreRole             string     `json:"coreRole"`
	AdditionalRoles      []string   `json:"additionalRoles"`
	Source               string     `json:"source"` // SSO domain or issuer, "invitation", ...
	RegistrationComplete bool       `json:"registrationComplete"`
	Ghost                bool       `json:"ghost"` // unfinished client registration
	ClientRecord         bool       `json:"clientRecord"`
	AccessRequested      bool       `json:"accessRequested"`
	AccessRequestedAt    *time.Time `json:"accessRequestedAt"`
	DenyReason           string     `json:"denyReason"`
	DecidedBy            string     `json:"decidedBy"`
	// DecidedByName says who decided in words: the administrator's name or address, or
	// the approver's address for a decision made from an e-mailed link.
	DecidedByName string     `json:"decidedByName"`
	DecidedAt     *time.Time `json:"decidedAt"`
	LastLoginAt   *time.Time `json:"lastLoginAt"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	Version       int64      `json:"version"`
	// PendingChanges counts this account's changes the server does not have yet; Pending
	// is PendingChanges > 0. Conflict is set when one of them was refused because someone
	// else changed the account first (see Conflicts).
	PendingChanges int  `json:"pendingChanges"`
	Pending        bool `json:"pending"`
	Conflict       bool `json:"conflict"`
	// Actions, on the approval queue and in the recycle bin, are the decisions the
	// administrator may take on this person, from the policy the server enforces (see
	// UserDetail.Actions). The Users table leaves them out: its drawer asks.
	Actions []portal.ActionCheck `json:"actions,omitempty"`
}

func userRow(a portal.Account, orgName string, pending int, conflict bool) UserRow {
	roles := a.AdditionalRoles
	if roles == nil {
		roles = []string{}
	}
	return UserRow{
		ID: a.ID, Name: a.Name, Email: a.Email, Status: string(a.Status), Kind: string(a.Kind),
		OrganizationID: a.OrganizationID, OrganizationName: orgName, ContactID: a.ContactID,
		OrgAdmin: a.OrgAdmin, CoreRole: a.CoreRole, AdditionalRoles: roles, Source: a.Source,
		RegistrationComplete: a.RegistrationComplete, Ghost: a.Ghost(), ClientRecord: a.ClientRecord,
		AccessRequested: a.AccessRequestedAt != nil, AccessRequestedAt: a.AccessRequestedAt,
		DenyReason: a.DenyReason, DecidedBy: a.DecidedBy, DecidedAt: a.DecidedAt, LastLoginAt: a.LastLoginAt,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Version: a.Version,
		PendingChanges: pending, Pending: pending > 0, Conflict: conflict,
	}
}

// rowFromView is the row of an account as the administrator sees it.
func rowFromView(v cache.AccountView, orgName string) UserRow {
	pending, conflict := 0, false
	for _, c := range v.Pending {
		if c.State == cache.OutboxConflict {
			conflict = true
		} else {
			pending++
		}
	}
	return userRow(v.Account, orgName, pending, conflict)
}

// orgName is the name of an organisation in the local copy, "" if unknown.
func orgName(ctx context.Context, db *cache.DB, id string) string {
	if id == "" {
		return ""
	}
	o, err := db.GetOrganization(ctx, id)
	if err != nil {
		return ""
	}
	return o.Name
}

// userByID returns the row of one account.
func userByID(ctx context.Context, db *cache.DB, id string) (UserRow, cache.AccountView, error) {
	v, err := db.GetAccountView(ctx, id)
	if err != nil {
		return UserRow{}, v, err
	}
	return rowFromView(v, orgName(ctx, db, v.Account.OrganizationID)), v, nil
}

func queuedChange(q replica.Queued) QueuedChange {
	return QueuedChange{ID: q.ID, Command: q.Command, EntityType: q.EntityType, EntityID: q.EntityID}
}

// accountAction runs one account command through the sync engine's commands and answers
// with the account as it is now shown.
func (a *Desk) accountAction(id string, run func(ctx context.Context, c *replica.Commands) (replica.Queued, error)) (ActionResult, error) {
	if strings.TrimSpace(id) == "" {
		return ActionResult{}, portal.FieldErrorf("id", "Choose an account first.")
	}
	eng, db, err := a.engine()
	if err != nil {
		return ActionResult{}, err
	}
	ctx := a.ctx()
	q, err := run(ctx, eng.Commands())
	if err != nil {
		return ActionResult{}, err
	}
	res := ActionResult{Change: queuedChange(q)}
	row, v, err := userByID(ctx, db, id)
	switch {
	case err == nil && !v.Removed:
		res.User = &row
	case err != nil && portal.ErrorCode(err) != portal.ENOTFOUND:
		return res, err
	}
	return res, nil
}

// bulk runs a bulk command and reports per selected ID, in the order selected. keyOf
// maps a selected ID to the record the command is for (itself, or an account's
// invitation); refused holds IDs already left out, with why.
func (a *Desk) bulk(ids []string, refused map[string]replica.Refusal, keyOf map[string]string,
	run func(ctx context.Context, c *replica.Commands, keys []string) (replica.BulkResult, error)) (BulkResult, error) {
	if len(ids) == 0 {
		return BulkResult{}, portal.FieldErrorf("ids", "Select at least one record.")
	}
	eng, _, err := a.engine()
	if err != nil {
		return BulkResult{}, err
	}
	var keys []string
	seen := map[string]bool{}
	for _, id := range ids {
		if _, out := refused[id]; out || seen[id] {
			continue
		}
		seen[id] = true
		k := id
		if keyOf != nil {
			k = keyOf[id]
		}
		keys = append(keys, k)
	}
	queued := map[string]replica.Queued{}
	notQueued := map[string]replica.Refusal{}
	if len(keys) > 0 {
		res, err := run(a.ctx(), eng.Commands(), keys)
		if err != nil {
			return BulkResult{}, err
		}
		for _, q := range res.Queued {
			queued[q.EntityID] = q
		}
		for _, r := range res.Refused {
			notQueued[r.EntityID] = r
		}
	}
	out := BulkResult{Items: make([]BulkItem, 0, len(ids))}
	done := map[string]bool{}
	for _, id := range ids {
		if done[id] {
			continue
		}
		done[id] = true
		k := id
		if keyOf != nil && keyOf[id] != "" {
			k = keyOf[id]
		}
		it := BulkItem{ID: id}
		if r, ok := refused[id]; ok {
			it.Code, it.Message = r.Code, r.Message
		} else if q, ok := queued[k]; ok {
			it.OK, it.ChangeID = true, q.ID
		} else if r, ok := notQueued[k]; ok {
			it.Code, it.Message = r.Code, r.Message
		} else {
			it.Code, it.Message = portal.EINTERNAL, "Gatehouse lost track of this record; check it and try again."
		}
		if it.OK {
			out.Queued++
		} else {
			out.Refused++
		}
		out.Items = append(out.Items, it)
	}
	return out, nil
}
