-- Statistics for the console's dashboard.

-- name: MessageIDBounds
-- The first and last message ids (0 if none), each read by the primary
-- key: SQLite reads MIN or MAX alone that way, but scans the table for
-- both in one query.
SELECT COALESCE((SELECT MIN(id) FROM messages), 0), COALESCE((SELECT MAX(id) FROM messages), 0);

-- name: MessageFirstFrom
-- The first message at or after an id, and when it was created.
SELECT id, created_at FROM messages WHERE id >= ? ORDER BY id LIMIT 1;

-- name: MessageStatsSelect
-- Counts by day, direction, kind and status. {offset} is the zone's offset
-- in milliseconds (an integer written in by the store), so that the day is
-- the bureau's; the WHERE clause (first id, since, scope) is added by the
-- store, then GROUP BY 1, 2, 3, 4.
SELECT (m.created_at + {offset}) / 86400000, m.direction, m.kind, m.status, COUNT(*)
FROM messages m
