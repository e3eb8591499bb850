-- Gatehouse portal server schema, version 3 (issue #17): an ID token buys one API session.
-- Each one traded is remembered (by issuer, subject and its jti or issue time, hashed)
-- until it expires, so that a copied token cannot buy session after session.
CREATE TABLE used_id_tokens (
    key_hash   TEXT PRIMARY KEY,
    used_at    TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX used_id_tokens_expiry ON used_id_tokens (expires_at);
