package service

import (
	"context"
	"encoding/json"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// Limits of change-feed pages.
const (
	DefaultFeedPage = 500
	MaxFeedPage     = 5000
)

// ChangesQuery asks for the changes after a cursor.
type ChangesQuery struct {
	After int64
	Limit int
	// Entities, when not empty, keeps only changes of these entity types.
	Entities []string
}

// Changes returns the next page of the change feed, holding only what the actor may see.
// Changes the actor may not see are skipped, and the cursor moves past them.
func (s *Service) Changes(ctx context.Context, act portal.Actor, q ChangesQuery) (api.ChangesPage, error) {
	if !act.MayReadAdmin() {
		return api.ChangesPage{}, errNoAdminRights()
	}
	n := q.Limit
	switch {
	case n <= 0:
		n = DefaultFeedPage
	case n > MaxFeedPage:
		n = MaxFeedPage
	}
	if q.After < 0 {
		return api.ChangesPage{}, portal.FieldErrorf("after", "The cursor cannot be negative; start from 0.")
	}
	want := map[string]bool{}
	for _, e := range q.Entities {
		want[e] = true
	}
	page := api.ChangesPage{Changes: make([]api.Change, 0, n), Next: q.After}
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if page.FeedID, err = r.FeedID(ctx); err != nil {
			return err
		}
		for {
			batch, head, err := r.Changes(ctx, page.Next, n)
			if err != nil {
				return err
			}
			for _, c := range batch {
				page.Next = c.Seq
				if len(want) > 0 && !want[c.Entity] {
					continue
				}
				if !visible(act, c) {
					var gone bool
					if c, gone, err = leftView(ctx, r, act, c); err != nil {
						return err
					} else if !gone {
						continue
					}
				}
				page.Changes = append(page.Changes, c)
				if len(page.Changes) == n {
					break
				}
			}
			page.More = page.Next < head
			if len(page.Changes) == n || len(batch) < n || !page.More {
				return nil
			}
		}
	})
	return page, err
}

// leftView turns a change the actor may not see into a tombstone when it took the record
// out of their view: a contact or account moved to another organisation is gone for the
// first organisation's administrator, who would otherwise keep a stale copy forever. The
// tombstone carries the change's seq and the organisation the record left.
func leftView(ctx context.Context, r store.Reader, act portal.Actor, c api.Change) (api.Change, bool, error) {
	// Only an update can move a record; a record's first version has no earlier view.
	if c.Op != api.OpUpsert || c.Version <= 1 {
		return c, false, nil
	}
	switch c.Entity {
	case api.EntityAccount, api.EntityContact, api.EntityInvitation, api.EntityRole:
	default:
		return c, false, nil
	}
	prev, ok, err := r.PreviousChange(ctx, c.Entity, c.ID, c.Seq)
	if err != nil || !ok || prev.Op != api.OpUpsert || !visible(act, prev) {
		return c, false, err
	}
	return api.Change{Seq: c.Seq, Entity: c.Entity, ID: c.ID, Op: api.OpDelete, OrganizationID: prev.OrganizationID, At: c.At}, true, nil
}

// visible decides whether a feed entry is for the actor, mirroring the read rules of the
// list endpoints.
func visible(act portal.Actor, c api.Change) bool {
	if act.SystemAdmin {
		return true
	}
	own := act.OrgAdminOf != "" && c.OrganizationID == act.OrgAdminOf
	switch c.Entity {
	case api.EntityOrganization:
		return act.UserSetup || (act.OrgAdminOf != "" && c.ID == act.OrgAdminOf)
	case api.EntityAccount:
		return act.UserSetup || own || c.ID == act.ID
	case api.EntityContact, api.EntityInvitation:
		return own
	case api.EntityRole:
		return c.OrganizationID == "" || act.UserSetup || own
	case api.EntityTemplate, api.EntitySettings:
		return true
	case api.EntityAudit:
		if own {
			return true
		}
		if act.UserSetup {
			var ev struct {
				EntityType string `json:"entityType"`
			}
			return json.Unmarshal(c.Data, &ev) == nil && ev.EntityType == api.EntityAccount
		}
	}
	return false
}
