-- name: InsertSlots
-- The rows of slots 0 to n-1 of a link, those missing; the WHERE keeps
-- SQLite from reading ON CONFLICT as a join constraint.
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
INSERT INTO link_slots (link, slot, node, lease_until)
SELECT ?, i, '', 0 FROM n WHERE true
ON CONFLICT (link, slot) DO NOTHING;

-- name: AcquireSlot
-- The lowest free slot below n: never taken, released, or its lease past.
-- On PostgreSQL, concurrent acquirers skip each other's locked rows.
UPDATE link_slots SET node = ?, lease_until = ?
WHERE link = ? AND slot = (
    SELECT slot FROM link_slots
    WHERE link = ? AND slot < ? AND (node = '' OR lease_until <= ?)
    ORDER BY slot LIMIT 1 {{SKIP_LOCKED}})
RETURNING slot;

-- name: RenewSlot
-- A lease still held by the node: a lapsed one may be another's already.
UPDATE link_slots SET lease_until = ? WHERE link = ? AND slot = ? AND node = ? AND lease_until > ?;

-- name: ReleaseSlot
UPDATE link_slots SET node = '', lease_until = 0 WHERE link = ? AND slot = ? AND node = ?;

-- name: ReleaseNodeSlots
UPDATE link_slots SET node = '', lease_until = 0 WHERE node = ?;

-- name: HeldSlots
SELECT slot, node FROM link_slots WHERE link = ? AND node <> '' AND lease_until > ? ORDER BY slot;
