-- 0020: invitation batches. Owned by backend/batch.
--
-- A batch is a checked selection of people e-mailed together: invitations (created on the
-- server, then e-mailed), a pre-notification ("your invitation is coming") or reminders.
-- Every recipient's delivery state is kept here, changed before and after each step, so
-- that a crash or a lost connection never sends twice and never loses a row (see
-- backend/batch/doc.go for the protocol). Times are UTC text
-- (2006-01-02T15:04:05.000000000Z); lists are JSON arrays.

CREATE TABLE batches (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('invitation', 'pre_notification', 'reminder')),
    name            TEXT NOT NULL,
    parent_id       TEXT NOT NULL DEFAULT '',   -- the batch a pre-notification was made from
    source          TEXT NOT NULL DEFAULT '',   -- where the candidates came from, for the screens
    selection       TEXT NOT NULL DEFAULT '{}', -- the filters, letters and sort that formed it
    template        TEXT NOT NULL,              -- mail.Template as JSON: a snapshot, so the preview is what is sent
    product_name    TEXT NOT NULL DEFAULT '',
    invited_by      TEXT NOT NULL DEFAULT '',
    from_addr       TEXT NOT NULL DEFAULT '',   -- "" uses the mail settings' sender
    expires_in_days INTEGER NOT NULL DEFAULT 0, -- invitation lifetime; 0 means the portal default
    state           TEXT NOT NULL CHECK (state IN ('ready', 'sending', 'paused', 'cancelled', 'done')),
    last_error      TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    -- The sending process holds a lease: who, on which boot of the machine, until when.
    -- Recovery after a crash trusts per-message commits only from the same boot.
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_pid       INTEGER NOT NULL DEFAULT 0,
    lease_boot      TEXT NOT NULL DEFAULT '',
    lease_until     TEXT
);
CREATE INDEX batches_created ON batches(created_at);

CREATE TABLE batch_recipients (
    batch_id          TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,           -- sending order, from 1
    row_ref           TEXT NOT NULL,              -- the candidate's row: "import:<session>:<row>", "contact:<id>"
    contact_id        TEXT NOT NULL DEFAULT '',
    account_id        TEXT NOT NULL DEFAULT '',
    organization_id   TEXT NOT NULL DEFAULT '',
    organization_name TEXT NOT NULL DEFAULT '',
    organization_type TEXT NOT NULL DEFAULT '',
    member            INTEGER NOT NULL DEFAULT 0,
    name              TEXT NOT NULL DEFAULT '',
    first_name        TEXT NOT NULL DEFAULT '',
    last_name         TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    findings          TEXT NOT NULL DEFAULT '[]', -- quality codes of the row when the batch was formed
    reasons           TEXT NOT NULL DEFAULT '[]', -- why it is excluded: [{code, label, message}]
    overridden        TEXT NOT NULL DEFAULT '[]', -- findings the administrator overrode for this row
    roles             TEXT NOT NULL DEFAULT '[]', -- role IDs the invitation grants
    notes             TEXT NOT NULL DEFAULT '[]',
    replaces          TEXT NOT NULL DEFAULT '',   -- reminder: the invitation whose link it replaces
    state             TEXT NOT NULL CHECK (state IN ('excluded', 'queued', 'inviting', 'invited', 'sending',
                                                     'sent', 'failed', 'unknown', 'cancelled')),
    -- Nonzero: reserved by a sending run with a durable commit, before any of the reserved
    -- messages is handed to the mail server.
    claim             INTEGER NOT NULL DEFAULT 0,
    message_id        TEXT NOT NULL DEFAULT '',   -- stable across retries and resends
    idempotency_key   TEXT NOT NULL DEFAULT '',   -- for the server's invitation command, stored before the call
    invitation_id     TEXT NOT NULL DEFAULT '',
    invitation_url    TEXT NOT NULL DEFAULT '',   -- the one-time link, kept only until the e-mail is sent
    expires_at        TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0, -- SMTP attempts
    next_attempt_at   TEXT,
    stage             TEXT NOT NULL DEFAULT '',   -- where the last failure happened: invite, dial, rcpt, data, reply...
    smtp_code         INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    times_unknown     INTEGER NOT NULL DEFAULT 0,
    decision          TEXT NOT NULL DEFAULT '',   -- resend | mark_sent, for unknown or failed rows
    decided_by        TEXT NOT NULL DEFAULT '',
    decided_at        TEXT,
    sent_at           TEXT,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (batch_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX batch_recipients_row ON batch_recipients(batch_id, row_ref);
CREATE INDEX batch_recipients_state ON batch_recipients(batch_id, state, claim, seq);
CREATE UNIQUE INDEX batch_recipients_message ON batch_recipients(message_id) WHERE message_id <> '';
CREATE INDEX batch_recipients_invitation ON batch_recipients(invitation_id) WHERE invitation_id <> '';
CREATE INDEX batch_recipients_replaces ON batch_recipients(replaces) WHERE replaces <> '';

-- Every finding the administrator overrode, with who, when and why.
CREATE TABLE batch_overrides (
    batch_id   TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    row_ref    TEXT NOT NULL,
    code       TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_ref, code)
) WITHOUT ROWID;
