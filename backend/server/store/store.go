// Package store keeps the portal server's data behind an interface, on SQLite (the
// default, and what the desktop embeds) or PostgreSQL (postgres.go), with one SQL text
// for both.
//
// # Change feed and commit order
//
// Every write runs in one transaction (Store.Update) that takes its change-feed numbers
// from the single row of feed_counter, inside that transaction. A writer that has updated
// the counter row holds the write lock on it until it commits, so the next writer can only
// take a number after the previous one has committed: numbers are handed out in commit
// order. Only a transaction's first number is taken with an UPDATE of the row; the rest
// follow it in memory and the row is set to the last one before the transaction commits
// (a rolled-back savepoint gives its numbers back), which keeps bulk writes cheap. A follower that reads "changes after N" can therefore never see change N+2 while
// N+1 is still invisible and later appears behind its cursor. SQLite gets this for free
// because it has one writer at a time (this store also opens write transactions with
// BEGIN IMMEDIATE on a single connection, and commits the writers that queue up together,
// each in a savepoint, in the order they ran: groupcommit.go); PostgreSQL gets it from the
// row lock on feed_counter, which each group of writers takes first. An auto-increment column or a PostgreSQL sequence would not do: their
// numbers are handed out when a row is inserted, not when it commits, so a transaction
// that started later could commit first.
package store

import (
	"context"
	"encoding/json"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
)

// Store is the portal server's storage.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent snapshot.
	View(ctx context.Context, fn func(Reader) error) error
	// Read runs fn's reads each on its own, with no snapshot in common: for reads that
	// need none, such as a request's authentication. On PostgreSQL it saves the two round
	// trips that begin and end a snapshot.
	Read(ctx context.Context, fn func(Reader) error) error
	// Update runs fn in a write transaction. Write transactions run one at a time, so
	// anything fn reads through tx stays true until it commits. fn's error rolls back
	// fn's writes. Update returns once they are committed (together with the writers that
	// queued meanwhile), or with the error that kept them from being.
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Reader reads records. Lookups of a single record return a portal.Error with code
// not_found when there is none.
type Reader interface {
	FeedID(ctx context.Context) (string, error)
	Changes(ctx context.Context, after int64, limit int) (changes []api.Change, head int64, err error)
	// PreviousChange is the last change of a record before seq (without its data), for
	// telling a follower that a record left its view; ok is false when there is none.
	PreviousChange(ctx context.Context, entity, id string, before int64) (c api.Change, ok bool, err error)

	Organization(ctx context.Context, id string) (portal.Organization, error)
	Organizations(ctx context.Context, f OrgFilter) ([]portal.Organization, error)

	Contact(ctx context.Context, id string) (portal.Contact, error)
	Contacts(ctx context.Context, f ContactFilter) ([]portal.Contact, error)

	Account(ctx context.Context, id string) (portal.Account, error)
	Accounts(ctx context.Context, f AccountFilter) ([]portal.Account, error)
	// CountAccounts counts the accounts f selects, After and Limit aside.
	CountAccounts(ctx context.Context, f AccountFilter) (int, error)
	// AccountBySubject finds the account bound to an SSO identity.
	AccountBySubject(ctx context.Context, source, subject string) (portal.Account, error)
	// AccountsByEmail returns every account with this address, compared case-insensitively.
	AccountsByEmail(ctx context.Context, email string) ([]portal.Account, error)
	AccountByContact(ctx context.Context, contactID string) (portal.Account, error)
	// CountActiveSystemAdmins counts active accounts that hold a role with the
	// system-admin permission.
	CountActiveSystemAdmins(ctx context.Context) (int, error)
	// AccountsWithPermission returns active accounts holding a role with any of perms.
	AccountsWithPermission(ctx context.Context, perms ...portal.Permission) ([]portal.Account, error)

	Role(ctx context.Context, id string) (portal.Role, error)
	Roles(ctx context.Context) ([]portal.Role, error)
	// RoleHolders counts the accounts that hold the role.
	RoleHolders(ctx context.Context, roleID string) (int, error)

	Invitation(ctx context.Context, id string) (portal.Invitation, error)
	InvitationByTokenHash(ctx context.Context, hash string) (portal.Invitation, error)
	Invitations(ctx context.Context, f InvitationFilter) ([]portal.Invitation, error)

	Template(ctx context.Context, key string) (api.Template, error)
	Templates(ctx context.Context) ([]api.Template, error)
	Settings(ctx context.Context) (api.Settings, error)

	AuditEvents(ctx context.Context, f AuditFilter) ([]portal.AuditEvent, error)

	Session(ctx context.Context, tokenHash string) (Session, error)
	Idempotent(ctx context.Context, actorID, key string) (Idempotency, bool, error)
	ApprovalToken(ctx context.Context, tokenHash string) (ApprovalToken, error)
	PasswordHash(ctx context.Context, accountID string) (string, error)
	OIDCState(ctx context.Context, stateHash string) (OIDCState, error)
	DueMail(ctx context.Context, now time.Time, limit int) ([]Mail, error)
	Mail(ctx context.Context, f MailFilter) ([]Mail, error)
	// Throttle reads a throttle; a key never seen is a zero Throttle with that key.
	Throttle(ctx context.Context, key string) (Throttle, error)

	// DirectoryToken finds a directory's token by its hash, revoked or not.
	DirectoryToken(ctx context.Context, tokenHash string) (DirectoryToken, error)
	// DirectoryTokens lists every directory token, oldest first.
	DirectoryTokens(ctx context.Context) ([]DirectoryToken, error)
	// AccountsByDirectoryUserName returns the accounts a directory linked under this
	// userName (compared case-insensitively), whichever directory it was.
	AccountsByDirectoryUserName(ctx context.Context, userName string) ([]portal.Account, error)
	// AccountsByExternalID returns the accounts directory linked under its externalId.
	AccountsByExternalID(ctx context.Context, directoryID, externalID string) ([]portal.Account, error)
}

