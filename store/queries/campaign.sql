-- name: CampaignColumns
SELECT c.id, c.office_id, COALESCE(c.author_id, 0), c.kind, c.title, c.template, c.audience, c.state, c.emergency,
       c.emergency_reason, COALESCE(c.override_by, 0), c.override_reason, COALESCE(c.approved_by, 0), c.reject_reason,
       c.scheduled_at, c.festival, c.recipients, c.segments, c.created_at, c.updated_at, c.started_at, c.completed_at,
       c.expanded_upto, c.expanded, c.held
FROM campaigns c JOIN offices o ON o.id = c.office_id;

-- name: InsertCampaign
INSERT INTO campaigns (office_id, author_id, kind, title, template, audience, state, emergency, emergency_reason,
                       scheduled_at, festival, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: InsertCampaignEvent
INSERT INTO campaign_events (campaign_id, at, state, actor_id, actor, detail) VALUES (?, ?, ?, ?, ?, ?);

-- name: SelectCampaignEvents
SELECT at, state, COALESCE(actor_id, 0), actor, detail FROM campaign_events WHERE campaign_id = ? ORDER BY at, id;

-- name: SelectApprovalRules
-- The rules of the offices on a path, the nearest last.
SELECT o.path, r.always_approve, r.over_recipients, r.city_wide, r.emergency_approval
FROM approval_rules r JOIN offices o ON o.id = r.office_id
WHERE ? LIKE o.path || '%' ORDER BY LENGTH(o.path);

-- name: UpsertApprovalRule
INSERT INTO approval_rules (office_id, always_approve, over_recipients, city_wide, emergency_approval, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (office_id) DO UPDATE SET always_approve = excluded.always_approve, over_recipients = excluded.over_recipients,
    city_wide = excluded.city_wide, emergency_approval = excluded.emergency_approval, updated_at = excluded.updated_at;

-- name: DeleteApprovalRule
DELETE FROM approval_rules WHERE office_id = ?;

-- name: InsertRecipientList
INSERT INTO recipient_lists (office_id, author_id, name, taxpayers, numbers, created_at)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: InsertRecipientListEntry
INSERT INTO recipient_list_entries (list_id, seq, taxpayer_id, mobile_enc, mobile_hash, mobile_mask) VALUES (?, ?, ?, ?, ?, ?);

-- name: SelectRecipientList
SELECT l.id, l.office_id, COALESCE(l.author_id, 0), l.name, l.taxpayers, l.numbers, l.created_at
FROM recipient_lists l JOIN offices o ON o.id = l.office_id
WHERE l.id = ?;

-- name: DeleteUserGroups
DELETE FROM user_groups WHERE user_id = ?;

-- name: InsertUserGroup
INSERT INTO user_groups (user_id, name) VALUES (?, ?);

-- name: SelectUserGroups
SELECT name FROM user_groups WHERE user_id = ? ORDER BY name;

-- name: SelectSuspendedOffices
-- Every office suspended, or below one that is.
SELECT o.id FROM offices o WHERE EXISTS (SELECT 1 FROM offices s WHERE s.suspended = 1 AND o.path LIKE s.path || '%');

-- name: SelectCampaignProgress
SELECT status, COUNT(*), COALESCE(SUM(segments), 0) FROM messages WHERE campaign_id = ? GROUP BY status;

-- name: SelectCampaignReport
SELECT m.office_id, o.name, m.carrier, SUBSTR(m.mobile_mask, 1, 3), m.status, COUNT(*), COALESCE(SUM(m.segments), 0)
FROM messages m JOIN offices o ON o.id = m.office_id
WHERE m.campaign_id = ?
GROUP BY m.office_id, o.name, m.carrier, SUBSTR(m.mobile_mask, 1, 3), m.status;

-- name: CountCampaignWaiting
SELECT COUNT(*) FROM messages WHERE campaign_id = ? AND status IN ('scheduled', 'queued', 'held', 'sending');

-- name: SelectCampaignsInStates
SELECT id FROM campaigns WHERE state IN ('scheduled', 'sending', 'paused') ORDER BY id;
