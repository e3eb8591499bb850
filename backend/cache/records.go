package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse/backend/portal"
)

// Entity types, as the server's change feed and the audit log name them.
const (
	EntityOrganization  = "organization"
	EntityContact       = "contact"
	EntityAccount       = "account"
	EntityRole          = "role"
	EntityInvitation    = "invitation"
	EntityAccessRequest = "access_request"
	EntityAuditEvent    = "audit_event"
)

// Page is one page of a list and the number of rows matching the filter in all.
type Page[T any] struct {
	Rows  []T `json:"rows"`
	Total int `json:"total"`
	// Capped says Total is a lower bound: a search matched more rows than it counts (see
	// SearchCountCap).
	Capped bool `json:"capped,omitempty"`
}

// maxLimit caps a page: the UI pages through long lists.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

func pageBounds(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = defaultLimit
	}
	return min(limit, maxLimit), max(offset, 0)
}

func notFound(what, id string) error {
	return portal.Errorf(portal.ENOTFOUND, "The %s %q is not in the local copy. Sync with the server and try again.", what, id)
}

// upsertSQL builds "INSERT ... ON CONFLICT(id) DO UPDATE" for table. guarded upserts keep a
// newer stored version: the sync may see a record's command response after the change
// feed already brought a later version.
func upsertSQL(table string, cols []string, guarded bool) string {
	return upsertRowsSQL(table, cols, guarded, 1)
}

// upsertRowsSQL is upsertSQL for n rows in one statement. SQLite applies them in order, as
// n statements would.
func upsertRowsSQL(table string, cols []string, guarded bool, n int) string {
	var b strings.Builder
	row := "(?" + strings.Repeat(", ?", len(cols)-1) + ")"
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES %s%s ON CONFLICT(id) DO UPDATE SET ",
		table, strings.Join(cols, ", "), row, strings.Repeat(", "+row, n-1))
	first := true
	for _, c := range cols {
		if c == "id" {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		fmt.Fprintf(&b, "%s = excluded.%s", c, c)
	}
	if guarded {
		fmt.Fprintf(&b, " WHERE excluded.version >= %s.version", table)
	}
	return b.String()
}

type entityKey struct{ typ, id string }

// writeRecord upserts rec into its live table, unless the entity has a pending overlay:
// then the server's copy goes to overlay_base and the administrator's pending change stays
// on screen.
func (tx *Tx) writeRecord(typ, id string, version int64, rec any, live func() error) error {
	shadowed, err := tx.shadowed(entityKey{typ, id})
	if err != nil {
		return err
	}
	if !shadowed {
		return live()
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store the server's %s %q: %w", typ, id, err)
	}
	_, err = tx.exec(`UPDATE overlay_base SET record = ?, version = ?
		WHERE entity_type = ? AND entity_id = ? AND (record IS NULL OR version <= ?)`,
		string(b), version, typ, id, version)
	if err != nil {
		return fmt.Errorf("store the server's %s %q beside a pending change: %w", typ, id, err)
	}
	return nil
}

// removeRecord deletes a record the server tombstoned, or notes the deletion in
// overlay_base while a pending change is shown.
func (tx *Tx) removeRecord(typ, id string, live func() error) error {
	shadowed, err := tx.shadowed(entityKey{typ, id})
	if err != nil {
		return err
	}
	if !shadowed {
		return live()
	}
	if _, err := tx.exec(`UPDATE overlay_base SET record = NULL WHERE entity_type = ? AND entity_id = ?`, typ, id); err != nil {
		return fmt.Errorf("note the server's deletion of %s %q: %w", typ, id, err)
	}
	return nil
}

func requireID(typ, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("store a %s from the server: it has no ID. The server sent an incomplete record; report this to its administrator", typ)
	}
	return nil
}

// ---- organizations ----

var orgCols = []string{"id", "name", "name_key", "phone", "type", "member", "actual_address",
	"legal_address", "shipping_address", "created_at", "updated_at", "version"}

const orgSelect = `SELECT id, name, phone, type, member, actual_address, legal_address, shipping_address,
	created_at, updated_at, version FROM organizations`

// UpsertOrganization stores an organisation as the server sent it.
func (tx *Tx) UpsertOrganization(o portal.Organization) error {
	if err := requireID(EntityOrganization, o.ID); err != nil {
		return err
	}
	return tx.writeRecord(EntityOrganization, o.ID, o.Version, o, func() error { return tx.putOrganization(o, true) })
}

