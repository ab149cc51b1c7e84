-- The service reports (Art. 9-14). {{SCOPE}} is the actor's scope and
-- {{SUBTREE}} the office filter, both written in by the store.

-- name: SelectReportSettings
SELECT drive_start, fail_run, fail_days, paid_within, updated_at FROM report_settings WHERE id = 1;

-- name: UpsertReportSettings
INSERT INTO report_settings (id, drive_start, fail_run, fail_days, paid_within, updated_at)
VALUES (1, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET drive_start = excluded.drive_start, fail_run = excluded.fail_run,
    fail_days = excluded.fail_days, paid_within = excluded.paid_within, updated_at = excluded.updated_at;

-- name: ReportCoverage
-- Per office: the taxpayers whose registration stands, and those of them
-- with at least one active contact, counted apart and added up, so that
-- the second is a semi-join (PostgreSQL hashes it; SQLite looks each
-- taxpayer up in contacts_state, reading the taxpayers from
-- taxpayers_office_reg). {{SCOPE}} and {{SUBTREE}} appear in each half.
SELECT office_id, SUM(taxpayers), SUM(covered)
FROM (
    SELECT t.office_id AS office_id, COUNT(*) AS taxpayers, 0 AS covered
    FROM taxpayers t
    WHERE t.reg_status <> 'cancelled' AND {{SCOPE}} AND {{SUBTREE}}
    GROUP BY t.office_id
    UNION ALL
    SELECT t.office_id, 0, COUNT(*)
    FROM taxpayers t
    WHERE t.reg_status <> 'cancelled' AND {{SCOPE}} AND {{SUBTREE}}
      AND EXISTS (SELECT 1 FROM contacts c WHERE c.taxpayer_id = t.id AND c.status = 'active')
    GROUP BY t.office_id
) x
GROUP BY office_id
ORDER BY office_id;

-- name: ReportRegistrations
-- The taxpayers registered from one day to another, and when the first
-- number of any of their contacts was entered (NULL if none yet): a
-- contact's first service event, which is its own row until it changes.
SELECT t.id, t.identifier, t.name, t.office_id, t.registered_on,
       (SELECT MIN(COALESCE((SELECT MIN(e.at) FROM contact_events e WHERE e.contact_id = c.id), c.status_since))
        FROM contacts c WHERE c.taxpayer_id = t.id)
FROM taxpayers t
WHERE t.registered_on >= ? AND t.registered_on <= ? AND {{SCOPE}} AND {{SUBTREE}}
ORDER BY t.registered_on, t.id;

-- name: ReportWithoutServiceCounts
-- Per office: the taxpayers registered before a day, not cancelled, with
-- no active contact.
SELECT t.office_id, COUNT(*)
FROM taxpayers t
WHERE t.reg_status <> 'cancelled' AND t.registered_on < ? AND {{SCOPE}} AND {{SUBTREE}}
  AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.taxpayer_id = t.id AND c.status = 'active')
GROUP BY t.office_id
ORDER BY t.office_id;

-- name: ReportWithoutService
-- The same taxpayers, a page at a time by id.
SELECT t.id, t.identifier, t.name, t.office_id, t.registered_on
FROM taxpayers t
WHERE t.reg_status <> 'cancelled' AND t.registered_on < ? AND t.id > ? AND {{SCOPE}} AND {{SUBTREE}}
  AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.taxpayer_id = t.id AND c.status = 'active')
ORDER BY t.id
LIMIT ?;

-- name: ReportRegistrationChanges
-- The changes and cancellations of tax registration from one day to
-- another, of taxpayers with a contact.
SELECT t.id, t.identifier, t.name, t.office_id, 'changed', t.changed_on
FROM taxpayers t
WHERE t.changed_on >= ? AND t.changed_on <= ? AND t.changed_on <> '' AND {{SCOPE}} AND {{SUBTREE}}
  AND EXISTS (SELECT 1 FROM contacts c WHERE c.taxpayer_id = t.id)
UNION ALL
SELECT t.id, t.identifier, t.name, t.office_id, 'cancelled', t.cancelled_on
FROM taxpayers t
WHERE t.cancelled_on >= ? AND t.cancelled_on <= ? AND t.cancelled_on <> '' AND {{SCOPE}} AND {{SUBTREE}}
  AND EXISTS (SELECT 1 FROM contacts c WHERE c.taxpayer_id = t.id)
ORDER BY 6, 1;

