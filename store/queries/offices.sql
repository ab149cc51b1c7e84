-- name: InsertOffice
INSERT INTO offices (parent_id, code, name, phone, address, path, suspended, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, '', ?, ?, ?)
RETURNING id;

-- name: SetOfficePath
UPDATE offices SET path = ? WHERE id = ?;

-- name: UpdateOffice
UPDATE offices SET code = ?, name = ?, phone = ?, address = ?, suspended = ?, updated_at = ?
WHERE id = ?;

-- name: UpdateOfficeIfChanged
UPDATE offices SET name = ?, phone = ?, address = ?, updated_at = ?
WHERE id = ? AND (name <> ? OR phone <> ? OR address <> ?);

-- name: SelectOffice
SELECT id, COALESCE(parent_id, 0), code, name, phone, address, path, suspended, created_at, updated_at
FROM offices WHERE id = ?;

-- name: SelectOfficeByCode
SELECT id, COALESCE(parent_id, 0), code, name, phone, address, path, suspended, created_at, updated_at
FROM offices WHERE code = ?;

-- name: SelectOffices
SELECT id, COALESCE(parent_id, 0), code, name, phone, address, path, suspended, created_at, updated_at
FROM offices
WHERE (? = '' OR path LIKE ?) AND (? = '' OR code = ?)
ORDER BY path
LIMIT ?;

-- name: SelectOfficeCodes
SELECT code, id FROM offices;

-- name: CountAll
SELECT (SELECT COUNT(*) FROM offices), (SELECT COUNT(*) FROM users),
       (SELECT COUNT(*) FROM taxpayers), (SELECT COUNT(*) FROM contacts),
       (SELECT COUNT(*) FROM messages);
