package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// AuditQuery selects audit events, newest first.
type AuditQuery = api.AuditQuery

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

// maxDesktopEvents bounds one report of desktop work; the desktop sends what it did since it
// last reached the portal, a few events per screen action.
const maxDesktopEvents = 500

// RecordDesktopEvents records work done on a desktop in the audit log, under the caller: the
// desktop says what was done and when, never who.
func (s *Service) RecordDesktopEvents(ctx context.Context, cmd *Cmd, req api.DesktopEventsRequest) (api.DesktopEventsResult, error) {
	if len(req.Events) == 0 || len(req.Events) > maxDesktopEvents {
		return api.DesktopEventsResult{}, portal.FieldErrorf("events", "Send between 1 and %d events.", maxDesktopEvents)
	}
	return command(ctx, s, cmd, func(tx store.Tx) (api.DesktopEventsResult, error) {
		op, err := s.op(ctx, tx, cmd.Actor)
		if err != nil {
			return api.DesktopEventsResult{}, err
		}
		for i, d := range req.Events {
			ev, err := op.RecordDesktopEvent(d)
			var pe *portal.Error
			if errors.As(err, &pe) && pe.Field != "" {
				return api.DesktopEventsResult{}, portal.FieldErrorf(fmt.Sprintf("events[%d].%s", i, pe.Field), "Event %d: %s", i+1, pe.Message)
			}
			if err != nil {
				return api.DesktopEventsResult{}, err
			}
			if err := audit(ctx, tx, ev); err != nil {
				return api.DesktopEventsResult{}, err
			}
		}
		return api.DesktopEventsResult{Recorded: len(req.Events)}, nil
	})
}
