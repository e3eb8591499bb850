package service

import (
	"context"
	"strconv"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// AuditQuery selects audit events, newest first.
type AuditQuery struct {
	OrganizationID string
	EntityType     string
	EntityID       string
	ActorID        string
	Action         string
	Since, Until   time.Time
	Before         int64
	Limit          int
}

// auditScope narrows a filter to what the actor may read: system administrators all,
// organisation administrators their organisation's events, approvers account events.
func auditScope(act portal.Actor, f *store.AuditFilter) error {
	switch {
	case act.SystemAdmin:
	case act.OrgAdminOf != "":
		f.OrganizationIDs = []string{act.OrgAdminOf}
	case act.UserSetup:
		f.EntityTypes = []string{api.EntityAccount}
	default:
		return errNoAdminRights()
	}
	return nil
}

// ListAudit lists audit events the actor may read.
func (s *Service) ListAudit(ctx context.Context, act portal.Actor, q AuditQuery) (api.Page[portal.AuditEvent], error) {
	f := store.AuditFilter{EntityID: q.EntityID, ActorID: q.ActorID, Action: q.Action, Since: q.Since, Until: q.Until, Before: q.Before, Limit: pageSize(q.Limit)}
	if err := auditScope(act, &f); err != nil {
		return api.Page[portal.AuditEvent]{}, err
	}
	if q.OrganizationID != "" {
		if f.OrganizationIDs != nil && f.OrganizationIDs[0] != q.OrganizationID {
			return api.Page[portal.AuditEvent]{}, act.CanAdminister(q.OrganizationID)
		}
		f.OrganizationIDs = []string{q.OrganizationID}
	}
	if q.EntityType != "" {
		if f.EntityTypes != nil && f.EntityTypes[0] != q.EntityType {
			return api.Page[portal.AuditEvent]{}, portal.Errorf(portal.EFORBIDDEN, "You may read the audit log of accounts only.")
		}
		f.EntityTypes = []string{q.EntityType}
	}
	var page api.Page[portal.AuditEvent]
	err := s.store.View(ctx, func(r store.Reader) error {
		items, err := r.AuditEvents(ctx, f)
		page.Items = items
		if len(items) == f.Limit {
			page.Next = strconv.FormatInt(items[len(items)-1].ID, 10)
		}
		return err
	})
	return page, err
}
