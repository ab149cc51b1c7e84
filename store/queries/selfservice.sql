-- name: CountSelfServiceHits
SELECT COUNT(*) FROM selfservice_hits WHERE kind = ? AND key_hash = ? AND at > ?;

-- name: InsertSelfServiceHit
INSERT INTO selfservice_hits (kind, key_hash, at) VALUES (?, ?, ?);

-- name: PruneSelfServiceHits
DELETE FROM selfservice_hits WHERE at <= ?;

-- name: PruneSelfServiceCodes
DELETE FROM selfservice_codes WHERE created_at <= ?;

-- name: InsertSelfServiceCode
INSERT INTO selfservice_codes (token_hash, contact_id, mobile_enc, salt, code_hash, expires_at, ip, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: SelectSelfServiceCode
SELECT id, contact_id, mobile_enc, salt, code_hash, tries, expires_at, used_at
FROM selfservice_codes WHERE token_hash = ?;

-- name: CountSelfServiceTry
UPDATE selfservice_codes SET tries = tries + 1 WHERE id = ?;

-- name: UseSelfServiceCode
UPDATE selfservice_codes SET used_at = ? WHERE id = ? AND used_at = 0;

-- name: SelectSelfServiceContact
-- The contact a self-service request names: the taxpayer by identifier,
-- the contact by role.
SELECT c.id, c.taxpayer_id, c.name, c.status FROM contacts c JOIN taxpayers t ON t.id = c.taxpayer_id
WHERE t.identifier = ? AND c.role = ?;