func (tx *Tx) putOrganization(o portal.Organization, guarded bool) error {
	addr := make([]string, 3)
	for i, a := range []portal.Address{o.ActualAddress, o.LegalAddress, o.ShippingAddress} {
		s, err := jsonValue(a)
		if err != nil {
			return fmt.Errorf("store organisation %q: %w", o.ID, err)
		}
		addr[i] = s
	}
	_, err := tx.exec(upsertSQL("organizations", orgCols, guarded),
		o.ID, o.Name, fold(o.Name), o.Phone, o.Type, boolInt(o.Member), addr[0], addr[1], addr[2],
		fmtTime(o.CreatedAt), fmtTime(o.UpdatedAt), o.Version)
	if err != nil {
		return fmt.Errorf("store organisation %q (%s): %w", o.ID, o.Name, err)
	}
	return nil
}

// DeleteOrganization removes an organisation the server deleted.
func (tx *Tx) DeleteOrganization(id string) error {
	return tx.removeRecord(EntityOrganization, id, func() error {
		_, err := tx.exec("DELETE FROM organizations WHERE id = ?", id)
		if err != nil {
			return fmt.Errorf("delete organisation %q: %w", id, err)
		}
		return nil
	})
}

func scanOrganization(row interface{ Scan(...any) error }) (portal.Organization, error) {
	var o portal.Organization
	var member int
	var addr [3]string
	if err := row.Scan(&o.ID, &o.Name, &o.Phone, &o.Type, &member, &addr[0], &addr[1], &addr[2], Time(&o.CreatedAt), Time(&o.UpdatedAt), &o.Version); err != nil {
		return o, err
	}
	o.Member = member != 0
	for i, dst := range []*portal.Address{&o.ActualAddress, &o.LegalAddress, &o.ShippingAddress} {
		if err := json.Unmarshal([]byte(addr[i]), dst); err != nil {
			return o, fmt.Errorf("organisation %q has a malformed address in the local database: %w", o.ID, err)
		}
	}
	return o, nil
}

func getOrganization(ctx context.Context, q queryer, id string) (portal.Organization, error) {
	o, err := scanOrganization(q.QueryRowContext(ctx, orgSelect+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, notFound("organisation", id)
	} else if err != nil {
		return o, fmt.Errorf("read organisation %q from the local database: %w", id, err)
	}
	return o, nil
}

// GetOrganization returns an organisation as the administrator sees it.
func (db *DB) GetOrganization(ctx context.Context, id string) (portal.Organization, error) {
	return getOrganization(ctx, db.r, id)
}

// OrganizationFilter selects organisations. Query matches any part of the name.
type OrganizationFilter struct {
	Query  string
	Type   string
	Limit  int
	Offset int
}

// ListOrganizations returns organisations by name.
func (db *DB) ListOrganizations(ctx context.Context, f OrganizationFilter) (Page[portal.Organization], error) {
	var where []string
	var args []any
	if q := fold(f.Query); q != "" {
		where = append(where, "name_key LIKE ? ESCAPE '\\'")
		args = append(args, "%"+escapeLike(q)+"%")
	}
	if f.Type != "" {
		where = append(where, "type = ?")
		args = append(args, f.Type)
	}
	limit, offset := pageBounds(f.Limit, f.Offset)
	return listPage(ctx, db, "organizations", where, args, orgSelect, "name_key, id", limit, offset, scanOrganization)
}

// listPage runs a count and a page query on one snapshot.
func listPage[T any](ctx context.Context, db *DB, table string, where []string, args []any, sel, order string, limit, offset int, scan func(interface{ Scan(...any) error }) (T, error)) (Page[T], error) {
	return listPageWith(ctx, db, table, func(queryer) ([]string, []any, error) { return where, args, nil }, sel, order, limit, offset, scan)
}

// listPageWith is listPage with conditions worked out inside the read transaction.
func listPageWith[T any](ctx context.Context, db *DB, table string, build func(queryer) ([]string, []any, error), sel, order string, limit, offset int, scan func(interface{ Scan(...any) error }) (T, error)) (Page[T], error) {
	page := Page[T]{Rows: []T{}}
	err := db.readTx(ctx, func(q queryer) error {
		where, args, err := build(q)
		if err != nil {
			return err
		}
		cond := ""
		if len(where) > 0 {
			cond = " WHERE " + strings.Join(where, " AND ")
		}
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+table+cond, args...).Scan(&page.Total); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, sel+cond+" ORDER BY "+order+" LIMIT ? OFFSET ?", append(args, limit, offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			page.Rows = append(page.Rows, v)
		}
		return rows.Err()
	})
	if err != nil {
		return Page[T]{}, fmt.Errorf("list %s from the local database: %w", strings.ReplaceAll(table, "_", " "), err)
	}
	return page, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ---- contacts ----

var contactCols = []string{"id", "organization_id", "full_name", "first_name", "last_name", "email", "phone",
	"position", "member", "role_until", "created_at", "updated_at", "version", "name_key", "email_key"}

const contactFields = `c.id, c.organization_id, c.full_name, c.first_name, c.last_name, c.email, c.phone, c.position,
	c.member, c.role_until, c.created_at, c.updated_at, c.version`

// UpsertContact stores a contact as the server sent it.
func (tx *Tx) UpsertContact(c portal.Contact) error {
	if err := requireID(EntityContact, c.ID); err != nil {
		return err
	}
	return tx.writeRecord(EntityContact, c.ID, c.Version, c, func() error { return tx.putContact(c, true) })
}

func (tx *Tx) putContact(c portal.Contact, guarded bool) error {
	if err := tx.maybeBulk("contacts"); err != nil {
		return err
	}
	_, err := tx.exec(upsertSQL("contacts", contactCols, guarded),
		c.ID, c.OrganizationID, c.FullName, c.FirstName, c.LastName, c.Email, c.Phone, c.Position,
		boolInt(c.Member), fmtTimePtr(c.RoleUntil), fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt), c.Version,
		fold(c.FullName), fold(c.Email))
	if err != nil {
		return fmt.Errorf("store contact %q (%s): %w", c.ID, c.Email, err)
	}
	return nil
}

