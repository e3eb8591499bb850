-- Gatehouse portal server schema, version 1.
-- Portable SQL: TEXT, INTEGER and plain indexes only, so a PostgreSQL store can run the
-- same statements. Records are kept whole as JSON in "doc"; the other columns are copies
-- of the fields that queries filter on, written by the store in the same statement.

-- One row: the change-feed counter. Every write transaction takes the next number from
-- here, inside the transaction, so numbers are handed out in commit order (see store.go).
CREATE TABLE feed_counter (
    id  INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL
);
INSERT INTO feed_counter (id, seq) VALUES (1, 0);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE changes (
    seq             INTEGER PRIMARY KEY,
    entity          TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    op              TEXT NOT NULL,
    organization_id TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 0,
    at              TEXT NOT NULL,
    data            TEXT
);
CREATE INDEX changes_entity ON changes (entity, entity_id);

CREATE TABLE organizations (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc     TEXT NOT NULL
);

CREATE TABLE contacts (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL DEFAULT '',
    email_norm      TEXT NOT NULL DEFAULT '',
    full_name       TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL,
    doc             TEXT NOT NULL
);
CREATE INDEX contacts_org ON contacts (organization_id);
CREATE INDEX contacts_email ON contacts (email_norm);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    contact_id      TEXT NOT NULL DEFAULT '',
    organization_id TEXT NOT NULL DEFAULT '',
    email_norm      TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    org_admin       INTEGER NOT NULL DEFAULT 0,
    core_role       TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL,
    doc             TEXT NOT NULL
);
CREATE INDEX accounts_status ON accounts (status);
CREATE INDEX accounts_org ON accounts (organization_id);
CREATE INDEX accounts_email ON accounts (email_norm);
CREATE INDEX accounts_subject ON accounts (subject);
CREATE INDEX accounts_contact ON accounts (contact_id);

-- Every role an account holds (core and additional), so that "who is a system
-- administrator" can be answered in SQL inside the writing transaction.
CREATE TABLE account_roles (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL,
    PRIMARY KEY (account_id, role_id)
);
CREATE INDEX account_roles_role ON account_roles (role_id);

CREATE TABLE roles (
    id              TEXT PRIMARY KEY,
    scope           TEXT NOT NULL,
    organization_id TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL,
    doc             TEXT NOT NULL
);

CREATE TABLE role_permissions (
    role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

-- Only the hash of an invitation token is stored, and it never leaves the server.
CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    organization_id TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    version         INTEGER NOT NULL,
    doc             TEXT NOT NULL
);
CREATE INDEX invitations_account ON invitations (account_id);
CREATE INDEX invitations_status ON invitations (status, expires_at);

CREATE TABLE credentials (
    account_id    TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE approval_tokens (
    token_hash     TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    approver_id    TEXT NOT NULL DEFAULT '',
    approver_email TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approval_tokens_account ON approval_tokens (account_id);

CREATE TABLE access_requests (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    requested_at TEXT NOT NULL,
    doc          TEXT NOT NULL
);

-- Audit events take their id from the feed sequence, so ids follow commit order too.
CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    action          TEXT NOT NULL,
    entity_type     TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    organization_id TEXT NOT NULL DEFAULT '',
    doc             TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_events (entity_type, entity_id);
CREATE INDEX audit_actor ON audit_events (actor_id);
CREATE INDEX audit_org ON audit_events (organization_id);
CREATE INDEX audit_action ON audit_events (action);

CREATE TABLE templates (
    key     TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    doc     TEXT NOT NULL
);

CREATE TABLE settings (
    id      TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    doc     TEXT NOT NULL
);

CREATE TABLE idempotency (
    actor_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (actor_id, key)
);

-- Outgoing e-mail, written in the same transaction as the change it reports, delivered
-- by a background worker with retries. Message-ID is fixed when the row is written.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    created_at      TEXT NOT NULL,
    template        TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    to_name         TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);

-- In-flight end-user OpenID sign-ins: state, nonce and PKCE verifier.
CREATE TABLE oidc_states (
    state_hash       TEXT PRIMARY KEY,
    nonce            TEXT NOT NULL,
    verifier         TEXT NOT NULL,
    invitation_hash  TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL
);