// Tx reads and writes inside one write transaction. Every Put/Delete of a record that
// desktop clients mirror appends a change to the feed in the same transaction.
//
// Put methods implement optimistic concurrency: the record's Version must equal the stored
// version (0 for a new record), and on success it is set to the new version. A mismatch
// is a conflict error.
type Tx interface {
	Reader

	PutOrganization(ctx context.Context, o *portal.Organization) error
	DeleteOrganization(ctx context.Context, id string) error
	PutContact(ctx context.Context, c *portal.Contact) error
	DeleteContact(ctx context.Context, id string) error
	PutAccount(ctx context.Context, a *portal.Account) error
	DeleteAccount(ctx context.Context, id string) error
	PutRole(ctx context.Context, r *portal.Role) error
	DeleteRole(ctx context.Context, id string) error
	// PutInvitation stores an invitation; tokenHash is required for a new one and, when
	// empty, keeps the stored hash.
	PutInvitation(ctx context.Context, inv *portal.Invitation, tokenHash string) error
	DeleteInvitation(ctx context.Context, id string) error
	PutTemplate(ctx context.Context, t *api.Template) error
	PutSettings(ctx context.Context, s *api.Settings) error
	// AddAudit appends an audit event; its ID is the feed sequence it is published under.
	AddAudit(ctx context.Context, ev *portal.AuditEvent) error

	AddAccessRequest(ctx context.Context, r portal.AccessRequest) error
	CreateSession(ctx context.Context, s Session) error
	RevokeSession(ctx context.Context, tokenHash string, at time.Time) error
	SaveIdempotent(ctx context.Context, rec Idempotency) error
	PutApprovalToken(ctx context.Context, t ApprovalToken) error
	// UseApprovalTokens marks every unused approval token of the account as used.
	UseApprovalTokens(ctx context.Context, accountID string, at time.Time) error
	SetPasswordHash(ctx context.Context, accountID, hash string, at time.Time) error
	// UseIDToken records that the ID token known by keyHash bought a session at now. For a
	// token seen before it changes nothing, reports fresh false and returns when the token
	// was first used. It is forgotten once it expires, as the token is dead by then.
	UseIDToken(ctx context.Context, keyHash string, expires, now time.Time) (first time.Time, fresh bool, err error)
	// PutDirectoryToken stores a new token, or a stored one's revocation and last use: a
	// revocation, once stored, stays, and a last use only moves forward, so that writers
	// racing (a request noting its use while an administrator revokes) lose nothing.
	PutDirectoryToken(ctx context.Context, t DirectoryToken) error
	PutThrottle(ctx context.Context, th Throttle) error
	DeleteThrottle(ctx context.Context, key string) error
	PutOIDCState(ctx context.Context, s OIDCState) error
	DeleteOIDCState(ctx context.Context, stateHash string) error
	QueueMail(ctx context.Context, m Mail) error
	UpdateMail(ctx context.Context, m Mail) error
	// PruneBefore deletes expired sessions, OIDC states, approval tokens and
	// idempotency records older than t.
	PruneBefore(ctx context.Context, t time.Time) error
	// Savepoint runs fn so that, when fn fails, its writes (feed entries included) are
	// undone and the rest of the transaction goes on; fn's error is returned.
	Savepoint(ctx context.Context, fn func() error) error
	// ReadAhead reads at once what the next commands will read one by one (see
	// ReadAhead); it changes no answer.
	ReadAhead(ctx context.Context, ra ReadAhead) error
}