-- name: ReportServiceEvents
-- A taxpayer's contacts' service events, oldest first, and each contact's
-- state now (the view contact_history, read by taxpayer).
SELECT e.contact_id, e.at, e.status, c.status
FROM contact_events e JOIN contacts c ON c.id = e.contact_id
WHERE c.taxpayer_id = ?
UNION ALL
SELECT c.id, c.status_since, c.status, c.status
FROM contacts c
WHERE c.taxpayer_id = ? AND NOT EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_id = c.id)
ORDER BY 2, 1;

-- name: ReportReception
-- MT messages created in a range of ids and instants, by office, kind,
-- carrier and status, the four written as one key office|kind|carrier|status
-- (none of the three names holds a '|') that the store splits. PostgreSQL
-- only: SQLite reads ReportReceptionRows.
SELECT CAST(COALESCE(m.office_id, 0) AS TEXT) || '|' || m.kind || '|' || m.carrier || '|' || m.status,
       COUNT(*), COALESCE(SUM(m.segments), 0)
FROM messages m
WHERE m.id >= ? AND m.id < ? AND m.direction = 'mt' AND m.created_at >= ? AND m.created_at < ?
  AND {{SCOPE}} AND {{SUBTREE}}
GROUP BY 1;

-- name: ReportReceptionRows
-- The messages ReportReception groups, one row each, for an engine that
-- groups by sorting (SQLite), where summing them as they are read costs
-- less.
SELECT m.office_id, m.kind, m.carrier, m.status, m.segments
FROM messages m
WHERE m.id >= ? AND m.id < ? AND m.direction = 'mt' AND m.created_at >= ? AND m.created_at < ?
  AND {{SCOPE}} AND {{SUBTREE}};

-- name: ReportFailingCandidates
-- Contacts in service whose last message failed: the candidates of the
-- failing numbers' worklist.
SELECT c.id, c.taxpayer_id, c.role, c.name, c.mobile_enc, c.mobile_hash, c.status, t.identifier, t.name, t.office_id
FROM contacts c JOIN taxpayers t ON t.id = c.taxpayer_id
WHERE c.failures > 0 AND c.status IN ('active', 'pending') AND {{SCOPE}} AND {{SUBTREE}}
ORDER BY c.id;

-- name: ReportContactOutcomes
-- The last settled messages to a contact at its current number, newest
-- first.
SELECT m.status, m.error, m.created_at, m.done_at
FROM messages m
WHERE m.mobile_hash = ? AND m.contact_id = ? AND m.direction = 'mt'
  AND m.status IN ('delivered', 'failed', 'rejected', 'expired')
ORDER BY m.id DESC
LIMIT 200;

-- name: ReportSupervision
-- Messages written by staff, created in a range of ids and instants, in id
-- order.
SELECT COALESCE(m.office_id, 0), m.author_id, COALESCE(m.campaign_id, 0), m.kind, m.status, m.segments, m.created_at
FROM messages m
WHERE m.id >= ? AND m.id < ? AND m.direction = 'mt' AND m.author_id IS NOT NULL
  AND m.created_at >= ? AND m.created_at < ? AND {{SCOPE}} AND {{SUBTREE}}
ORDER BY m.id;

-- name: ReportAuthors
-- The login, name and office path of the users whose ids are written in
-- for {{IDS}}.
SELECT u.id, u.login, u.name, o.path
FROM users u JOIN offices o ON o.id = u.office_id
WHERE u.id IN ({{IDS}});

-- name: ReportReceptionDays
-- MT messages created in a range of ids and instants, by day in the
-- bureau's zone ({offset} its offset in milliseconds, written in by the
-- store): all, delivered, and failed, rejected or expired; by day.
SELECT (m.created_at + {offset}) / 86400000, COUNT(*),
       SUM(CASE WHEN m.status = 'delivered' THEN 1 ELSE 0 END),
       SUM(CASE WHEN m.status IN ('failed', 'rejected', 'expired') THEN 1 ELSE 0 END)
FROM messages m
WHERE m.id >= ? AND m.id < ? AND m.direction = 'mt' AND m.created_at >= ? AND m.created_at < ?
  AND {{SCOPE}} AND {{SUBTREE}}
GROUP BY 1
ORDER BY 1;

-- name: ReportCampaignFlags
-- The title, emergency and override of the broadcasts whose ids are
-- written in for {{IDS}}.
SELECT id, title, emergency, emergency_reason, override_by, override_reason
FROM campaigns
WHERE id IN ({{IDS}});