// DeleteContact removes a contact the server deleted.
func (tx *Tx) DeleteContact(id string) error {
	return tx.removeRecord(EntityContact, id, func() error {
		if _, err := tx.exec("DELETE FROM contacts WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete contact %q: %w", id, err)
		}
		return nil
	})
}

// ContactRow is a contact with its organisation's name.
type ContactRow struct {
	portal.Contact
	OrganizationName string `json:"organizationName"`
}

func scanContact(row interface{ Scan(...any) error }, extra ...any) (portal.Contact, error) {
	var c portal.Contact
	var member int
	dst := append([]any{&c.ID, &c.OrganizationID, &c.FullName, &c.FirstName, &c.LastName, &c.Email, &c.Phone,
		&c.Position, &member, OptTime(&c.RoleUntil), Time(&c.CreatedAt), Time(&c.UpdatedAt), &c.Version}, extra...)
	if err := row.Scan(dst...); err != nil {
		return c, err
	}
	c.Member = member != 0
	return c, nil
}

func getContact(ctx context.Context, q queryer, id string) (portal.Contact, error) {
	c, err := scanContact(q.QueryRowContext(ctx, "SELECT "+contactFields+" FROM contacts c WHERE c.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("contact", id)
	} else if err != nil {
		return c, fmt.Errorf("read contact %q from the local database: %w", id, err)
	}
	return c, nil
}

// GetContact returns a contact as the administrator sees it.
func (db *DB) GetContact(ctx context.Context, id string) (portal.Contact, error) {
	return getContact(ctx, db.r, id)
}

// ContactFilter selects contacts. Query works as in AccountFilter; Email matches the whole
// address, ignoring case.
type ContactFilter struct {
	Query          string
	Email          string
	OrganizationID string
	Limit          int
	Offset         int
}

// ListContacts returns contacts by name.
func (db *DB) ListContacts(ctx context.Context, f ContactFilter) (Page[ContactRow], error) {
	build := func(q queryer) ([]string, []any, error) {
		var where []string
		var args []any
		if sq := parseSearch(f.Query); !sq.empty() {
			loading, err := bulkPending(ctx, q, "contacts")
			if err != nil {
				return nil, nil, err
			}
			w, a := sq.where("c", "contacts_fts", !loading)
			where, args = append(where, w), append(args, a...)
		}
		if f.Email != "" {
			where = append(where, "c.email_key = ?")
			args = append(args, fold(f.Email))
		}
		if f.OrganizationID != "" {
			where = append(where, "c.organization_id = ?")
			args = append(args, f.OrganizationID)
		}
		return where, args, nil
	}
	limit, offset := pageBounds(f.Limit, f.Offset)
	return listPageWith(ctx, db, "contacts c", build,
		"SELECT "+contactFields+", coalesce(o.name, '') FROM contacts c LEFT JOIN organizations o ON o.id = c.organization_id",
		"c.name_key, c.rid", limit, offset,
		func(row interface{ Scan(...any) error }) (ContactRow, error) {
			var r ContactRow
			var err error
			r.Contact, err = scanContact(row, &r.OrganizationName)
			return r, err
		})
}

// ---- roles ----

var roleCols = []string{"id", "name", "scope", "organization_id", "core", "permissions", "version"}

const roleSelect = "SELECT id, name, scope, organization_id, core, permissions, version FROM roles"

// UpsertRole stores a role as the server sent it.
func (tx *Tx) UpsertRole(r portal.Role) error {
	if err := requireID(EntityRole, r.ID); err != nil {
		return err
	}
	return tx.writeRecord(EntityRole, r.ID, r.Version, r, func() error { return tx.putRole(r, true) })
}

func (tx *Tx) putRole(r portal.Role, guarded bool) error {
	_, err := tx.exec(upsertSQL("roles", roleCols, guarded),
		r.ID, r.Name, string(r.Scope), r.OrganizationID, boolInt(r.Core), jsonList(r.Permissions), r.Version)
	if err != nil {
		return fmt.Errorf("store role %q (%s): %w", r.ID, r.Name, err)
	}
	return nil
}

// DeleteRole removes a role the server deleted.
func (tx *Tx) DeleteRole(id string) error {
	return tx.removeRecord(EntityRole, id, func() error {
		if _, err := tx.exec("DELETE FROM roles WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete role %q: %w", id, err)
		}
		return nil
	})
}

