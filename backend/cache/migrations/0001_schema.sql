-- 0001: the desktop's mirror of the portal server, its search index, the outbox of the
-- administrator's queued changes, sync cursors and settings.
--
-- Records that come from the server (organisations, contacts, accounts, roles, invitations,
-- access requests, audit events) point at each other by the server's IDs without foreign
-- keys: the change feed may deliver a record before the one it points to, and a sync page
-- must never be refused for that. Foreign keys guard what the cache derives itself.
--
-- Every mirrored table with a search index has an explicit INTEGER PRIMARY KEY (rid): VACUUM
-- may renumber implicit rowids, and the FTS tables are keyed by it.
--
-- Times are UTC text in one fixed-width format (2006-01-02T15:04:05.000000000Z), so they
-- sort and compare as strings. Lists are JSON arrays. *_key columns hold the lower-cased,
-- accent-free form used for sorting and prefix search.

CREATE TABLE organizations (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL,
    phone            TEXT NOT NULL DEFAULT '',
    type             TEXT NOT NULL DEFAULT '',
    member           INTEGER NOT NULL DEFAULT 0,
    actual_address   TEXT NOT NULL DEFAULT '{}',
    legal_address    TEXT NOT NULL DEFAULT '{}',
    shipping_address TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    version          INTEGER NOT NULL
);
CREATE INDEX organizations_name ON organizations(name_key);

CREATE TABLE contacts (
    rid             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL DEFAULT '',
    full_name       TEXT NOT NULL DEFAULT '',
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    position        TEXT NOT NULL DEFAULT '',
    member          INTEGER NOT NULL DEFAULT 0,
    role_until      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL,
    name_key        TEXT NOT NULL,
    email_key       TEXT NOT NULL
);
CREATE INDEX contacts_name ON contacts(name_key);
CREATE INDEX contacts_email ON contacts(email_key);
CREATE INDEX contacts_org ON contacts(organization_id);

CREATE TABLE accounts (
    rid                   INTEGER PRIMARY KEY,
    id                    TEXT NOT NULL UNIQUE,
    contact_id            TEXT NOT NULL DEFAULT '',
    organization_id       TEXT NOT NULL DEFAULT '',
    email                 TEXT NOT NULL,
    name                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    org_admin             INTEGER NOT NULL DEFAULT 0,
    core_role             TEXT NOT NULL DEFAULT '',
    additional_roles      TEXT NOT NULL DEFAULT '[]',
    source                TEXT NOT NULL DEFAULT '',
    subject               TEXT NOT NULL DEFAULT '',
    registration_complete INTEGER NOT NULL DEFAULT 0,
    client_record         INTEGER NOT NULL DEFAULT 0,
    access_requested_at   TEXT,
    deny_reason           TEXT NOT NULL DEFAULT '',
    decided_by            TEXT NOT NULL DEFAULT '',
    decided_at            TEXT,
    last_login_at         TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    version               INTEGER NOT NULL,
    name_key              TEXT NOT NULL,
    email_key             TEXT NOT NULL
);
-- Each index serves one way the Users table sorts or filters; the implicit rid at the end
-- of every index gives the stable tie-break the paging relies on.
CREATE INDEX accounts_name ON accounts(name_key);
CREATE INDEX accounts_email ON accounts(email_key);
CREATE INDEX accounts_status ON accounts(status, name_key);
CREATE INDEX accounts_org ON accounts(organization_id, name_key);
CREATE INDEX accounts_last_login ON accounts(last_login_at);
CREATE INDEX accounts_contact ON accounts(contact_id) WHERE contact_id <> '';
CREATE INDEX accounts_ghost ON accounts(name_key)
    WHERE kind = 'client' AND status = 'active' AND registration_complete = 0;

-- account_roles indexes the core role and the additional roles so the Users table can
-- filter by role without parsing JSON on every row. Triggers keep it in step.
CREATE TABLE account_roles (
    account_rid INTEGER NOT NULL REFERENCES accounts(rid) ON DELETE CASCADE,
    role_id     TEXT NOT NULL,
    core        INTEGER NOT NULL,
    PRIMARY KEY (account_rid, role_id)
) WITHOUT ROWID;
CREATE INDEX account_roles_role ON account_roles(role_id, account_rid);

