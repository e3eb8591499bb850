-- Gatehouse portal server schema, version 2: the portal's own messages (access requests,
-- approved, denied, invitations from Users) carry an HTML part beside the text, derived
-- from the same template when the message is queued (issue #14). Messages queued before
-- have none and go as text, as they always did.
ALTER TABLE mail_outbox ADD COLUMN html TEXT NOT NULL DEFAULT '';
