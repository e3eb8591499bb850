package portal

import (
	"encoding/json"
	"time"
)

// Status is where an account stands in its lifecycle (see DESIGN.md, "Account lifecycle").
type Status string

const (
	StatusNone        Status = ""            // no account yet: a contact that may be invited
	StatusPending     Status = "pending"     // signed in with SSO, waits for an approver (P)
	StatusActive      Status = "active"      // may sign in (A)
	StatusDenied      Status = "denied"      // refused, in the recycle bin (D)
	StatusInvited     Status = "invited"     // holds a one-time invitation link
	StatusDeactivated Status = "deactivated" // suspended; can be reactivated
)

// Statuses lists every status an account can be stored with.
var Statuses = []Status{StatusPending, StatusActive, StatusDenied, StatusInvited, StatusDeactivated}

// Kind says whether an account is a client of the portal or a staff user of the organisation.
type Kind string

const (
	KindClient Kind = "client"
	KindStaff  Kind = "staff"
)

// Address is a postal address. Organisations keep three: actual, legal and shipping.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

// Organization is a member organisation of the portal: a council, a pantry, an agency.
type Organization struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Phone           string    `json:"phone"`
	Type            string    `json:"type"` // free text from the CRM: "council", "pantry", ...
	Member          bool      `json:"member"`
	ActualAddress   Address   `json:"actualAddress"`
	LegalAddress    Address   `json:"legalAddress"`
	ShippingAddress Address   `json:"shippingAddress"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
	Version         int64     `json:"version"`
}

// Contact is a person (or, in imported data, an organisation row) known to the portal,
// whether or not they have an account.
type Contact struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organizationId"`
	FullName       string     `json:"fullName"`
	FirstName      string     `json:"firstName"`
	LastName       string     `json:"lastName"`
	Email          string     `json:"email"`
	Phone          string     `json:"phone"`
	Position       string     `json:"position"`
	Member         bool       `json:"member"`
	RoleUntil      *time.Time `json:"roleUntil,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	Version        int64      `json:"version"`
}

// Account is a person's access to the portal.
type Account struct {
	ID             string `json:"id"`
	ContactID      string `json:"contactId"`
	OrganizationID string `json:"organizationId"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Status         Status `json:"status"`
	Kind           Kind   `json:"kind"`
	OrgAdmin       bool   `json:"orgAdmin"`
	// CoreRole is the one role that defines a staff user's job; AdditionalRoles add to it.
	CoreRole        string   `json:"coreRole"`
	AdditionalRoles []string `json:"additionalRoles"`
	// Source is where the account came from: the SSO domain or issuer, or "invitation".
	Source  string `json:"source"`
	Subject string `json:"subject"`
	// RegistrationComplete is false for a client who signed in but never finished the
	// registration form: a "ghost account" that cannot be promoted until it is fixed.
	RegistrationComplete bool `json:"registrationComplete"`
	// ClientRecord is true while the account still has its client record; promotion to
	// staff may delete the leftover one.
	ClientRecord      bool       `json:"clientRecord"`
	AccessRequestedAt *time.Time `json:"accessRequestedAt,omitempty"`
	DenyReason        string     `json:"denyReason"`
	DecidedBy         string     `json:"decidedBy"`
	DecidedAt         *time.Time `json:"decidedAt,omitempty"`
	LastLoginAt       *time.Time `json:"lastLoginAt,omitempty"`
	// Directory is set on an account a directory provisions or adopted (SCIM).
	Directory *DirectoryLink `json:"directory,omitempty"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
	Version   int64          `json:"version"`
}

// Ghost reports whether the account is an unfinished client registration.
func (a Account) Ghost() bool {
	return a.Kind == KindClient && a.Status == StatusActive && !a.RegistrationComplete
}

// RoleIDs returns the core role followed by the additional roles.
func (a Account) RoleIDs() []string {
	ids := make([]string, 0, 1+len(a.AdditionalRoles))
	if a.CoreRole != "" {
		ids = append(ids, a.CoreRole)
	}
	return append(ids, a.AdditionalRoles...)
}

// clone returns a copy that shares no slices or pointers with a.
func (a Account) clone() Account {
	b := a
	b.AdditionalRoles = append([]string(nil), a.AdditionalRoles...)
	b.AccessRequestedAt = copyTime(a.AccessRequestedAt)
	b.DecidedAt = copyTime(a.DecidedAt)
	b.LastLoginAt = copyTime(a.LastLoginAt)
	if a.Directory != nil {
		d := *a.Directory
		b.Directory = &d
	}
	return b
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}

func timePtr(t time.Time) *time.Time { return &t }

// InvitationStatus is the state of one invitation link.
type InvitationStatus string

const (
	InvitationPending  InvitationStatus = "pending"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationExpired  InvitationStatus = "expired"
	InvitationRevoked  InvitationStatus = "revoked"
)

// Invitation is a one-time link that lets a person activate their account. Only a hash of
// its token is ever stored.
type Invitation struct {
	ID             string           `json:"id"`
	AccountID      string           `json:"accountId"`
	ContactID      string           `json:"contactId"`
	OrganizationID string           `json:"organizationId"`
	Email          string           `json:"email"`
	Name           string           `json:"name"`
	Roles          []string         `json:"roles"`
	Status         InvitationStatus `json:"status"`
	BatchID        string           `json:"batchId"`
	CreatedBy      string           `json:"createdBy"`
	CreatedAt      time.Time        `json:"createdAt"`
	ExpiresAt      time.Time        `json:"expiresAt"`
	AcceptedAt     *time.Time       `json:"acceptedAt,omitempty"`
	RevokedAt      *time.Time       `json:"revokedAt,omitempty"`
	Version        int64            `json:"version"`
}

// StatusAt is the invitation's status as the clock sees it: a pending invitation past its
// expiry is expired even before anything has written that down.
func (inv Invitation) StatusAt(now time.Time) InvitationStatus {
	if inv.Status == InvitationPending && !now.Before(inv.ExpiresAt) {
		return InvitationExpired
	}
	return inv.Status
}

// AccessRequest records that a pending account asked for access and when approvers were
// told, so requests can be rate-limited.
type AccessRequest struct {
	ID          string    `json:"id"`
	AccountID   string    `json:"accountId"`
	RequestedAt time.Time `json:"requestedAt"`
	NotifiedTo  []string  `json:"notifiedTo"`
}

// AuditEvent is one entry of the audit log: who did what to which record, when, and the
// record before and after.
type AuditEvent struct {
	ID             int64           `json:"id"`
	At             time.Time       `json:"at"`
	ActorID        string          `json:"actorId"`
	ActorName      string          `json:"actorName"`
	Action         string          `json:"action"`
	EntityType     string          `json:"entityType"`
	EntityID       string          `json:"entityId"`
	OrganizationID string          `json:"organizationId"`
	Reason         string          `json:"reason"`
	Before         json.RawMessage `json:"before,omitempty"`
	After          json.RawMessage `json:"after,omitempty"`
}
