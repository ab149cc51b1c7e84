-- name: SelectReminderRules
SELECT name, enabled, template_zh, template_en, roles, days, send_at, until_at FROM reminder_rules ORDER BY name;

-- name: SelectReminderRule
SELECT name, enabled, template_zh, template_en, roles, days, send_at, until_at FROM reminder_rules WHERE name = ?;

-- name: DeleteReminderRule
DELETE FROM reminder_rules WHERE name = ?;

-- name: InsertReminderRule
INSERT INTO reminder_rules (name, enabled, template_zh, template_en, roles, days, send_at, until_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);
