-- 0010: import sessions. A spreadsheet being imported is kept here row by row, with the
-- administrator's fixes, exclusions and merges and the latest quality findings, so that
-- the work survives closing the app. Owned by backend/imports.
--
-- Original cells are never overwritten: a fix is stored beside them (import_rows.edits,
-- the current value per column) and logged in import_changes. Lists are JSON arrays,
-- times are UTC text (2006-01-02T15:04:05.000000000Z).

CREATE TABLE import_sessions (
    id          TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,              -- the file's base name, as shown to the user
    file_path   TEXT NOT NULL DEFAULT '',
    format      TEXT NOT NULL,              -- xlsx | csv
    sheet       TEXT NOT NULL DEFAULT '',
    sheets      TEXT NOT NULL DEFAULT '[]', -- every sheet of the workbook
    encoding    TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL CHECK (state IN ('reading', 'mapping', 'review', 'applied', 'abandoned')),
    header_row  INTEGER NOT NULL DEFAULT 0,
    header_key  TEXT NOT NULL DEFAULT '',
    mapping     TEXT NOT NULL DEFAULT '{}', -- sheets.Mapping as JSON
    day_first   INTEGER NOT NULL DEFAULT 0,
    as_of       TEXT NOT NULL,              -- 2006-01-02: the date roles are checked against
    rows_read   INTEGER NOT NULL DEFAULT 0, -- non-empty rows in the sheet, header included
    stale       INTEGER NOT NULL DEFAULT 1, -- findings predate the latest change
    error       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    checked_at  TEXT
);
CREATE INDEX import_sessions_state ON import_sessions(state, updated_at);

CREATE TABLE import_rows (
    session_id     TEXT NOT NULL REFERENCES import_sessions(id) ON DELETE CASCADE,
    row_number     INTEGER NOT NULL,            -- as the spreadsheet numbers it
    cells          TEXT NOT NULL,               -- JSON array of the cells as read
    edits          TEXT NOT NULL DEFAULT '{}',  -- JSON object: column number -> current value
    excluded       INTEGER NOT NULL DEFAULT 0,
    exclude_reason TEXT NOT NULL DEFAULT '',
    merged_into    INTEGER,                     -- the row kept when this one was merged
    PRIMARY KEY (session_id, row_number)
) WITHOUT ROWID;

CREATE TABLE import_findings (
    session_id  TEXT NOT NULL REFERENCES import_sessions(id) ON DELETE CASCADE,
    row_number  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,               -- order of the findings within the row
    code        TEXT NOT NULL,
    field       TEXT NOT NULL DEFAULT '',
    column_name TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL,
    related     TEXT NOT NULL DEFAULT '[]',
    action      TEXT NOT NULL,
    suggestion  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (session_id, row_number, seq)
) WITHOUT ROWID;
CREATE INDEX import_findings_code ON import_findings(session_id, code, row_number);

-- Every change the administrator made, in order: fixes, exclusions, merges.
CREATE TABLE import_changes (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES import_sessions(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('fix', 'exclude', 'include', 'merge', 'mapping')),
    row_number  INTEGER NOT NULL DEFAULT 0,
    column_num  INTEGER NOT NULL DEFAULT 0,
    before      TEXT NOT NULL DEFAULT '',
    after       TEXT NOT NULL DEFAULT '',
    related     TEXT NOT NULL DEFAULT '[]'      -- merge: the rows merged into row_number
);
CREATE INDEX import_changes_session ON import_changes(session_id, id);

-- Column mappings remembered per set of headers (sheets.HeaderKey), so the next export
-- from the same CRM maps itself.
CREATE TABLE import_mappings (
    header_key TEXT PRIMARY KEY,
    headers    TEXT NOT NULL,
    columns    TEXT NOT NULL,                   -- JSON object: field -> column number
    updated_at TEXT NOT NULL
);