CREATE TRIGGER accounts_roles_ai AFTER INSERT ON accounts BEGIN
    INSERT OR IGNORE INTO account_roles(account_rid, role_id, core)
        SELECT new.rid, new.core_role, 1 WHERE new.core_role <> '';
    INSERT OR IGNORE INTO account_roles(account_rid, role_id, core)
        SELECT new.rid, value, 0 FROM json_each(new.additional_roles) WHERE value <> '';
END;
CREATE TRIGGER accounts_roles_au AFTER UPDATE OF core_role, additional_roles ON accounts
WHEN old.core_role IS NOT new.core_role OR old.additional_roles IS NOT new.additional_roles BEGIN
    DELETE FROM account_roles WHERE account_rid = new.rid;
    INSERT OR IGNORE INTO account_roles(account_rid, role_id, core)
        SELECT new.rid, new.core_role, 1 WHERE new.core_role <> '';
    INSERT OR IGNORE INTO account_roles(account_rid, role_id, core)
        SELECT new.rid, value, 0 FROM json_each(new.additional_roles) WHERE value <> '';
END;

-- Search as you type: trigram indexes over name, e-mail and organisation name, so a word of
-- three or more characters is found anywhere in them. Each text is indexed with a leading
-- space, which makes the start of a word (" an") a trigram too (search.go). They are
-- contentless (the text lives in the tables above) and keyed by rid.
CREATE VIRTUAL TABLE accounts_fts USING fts5(
    name, email, organization,
    content = '', contentless_delete = 1, tokenize = 'trigram remove_diacritics 1'
);
CREATE VIRTUAL TABLE contacts_fts USING fts5(
    name, email, organization,
    content = '', contentless_delete = 1, tokenize = 'trigram remove_diacritics 1'
);

-- Rows whose search entries must be (re)built. Triggers fill it; the transaction that wrote
-- the rows indexes them all in one statement just before it commits (Tx.flushSearch), which
-- is an order of magnitude faster than indexing row by row. Committed, it is always empty.
CREATE TABLE search_queue (
    tbl     TEXT NOT NULL,    -- 'accounts' or 'contacts'
    rid     INTEGER NOT NULL,
    indexed INTEGER NOT NULL, -- 1: the row has entries to remove first
    PRIMARY KEY (tbl, rid)
) WITHOUT ROWID;

CREATE TRIGGER accounts_search_ai AFTER INSERT ON accounts BEGIN
    INSERT INTO search_queue(tbl, rid, indexed) VALUES ('accounts', new.rid, 0) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER accounts_search_au AFTER UPDATE OF name, email, organization_id ON accounts
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.organization_id IS NOT new.organization_id BEGIN
    INSERT INTO search_queue(tbl, rid, indexed) VALUES ('accounts', new.rid, 1) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER accounts_search_ad AFTER DELETE ON accounts BEGIN
    DELETE FROM accounts_fts WHERE rowid = old.rid
        AND NOT EXISTS (SELECT 1 FROM search_queue WHERE tbl = 'accounts' AND rid = old.rid AND indexed = 0);
    DELETE FROM search_queue WHERE tbl = 'accounts' AND rid = old.rid;
END;

CREATE TRIGGER contacts_search_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO search_queue(tbl, rid, indexed) VALUES ('contacts', new.rid, 0) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER contacts_search_au AFTER UPDATE OF full_name, email, organization_id ON contacts
WHEN old.full_name IS NOT new.full_name OR old.email IS NOT new.email OR old.organization_id IS NOT new.organization_id BEGIN
    INSERT INTO search_queue(tbl, rid, indexed) VALUES ('contacts', new.rid, 1) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER contacts_search_ad AFTER DELETE ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.rid
        AND NOT EXISTS (SELECT 1 FROM search_queue WHERE tbl = 'contacts' AND rid = old.rid AND indexed = 0);
    DELETE FROM search_queue WHERE tbl = 'contacts' AND rid = old.rid;
END;

-- An organisation that arrives, is renamed or goes away re-indexes its people: the feed
-- may well deliver the people first.
CREATE TRIGGER organizations_search_ai AFTER INSERT ON organizations BEGIN
    INSERT INTO search_queue(tbl, rid, indexed)
        SELECT 'accounts', rid, 1 FROM accounts WHERE organization_id = new.id ON CONFLICT DO NOTHING;
    INSERT INTO search_queue(tbl, rid, indexed)
        SELECT 'contacts', rid, 1 FROM contacts WHERE organization_id = new.id ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER organizations_search_au AFTER UPDATE OF name ON organizations
