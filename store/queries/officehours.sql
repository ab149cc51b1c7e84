-- name: SelectOfficeHours
-- The hours of the offices on a path, the nearest last.
SELECT o.path, h.hours FROM office_hours h JOIN offices o ON o.id = h.office_id
WHERE ? LIKE o.path || '%' ORDER BY LENGTH(o.path);

-- name: SelectOwnHours
SELECT hours FROM office_hours WHERE office_id = ?;

-- name: UpsertOfficeHours
INSERT INTO office_hours (office_id, hours, updated_at) VALUES (?, ?, ?)
ON CONFLICT (office_id) DO UPDATE SET hours = excluded.hours, updated_at = excluded.updated_at;

-- name: DeleteOfficeHours
DELETE FROM office_hours WHERE office_id = ?;
