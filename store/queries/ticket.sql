-- name: NextTicketNumber
-- The next sequence number of a prefix on a day, handed out atomically.
INSERT INTO ticket_days (prefix, day, last) VALUES (?, ?, 1)
ON CONFLICT (prefix, day) DO UPDATE SET last = ticket_days.last + 1
RETURNING last;

-- name: InsertTicket
INSERT INTO tickets (number, type, status, mobile_enc, mobile_hash, mobile_mask, taxpayer_id, office_id, assignee_id,
                     mo_id, text, due_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: TicketColumns
SELECT k.id, k.number, k.type, k.status, k.mobile_enc, COALESCE(k.taxpayer_id, 0), k.office_id,
       COALESCE(k.assignee_id, 0), COALESCE(k.mo_id, 0), COALESCE(k.reply_id, 0), k.text, k.answer, k.note, k.due_at, k.created_at,
       k.answered_at, k.closed_at
FROM tickets k

-- name: SelectTicketOwner
-- What a write check needs: the office's path and the taxpayer's administrator.
SELECT o.path, COALESCE(t.admin_id, 0) FROM tickets k JOIN offices o ON o.id = k.office_id
LEFT JOIN taxpayers t ON t.id = k.taxpayer_id WHERE k.id = ?;

-- name: SelectAssignee
-- A user who may be put in charge of a ticket: active, and the path of the office.
SELECT o.path, u.status FROM users u JOIN offices o ON o.id = u.office_id WHERE u.id = ?;

-- name: AssignTicket
UPDATE tickets SET assignee_id = ? WHERE id = ?;

-- name: AnswerTicket
UPDATE tickets SET status = 'answered', answer = ?, reply_id = ?, answered_at = ? WHERE id = ? AND status = 'open';

-- name: CloseTicket
UPDATE tickets SET status = 'closed', note = ?, closed_at = ? WHERE id = ? AND status <> 'closed';
