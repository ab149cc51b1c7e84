-- name: ClaimMessages
-- The oldest queued messages of the highest priority, claimed by a node
-- until a lease ends. On PostgreSQL, nodes skip each other's locked rows.
UPDATE messages SET status = 'sending', claimed_by = ?, claim_until = ?, updated_at = ?
WHERE id IN (SELECT id FROM messages WHERE status = 'queued' ORDER BY priority, id LIMIT ? {{SKIP_LOCKED}})
RETURNING id, kind, priority, mobile_enc, body, segments, attempts, expires_at, contact_id, created_at;

-- name: ExpireClaimed
UPDATE messages SET status = 'expired', done_at = ?, updated_at = ?, claimed_by = '' WHERE id = ? AND status = 'sending';

-- name: InsertPart
INSERT INTO message_parts (message_id, seq, carrier, carrier_msg_id, status) VALUES (?, ?, ?, ?, 'submitted');

-- name: MarkRetry
UPDATE messages SET status = 'scheduled', not_before = ?, attempts = attempts + ?, error = ?, claimed_by = '',
       updated_at = ?
WHERE id = ? AND status = 'sending';

-- name: MarkFailed
UPDATE messages SET status = ?, error = ?, done_at = ?, claimed_by = '', updated_at = ?
WHERE id = ? AND status = 'sending';