func scanRole(row interface{ Scan(...any) error }) (portal.Role, error) {
	var r portal.Role
	var scope, perms string
	var core int
	if err := row.Scan(&r.ID, &r.Name, &scope, &r.OrganizationID, &core, &perms, &r.Version); err != nil {
		return r, err
	}
	r.Scope, r.Core = portal.RoleScope(scope), core != 0
	var err error
	r.Permissions, err = parseList[portal.Permission](perms, "permission")
	return r, err
}

func getRole(ctx context.Context, q queryer, id string) (portal.Role, error) {
	r, err := scanRole(q.QueryRowContext(ctx, roleSelect+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("role", id)
	} else if err != nil {
		return r, fmt.Errorf("read role %q from the local database: %w", id, err)
	}
	return r, nil
}

// ListRoles returns the role catalogue: system roles first, core roles before additional
// ones, then by name. With orgID set, only the system roles and that organisation's roles.
func (db *DB) ListRoles(ctx context.Context, orgID string) ([]portal.Role, error) {
	query := roleSelect
	var args []any
	if orgID != "" {
		query += " WHERE scope = 'system' OR organization_id = ?"
		args = append(args, orgID)
	}
	query += " ORDER BY scope <> 'system', core DESC, name, id"
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list roles from the local database: %w", err)
	}
	return collect(rows, "list roles from the local database: %w", scanRole)
}

// RoleCatalog returns every role indexed by ID, as the portal transitions need it.
func (db *DB) RoleCatalog(ctx context.Context) (portal.Roles, error) {
	rs, err := db.ListRoles(ctx, "")
	if err != nil {
		return nil, err
	}
	return portal.NewRoles(rs...), nil
}

// ---- invitations ----

var invitationCols = []string{"id", "account_id", "contact_id", "organization_id", "email", "name", "roles",
	"status", "batch_id", "created_by", "created_at", "expires_at", "accepted_at", "revoked_at", "version"}

const invitationSelect = `SELECT id, account_id, contact_id, organization_id, email, name, roles, status, batch_id,
	created_by, created_at, expires_at, accepted_at, revoked_at, version FROM invitations`

