-- 0011: applying an import. Each row records what applying it did, so that an apply
-- interrupted by a crash or a cancel resumes where it stopped and never does a row twice,
-- and so that the result file can tell the administrator, row by row, what happened.

-- When the administrator chose Apply; NULL before. From then on the rows cannot change.
ALTER TABLE import_sessions ADD COLUMN apply_started_at TEXT;

-- '' (not applied yet), queued (waiting to be sent), created, updated, skipped, refused.
ALTER TABLE import_rows ADD COLUMN result TEXT NOT NULL DEFAULT '';
-- create | update: what the queued change does.
ALTER TABLE import_rows ADD COLUMN apply_action TEXT NOT NULL DEFAULT '';
ALTER TABLE import_rows ADD COLUMN result_reason TEXT NOT NULL DEFAULT '';
-- The contact the row became (or changed) on the portal.
ALTER TABLE import_rows ADD COLUMN record_id TEXT NOT NULL DEFAULT '';
-- The idempotency key of the queued change (derived from the session and the row).
ALTER TABLE import_rows ADD COLUMN change_key TEXT NOT NULL DEFAULT '';
