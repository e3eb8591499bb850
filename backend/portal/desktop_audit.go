package portal

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Work done on the desktop alone — checking an import, forming and sending a batch — changes
// nothing on the portal until it is applied or sent, yet an administrator answering "who
// invited these people, and why was that row let through?" needs it in the same log as
// every change to the portal, under the same name. The desktop records it there.
const (
	ActionImportFix      = "import.fix"
	ActionImportExclude  = "import.exclude"
	ActionImportMerge    = "import.merge"
	ActionImportDistinct = "import.distinct"
	ActionImportApply    = "import.apply"
	ActionBatchForm      = "batch.form"
	ActionBatchSend      = "batch.send"
	ActionBatchCancel    = "batch.cancel"
	ActionBatchDecide    = "batch.decide"
)

// DesktopActions are the actions a desktop may record.
var DesktopActions = []string{
	ActionImportFix, ActionImportExclude, ActionImportMerge, ActionImportDistinct, ActionImportApply,
	ActionBatchForm, ActionBatchSend, ActionBatchCancel, ActionBatchDecide,
}

// DesktopEvent is one piece of desktop work, as the desktop reports it.
type DesktopEvent struct {
	// At is when the administrator did it (it may reach the portal much later).
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	// EntityID is the import session or batch; Name is its file or batch name.
	EntityID string `json:"entityId"`
	Name     string `json:"name"`
	Reason   string `json:"reason"`
	// Details say what changed: the row and field, the counts, the overrides.
	Details map[string]any `json:"details"`
}

// Limits of a desktop event: enough for any real one, small enough that the log stays a log.
const (
	maxDesktopEventText    = 1000
	maxDesktopEventDetails = 16 << 10
	// A desktop may have been offline this long and still report when work was done.
	maxDesktopEventAge = 90 * 24 * time.Hour
)

// RecordDesktopEvent turns a desktop's report into an audit event under the acting
// administrator. Only administrators (of the portal or of an organisation) do desktop work;
// the time is the desktop's, but never in the future nor older than the desktop could
// have been offline.
func (op Op) RecordDesktopEvent(d DesktopEvent) (AuditEvent, error) {
	if !op.Actor.SystemAdmin && !op.Actor.UserSetup && op.Actor.OrgAdminOf == "" {
		return AuditEvent{}, Errorf(EFORBIDDEN, "Only administrators record desktop work in the audit log.")
	}
	if !slices.Contains(DesktopActions, d.Action) {
		return AuditEvent{}, FieldErrorf("action", "%q is not desktop work the audit log records (one of %s).", d.Action, strings.Join(DesktopActions, ", "))
	}
	entityType, _, _ := strings.Cut(d.Action, ".")
	if d.EntityID = strings.TrimSpace(d.EntityID); d.EntityID == "" || utf8.RuneCountInString(d.EntityID) > 100 {
		return AuditEvent{}, FieldErrorf("entityId", "Say which %s this was (an ID of at most 100 characters).", entityType)
	}
	for _, f := range []struct{ name, v string }{{"name", d.Name}, {"reason", d.Reason}} {
		if utf8.RuneCountInString(f.v) > maxDesktopEventText || !utf8.ValidString(f.v) {
			return AuditEvent{}, FieldErrorf(f.name, "The %s is longer than %d characters or not text.", f.name, maxDesktopEventText)
		}
	}
	after := map[string]any{"name": d.Name}
	for k, v := range d.Details {
		after[k] = v
	}
	raw, err := json.Marshal(after)
	if err != nil || len(raw) > maxDesktopEventDetails {
		return AuditEvent{}, FieldErrorf("details", "The details are more than %d KB or not JSON.", maxDesktopEventDetails>>10)
	}
	at := d.At
	if at.IsZero() || at.After(op.Now) {
		at = op.Now
	}
	if at.Before(op.Now.Add(-maxDesktopEventAge)) {
		return AuditEvent{}, FieldErrorf("at", "The work is dated %s, longer ago than a desktop may stay offline.", at.Format(time.DateOnly))
	}
	return AuditEvent{At: at, ActorID: op.Actor.ID, ActorName: op.Actor.Name, Action: d.Action, EntityType: entityType,
		EntityID: d.EntityID, OrganizationID: op.Actor.OrgAdminOf, Reason: strings.TrimSpace(d.Reason), After: raw}, nil
}
