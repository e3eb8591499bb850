-- Gatehouse portal server schema, version 6 (issue #19): directories that provision people
-- through SCIM. Each connected directory has a bearer token, of which only the hash is
-- kept; its settings say what the people it creates are and where they belong.
CREATE TABLE directory_tokens (
    id              TEXT PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    organization_id TEXT NOT NULL DEFAULT '',
    purge           INTEGER NOT NULL DEFAULT 0,
    department_orgs INTEGER NOT NULL DEFAULT 0,
    groups_as       TEXT NOT NULL DEFAULT 'roles',
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    revoked_at      TEXT NOT NULL DEFAULT '',
    last_used_at    TEXT NOT NULL DEFAULT ''
);

-- How a directory finds its people again: by the userName it gave (any directory, as an
-- account adopted by one is matched by another's userName too) and by its own externalId.
-- The link itself is in the account's document; these columns index it.
CREATE TABLE account_directory (
    account_id     TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    directory_id   TEXT NOT NULL,
    user_name_norm TEXT NOT NULL,
    external_id    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX account_directory_user ON account_directory (user_name_norm);
CREATE INDEX account_directory_external ON account_directory (directory_id, external_id);
