-- Billing: tariffs, counters of billable segments, closed months and
-- adjustments (see migration 00014). Days are day numbers in the bureau's
-- zone; months are "YYYY-MM".

-- name: SelectTariffs
SELECT id, carrier, kind, price, valid_from, valid_to, created_at FROM billing_tariffs
ORDER BY carrier, kind, valid_from;

-- name: SelectTariff
SELECT id, carrier, kind, price, valid_from, valid_to, created_at FROM billing_tariffs WHERE id = ?;

-- name: SelectTariffsOf
SELECT id, carrier, kind, price, valid_from, valid_to, created_at FROM billing_tariffs
WHERE carrier = ? AND kind = ? {{FOR_UPDATE}};

-- name: InsertTariff
INSERT INTO billing_tariffs (carrier, kind, price, valid_from, valid_to, created_at) VALUES (?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: UpdateTariff
UPDATE billing_tariffs SET carrier = ?, kind = ?, price = ?, valid_from = ?, valid_to = ? WHERE id = ?;

-- name: DeleteTariff
DELETE FROM billing_tariffs WHERE id = ?;

-- name: PriceOf
SELECT price FROM billing_tariffs WHERE carrier = ? AND kind = ? AND valid_from <= ? AND valid_to >= ?;

-- name: InsertBillingMonth
INSERT INTO billing_months (month) VALUES (?) ON CONFLICT (month) DO NOTHING;

-- name: LockBillingMonth
-- A transaction that counts into a month holds its row shared until it
-- commits; closing the month waits for them and they wait for it.
SELECT closed_at FROM billing_months WHERE month = ? {{FOR_SHARE}};

-- name: CloseBillingMonth
UPDATE billing_months SET closed_at = ?, closed_by = ? WHERE month = ? AND closed_at = 0;

-- name: SelectBillingMonth
SELECT closed_at, closed_by FROM billing_months WHERE month = ?;

-- name: SelectClosedMonths
SELECT month, closed_at, closed_by FROM billing_months WHERE closed_at <> 0 ORDER BY month;

-- name: LockAllBillingMonths
SELECT month, closed_at FROM billing_months ORDER BY month {{FOR_UPDATE}};

-- name: UpsertBillingCounter
INSERT INTO billing_counters (day, office_id, carrier, kind, messages, segments) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (day, office_id, carrier, kind)
DO UPDATE SET messages = billing_counters.messages + excluded.messages,
              segments = billing_counters.segments + excluded.segments;

-- name: DeleteBillingCounter
DELETE FROM billing_counters WHERE day = ? AND office_id = ? AND carrier = ? AND kind = ?;

-- name: InsertAdjustment
INSERT INTO billing_adjustments (month, day, office_id, carrier, kind, messages, segments, reason, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: RootOffice
SELECT COALESCE(MIN(id), 0) FROM offices WHERE parent_id IS NULL;

-- name: StatementCounted
-- The counted lines of an open month for the offices under a path, priced
-- at the tariff of each day (tariffs of a carrier and kind never overlap).
SELECT c.office_id, c.carrier, c.kind, CAST(SUM(c.messages) AS BIGINT), CAST(SUM(c.segments) AS BIGINT),
       CAST(SUM(c.segments * COALESCE(t.price, 0)) AS BIGINT),
       CAST(SUM(CASE WHEN t.price IS NULL THEN c.segments ELSE 0 END) AS BIGINT)
FROM billing_counters c
JOIN offices o ON o.id = c.office_id
LEFT JOIN billing_tariffs t ON t.carrier = c.carrier AND t.kind = c.kind AND t.valid_from <= c.day AND t.valid_to >= c.day
WHERE c.day >= ? AND c.day <= ? AND o.path LIKE ?
GROUP BY c.office_id, c.carrier, c.kind;

-- name: StatementAdjustments
-- The adjustments billed in an open month for the offices under a path.
SELECT a.id, a.day, a.office_id, a.carrier, a.kind, a.messages, a.segments, COALESCE(t.price, -1), a.reason, a.created_at
FROM billing_adjustments a
JOIN offices o ON o.id = a.office_id
LEFT JOIN billing_tariffs t ON t.carrier = a.carrier AND t.kind = a.kind AND t.valid_from <= a.day AND t.valid_to >= a.day
WHERE a.month = ? AND o.path LIKE ?
ORDER BY a.id;

-- name: StatementClosed
SELECT l.office_id, l.carrier, l.kind, l.adjustment, l.messages, l.segments, l.amount, l.unpriced
FROM billing_closed_lines l
JOIN offices o ON o.id = l.office_id
WHERE l.month = ? AND o.path LIKE ?;

-- name: InsertClosedLine
INSERT INTO billing_closed_lines (month, office_id, carrier, kind, adjustment, messages, segments, amount, unpriced)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: SelectCounters
SELECT day, office_id, carrier, kind, messages, segments FROM billing_counters;

-- name: CountBillable
-- The billable messages as the messages table has them (see migration
-- 00014): MT messages a carrier accepted, by day, office, carrier and kind.
SELECT (submitted_at + 28800000) / 86400000, COALESCE(office_id, ?), carrier, kind, COUNT(*), CAST(SUM(segments) AS BIGINT)
FROM messages WHERE direction = 'mt' AND submitted_at <> 0
GROUP BY 1, 2, 3, 4;

-- name: UpdateBillingCounter
UPDATE billing_counters SET messages = ?, segments = ? WHERE day = ? AND office_id = ? AND carrier = ? AND kind = ?;

-- name: BillingMessage
SELECT COALESCE(office_id, 0), kind, direction FROM messages WHERE id = ?;

-- name: InsertStraySegment
-- A segment accepted of a message not sent whole that time, unless it is
-- known already (recorded before, or a part of the message's submission).
INSERT INTO billing_stray_segments (message_id, carrier, carrier_msg_id, link, seq, recorded_at)
SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS BIGINT)
WHERE NOT EXISTS (SELECT 1 FROM message_parts p WHERE p.message_id = ? AND p.carrier = ? AND p.carrier_msg_id = ?)
ON CONFLICT DO NOTHING;

-- name: CountStraySegments
-- The stray segments, by day, office, carrier and kind, as counts of
-- segments without messages.
SELECT (s.recorded_at + 28800000) / 86400000, COALESCE(m.office_id, ?), s.carrier, m.kind, 0, COUNT(*)
FROM billing_stray_segments s JOIN messages m ON m.id = s.message_id
GROUP BY 1, 2, 3, 4;
