-- 0012: rows the reviewer said are different people, though their names look alike: the
-- checks do not flag the pair as a possible duplicate again (quality.Config.Distinct).
CREATE TABLE import_distinct (
    session_id TEXT NOT NULL REFERENCES import_sessions(id) ON DELETE CASCADE,
    row_a      INTEGER NOT NULL, -- the lower row number
    row_b      INTEGER NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (session_id, row_a, row_b)
) WITHOUT ROWID;

-- The log of changes gains the kind 'distinct'. SQLite cannot change a CHECK constraint, so
-- the table is made again with its rows.
CREATE TABLE import_changes_new (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES import_sessions(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('fix', 'exclude', 'include', 'merge', 'mapping', 'distinct')),
    row_number  INTEGER NOT NULL DEFAULT 0,
    column_num  INTEGER NOT NULL DEFAULT 0,
    before      TEXT NOT NULL DEFAULT '',
    after       TEXT NOT NULL DEFAULT '',
    related     TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO import_changes_new SELECT id, session_id, at, kind, row_number, column_num, before, after, related FROM import_changes;
DROP TABLE import_changes;
ALTER TABLE import_changes_new RENAME TO import_changes;
CREATE INDEX import_changes_session ON import_changes(session_id, id);
