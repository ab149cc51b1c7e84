-- name: InsertUser
INSERT INTO users (login, name, office_id, role, status, mobile_enc, mobile_hash, mobile_mask, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: UpdateUser
UPDATE users SET login = ?, name = ?, office_id = ?, role = ?, status = ?,
       mobile_enc = ?, mobile_hash = ?, mobile_mask = ?, updated_at = ?
WHERE id = ?;

-- name: UpdateUserIfChanged
UPDATE users SET name = ?, office_id = ?, role = ?, status = ?,
       mobile_enc = ?, mobile_hash = ?, mobile_mask = ?, updated_at = ?
WHERE id = ? AND (name <> ? OR office_id <> ? OR role <> ? OR status <> ?
       OR COALESCE(mobile_hash, x'') <> COALESCE(?, x''));

-- name: UserColumns
SELECT u.id, u.login, u.name, u.office_id, u.role, u.status, u.mobile_enc, u.created_at, u.updated_at
FROM users u JOIN offices o ON o.id = u.office_id

-- name: SelectUserLogins
SELECT login, id FROM users;

-- name: SetPasswordHash
UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?;

-- name: SelectPasswordHash
SELECT id, password_hash FROM users WHERE login = ?;

-- name: SetUserStatus
UPDATE users SET status = ?, updated_at = ? WHERE id = ? AND status <> ?;
