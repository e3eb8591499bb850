package portal

import (
	"strings"
	"testing"
	"time"
)

// A desktop reports what was done and when; the portal decides who did it and refuses what
// is not desktop work, not from an administrator, or not believable.
func TestRecordDesktopEvent(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	admin := Actor{ID: "acc_admin", Name: "Ann Reed", SystemAdmin: true, UserSetup: true}
	orgAdmin := Actor{ID: "acc_olivia", Name: "Olivia", OrgAdminOf: "org_a"}
	ok := DesktopEvent{At: now.Add(-2 * time.Hour), Action: ActionImportFix, EntityID: "imp_1", Name: "councils.xlsx",
		Details: map[string]any{"row": 7, "column": 3, "value": "finn@caxton-pc.gov.uk"}}
	for _, tc := range []struct {
		name   string
		actor  Actor
		edit   func(*DesktopEvent)
		code   string
		field  string
		assert func(*testing.T, AuditEvent)
	}{
		{name: "a fix, by a system administrator, at the time it was done", actor: admin, assert: func(t *testing.T, ev AuditEvent) {
			if ev.ActorID != "acc_admin" || ev.ActorName != "Ann Reed" || ev.EntityType != "import" || ev.EntityID != "imp_1" || !ev.At.Equal(now.Add(-2*time.Hour)) {
				t.Errorf("event: %+v", ev)
			}
			if !strings.Contains(string(ev.After), `"name":"councils.xlsx"`) || !strings.Contains(string(ev.After), `"row":7`) {
				t.Errorf("details: %s", ev.After)
			}
		}},
		{name: "an organisation administrator's event is their organisation's", actor: orgAdmin, edit: func(d *DesktopEvent) { d.Action = ActionBatchSend; d.EntityID = "bat_1" },
			assert: func(t *testing.T, ev AuditEvent) {
				if ev.OrganizationID != "org_a" || ev.EntityType != "batch" {
					t.Errorf("event: %+v", ev)
				}
			}},
		{name: "a time in the future is now", actor: admin, edit: func(d *DesktopEvent) { d.At = now.Add(time.Hour) }, assert: func(t *testing.T, ev AuditEvent) {
			if !ev.At.Equal(now) {
				t.Errorf("at %v", ev.At)
			}
		}},
		{name: "not an administrator", actor: Actor{ID: "acc_pat", Name: "Pat"}, code: EFORBIDDEN},
		{name: "an action of the portal's own", actor: admin, edit: func(d *DesktopEvent) { d.Action = ActionApprove }, code: EINVALID, field: "action"},
		{name: "no import named", actor: admin, edit: func(d *DesktopEvent) { d.EntityID = " " }, code: EINVALID, field: "entityId"},
		{name: "older than a desktop stays offline", actor: admin, edit: func(d *DesktopEvent) { d.At = now.AddDate(0, -4, 0) }, code: EINVALID, field: "at"},
		{name: "a reason too long", actor: admin, edit: func(d *DesktopEvent) { d.Reason = strings.Repeat("x", 1001) }, code: EINVALID, field: "reason"},
		{name: "details too large", actor: admin, edit: func(d *DesktopEvent) { d.Details = map[string]any{"x": strings.Repeat("x", 17<<10)} }, code: EINVALID, field: "details"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			if tc.edit != nil {
				tc.edit(&d)
			}
			ev, err := Op{Now: now, Actor: tc.actor}.RecordDesktopEvent(d)
			if tc.code != "" {
				var pe *Error
				if ErrorCode(err) != tc.code || (tc.field != "" && (!asError(err, &pe) || pe.Field != tc.field)) {
					t.Fatalf("want %s on %q, got %v", tc.code, tc.field, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.assert(t, ev)
		})
	}
}

func asError(err error, pe **Error) bool {
	e, ok := err.(*Error)
	*pe = e
	return ok
}
