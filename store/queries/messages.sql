-- name: InsertMessage
INSERT INTO messages (direction, kind, priority, mobile_enc, mobile_hash, mobile_mask, taxpayer_id, contact_id,
                      user_id, office_id, author_id, body, coding, segments, status, carrier, idempotency_key,
                      error, not_before, expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: InsertMessageEvent
INSERT INTO message_events (message_id, at, status, detail) VALUES (?, ?, ?, ?);

-- name: InsertMessagePart
INSERT INTO message_parts (message_id, seq, carrier_msg_id, status, error) VALUES (?, ?, ?, ?, ?);

-- name: SelectMessageByKey
SELECT id FROM messages WHERE idempotency_key = ?;

-- name: MessageColumns
SELECT id, direction, kind, priority, mobile_enc, COALESCE(taxpayer_id, 0), COALESCE(contact_id, 0),
       COALESCE(user_id, 0), COALESCE(office_id, 0), COALESCE(author_id, 0), body, coding, segments, status,
       carrier, COALESCE(idempotency_key, ''), error, not_before, expires_at, created_at, updated_at
FROM messages m

-- name: SelectMessageEvents
SELECT at, status, detail FROM message_events WHERE message_id = ? ORDER BY at;

-- name: SelectMessageParts
SELECT seq, carrier_msg_id, status, error FROM message_parts WHERE message_id = ? ORDER BY seq;
