// Package api holds the wire types of the Gatehouse admin API, shared by the server and
// backend/client so that both sides always agree on the JSON.
package api

import (
	"encoding/json"
	"time"

	"gatehouse/backend/portal"
)

// Headers used by the API.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderReplayed       = "Idempotent-Replayed"
	HeaderIfMatch        = "If-Match"
	HeaderETag           = "ETag"
)

// Feed entity names, as they appear in Change.Entity.
const (
	EntityOrganization = "organization"
	EntityContact      = "contact"
	EntityAccount      = "account"
	EntityRole         = "role"
	EntityInvitation   = "invitation"
	EntityTemplate     = "template"
	EntitySettings     = "settings"
	EntityAudit        = "audit"
)

// Change operations.
const (
	OpUpsert = "upsert"
	OpDelete = "delete"
)

// Error is the body of every error response. Current carries the record as the server
// has it when a command was refused because the client's version was stale (HTTP 412).
type Error struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Field   string          `json:"field,omitempty"`
	Current json.RawMessage `json:"current,omitempty"`
}

// Change is one entry of the change feed: the full record after the change (upsert) or a
// tombstone (delete, Data empty). Seq is assigned in commit order and never reused.
type Change struct {
	Seq            int64           `json:"seq"`
	Entity         string          `json:"entity"`
	ID             string          `json:"id"`
	Op             string          `json:"op"`
	Version        int64           `json:"version"`
	OrganizationID string          `json:"organizationId,omitempty"`
	At             time.Time       `json:"at"`
	Data           json.RawMessage `json:"data,omitempty"`
}

// ChangesPage is one page of the change feed. Pass Next as "after" to get the following
// page; More says whether the server already holds more changes. FeedID identifies the
// database: if it differs from the one a follower started with, the database was replaced
// and the follower must start again from 0.
type ChangesPage struct {
	FeedID  string   `json:"feedId"`
	Changes []Change `json:"changes"`
	Next    int64    `json:"next"`
	More    bool     `json:"more"`
}