WHEN old.name IS NOT new.name BEGIN
    INSERT INTO search_queue(tbl, rid, indexed)
        SELECT 'accounts', rid, 1 FROM accounts WHERE organization_id = new.id ON CONFLICT DO NOTHING;
    INSERT INTO search_queue(tbl, rid, indexed)
        SELECT 'contacts', rid, 1 FROM contacts WHERE organization_id = new.id ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER organizations_search_ad AFTER DELETE ON organizations BEGIN
    INSERT INTO search_queue(tbl, rid, indexed)
        SELECT 'accounts', rid, 1 FROM accounts WHERE organization_id = old.id ON CONFLICT DO NOTHING;
    INSERT INTO search_queue(tbl, rid, indexed)
        SELECT 'contacts', rid, 1 FROM contacts WHERE organization_id = old.id ON CONFLICT DO NOTHING;
END;

CREATE TABLE roles (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    scope           TEXT NOT NULL,
    organization_id TEXT NOT NULL DEFAULT '',
    core            INTEGER NOT NULL DEFAULT 0,
    permissions     TEXT NOT NULL DEFAULT '[]',
    version         INTEGER NOT NULL
);
CREATE INDEX roles_org ON roles(organization_id);

-- Invitations as the server describes them. The desktop never holds a token or its hash.
CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL DEFAULT '',
    contact_id      TEXT NOT NULL DEFAULT '',
    organization_id TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    roles           TEXT NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL,
    batch_id        TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    accepted_at     TEXT,
    revoked_at      TEXT,
    version         INTEGER NOT NULL
);
CREATE INDEX invitations_account ON invitations(account_id, created_at);
CREATE INDEX invitations_status ON invitations(status, expires_at);
CREATE INDEX invitations_batch ON invitations(batch_id) WHERE batch_id <> '';
CREATE INDEX invitations_org ON invitations(organization_id, created_at);

CREATE TABLE access_requests (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    notified_to  TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX access_requests_account ON access_requests(account_id, requested_at);

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    actor_id        TEXT NOT NULL DEFAULT '',
    actor_name      TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    entity_type     TEXT NOT NULL DEFAULT '',
    entity_id       TEXT NOT NULL DEFAULT '',
    organization_id TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    before          TEXT,
    after           TEXT
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_entity ON audit_events(entity_type, entity_id, at);
CREATE INDEX audit_events_actor ON audit_events(actor_id, at);
CREATE INDEX audit_events_action ON audit_events(action, at);
CREATE INDEX audit_events_org ON audit_events(organization_id, at);

-- The outbox: every admin action, written here first and sent when online. The
-- idempotency key makes a resend after a crash or a lost answer harmless.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    command         TEXT NOT NULL,
    entity_type     TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    base_version    INTEGER NOT NULL DEFAULT 0,
    payload         TEXT NOT NULL DEFAULT '{}',
    -- The record as the administrator will see it once the command is applied (NULL: the
    -- command has no preview; preview_deletes: it removes the record).
    preview         TEXT,
    preview_deletes INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'sent', 'conflict', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- When the command may be sent (again). NULL: not on its own (sent, conflict, or failed
    -- for good); a sending command is due again when its lease runs out.
    next_attempt_at TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    response        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_entity ON outbox(entity_type, entity_id, state);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX outbox_state ON outbox(state);

-- overlay_base keeps the server's copy of a record while the mirrored table shows the
-- administrator's pending change (see outbox.go): the sync writes here instead, so
-- downloaded state never overwrites a change the server does not have yet.
CREATE TABLE overlay_base (
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    record      TEXT, -- NULL: the server has no such record
    version     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entity_type, entity_id)
) WITHOUT ROWID;

-- Work a bulk load deferred (bulk.go): the statements that rebuild and re-create what the
-- load skipped, run in order by FinishBulkLoad.
CREATE TABLE bulk_pending (
    tbl TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sql TEXT NOT NULL,
    PRIMARY KEY (tbl, seq)
) WITHOUT ROWID;

CREATE TABLE sync_state (
    stream        TEXT PRIMARY KEY,
    cursor        TEXT NOT NULL DEFAULT '',
    last_sync_at  TEXT,
    last_error    TEXT NOT NULL DEFAULT '',
    last_error_at TEXT
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
