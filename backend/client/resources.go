package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
)

// ---- organisations ----

// Organizations lists the organisations the caller may see.
func (c *Client) Organizations(ctx context.Context, o ListOptions) (api.Page[portal.Organization], error) {
	return call[api.Page[portal.Organization]](ctx, c, http.MethodGet, "/api/v1/organizations", o.values(), nil, nil)
}

// Organization returns one organisation.
func (c *Client) Organization(ctx context.Context, id string) (portal.Organization, error) {
	return call[portal.Organization](ctx, c, http.MethodGet, "/api/v1/organizations/"+esc(id), nil, nil, nil)
}

// CreateOrganization adds an organisation (system administrators only).
func (c *Client) CreateOrganization(ctx context.Context, o portal.Organization, cmd *Cmd) (portal.Organization, error) {
	return call[portal.Organization](ctx, c, http.MethodPost, "/api/v1/organizations", nil, cmd, o)
}

// UpdateOrganization replaces an organisation's profile.
func (c *Client) UpdateOrganization(ctx context.Context, id string, o portal.Organization, cmd *Cmd) (portal.Organization, error) {
	return call[portal.Organization](ctx, c, http.MethodPut, "/api/v1/organizations/"+esc(id), nil, cmd, o)
}

// DeleteOrganization removes an organisation without contacts or accounts.
func (c *Client) DeleteOrganization(ctx context.Context, id string, cmd *Cmd) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/organizations/"+esc(id), nil, cmd, nil, nil)
}

// ---- contacts ----

// ContactQuery selects contacts.
type ContactQuery struct {
	OrganizationID string
	Email          string
	Query          string
	ListOptions
}

// Contacts lists contacts.
func (c *Client) Contacts(ctx context.Context, q ContactQuery) (api.Page[portal.Contact], error) {
	v := ListOptions{After: q.After, Limit: q.Limit}.values()
	set(v, "organizationId", q.OrganizationID)
	set(v, "email", q.Email)
	set(v, "q", q.Query)
	return call[api.Page[portal.Contact]](ctx, c, http.MethodGet, "/api/v1/contacts", v, nil, nil)
}

// Contact returns one contact.
func (c *Client) Contact(ctx context.Context, id string) (portal.Contact, error) {
	return call[portal.Contact](ctx, c, http.MethodGet, "/api/v1/contacts/"+esc(id), nil, nil, nil)
}

// CreateContact adds a contact.
func (c *Client) CreateContact(ctx context.Context, ct portal.Contact, cmd *Cmd) (portal.Contact, error) {
	return call[portal.Contact](ctx, c, http.MethodPost, "/api/v1/contacts", nil, cmd, ct)
}

// UpdateContact replaces a contact.
func (c *Client) UpdateContact(ctx context.Context, id string, ct portal.Contact, cmd *Cmd) (portal.Contact, error) {
	return call[portal.Contact](ctx, c, http.MethodPut, "/api/v1/contacts/"+esc(id), nil, cmd, ct)
}

// DeleteContact removes a contact without an account.
func (c *Client) DeleteContact(ctx context.Context, id string, cmd *Cmd) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/contacts/"+esc(id), nil, cmd, nil, nil)
}

// AddUsers adds people to an organisation by e-mail, optionally inviting them.
func (c *Client) AddUsers(ctx context.Context, req AddUsersRequest, cmd *Cmd) (AddUsersResult, error) {
	return call[AddUsersResult](ctx, c, http.MethodPost, "/api/v1/users", nil, cmd, req)
}

// RecordDesktopEvents records the desktop's own work in the portal's audit log.
func (c *Client) RecordDesktopEvents(ctx context.Context, events []portal.DesktopEvent, cmd *Cmd) (api.DesktopEventsResult, error) {
	return call[api.DesktopEventsResult](ctx, c, http.MethodPost, "/api/v1/audit/desktop-events", nil, cmd, api.DesktopEventsRequest{Events: events})
}

// Mail lists the portal's outgoing mail without bodies (system administrators); status ""
// lists all.
func (c *Client) Mail(ctx context.Context, status string) ([]api.MailItem, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	return call[[]api.MailItem](ctx, c, http.MethodGet, "/api/v1/mail", q, nil, nil)
}

// RetryMail sends a waiting or failed message again.
func (c *Client) RetryMail(ctx context.Context, id string) (api.MailItem, error) {
	return call[api.MailItem](ctx, c, http.MethodPost, "/api/v1/mail/"+esc(id)+"/retry", nil, nil, nil)
}

// ---- accounts ----

