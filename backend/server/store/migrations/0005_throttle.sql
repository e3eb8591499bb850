-- Gatehouse portal server schema, version 5 (issue #17): throttles for password sign-in,
-- invitation acceptance, SSO sign-in starts and access requests, per account and per
-- client address, kept in the database so that they survive a restart and hold across
-- several server processes.
CREATE TABLE throttle (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    blocked_until TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX throttle_updated ON throttle (updated_at);
-- Sign-ins in flight are deleted as they expire (each start deletes the expired ones).
CREATE INDEX oidc_states_expiry ON oidc_states (expires_at);