// UpsertInvitation stores an invitation as the server sent it. The server never sends the
// token or its hash, and the cache has nowhere to keep one.
func (tx *Tx) UpsertInvitation(inv portal.Invitation) error {
	if err := requireID(EntityInvitation, inv.ID); err != nil {
		return err
	}
	return tx.writeRecord(EntityInvitation, inv.ID, inv.Version, inv, func() error { return tx.putInvitation(inv, true) })
}

func (tx *Tx) putInvitation(inv portal.Invitation, guarded bool) error {
	_, err := tx.exec(upsertSQL("invitations", invitationCols, guarded),
		inv.ID, inv.AccountID, inv.ContactID, inv.OrganizationID, inv.Email, inv.Name, jsonList(inv.Roles),
		string(inv.Status), inv.BatchID, inv.CreatedBy, fmtTime(inv.CreatedAt), fmtTime(inv.ExpiresAt),
		fmtTimePtr(inv.AcceptedAt), fmtTimePtr(inv.RevokedAt), inv.Version)
	if err != nil {
		return fmt.Errorf("store the invitation %q to %s: %w", inv.ID, inv.Email, err)
	}
	return nil
}

// DeleteInvitation removes an invitation the server deleted.
func (tx *Tx) DeleteInvitation(id string) error {
	return tx.removeRecord(EntityInvitation, id, func() error {
		if _, err := tx.exec("DELETE FROM invitations WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete invitation %q: %w", id, err)
		}
		return nil
	})
}

func scanInvitation(row interface{ Scan(...any) error }) (portal.Invitation, error) {
	var inv portal.Invitation
	var roles, status string
	if err := row.Scan(&inv.ID, &inv.AccountID, &inv.ContactID, &inv.OrganizationID, &inv.Email, &inv.Name, &roles,
		&status, &inv.BatchID, &inv.CreatedBy, Time(&inv.CreatedAt), Time(&inv.ExpiresAt), OptTime(&inv.AcceptedAt),
		OptTime(&inv.RevokedAt), &inv.Version); err != nil {
		return inv, err
	}
	inv.Status = portal.InvitationStatus(status)
	var err error
	inv.Roles, err = parseList[string](roles, "role")
	return inv, err
}

func getInvitation(ctx context.Context, q queryer, id string) (portal.Invitation, error) {
	inv, err := scanInvitation(q.QueryRowContext(ctx, invitationSelect+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return inv, notFound("invitation", id)
	} else if err != nil {
		return inv, fmt.Errorf("read invitation %q from the local database: %w", id, err)
	}
	return inv, nil
}

// GetInvitation returns an invitation as the administrator sees it.
func (db *DB) GetInvitation(ctx context.Context, id string) (portal.Invitation, error) {
	return getInvitation(ctx, db.r, id)
}

// InvitationFilter selects invitations. Status is judged by the cache's clock: a pending
// invitation past its expiry counts as expired, as portal.Invitation.StatusAt says.
type InvitationFilter struct {
	AccountID      string
	OrganizationID string
	BatchID        string
	Status         portal.InvitationStatus
	Limit          int
	Offset         int
}

// ListInvitations returns invitations, newest first.
func (db *DB) ListInvitations(ctx context.Context, f InvitationFilter) (Page[portal.Invitation], error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"account_id", f.AccountID}, {"organization_id", f.OrganizationID}, {"batch_id", f.BatchID}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	now := fmtTime(db.clock.Now())
	switch f.Status {
	case "":
	case portal.InvitationPending:
		where = append(where, "status = 'pending' AND expires_at > ?")
		args = append(args, now)
	case portal.InvitationExpired:
		where = append(where, "(status = 'expired' OR (status = 'pending' AND expires_at <= ?))")
		args = append(args, now)
	default:
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
	}
	limit, offset := pageBounds(f.Limit, f.Offset)
	return listPage(ctx, db, "invitations", where, args, invitationSelect, "created_at DESC, id", limit, offset, scanInvitation)
}

// InvitationsByID returns the invitations among ids that the mirror holds, by ID. The batch
// package's invitations list asks it for the status of the invitations its e-mails carried
// (the mirror is this package's; the deliveries are batch's).
func (db *DB) InvitationsByID(ctx context.Context, ids []string) (map[string]portal.Invitation, error) {
	return byKeys(ctx, db, invitationSelect+" WHERE id", ids, scanInvitation, func(inv portal.Invitation) string { return inv.ID }, "invitations")
}

