package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gatehouse/backend/portal"
)

// Directories' tokens and the index of the people they linked (migration 0006).

const directoryTokenCols = `id, token_hash, name, kind, organization_id, purge, department_orgs, groups_as, created_by, created_at, revoked_at, last_used_at`

func scanDirectoryToken(row interface{ Scan(...any) error }) (DirectoryToken, error) {
	var t DirectoryToken
	var kind, groupsAs, created, revoked, used string
	var purge, deptOrgs int
	err := row.Scan(&t.ID, &t.TokenHash, &t.Name, &kind, &t.OrganizationID, &purge, &deptOrgs, &groupsAs, &t.CreatedBy, &created, &revoked, &used)
	t.Kind, t.Purge, t.DepartmentOrganizations, t.GroupsAs = portal.Kind(kind), purge != 0, deptOrgs != 0, portal.GroupsAs(groupsAs)
	t.CreatedAt, t.RevokedAt, t.LastUsedAt = parseTS(created), parseTS(revoked), parseTS(used)
	return t, err
}

func (r *reader) DirectoryToken(ctx context.Context, hash string) (DirectoryToken, error) {
	t, err := scanDirectoryToken(r.q.QueryRowContext(ctx, `SELECT `+directoryTokenCols+` FROM directory_tokens WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, portal.Errorf(portal.EUNAUTHORIZED, "This SCIM token is not known to the portal. Copy the token again from Gatehouse → Settings → Directories, or make a new one.")
	}
	if err != nil {
		return t, fmt.Errorf("read directory token: %w", err)
	}
	return t, nil
}

func (r *reader) DirectoryTokens(ctx context.Context) ([]DirectoryToken, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT `+directoryTokenCols+` FROM directory_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list directory tokens: %w", err)
	}
	defer rows.Close()
	out := []DirectoryToken{}
	for rows.Next() {
		t, err := scanDirectoryToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list directory tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (w *writer) PutDirectoryToken(ctx context.Context, t DirectoryToken) error {
	_, err := w.tx.ExecContext(ctx, `INSERT INTO directory_tokens (`+directoryTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			revoked_at = CASE WHEN directory_tokens.revoked_at = '' THEN excluded.revoked_at ELSE directory_tokens.revoked_at END,
			last_used_at = CASE WHEN excluded.last_used_at > directory_tokens.last_used_at THEN excluded.last_used_at ELSE directory_tokens.last_used_at END`,
		t.ID, t.TokenHash, t.Name, string(t.Kind), t.OrganizationID, boolInt(t.Purge), boolInt(t.DepartmentOrganizations), string(t.GroupsAs), t.CreatedBy, ts(t.CreatedAt), ts(t.RevokedAt), ts(t.LastUsedAt))
	if err != nil {
		return fmt.Errorf("store directory token %s: %w", t.ID, err)
	}
	return nil
}

func (r *reader) AccountsByDirectoryUserName(ctx context.Context, userName string) ([]portal.Account, error) {
	return listDocs[portal.Account](ctx, r.q, "accounts", `SELECT doc FROM accounts WHERE id IN
		(SELECT account_id FROM account_directory WHERE user_name_norm = ?) ORDER BY id`, portal.NormalizeEmail(userName))
}

func (r *reader) AccountsByExternalID(ctx context.Context, directoryID, externalID string) ([]portal.Account, error) {
	return listDocs[portal.Account](ctx, r.q, "accounts", `SELECT doc FROM accounts WHERE id IN
		(SELECT account_id FROM account_directory WHERE directory_id = ? AND external_id = ?) ORDER BY id`, directoryID, externalID)
}

// putAccountDirectory indexes an account's directory link. A link, once made, stays: no
// rule takes it away, so an account without one has no row to remove.
func (w *writer) putAccountDirectory(ctx context.Context, a *portal.Account) error {
	if a.Directory == nil {
		return nil
	}
	_, err := w.tx.ExecContext(ctx, `INSERT INTO account_directory (account_id, directory_id, user_name_norm, external_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET directory_id = excluded.directory_id, user_name_norm = excluded.user_name_norm, external_id = excluded.external_id`,
		a.ID, a.Directory.DirectoryID, portal.NormalizeEmail(a.Directory.UserName), a.Directory.ExternalID)
	if err != nil {
		return fmt.Errorf("store directory link of account %s: %w", a.ID, err)
	}
	return nil
}
