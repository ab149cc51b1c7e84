-- +goose Up
-- Accounts (MISSION R-5, R-6, R-19, R-20): what signing in needs per user,
-- browser sessions and API keys. Instants are INTEGER milliseconds since the
-- Unix epoch, UTC, 0 for none.
--
-- users.permissions is the user's explicit grant, names joined by ','
-- (NULL: the role's defaults). totp_secret_enc is the second factor's secret
-- sealed like a mobile number (NULL: not enrolled); totp_last_step is the
-- last time step accepted, so a code is not accepted twice.
-- failed_logins and locked_until are auth.LoginState.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh';
ALTER TABLE users ADD COLUMN totp_secret_enc BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN permissions TEXT;

-- A signed-in browser: keyed by the hash of the id in its cookie.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Keys of the tax core systems, kept only as hashes; endpoints are route
-- patterns joined by newlines. created_by is the user who made it, NULL when
-- the platform did; it has no foreign key, since the actor of a key made
-- through the API or a test need not be a stored user.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    office_id    INTEGER NOT NULL REFERENCES offices (id),
    endpoints    TEXT NOT NULL,
    created_by   INTEGER,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_office ON api_keys (office_id);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN permissions;
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_secret_enc;
ALTER TABLE users DROP COLUMN lang;
