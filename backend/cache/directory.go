package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gatehouse/backend/portal"
)

// What the portal already holds, read from the mirror for the packages that match new
// people against it: an import's preview and a batch's candidates. They ask here rather
// than reading the mirror's tables themselves, so that the tables have one owner.

// DirectoryOrganization is an organisation as matching needs it.
type DirectoryOrganization struct {
	ID, Name, Type string
	Member         bool
}

// DirectoryContact is a contact with an e-mail address, as matching needs it. AccountID
// is the account made from the contact (one not denied first), when asked for.
type DirectoryContact struct {
	ID, OrganizationID, FullName, Email, Phone, Position, AccountID string
}

// Organizations returns every organisation of the mirror.
func (db *DB) Organizations(ctx context.Context) ([]DirectoryOrganization, error) {
	const what = "read the organisations from the local database: %w"
	rows, err := db.r.QueryContext(ctx, "SELECT id, name, type, member FROM organizations")
	if err != nil {
		return nil, fmt.Errorf(what, err)
	}
	return collect(rows, what, func(r interface{ Scan(...any) error }) (o DirectoryOrganization, err error) {
		return o, r.Scan(&o.ID, &o.Name, &o.Type, &o.Member)
	})
}

// accountOfContact is the account made from contact c: one not denied first, then the
// oldest.
const accountOfContact = `coalesce((SELECT a.id FROM accounts a WHERE a.contact_id = c.id ORDER BY a.status = 'denied', a.rid LIMIT 1), '')`

const readContacts = "read the contacts from the local database: %w"

// ContactsWithEmail returns every contact that has an e-mail address; withAccounts also
// finds each one's account (a lookup per contact, so only when it is needed).
func (db *DB) ContactsWithEmail(ctx context.Context, withAccounts bool) ([]DirectoryContact, error) {
	account := "''"
	if withAccounts {
		account = accountOfContact
	}
	rows, err := db.r.QueryContext(ctx, `SELECT c.id, c.organization_id, c.full_name, c.email, c.phone, c.position, `+account+`
		FROM contacts c WHERE c.email <> ''`)
	if err != nil {
		return nil, fmt.Errorf(readContacts, err)
	}
	return collect(rows, readContacts, func(r interface{ Scan(...any) error }) (c DirectoryContact, err error) {
		return c, r.Scan(&c.ID, &c.OrganizationID, &c.FullName, &c.Email, &c.Phone, &c.Position, &c.AccountID)
	})
}

// AccountStatuses returns each account's status by its e-mail address as stored.
func (db *DB) AccountStatuses(ctx context.Context) (map[string]portal.Status, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT email, status FROM accounts")
	if err != nil {
		return nil, fmt.Errorf("read the accounts from the local database: %w", err)
	}
	defer rows.Close()
	m := map[string]portal.Status{}
	for rows.Next() {
		var email string
		var st portal.Status
		if err := rows.Scan(&email, &st); err != nil {
			return nil, err
		}
		m[email] = st
	}
	return m, rows.Err()
}

// ContactInOrganization is a contact with its organisation and account, as a batch formed
// from the portal's own contacts needs it.
type ContactInOrganization struct {
	ID, OrganizationID, FullName, FirstName, LastName, Email, Position string
	// Member is the contact's own flag; OrganizationMember the organisation's, when it has
	// one (membership belongs to the organisation).
	Member             bool
	OrganizationMember sql.NullBool
	RoleUntil          sql.NullString
	OrganizationName   string
	OrganizationType   string
	AccountID          string
}

// ContactsInOrganizations returns the contacts of the given organisations (all of them
// when none are given), in the order they were stored.
func (db *DB) ContactsInOrganizations(ctx context.Context, orgIDs []string) ([]ContactInOrganization, error) {
	where, args := "", []any{}
	if len(orgIDs) > 0 {
		where = " WHERE c.organization_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(orgIDs)), ", ") + ")"
		for _, id := range orgIDs {
			args = append(args, id)
		}
	}
	rows, err := db.r.QueryContext(ctx, `SELECT c.id, c.organization_id, c.full_name, c.first_name, c.last_name, c.email, c.position, c.member,
		c.role_until, coalesce(o.name, ''), coalesce(o.type, ''), o.member, `+accountOfContact+`
		FROM contacts c LEFT JOIN organizations o ON o.id = c.organization_id`+where+` ORDER BY c.rid`, args...)
	if err != nil {
		return nil, fmt.Errorf(readContacts, err)
	}
	return collect(rows, readContacts, func(r interface{ Scan(...any) error }) (c ContactInOrganization, err error) {
		return c, r.Scan(&c.ID, &c.OrganizationID, &c.FullName, &c.FirstName, &c.LastName, &c.Email, &c.Position, &c.Member,
			&c.RoleUntil, &c.OrganizationName, &c.OrganizationType, &c.OrganizationMember, &c.AccountID)
	})
}