// AccountQuery selects accounts.
type AccountQuery = api.AccountQuery

// Accounts lists accounts.
func (c *Client) Accounts(ctx context.Context, q AccountQuery) (api.Page[portal.Account], error) {
	v := ListOptions{After: q.After, Limit: q.Limit}.values()
	set(v, "organizationId", q.OrganizationID)
	set(v, "status", string(q.Status))
	set(v, "kind", string(q.Kind))
	set(v, "role", q.Role)
	set(v, "q", q.Query)
	return call[api.Page[portal.Account]](ctx, c, http.MethodGet, "/api/v1/accounts", v, nil, nil)
}

// Account returns one account.
func (c *Client) Account(ctx context.Context, id string) (portal.Account, error) {
	return call[portal.Account](ctx, c, http.MethodGet, "/api/v1/accounts/"+esc(id), nil, nil, nil)
}

func (c *Client) accountCommand(ctx context.Context, id, verb string, body any, cmd *Cmd) (portal.Account, error) {
	return call[portal.Account](ctx, c, http.MethodPost, "/api/v1/accounts/"+esc(id)+"/"+verb, nil, cmd, body)
}

// Approve activates a pending account.
func (c *Client) Approve(ctx context.Context, id string, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "approve", nil, cmd)
}

// Deny refuses a pending account with a reason.
func (c *Client) Deny(ctx context.Context, id, reason string, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "deny", api.DenyRequest{Reason: reason}, cmd)
}

// ApproveInstead activates a denied account.
func (c *Client) ApproveInstead(ctx context.Context, id string, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "approve-instead", nil, cmd)
}

// Restore takes a denied account out of the recycle bin.
func (c *Client) Restore(ctx context.Context, id string, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "restore", nil, cmd)
}

// Purge removes a denied account for good.
func (c *Client) Purge(ctx context.Context, id string, cmd *Cmd) error {
	return c.do(ctx, http.MethodPost, "/api/v1/accounts/"+esc(id)+"/purge", nil, cmd, nil, nil)
}

// Promote turns an active client into a staff user with roles.
func (c *Client) Promote(ctx context.Context, id string, req PromoteRequest, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "promote", req, cmd)
}

// SetRoles replaces an account's roles.
func (c *Client) SetRoles(ctx context.Context, id string, req SetRolesRequest, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "roles", req, cmd)
}

// SetOrgAdmin makes an account an administrator of its organisation, or takes it away.
func (c *Client) SetOrgAdmin(ctx context.Context, id string, admin bool, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "org-admin", api.SetOrgAdminRequest{Admin: admin}, cmd)
}

// Deactivate suspends an active account.
func (c *Client) Deactivate(ctx context.Context, id string, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "deactivate", nil, cmd)
}

// Reactivate lets a deactivated account sign in again.
func (c *Client) Reactivate(ctx context.Context, id string, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "reactivate", nil, cmd)
}

// CompleteRegistration marks a ghost account's registration as finished.
func (c *Client) CompleteRegistration(ctx context.Context, id string, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "complete-registration", nil, cmd)
}

// DeleteClientRecord drops the client record a staff user kept at promotion.
func (c *Client) DeleteClientRecord(ctx context.Context, id string, cmd *Cmd) (portal.Account, error) {
	return c.accountCommand(ctx, id, "delete-client-record", nil, cmd)
}

// ---- invitations ----

// InvitationQuery selects invitations.
type InvitationQuery struct {
	OrganizationID string
	AccountID      string
	Status         portal.InvitationStatus
	ListOptions
}

// Invitations lists invitations.
func (c *Client) Invitations(ctx context.Context, q InvitationQuery) (api.Page[portal.Invitation], error) {
	v := ListOptions{After: q.After, Limit: q.Limit}.values()
	set(v, "organizationId", q.OrganizationID)
	set(v, "accountId", q.AccountID)
	set(v, "status", string(q.Status))
	return call[api.Page[portal.Invitation]](ctx, c, http.MethodGet, "/api/v1/invitations", v, nil, nil)
}

// Invitation returns one invitation.
func (c *Client) Invitation(ctx context.Context, id string) (portal.Invitation, error) {
	return call[portal.Invitation](ctx, c, http.MethodGet, "/api/v1/invitations/"+esc(id), nil, nil, nil)
}

// Invite invites the person of a contact. Without req.Send the one-time link is in the
// answer (once; a replay withholds it).
func (c *Client) Invite(ctx context.Context, req CreateInvitation, cmd *Cmd) (InvitationResult, error) {
	return call[InvitationResult](ctx, c, http.MethodPost, "/api/v1/invitations", nil, cmd, req)
}

