package desk

import (
	"slices"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
)

// AuditQuery selects audit events, newest first. From is inclusive, To exclusive.
type AuditQuery struct {
	EntityType     string     `json:"entityType"` // account|organization|invitation|contact|role|...
	EntityID       string     `json:"entityId"`
	ActorID        string     `json:"actorId"`
	Action         string     `json:"action"` // see AuditActions
	OrganizationID string     `json:"organizationId"`
	From           *time.Time `json:"from"`
	To             *time.Time `json:"to"`
	Offset         int        `json:"offset"`
	Limit          int        `json:"limit"`
}

// AuditEntry is one event of the audit log with the record before and after.
type AuditEntry struct {
	ID             int64          `json:"id"`
	At             time.Time      `json:"at"`
	ActorID        string         `json:"actorId"`
	ActorName      string         `json:"actorName"`
	Action         string         `json:"action"`
	EntityType     string         `json:"entityType"`
	EntityID       string         `json:"entityId"`
	OrganizationID string         `json:"organizationId"`
	Reason         string         `json:"reason"`
	Before         map[string]any `json:"before"`
	After          map[string]any `json:"after"`
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Rows  []AuditEntry `json:"rows"`
	Total int          `json:"total"`
}

func auditEntry(ev portal.AuditEvent) AuditEntry {
	return AuditEntry{
		ID: ev.ID, At: ev.At, ActorID: ev.ActorID, ActorName: ev.ActorName, Action: ev.Action,
		EntityType: ev.EntityType, EntityID: ev.EntityID, OrganizationID: ev.OrganizationID, Reason: ev.Reason,
		Before: jsonObject(ev.Before), After: jsonObject(ev.After),
	}
}

// AuditLog returns one page of the audit log, newest first.
func (a *Desk) AuditLog(q AuditQuery) (AuditPage, error) {
	db, err := a.cache()
	if err != nil {
		return AuditPage{}, err
	}
	f := cache.AuditFilter{EntityType: q.EntityType, EntityID: q.EntityID, ActorID: q.ActorID, Action: q.Action,
		OrganizationID: q.OrganizationID, Limit: q.Limit, Offset: q.Offset}
	if q.From != nil {
		f.From = *q.From
	}
	if q.To != nil {
		f.To = *q.To
	}
	if q.From != nil && q.To != nil && !q.To.After(*q.From) {
		return AuditPage{}, portal.FieldErrorf("to", "The end of the period must be after its start.")
	}
	page, err := db.ListAuditEvents(a.ctx(), f)
	if err != nil {
		return AuditPage{}, err
	}
	out := AuditPage{Rows: make([]AuditEntry, len(page.Rows)), Total: page.Total}
	for i, ev := range page.Rows {
		out.Rows[i] = auditEntry(ev)
	}
	return out, nil
}

// AuditActor is someone who acted in the audit log, for the actor filter.
type AuditActor = cache.AuditActor

// auditActorsLimit bounds one answer of AuditActors; typing narrows it.
const auditActorsLimit = 200

// AuditActors lists everyone who acted in the cached audit log, by name, not only those in
// the page on screen. query narrows it to names or e-mail addresses containing it (any
// case).
func (a *Desk) AuditActors(query string) ([]AuditActor, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	acts, err := db.AuditActors(a.ctx(), query, auditActorsLimit)
	if acts == nil {
		acts = []AuditActor{}
	}
	return acts, err
}

// AuditActions lists the actions the audit log filter offers.
func (a *Desk) AuditActions() []string {
	return slices.Clone(portal.Actions)
}
