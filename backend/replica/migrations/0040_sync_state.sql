-- 0040: the sync engine's own state. Owned by backend/replica.
--
-- sync_acked remembers, per record, the version the server acknowledged for one of the
-- administrator's commands (or that the command removed the record) until the change feed
-- has delivered that version: until then older feed entries for the record are not
-- applied, so the screen never falls back to the state before the administrator's change.
-- (Gatehouse before this migration created the table when sync started, hence IF NOT
-- EXISTS.)
CREATE TABLE IF NOT EXISTS sync_acked (
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entity_type, entity_id)
) WITHOUT ROWID;
