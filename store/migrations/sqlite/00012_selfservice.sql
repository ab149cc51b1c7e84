-- +goose Up
-- Self-service (seed Art. 13): a contact proves a new number with a one-time
-- code sent to it. Every request makes a challenge, whether or not its
-- details named a contact (contact_id NULL then, and no code is sent), so
-- that the answers and the work are the same. The browser holds the
-- challenge's token; the store keeps its SHA-256. The code is kept as
-- HMAC-SHA-256 keyed by a random salt of the challenge.
CREATE TABLE selfservice_codes (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    contact_id  BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    mobile_enc  BLOB NOT NULL,
    salt        BLOB NOT NULL,
    code_hash   BLOB NOT NULL,
    tries       INTEGER NOT NULL DEFAULT 0,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT NOT NULL DEFAULT 0,
    ip          TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX selfservice_codes_created ON selfservice_codes (created_at);

-- The requests counted by the rate limits, per new number and per client
-- address (each a keyed hash), so that the limits hold across nodes.
CREATE TABLE selfservice_hits (
    kind     TEXT NOT NULL,
    key_hash BLOB NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX selfservice_hits_key ON selfservice_hits (kind, key_hash, at);
CREATE INDEX selfservice_hits_at ON selfservice_hits (at);

-- +goose Down
DROP TABLE selfservice_hits;
DROP TABLE selfservice_codes;
