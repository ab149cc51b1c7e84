-- Accounts: signing in, sessions, permissions, API keys.

-- name: SelectLoginRecord
SELECT u.id, u.login, u.name, u.office_id, u.role, u.status, u.mobile_enc, u.created_at, u.updated_at,
       u.password_hash, u.failed_logins, u.locked_until, u.totp_secret_enc, u.totp_last_step, u.lang,
       EXISTS (SELECT 1 FROM offices a WHERE a.suspended <> 0 AND o.path LIKE a.path || '%')
FROM users u JOIN offices o ON o.id = u.office_id
WHERE u.login = ?;

-- name: SetLoginState
UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?;

-- name: SetTOTPStep
UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?;

-- name: SetTOTP
UPDATE users SET totp_secret_enc = ?, totp_last_step = ?, updated_at = ? WHERE id = ?;

-- name: SetLanguage
UPDATE users SET lang = ?, updated_at = ? WHERE id = ?;

-- name: SetPermissions
UPDATE users SET permissions = ?, updated_at = ? WHERE id = ?;

-- name: ResetPermissions
UPDATE users SET permissions = NULL WHERE id = ?;

-- name: InsertSession
INSERT INTO sessions (id_hash, user_id, created_at, last_seen, ip, user_agent)
VALUES (?, ?, ?, ?, ?, ?);

-- name: SelectSessionActor
SELECT s.user_id, s.created_at, s.last_seen, s.ip, s.user_agent,
       u.id, u.login, u.name, u.office_id, u.role, u.status, u.mobile_enc, u.created_at, u.updated_at,
       u.lang, u.permissions, o.path,
       EXISTS (SELECT 1 FROM offices a WHERE a.suspended <> 0 AND o.path LIKE a.path || '%')
FROM sessions s JOIN users u ON u.id = s.user_id JOIN offices o ON o.id = u.office_id
WHERE s.id_hash = ?;

-- name: TouchSession
UPDATE sessions SET last_seen = ? WHERE id_hash = ?;

-- name: DeleteSession
DELETE FROM sessions WHERE id_hash = ?;

-- name: DeleteUserSessions
DELETE FROM sessions WHERE user_id = ?;

-- name: DeleteSubtreeSessions
DELETE FROM sessions WHERE user_id IN
    (SELECT u.id FROM users u JOIN offices o ON o.id = u.office_id WHERE o.path LIKE ?);

-- name: SelectUserActor
SELECT u.id, u.login, u.name, u.office_id, u.role, u.status, u.mobile_enc, u.created_at, u.updated_at,
       u.lang, u.permissions, o.path
FROM users u JOIN offices o ON o.id = u.office_id
WHERE u.id = ?;

-- name: InsertAPIKey
INSERT INTO api_keys (name, hash, office_id, endpoints, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: APIKeyColumns
SELECT k.id, k.name, k.hash, k.office_id, o.path, k.endpoints, COALESCE(k.created_by, 0), k.created_at,
       k.revoked_at, k.last_used_at,
       EXISTS (SELECT 1 FROM offices a WHERE a.suspended <> 0 AND o.path LIKE a.path || '%')
FROM api_keys k JOIN offices o ON o.id = k.office_id

-- name: RevokeAPIKey
UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at = 0;

-- name: TouchAPIKey
UPDATE api_keys SET last_used_at = ? WHERE id = ?;

-- name: SetOfficeSuspended
UPDATE offices SET suspended = ?, updated_at = ? WHERE id = ? AND suspended <> ?;

-- name: SelectWaitingAuthors
-- The authors of manual messages waiting on behalf of offices of a subtree;
-- each arm reads one partial index of the outbox.
SELECT author_id FROM messages
WHERE status = 'queued' AND author_id IS NOT NULL AND office_id IN (SELECT id FROM offices WHERE path LIKE ?)
UNION
SELECT author_id FROM messages
WHERE status = 'scheduled' AND author_id IS NOT NULL AND office_id IN (SELECT id FROM offices WHERE path LIKE ?);

-- name: SelectWaitingSubtreeAuthors
-- The users of a subtree who wrote manual messages that wait.
SELECT author_id FROM messages
WHERE status = 'queued' AND author_id IN (SELECT u.id FROM users u JOIN offices o ON o.id = u.office_id WHERE o.path LIKE ?)
UNION
SELECT author_id FROM messages
WHERE status = 'scheduled' AND author_id IN (SELECT u.id FROM users u JOIN offices o ON o.id = u.office_id WHERE o.path LIKE ?);
