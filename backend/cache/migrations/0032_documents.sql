-- 0032: the portal's settings and message templates are mirrored like every other record
-- (issue #14), so the desktop reads and edits them offline through the outbox. They are
-- kept whole, as the server sends them: the desktop never searches them.
CREATE TABLE documents (
    entity_type TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (entity_type, id)
) WITHOUT ROWID;