// byKeys reads the rows whose key column is one of keys, by key: sel ends with the key
// column of a WHERE ("SELECT … FROM t WHERE id"), keyOf gives a scanned row's key and what
// names the rows in an error. It asks 500 keys at a time, well under SQLite's limit on
// bound parameters.
func byKeys[T any](ctx context.Context, db *DB, sel string, keys []string, scan func(interface{ Scan(...any) error }) (T, error), keyOf func(T) string, what string) (map[string]T, error) {
	out := make(map[string]T, len(keys))
	for len(keys) > 0 {
		part := keys[:min(500, len(keys))]
		keys = keys[len(part):]
		args := make([]any, len(part))
		for i, k := range part {
			args[i] = k
		}
		rows, err := db.r.QueryContext(ctx, sel+" IN (?"+strings.Repeat(", ?", len(part)-1)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("read %s from the local database: %w", what, err)
		}
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[keyOf(v)] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ---- access requests ----

// UpsertAccessRequest stores an access request as the server sent it.
func (tx *Tx) UpsertAccessRequest(r portal.AccessRequest) error {
	if err := requireID(EntityAccessRequest, r.ID); err != nil {
		return err
	}
	_, err := tx.exec(`INSERT INTO access_requests(id, account_id, requested_at, notified_to) VALUES (?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET account_id = excluded.account_id, requested_at = excluded.requested_at,
		notified_to = excluded.notified_to`,
		r.ID, r.AccountID, fmtTime(r.RequestedAt), jsonList(r.NotifiedTo))
	if err != nil {
		return fmt.Errorf("store access request %q: %w", r.ID, err)
	}
	return nil
}

// DeleteAccessRequest removes an access request the server deleted.
func (tx *Tx) DeleteAccessRequest(id string) error {
	if _, err := tx.exec("DELETE FROM access_requests WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete access request %q: %w", id, err)
	}
	return nil
}

// ListAccessRequests returns an account's requests for access, newest first.
func (db *DB) ListAccessRequests(ctx context.Context, accountID string) ([]portal.AccessRequest, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, account_id, requested_at, notified_to FROM access_requests
		WHERE account_id = ? ORDER BY requested_at DESC, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list access requests from the local database: %w", err)
	}
	defer rows.Close()
	out := []portal.AccessRequest{}
	for rows.Next() {
		var r portal.AccessRequest
		var to string
		if err := rows.Scan(&r.ID, &r.AccountID, Time(&r.RequestedAt), &to); err != nil {
			return nil, fmt.Errorf("list access requests from the local database: %w", err)
		}
		if r.NotifiedTo, err = parseList[string](to, "recipient"); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list access requests from the local database: %w", err)
	}
	return out, nil
}

// ---- audit events ----

// UpsertAuditEvent stores an audit event as the server sent it. Events are keyed by the
// server's ID, so receiving one twice is harmless.
func (tx *Tx) UpsertAuditEvent(ev portal.AuditEvent) error {
	if ev.ID <= 0 {
		return fmt.Errorf("store an audit event from the server: it has no ID (action %q). Report this to the server's administrator", ev.Action)
	}
	_, err := tx.exec(`INSERT INTO audit_events(id, at, actor_id, actor_name, action, entity_type, entity_id,
		organization_id, reason, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET at = excluded.at, actor_id = excluded.actor_id, actor_name = excluded.actor_name,
		action = excluded.action, entity_type = excluded.entity_type, entity_id = excluded.entity_id,
		organization_id = excluded.organization_id, reason = excluded.reason, before = excluded.before,
		after = excluded.after`,
		ev.ID, fmtTime(ev.At), ev.ActorID, ev.ActorName, ev.Action, ev.EntityType, ev.EntityID, ev.OrganizationID,
		ev.Reason, rawOrNull(ev.Before), rawOrNull(ev.After))
	if err != nil {
		return fmt.Errorf("store audit event %d (%s): %w", ev.ID, ev.Action, err)
	}
	return nil
}

const auditSelect = `SELECT id, at, actor_id, actor_name, action, entity_type, entity_id, organization_id, reason,
	before, after FROM audit_events`