-- name: ReportEffectObligations
-- A period's obligations, in taxpayer order, with how far each reminder
-- kind reached the taxpayer for the period (2 delivered, 1 sent and not
-- delivered, 0 none; held and cancelled ones were never sent), packed as
-- filing_reminder + 3 × overdue_filing + 9 × unpaid_tax. A kind is
-- looked up only on the obligations its rule may be for (a filing
-- deadline; not filed by it; filed with tax left unpaid by the payment
-- deadline or paid after it) and is 0 on the others, so a taxpayer's reach
-- is the largest of its obligations' (dates compare as the text the store
-- writes, YYYY-MM-DD or ''). The look-ups read the covering index
-- messages_reminders (migration 00018), which leaves out broadcasts.
SELECT o.taxpayer_id, t.office_id, o.filing_due, o.filed_on, o.payment_due, o.paid_on, o.amount_due, o.amount_paid,
       CASE WHEN o.filing_due <> '' THEN
         (SELECT COALESCE(MAX(CASE WHEN m.status = 'delivered' THEN 2 WHEN m.status IN ('held', 'cancelled') THEN 0 ELSE 1 END), 0)
          FROM messages m WHERE m.taxpayer_id = o.taxpayer_id AND m.kind = 'filing_reminder' AND m.idempotency_key LIKE ? AND m.campaign_id IS NULL)
       ELSE 0 END
       + CASE WHEN o.filing_due <> '' AND (o.filed_on = '' OR o.filed_on > o.filing_due) THEN 3 *
         (SELECT COALESCE(MAX(CASE WHEN m.status = 'delivered' THEN 2 WHEN m.status IN ('held', 'cancelled') THEN 0 ELSE 1 END), 0)
          FROM messages m WHERE m.taxpayer_id = o.taxpayer_id AND m.kind = 'overdue_filing' AND m.idempotency_key LIKE ? AND m.campaign_id IS NULL)
       ELSE 0 END
       + CASE WHEN o.payment_due <> '' AND o.filed_on <> '' AND o.amount_due > 0
                   AND (o.amount_paid < o.amount_due OR o.paid_on > o.payment_due) THEN 9 *
         (SELECT COALESCE(MAX(CASE WHEN m.status = 'delivered' THEN 2 WHEN m.status IN ('held', 'cancelled') THEN 0 ELSE 1 END), 0)
          FROM messages m WHERE m.taxpayer_id = o.taxpayer_id AND m.kind = 'unpaid_tax' AND m.idempotency_key LIKE ? AND m.campaign_id IS NULL)
       ELSE 0 END
FROM obligations o JOIN taxpayers t ON t.id = o.taxpayer_id
WHERE o.period = ? AND {{SCOPE}} AND {{SUBTREE}}
ORDER BY o.taxpayer_id;

-- name: ReportEffectDeductions
-- A period's failed deductions, in taxpayer order, with the payment of
-- their obligation, the first success after them and how far the notice
-- reached the taxpayer (as above).
SELECT d.taxpayer_id, t.office_id, d.at, COALESCE(o.paid_on, ''), COALESCE(o.amount_due, 0), COALESCE(o.amount_paid, 0),
       (SELECT COALESCE(MIN(s.at), 0) FROM deductions s WHERE s.taxpayer_id = d.taxpayer_id AND s.tax_type = d.tax_type
        AND s.period = d.period AND s.result = 'success' AND s.at >= d.at),
       (SELECT COALESCE(MAX(CASE WHEN m.status = 'delivered' THEN 2 WHEN m.status IN ('held', 'cancelled') THEN 0 ELSE 1 END), 0)
        FROM messages m WHERE m.taxpayer_id = d.taxpayer_id AND m.kind = 'failed_deduction' AND m.idempotency_key LIKE ? AND m.campaign_id IS NULL)
FROM deductions d JOIN taxpayers t ON t.id = d.taxpayer_id
LEFT JOIN obligations o ON o.taxpayer_id = d.taxpayer_id AND o.tax_type = d.tax_type AND o.period = d.period
WHERE d.period = ? AND d.result = 'failed' AND {{SCOPE}} AND {{SUBTREE}}
ORDER BY d.taxpayer_id;

-- name: ReportEffectContacts
-- The best state of the contacts of the taxpayers whose ids are written in
-- for {{IDS}} (2 an active one, 1 one opted out, 0 neither; no row: no
-- contact), read from the covering index contacts_state.
SELECT c.taxpayer_id, MAX(CASE WHEN c.status = 'active' THEN 2 WHEN c.status = 'opted_out' THEN 1 ELSE 0 END)
FROM contacts c
WHERE c.taxpayer_id IN ({{IDS}})
GROUP BY c.taxpayer_id;
