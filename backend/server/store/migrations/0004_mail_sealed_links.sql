-- Gatehouse portal server schema, version 4 (issue #17): no live links at rest. A waiting
-- message's body holds a placeholder where an invitation or approval link goes; the links
-- themselves are sealed (AES-GCM, with a key kept outside the database) in "sealed", put
-- into the message only when it is handed to the mail server, and forgotten once the
-- message is sent, skipped or failed.
ALTER TABLE mail_outbox ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
-- Messages sent before this version carry their links in the body; the links of those
-- already finished are dropped now (the bodies of finished messages are purged anyway).
UPDATE mail_outbox SET body = '', html = '' WHERE status <> 'queued';
