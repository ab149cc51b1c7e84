-- name: InsertContact
INSERT INTO contacts (taxpayer_id, role, name, mobile_enc, mobile_hash, mobile_mask, status, status_since,
                      status_channel, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: InsertContactEvent
INSERT INTO contact_events (contact_id, at, status, channel, mobile_mask) VALUES (?, ?, ?, ?, ?);

-- name: UpdateContactService
UPDATE contacts SET mobile_enc = ?, mobile_hash = ?, mobile_mask = ?, status = ?, status_since = ?,
       status_channel = ?, updated_at = ?
WHERE id = ? AND (mobile_hash <> ? OR status <> ?);

-- name: UpdateContactName
UPDATE contacts SET name = ?, updated_at = ? WHERE id = ? AND name <> ?;

-- name: UpdateContactRole
UPDATE contacts SET role = ?, updated_at = ? WHERE id = ? AND role <> ?;

-- name: ContactColumns
SELECT c.id, c.taxpayer_id, c.role, c.name, c.mobile_enc, c.status, c.status_since, c.status_channel, c.created_at, c.updated_at
FROM contacts c JOIN taxpayers t ON t.id = c.taxpayer_id

-- name: KeepFirstContactEvent
-- Before a contact's number or status first changes, its first state moves
-- from its row to contact_events (see the view contact_history).
INSERT INTO contact_events (contact_id, at, status, channel, mobile_mask)
SELECT id, status_since, status, status_channel, mobile_mask FROM contacts
WHERE id = ? AND (mobile_hash <> ? OR status <> ?)
  AND NOT EXISTS (SELECT 1 FROM contact_events WHERE contact_id = ?);

-- name: SelectContactEvents
SELECT contact_id, at, status, channel, mobile_mask FROM contact_history WHERE contact_id = ? ORDER BY at;

-- name: SelectContactKeys
SELECT taxpayer_id, role, id, status FROM contacts;

-- name: SelectFailingContacts
SELECT c.id, c.taxpayer_id, c.role, c.name, c.mobile_enc, c.status, c.status_since, c.status_channel, c.created_at, c.updated_at
FROM contacts c JOIN taxpayers t ON t.id = c.taxpayer_id JOIN offices o ON o.id = t.office_id
WHERE c.failures >= ? AND (? = '' OR o.path LIKE ?)
ORDER BY c.id
LIMIT 1000;