func scanAuditEvent(row interface{ Scan(...any) error }) (portal.AuditEvent, error) {
	var ev portal.AuditEvent
	var before, after sql.NullString
	if err := row.Scan(&ev.ID, Time(&ev.At), &ev.ActorID, &ev.ActorName, &ev.Action, &ev.EntityType, &ev.EntityID,
		&ev.OrganizationID, &ev.Reason, &before, &after); err != nil {
		return ev, err
	}
	ev.Before, ev.After = nullRaw(before), nullRaw(after)
	return ev, nil
}

// AuditFilter selects audit events. From is inclusive, To exclusive; zero times are open.
type AuditFilter struct {
	EntityType     string
	EntityID       string
	ActorID        string
	Action         string
	OrganizationID string
	From, To       time.Time
	Limit          int
	Offset         int
}

// ListAuditEvents returns audit events, newest first.
func (db *DB) ListAuditEvents(ctx context.Context, f AuditFilter) (Page[portal.AuditEvent], error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{
		{"entity_type", f.EntityType}, {"entity_id", f.EntityID}, {"actor_id", f.ActorID},
		{"action", f.Action}, {"organization_id", f.OrganizationID},
	} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !f.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, fmtTime(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "at < ?")
		args = append(args, fmtTime(f.To))
	}
	limit, offset := pageBounds(f.Limit, f.Offset)
	return listPage(ctx, db, "audit_events", where, args, auditSelect, "at DESC, id DESC", limit, offset, scanAuditEvent)
}

// flushSearch indexes, in one statement per table, the rows this transaction queued in
// search_queue (see the migration), and empties the queue.
func (tx *Tx) flushSearch() error {
	var queued bool
	if err := tx.tx.QueryRowContext(tx.ctx, "SELECT EXISTS (SELECT 1 FROM search_queue)").Scan(&queued); err != nil {
		return fmt.Errorf("update the search index: %w", err)
	}
	if !queued {
		return nil
	}
	// A table under a bulk load gets its whole index built afterwards (bulk.go).
	if _, err := tx.tx.ExecContext(tx.ctx, "DELETE FROM search_queue WHERE tbl IN (SELECT tbl FROM bulk_pending)"); err != nil {
		return fmt.Errorf("update the search index: %w", err)
	}
	for _, q := range []string{
		`DELETE FROM accounts_fts WHERE rowid IN (SELECT rid FROM search_queue WHERE tbl = 'accounts' AND indexed = 1)`,
		`INSERT INTO accounts_fts(rowid, name, email, organization)
			SELECT q.rid, ` + ftsText("accounts") + ` FROM search_queue q JOIN accounts ON accounts.rid = q.rid WHERE q.tbl = 'accounts'`,
		`DELETE FROM contacts_fts WHERE rowid IN (SELECT rid FROM search_queue WHERE tbl = 'contacts' AND indexed = 1)`,
		`INSERT INTO contacts_fts(rowid, name, email, organization)
			SELECT q.rid, ` + ftsText("contacts") + ` FROM search_queue q JOIN contacts ON contacts.rid = q.rid WHERE q.tbl = 'contacts'`,
		`DELETE FROM search_queue`,
	} {
		if _, err := tx.tx.ExecContext(tx.ctx, q); err != nil {
			return fmt.Errorf("update the search index: %w", err)
		}
	}
	return nil
}

// collect scans every row with scan and closes rows. format wraps any error, with one %w.
func collect[T any](rows *sql.Rows, format string, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf(format, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf(format, err)
	}
	return out, nil
}

// AuditActor is someone who acted in the cached audit log.
type AuditActor struct {
	ID    string `json:"id"`
	Name  string `json:"name"`  // the name in their latest event
	Email string `json:"email"` // their account's address, when the cache has the account
	// Events counts their entries in the local copy of the log.
	Events int `json:"events"`
}

// AuditActors lists at most limit people who acted in the cached audit log, by name, whose
// name, address or id contains query (any case).
func (db *DB) AuditActors(ctx context.Context, query string, limit int) ([]AuditActor, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(strings.TrimSpace(query))) + "%"
	// One grouped pass over the actor index; the name is the one of the newest event
	// (SQLite takes bare columns from the row that gave max()).
	rows, err := db.r.QueryContext(ctx, `SELECT g.actor_id, g.actor_name, coalesce(ac.email, ''), g.n FROM (
			SELECT actor_id, actor_name, max(at) AS last, count(*) AS n FROM audit_events WHERE actor_id <> '' GROUP BY actor_id
		) g LEFT JOIN accounts ac ON ac.id = g.actor_id
		WHERE lower(g.actor_name) LIKE ? ESCAPE '\' OR lower(coalesce(ac.email, '')) LIKE ? ESCAPE '\' OR lower(g.actor_id) LIKE ? ESCAPE '\'
		ORDER BY lower(g.actor_name), g.actor_id LIMIT ?`, like, like, like, limit)
	if err != nil {
		return nil, fmt.Errorf("list who acted in the local audit log: %w", err)
	}
	return collect(rows, "list who acted in the local audit log: %w", func(r interface{ Scan(...any) error }) (AuditActor, error) {
		var ac AuditActor
		err := r.Scan(&ac.ID, &ac.Name, &ac.Email, &ac.Events)
		return ac, err
	})
}

