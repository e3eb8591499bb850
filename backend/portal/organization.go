package portal

import "strings"

// UpdateOrganization replaces an organisation's profile after checking who may and what.
func UpdateOrganization(op Op, before, after Organization) (Organization, AuditEvent, error) {
	if err := op.Actor.CanAdminister(before.ID); err != nil {
		return Organization{}, AuditEvent{}, err
	}
	after.ID, after.CreatedAt, after.Version, after.UpdatedAt = before.ID, before.CreatedAt, before.Version, op.Now
	if !op.Actor.SystemAdmin && (after.Member != before.Member || after.Type != before.Type) {
		return Organization{}, AuditEvent{}, Errorf(EFORBIDDEN, "Only a system administrator can change an organisation's type or membership.")
	}
	if err := ValidateOrganization(after); err != nil {
		return Organization{}, AuditEvent{}, err
	}
	ev := AuditEvent{
		At: op.Now, ActorID: op.Actor.ID, ActorName: op.Actor.Name, Action: ActionUpdateOrg,
		EntityType: "organization", EntityID: before.ID, OrganizationID: before.ID,
		Before: mustJSON(before), After: mustJSON(after),
	}
	return after, ev, nil
}

// ValidateOrganization checks an organisation profile before it is stored.
func ValidateOrganization(o Organization) error {
	if strings.TrimSpace(o.Name) == "" {
		return FieldErrorf("name", "Give the organisation a name.")
	}
	if o.Phone != "" && !plausiblePhone(o.Phone) {
		return FieldErrorf("phone", "%q does not look like a phone number: use digits, spaces, and + ( ) - only.", o.Phone)
	}
	return nil
}

func plausiblePhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +()-./", r):
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 20
}
