-- name: InsertMessage
INSERT INTO messages (direction, kind, priority, mobile_enc, mobile_hash, mobile_mask, taxpayer_id, contact_id,
                      user_id, office_id, author_id, campaign_id, body, coding, segments, status, idempotency_key,
                      not_before, expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: InsertMessageEvent
INSERT INTO message_events (message_id, at, status, detail) VALUES (?, ?, ?, ?);

-- name: SelectMessagesByKey
SELECT idempotency_key, id FROM messages WHERE idempotency_key IN (/*rows*/?/*end*/);

-- name: MessageColumns
SELECT m.id, m.direction, m.kind, m.priority, m.mobile_enc, COALESCE(m.taxpayer_id, 0), COALESCE(m.contact_id, 0),
       COALESCE(m.user_id, 0), COALESCE(m.office_id, 0), COALESCE(m.author_id, 0), COALESCE(m.campaign_id, 0),
       m.body, m.coding, m.segments, m.status, m.carrier, m.link, m.service_number, COALESCE(m.idempotency_key, ''), m.error,
       m.attempts, m.not_before, m.expires_at, m.created_at, m.submitted_at, m.done_at, m.updated_at
FROM messages m

-- name: SelectMessageEvents
SELECT at, status, detail FROM message_events WHERE message_id = ? ORDER BY at;

-- name: SelectMessageParts
SELECT seq, carrier_msg_id, status, error, done_at FROM message_parts WHERE message_id = ? ORDER BY seq;

-- name: CountByStatus
SELECT status, COUNT(*) FROM messages WHERE direction = ? GROUP BY status;