// ResendInvitation replaces an invitation's link with a new one.
func (c *Client) ResendInvitation(ctx context.Context, id string, req ResendInvitation, cmd *Cmd) (InvitationResult, error) {
	return call[InvitationResult](ctx, c, http.MethodPost, "/api/v1/invitations/"+esc(id)+"/resend", nil, cmd, req)
}

// RevokeInvitation kills a pending invitation link.
func (c *Client) RevokeInvitation(ctx context.Context, id string, cmd *Cmd) (portal.Invitation, error) {
	return call[portal.Invitation](ctx, c, http.MethodPost, "/api/v1/invitations/"+esc(id)+"/revoke", nil, cmd, nil)
}

// ---- roles ----

// Roles lists the roles the caller may see.
func (c *Client) Roles(ctx context.Context) ([]portal.Role, error) {
	return call[[]portal.Role](ctx, c, http.MethodGet, "/api/v1/roles", nil, nil, nil)
}

// PutRole creates or replaces a role.
func (c *Client) PutRole(ctx context.Context, r portal.Role, cmd *Cmd) (portal.Role, error) {
	return call[portal.Role](ctx, c, http.MethodPut, "/api/v1/roles/"+esc(r.ID), nil, cmd, r)
}

// DeleteRole removes a role nobody holds.
func (c *Client) DeleteRole(ctx context.Context, id string, cmd *Cmd) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/roles/"+esc(id), nil, cmd, nil, nil)
}

// ---- audit ----

// AuditQuery selects audit events, newest first.
type AuditQuery = api.AuditQuery

// Audit lists audit events.
func (c *Client) Audit(ctx context.Context, q AuditQuery) (api.Page[portal.AuditEvent], error) {
	v := url.Values{}
	set(v, "organizationId", q.OrganizationID)
	set(v, "entityType", q.EntityType)
	set(v, "entityId", q.EntityID)
	set(v, "actorId", q.ActorID)
	set(v, "action", q.Action)
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339))
	}
	if q.Before > 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return call[api.Page[portal.AuditEvent]](ctx, c, http.MethodGet, "/api/v1/audit", v, nil, nil)
}

// ---- templates and settings ----

// Templates lists the message templates.
func (c *Client) Templates(ctx context.Context) ([]Template, error) {
	return call[[]Template](ctx, c, http.MethodGet, "/api/v1/templates", nil, nil, nil)
}

// Template returns one message template.
func (c *Client) Template(ctx context.Context, key string) (Template, error) {
	return call[Template](ctx, c, http.MethodGet, "/api/v1/templates/"+esc(key), nil, nil, nil)
}

// UpdateTemplate changes a message template.
func (c *Client) UpdateTemplate(ctx context.Context, key string, u TemplateUpdate, cmd *Cmd) (Template, error) {
	return call[Template](ctx, c, http.MethodPut, "/api/v1/templates/"+esc(key), nil, cmd, u)
}

// Settings returns the portal settings.
func (c *Client) Settings(ctx context.Context) (Settings, error) {
	return call[Settings](ctx, c, http.MethodGet, "/api/v1/settings", nil, nil, nil)
}

// UpdateSettings replaces the portal settings.
func (c *Client) UpdateSettings(ctx context.Context, s Settings, cmd *Cmd) (Settings, error) {
	return call[Settings](ctx, c, http.MethodPut, "/api/v1/settings", nil, cmd, s)
}

// ---- directories (SCIM) ----

// DirectoryTokens lists the connected directories the caller administers, never a token.
func (c *Client) DirectoryTokens(ctx context.Context) ([]api.DirectoryToken, error) {
	return call[[]api.DirectoryToken](ctx, c, http.MethodGet, "/api/v1/directory-tokens", nil, nil, nil)
}

// CreateDirectoryToken connects a directory; the answer holds its token, shown this once.
func (c *Client) CreateDirectoryToken(ctx context.Context, req api.DirectoryTokenRequest) (api.NewDirectoryToken, error) {
	return call[api.NewDirectoryToken](ctx, c, http.MethodPost, "/api/v1/directory-tokens", nil, nil, req)
}

// RevokeDirectoryToken disconnects a directory: its token is refused from now on.
func (c *Client) RevokeDirectoryToken(ctx context.Context, id string) (api.DirectoryToken, error) {
	return call[api.DirectoryToken](ctx, c, http.MethodPost, "/api/v1/directory-tokens/"+esc(id)+"/revoke", nil, nil, nil)
}
