-- name: SelectCalendarEntries
SELECT day, kind, name, source, provisional FROM calendar_entries ORDER BY day;

-- name: SelectCalendarYear
SELECT day, kind, name, source, provisional FROM calendar_entries
WHERE day >= ? AND day < ? ORDER BY day;

-- name: DeleteCalendarYear
DELETE FROM calendar_entries WHERE day >= ? AND day < ?;

-- name: DeleteCalendarEntry
DELETE FROM calendar_entries WHERE day = ?;

-- name: InsertCalendarEntry
INSERT INTO calendar_entries (day, kind, name, source, provisional, updated_at)
VALUES (?, ?, ?, ?, ?, ?);

-- name: SelectDeadlineOverrides
SELECT period, day, reason, updated_at FROM deadline_overrides ORDER BY period;

-- name: SelectDeadlineOverride
SELECT period, day, reason, updated_at FROM deadline_overrides WHERE period = ?;

-- name: DeleteDeadlineOverride
DELETE FROM deadline_overrides WHERE period = ?;

-- name: InsertDeadlineOverride
INSERT INTO deadline_overrides (period, day, reason, updated_at) VALUES (?, ?, ?, ?);

-- name: SelectCalendarEntry
SELECT day, kind, name, source, provisional FROM calendar_entries WHERE day = ?;