// Page is one page of a list. Next, when set, is the cursor for the following page.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// Template is a message text with @placeholders@, stored in the server's database.
type Template struct {
	Key          string    `json:"key"`
	Name         string    `json:"name"`
	Subject      string    `json:"subject"`
	Body         string    `json:"body"`
	Placeholders []string  `json:"placeholders"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Version      int64     `json:"version"`
}

// Settings are the portal-wide settings (portal.Settings: the type and its rules live in
// the domain, so that the desktop checks an edit offline as the server will).
type Settings = portal.Settings

// The defaults of the settings added after a portal's first version.
const (
	DefaultInvitationDays    = portal.DefaultInvitationDays
	DefaultMaxInvitationDays = portal.DefaultMaxInvitationDays
	DefaultSessionHours      = portal.DefaultSessionHours
)

// DefaultSettings are the settings of a new portal.
func DefaultSettings() Settings { return portal.DefaultSettings() }

// SessionRequest trades an OpenID Connect ID token for an API session.
type SessionRequest struct {
	IDToken string `json:"idToken"`
}

// Session is an API session. Token is shown once; the server keeps only its hash.
type Session struct {
	Token     string         `json:"token"`
	ExpiresAt time.Time      `json:"expiresAt"`
	Actor     portal.Actor   `json:"actor"`
	Account   portal.Account `json:"account"`
}

// Me describes the caller.
type Me struct {
	Actor    portal.Actor    `json:"actor"`
	Account  *portal.Account `json:"account,omitempty"`
	Embedded bool            `json:"embedded"`
}

// DenyRequest is the body of the deny command.
type DenyRequest struct {
	Reason string `json:"reason"`
}

// PromoteRequest is the body of the promote command.
type PromoteRequest struct {
	CoreRole           string   `json:"coreRole"`
	AdditionalRoles    []string `json:"additionalRoles"`
	DeleteClientRecord bool     `json:"deleteClientRecord"`
}

// SetRolesRequest is the body of the set-roles command.
type SetRolesRequest struct {
	CoreRole        string   `json:"coreRole"`
	AdditionalRoles []string `json:"additionalRoles"`
}

// SetOrgAdminRequest is the body of the organisation-administrator command.
type SetOrgAdminRequest struct {
	Admin bool `json:"admin"`
}

// CreateInvitationRequest invites the person of a contact. ExpiresInDays 0 means 7 days;
// 30 is the most. With Send the server e-mails the invitation itself; otherwise the
// one-time link is returned once, for the caller to send.
type CreateInvitationRequest struct {
	ContactID     string   `json:"contactId"`
	Roles         []string `json:"roles"`
	ExpiresInDays int      `json:"expiresInDays"`
	BatchID       string   `json:"batchId"`
	Send          bool     `json:"send"`
}

// ResendInvitationRequest replaces an invitation's link with a new one.
type ResendInvitationRequest struct {
	ExpiresInDays int  `json:"expiresInDays"`
	Send          bool `json:"send"`
}

// InvitationResult is the answer to invite and resend. Token and URL are given once, when
// the invitation is created and not sent by the server; an idempotent replay of the same
// command answers with LinkWithheld set instead, because the server never stores a link:
// resend the invitation to get a new one.
type InvitationResult struct {
	Invitation   portal.Invitation  `json:"invitation"`
	Account      portal.Account     `json:"account"`
	Revoked      *portal.Invitation `json:"revoked,omitempty"`
	Token        string             `json:"token,omitempty"`
	URL          string             `json:"url,omitempty"`
	LinkWithheld bool               `json:"linkWithheld,omitempty"`
	Queued       bool               `json:"queued"`
}

// WithoutSecrets returns the result as it may be stored for replay.
func (r InvitationResult) WithoutSecrets() InvitationResult {
	if r.Token != "" || r.URL != "" {
		r.Token, r.URL, r.LinkWithheld = "", "", true
	}
	return r
}

// MailItem is one message of the portal's outgoing mail, as an administrator sees it:
// where it stands and why, never what it says (it may carry a live link).
type MailItem struct {
	ID            string     `json:"id"`
	CreatedAt     time.Time  `json:"createdAt"`
	Template      string     `json:"template"`
	To            string     `json:"to"`
	Status        string     `json:"status"` // queued, sent, skipped or failed
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	LastError     string     `json:"lastError"`
	SentAt        *time.Time `json:"sentAt,omitempty"`
	// CarriesLink: the message had an invitation or approval link; once it failed, the
	// link is no longer kept, and the person needs a new one rather than this message.
	CarriesLink bool `json:"carriesLink"`
}

// DesktopEventsRequest records work done on a desktop (checking an import, forming and
// sending a batch) in the audit log, under the administrator who sends it.
type DesktopEventsRequest struct {
	Events []portal.DesktopEvent `json:"events"`
}

// DesktopEventsResult says how many events were recorded.
type DesktopEventsResult struct {
	Recorded int `json:"recorded"`
}

// AddUsersRequest adds people to an organisation by e-mail address: each address is
// matched to an existing contact of the organisation or becomes a new contact named after
// the address. With Invite each is also invited.
type AddUsersRequest struct {
	OrganizationID string   `json:"organizationId"`
	Emails         []string `json:"emails"`
	Roles          []string `json:"roles"`
	Invite         bool     `json:"invite"`
	ExpiresInDays  int      `json:"expiresInDays"`
	Send           bool     `json:"send"`
}

// AddedUser is the outcome for one address of AddUsersRequest.
type AddedUser struct {
	Email          string            `json:"email"`
	Contact        portal.Contact    `json:"contact"`
	ContactCreated bool              `json:"contactCreated"`
	Invitation     *InvitationResult `json:"invitation,omitempty"`
	// Skipped says why the address was not invited (for example, it already has access).
	Skipped string `json:"skipped,omitempty"`
}

// AddUsersResult is the answer to AddUsersRequest, in the order of the addresses.
type AddUsersResult struct {
	Users []AddedUser `json:"users"`
}

// WithoutSecrets returns the result as it may be stored for replay.
func (r AddUsersResult) WithoutSecrets() AddUsersResult {
	out := AddUsersResult{Users: make([]AddedUser, len(r.Users))}
	for i, u := range r.Users {
		if u.Invitation != nil {
			inv := u.Invitation.WithoutSecrets()
			u.Invitation = &inv
		}
		out.Users[i] = u
	}
	return out
}

// TemplateUpdate is the body of a template change.
type TemplateUpdate struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// AccountQuery selects accounts on GET /api/v1/accounts (organizationId, status, kind,
// role, q, after, limit): the client sends it, the service answers it.
type AccountQuery struct {
	OrganizationID string
	Status         portal.Status
	Kind           portal.Kind
	Role           string
	Query          string
	After          string
	Limit          int
}

// AuditQuery selects audit events, newest first, on GET /api/v1/audit. Before is the
// cursor (an event ID).
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