// OrgAccountCounts is how many accounts, and organisation administrators among them, an
// organisation has.
type OrgAccountCounts struct {
	Accounts, Admins int
}

// AccountsPerOrganization counts the accounts and organisation administrators of each of
// the organisations ids, in one grouped query.
func (db *DB) AccountsPerOrganization(ctx context.Context, ids []string) (map[string]OrgAccountCounts, error) {
	out := map[string]OrgAccountCounts{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.r.QueryContext(ctx, `SELECT organization_id, count(*), coalesce(sum(org_admin), 0) FROM accounts
		WHERE organization_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) GROUP BY organization_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("count the accounts of organisations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var c OrgAccountCounts
		if err := rows.Scan(&id, &c.Accounts, &c.Admins); err != nil {
			return nil, fmt.Errorf("count the accounts of organisations: %w", err)
		}
		out[id] = c
	}
	return out, rows.Err()
}

// ResetMirror forgets every server record, keeping the administrator's pending changes
// (their preview stays on screen; the server's copy behind it becomes "none"): the server
// behind the cache was replaced.
func (tx *Tx) ResetMirror() error {
	for _, q := range []string{
		`UPDATE overlay_base SET record = NULL, version = 0`,
		`DELETE FROM organizations WHERE id NOT IN (SELECT entity_id FROM overlay_base WHERE entity_type = 'organization')`,
		`DELETE FROM contacts WHERE id NOT IN (SELECT entity_id FROM overlay_base WHERE entity_type = 'contact')`,
		`DELETE FROM accounts WHERE id NOT IN (SELECT entity_id FROM overlay_base WHERE entity_type = 'account')`,
		`DELETE FROM roles WHERE id NOT IN (SELECT entity_id FROM overlay_base WHERE entity_type = 'role')`,
		`DELETE FROM invitations WHERE id NOT IN (SELECT entity_id FROM overlay_base WHERE entity_type = 'invitation')`,
		`DELETE FROM documents WHERE NOT EXISTS (SELECT 1 FROM overlay_base o WHERE o.entity_type = documents.entity_type AND o.entity_id = documents.id)`,
		`DELETE FROM access_requests`,
		`DELETE FROM audit_events`,
	} {
		if _, err := tx.tx.ExecContext(tx.ctx, q); err != nil {
			return fmt.Errorf("empty the local copy of the replaced server database: %w", err)
		}
	}
	return nil
}

// CountActiveHolders counts the active accounts holding any of the roles ids, as the
// screens show them (pending changes included), from the accounts' own role columns as the
// server counts: the last-administrator guard asks it with the administrator roles.
func (db *DB) CountActiveHolders(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := make([]any, 0, 2*len(ids))
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, args...)
	ph := "?" + strings.Repeat(", ?", len(ids)-1)
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM accounts a WHERE a.status = 'active'
		AND (a.core_role IN (`+ph+`) OR EXISTS (SELECT 1 FROM json_each(a.additional_roles) j WHERE j.value IN (`+ph+`)))`, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the holders of roles %v in the local copy: %w", ids, err)
	}
	return n, nil
}

// ContactsByEmail returns the contacts with this address (compared as the accounts'
// addresses are), as the screens show them.
func (db *DB) ContactsByEmail(ctx context.Context, email string) ([]portal.Contact, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+contactFields+" FROM contacts c WHERE c.email_key = ? ORDER BY c.rid", fold(email))
	if err != nil {
		return nil, fmt.Errorf("find contacts by e-mail in the local database: %w", err)
	}
	defer rows.Close()
	var out []portal.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, fmt.Errorf("find contacts by e-mail in the local database: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