-- name: InsertPendingReceipt
INSERT INTO receipts_pending (carrier, carrier_msg_id, link, stat, error, done_at, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: PromoteScheduled
UPDATE messages SET status = 'queued', updated_at = ? WHERE status = 'scheduled' AND not_before <= ?;

-- name: ExpireQueued
UPDATE messages SET status = 'expired', done_at = ?, updated_at = ?
WHERE status IN ('queued', 'scheduled') AND expires_at <> 0 AND expires_at <= ?;

-- name: RequeueLapsed
-- Claims whose lease ended (their node died), and at start a node's own.
UPDATE messages SET status = 'queued', claimed_by = '', updated_at = ?
WHERE status = 'sending' AND (claim_until <= ? OR claimed_by = ?);

-- name: SelectPendingReceipts
SELECT id, carrier, carrier_msg_id, stat, error, done_at, received_at FROM receipts_pending
WHERE unmatched = 0 ORDER BY id LIMIT 1000;

-- name: MarkUnmatched
UPDATE receipts_pending SET unmatched = 1 WHERE unmatched = 0 AND received_at <= ?;

-- name: CountQueued
SELECT priority, COUNT(*) FROM messages WHERE status = 'queued' GROUP BY priority;

-- name: CountUnmatched
SELECT COUNT(*) FROM receipts_pending WHERE unmatched = 1;

-- name: InsertFragment
INSERT INTO mo_fragments (carrier, carrier_msg_id, link, sender_enc, sender_hash, recipient, ref, total, seq, body, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (carrier, carrier_msg_id) DO NOTHING
RETURNING id;

-- name: SelectFragments
SELECT id, seq, body, recipient, received_at FROM mo_fragments
WHERE sender_hash = ? AND ref = ? AND total = ? AND message_id IS NULL
ORDER BY seq, id;

-- name: SetFragmentMessage
UPDATE mo_fragments SET message_id = ? WHERE id = ?;

-- name: SelectStaleFragments
SELECT DISTINCT sender_hash, ref, total FROM mo_fragments WHERE message_id IS NULL AND received_at <= ? LIMIT 100;

-- name: SelectFragmentSender
SELECT sender_enc, carrier, link FROM mo_fragments WHERE sender_hash = ? AND ref = ? AND total = ? AND message_id IS NULL LIMIT 1;

-- name: InsertMO
INSERT INTO messages (direction, kind, priority, mobile_enc, mobile_hash, mobile_mask, body, coding, segments, status,
                      carrier, link, service_number, error, created_at, updated_at)
VALUES ('mo', ?, 0, ?, ?, ?, ?, '', ?, 'received', ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: PruneFragments
DELETE FROM mo_fragments WHERE message_id IS NOT NULL AND received_at <= ?;

-- name: CountSubmittedByPriority
SELECT COUNT(*) FROM messages WHERE direction = 'mt' AND priority = ? AND submitted_at <> 0 AND created_at >= ?;

-- name: QueueToSubmitAt
-- The k-th shortest time from queueing to submission (a percentile).
SELECT submitted_at - created_at FROM messages
WHERE direction = 'mt' AND priority = ? AND submitted_at <> 0 AND created_at >= ?
ORDER BY 1 LIMIT 1 OFFSET ?;

-- Batched forms: the part between /*rows*/ and /*end*/ is repeated once
-- per row (see DB.repeat). VALUES columns are column1, column2, … on both
-- engines.

-- name: MarkSubmittedBatch
UPDATE messages SET status = 'submitted', submitted_at = ?, carrier = v.column2, link = v.column3, coding = v.column4,
       segments = v.column5, error = '', claimed_by = '', updated_at = ?
FROM (VALUES /*rows*/(CAST(? AS BIGINT), ?, ?, ?, CAST(? AS INTEGER))/*end*/) AS v
WHERE messages.id = v.column1 AND messages.status = 'sending'
RETURNING messages.id, COALESCE(messages.office_id, 0), messages.kind;

-- name: ReceiptParts
-- Marks the segments the receipts report on; each returns its message and
-- the carrier id it matched.
UPDATE message_parts SET status = v.column3, error = v.column4, done_at = v.column5
FROM (VALUES /*rows*/(?, ?, ?, ?, CAST(? AS BIGINT))/*end*/) AS v
WHERE message_parts.carrier_msg_id = v.column2 AND message_parts.carrier = v.column1 AND message_parts.status = 'submitted'
RETURNING message_parts.message_id, message_parts.carrier, message_parts.carrier_msg_id;

-- name: LockMessages
SELECT id FROM messages WHERE id IN (/*rows*/?/*end*/) ORDER BY id {{FOR_UPDATE}};

-- name: SettleMessages
-- Messages whose segments have all reported become delivered, or failed
-- with the carrier's code of a failed segment.
UPDATE messages SET
  status = CASE WHEN EXISTS (SELECT 1 FROM message_parts p WHERE p.message_id = messages.id AND p.status = 'failed')
                THEN 'failed' ELSE 'delivered' END,
  error = COALESCE((SELECT MAX(p.error) FROM message_parts p WHERE p.message_id = messages.id AND p.status = 'failed'), ''),
  done_at = ?, updated_at = ?
WHERE status = 'submitted' AND id IN (/*rows*/?/*end*/)
  AND (SELECT COUNT(*) FROM message_parts p WHERE p.message_id = messages.id AND p.status IN ('delivered', 'failed')) >= segments
RETURNING id, status, COALESCE(contact_id, 0);

-- name: ContactsSetFailures
UPDATE contacts SET failures = ? WHERE failures <> ? AND id IN (/*rows*/?/*end*/);

-- name: ContactsAddFailures
UPDATE contacts SET failures = failures + ? WHERE id IN (/*rows*/?/*end*/);

-- name: DeletePendingReceipts
DELETE FROM receipts_pending WHERE id IN (/*rows*/?/*end*/);

-- name: ReplyLatencies
-- For the MO received since a time, the time from receiving each to
-- submitting its reply (key reply/<MO id>); MO not yet answered are left out.
SELECT r.submitted_at - m.created_at FROM messages m
JOIN messages r ON r.idempotency_key = 'reply/' || CAST(m.id AS TEXT)
WHERE m.direction = 'mo' AND m.created_at >= ? AND r.submitted_at <> 0
ORDER BY 1;

-- name: UnansweredMO
-- MO received since a time that have no reply (key reply/<MO id>), oldest first.
SELECT m.id FROM messages m
WHERE m.direction = 'mo' AND m.created_at >= ?
  AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.idempotency_key = 'reply/' || CAST(m.id AS TEXT))
ORDER BY m.id LIMIT 1000;