// Throttle is how often something keyed (an account's password, a client address) failed
// lately, and until when it is refused.
type Throttle struct {
	Key          string
	Failures     int
	BlockedUntil time.Time
	UpdatedAt    time.Time
}

// DirectoryToken is a connected directory's SCIM bearer token; only its hash is stored.
type DirectoryToken struct {
	portal.Directory
	TokenHash  string
	CreatedBy  string // the name of the administrator who made it
	CreatedAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

// OrgFilter selects organisations. IDs, when not nil, restricts to those organisations.
type OrgFilter struct {
	IDs   []string
	After string
	Limit int
}

// ContactFilter selects contacts. Query matches name or e-mail (substring, any case).
type ContactFilter struct {
	OrganizationIDs []string // nil: every organisation
	Email           string
	Query           string
	After           string
	Limit           int
}

// AccountFilter selects accounts.
type AccountFilter struct {
	OrganizationIDs []string // nil: every organisation
	Status          portal.Status
	Kind            portal.Kind
	Role            string
	Query           string
	After           string
	Limit           int
	// Offset skips that many accounts of the selection first (SCIM's startIndex); After is
	// the cursor for everything else.
	Offset int
}

// InvitationFilter selects invitations.
type InvitationFilter struct {
	OrganizationIDs []string // nil: every organisation
	AccountID       string
	Status          portal.InvitationStatus
	// ExpiredBy selects pending invitations whose expiry is at or before this time.
	ExpiredBy time.Time
	After     string
	Limit     int
}

// AuditFilter selects audit events, newest first. Before is an event ID cursor.
type AuditFilter struct {
	OrganizationIDs []string // nil: every organisation
	EntityTypes     []string // nil: every type
	EntityID        string
	ActorID         string
	Action          string
	Since, Until    time.Time
	Before          int64
	Limit           int
}

// Session is an API or web session; only its token's hash is stored.
type Session struct {
	TokenHash string
	AccountID string
	Kind      string // "api" or "web"
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// Idempotency is the stored answer to a command sent with an Idempotency-Key.
type Idempotency struct {
	ActorID     string
	Key         string
	RequestHash string
	Body        json.RawMessage
	CreatedAt   time.Time
}

// ApprovalToken lets one approver decide one pending account from an e-mailed link.
type ApprovalToken struct {
	TokenHash     string
	AccountID     string
	ApproverID    string // the approver's account, or "" for a configured address
	ApproverEmail string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time
}

// OIDCState is an end-user sign-in in flight.
type OIDCState struct {
	StateHash      string
	Nonce          string
	Verifier       string
	InvitationHash string // set when the sign-in binds an invitation
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Mail states.
const (
	MailQueued  = "queued"
	MailSent    = "sent"
	MailFailed  = "failed"  // gave up after retries
	MailSkipped = "skipped" // no SMTP server configured
)

// Mail is one outgoing message in the outbox.
type Mail struct {
	ID        string
	CreatedAt time.Time
	Template  string
	ToAddr    string
	ToName    string
	Subject   string
	Body      string
	HTML      string // the HTML part, derived from the same template; "" for text only
	// Sealed holds the message's links with live tokens, encrypted; Body and HTML hold
	// placeholders for them. Emptied once the message is finished.
	Sealed        string
	MessageID     string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	SentAt        time.Time
}

// MailFilter selects outbox rows, oldest first.
type MailFilter struct {
	ID     string
	ToAddr string
	Status string
	Limit  int
}
