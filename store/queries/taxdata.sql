-- Tax data: obligations (with the filings and payments gathered onto them)
-- and treasury deductions. The upserts are written with /*rows*/ … /*end*/
-- around the row of values, repeated for a batch.

-- name: UpsertObligations
INSERT INTO obligations (taxpayer_id, tax_type, period, filing_due, payment_due, created_at, updated_at)
VALUES /*rows*/(?, ?, ?, ?, ?, ?, ?)/*end*/
ON CONFLICT (taxpayer_id, tax_type, period) DO UPDATE
SET filing_due = excluded.filing_due, payment_due = excluded.payment_due, updated_at = excluded.updated_at
WHERE obligations.filing_due <> excluded.filing_due OR obligations.payment_due <> excluded.payment_due
RETURNING id, taxpayer_id, period;

-- name: UpsertFilings
INSERT INTO obligations (taxpayer_id, tax_type, period, filed_on, amount_due, created_at, updated_at)
VALUES /*rows*/(?, ?, ?, ?, ?, ?, ?)/*end*/
ON CONFLICT (taxpayer_id, tax_type, period) DO UPDATE
SET filed_on = excluded.filed_on, amount_due = excluded.amount_due, updated_at = excluded.updated_at
WHERE obligations.filed_on <> excluded.filed_on OR obligations.amount_due <> excluded.amount_due
RETURNING id, taxpayer_id, period;

-- name: UpsertPayments
INSERT INTO obligations (taxpayer_id, tax_type, period, paid_on, amount_paid, created_at, updated_at)
VALUES /*rows*/(?, ?, ?, ?, ?, ?, ?)/*end*/
ON CONFLICT (taxpayer_id, tax_type, period) DO UPDATE
SET paid_on = excluded.paid_on, amount_paid = excluded.amount_paid, updated_at = excluded.updated_at
WHERE obligations.paid_on <> excluded.paid_on OR obligations.amount_paid <> excluded.amount_paid
RETURNING id, taxpayer_id, period;

-- name: UpsertDeductions
INSERT INTO deductions (reference, taxpayer_id, tax_type, period, amount, result, reason, at, created_at, updated_at)
VALUES /*rows*/(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)/*end*/
ON CONFLICT (reference) DO UPDATE
SET taxpayer_id = excluded.taxpayer_id, tax_type = excluded.tax_type, period = excluded.period,
    amount = excluded.amount, result = excluded.result, reason = excluded.reason, at = excluded.at,
    updated_at = excluded.updated_at
WHERE deductions.taxpayer_id <> excluded.taxpayer_id OR deductions.tax_type <> excluded.tax_type
   OR deductions.period <> excluded.period OR deductions.amount <> excluded.amount
   OR deductions.result <> excluded.result OR deductions.reason <> excluded.reason OR deductions.at <> excluded.at
RETURNING id, taxpayer_id, period;

-- name: MaxObligationID
SELECT COALESCE(MAX(id), 0) FROM obligations;

-- name: MaxDeductionID
SELECT COALESCE(MAX(id), 0) FROM deductions;

-- name: ObligationColumns
SELECT o.taxpayer_id, o.tax_type, o.period, o.filing_due, o.payment_due, o.filed_on, o.amount_due,
       o.paid_on, o.amount_paid, o.created_at, o.updated_at
FROM obligations o JOIN taxpayers t ON t.id = o.taxpayer_id

-- name: DeductionColumns
SELECT d.id, d.reference, d.taxpayer_id, d.tax_type, d.period, d.amount, d.result, d.reason, d.at, d.reminded_at
FROM deductions d JOIN taxpayers t ON t.id = d.taxpayer_id

-- name: WaitingReminderTaxpayers
-- Which of a batch's taxpayers have reminders of the given kinds waiting to
-- be sent (by the index of messages on taxpayer_id).
SELECT DISTINCT taxpayer_id FROM messages
WHERE taxpayer_id IN (/*rows*/?/*end*/) AND status IN ('scheduled', 'queued', 'held') AND kind IN (?, ?);

-- name: OpenFilings
SELECT COUNT(*) FROM obligations WHERE taxpayer_id = ? AND period = ? AND filed_on = '' AND filing_due <> '';

-- name: OpenPayments
SELECT COUNT(*) FROM obligations WHERE taxpayer_id = ? AND period = ? AND filed_on <> '' AND amount_due > amount_paid;

-- name: OpenDeductions
-- Failed deductions of a taxpayer and period that neither a later success of
-- the same tax nor a payment of the obligation has made moot.
SELECT COUNT(*) FROM deductions d
WHERE d.taxpayer_id = ? AND d.period = ? AND d.result = 'failed'
  AND NOT EXISTS (SELECT 1 FROM deductions s WHERE s.taxpayer_id = d.taxpayer_id AND s.period = d.period
                  AND s.tax_type = d.tax_type AND s.result = 'success' AND s.at > d.at)
  AND NOT EXISTS (SELECT 1 FROM obligations o WHERE o.taxpayer_id = d.taxpayer_id AND o.tax_type = d.tax_type
                  AND o.period = d.period AND o.paid_on <> '' AND o.amount_paid >= o.amount_due);

-- name: CancelReminders
-- The waiting reminders of a kind for a taxpayer and period, found by the
-- taxpayer and their idempotency key remind/<rule>/<period>/<taxpayer>/<contact>.
UPDATE messages SET status = 'cancelled', updated_at = ?, done_at = ?, error = ?
WHERE taxpayer_id = ? AND status IN ('scheduled', 'queued', 'held') AND kind = ?
  AND idempotency_key LIKE ?;

-- name: MarkDeductionsReminded
UPDATE deductions SET reminded_at = ? WHERE reminded_at = 0 AND id IN (/*rows*/?/*end*/);

-- name: SelectUnfiled
-- The unfiled obligations due on a day of the taxpayers in a range
-- (after, upto], each with its taxpayer and one of the taxpayer's active
-- contacts, in taxpayer order. The range bounds every table, so that no
-- engine plans a join that scans a table from its start. (Few columns:
-- each costs a call per row. Offices are few and read apart.)
SELECT o.taxpayer_id, o.tax_type, o.period, t.name, t.office_id, c.id, c.role, c.name, c.mobile_enc
FROM obligations o
JOIN taxpayers t ON t.id = o.taxpayer_id
JOIN contacts c ON c.taxpayer_id = o.taxpayer_id AND c.status = 'active'
WHERE o.filed_on = '' AND o.filing_due = ? AND o.taxpayer_id > ? AND o.taxpayer_id <= ?
  AND t.id > ? AND t.id <= ? AND c.taxpayer_id > ? AND c.taxpayer_id <= ? AND {{SCOPE}}
ORDER BY o.taxpayer_id

-- name: BoundUnfiled
-- The taxpayer of the n-th unfiled obligation due on a day after a
-- taxpayer: the upper end of a page.
SELECT taxpayer_id FROM obligations
WHERE filed_on = '' AND filing_due = ? AND taxpayer_id > ?
ORDER BY taxpayer_id LIMIT 1 OFFSET ?

-- name: SelectUnpaid
-- The filed and unpaid obligations whose payment is due on a day, as
-- SelectUnfiled, and what remains to be paid.
SELECT o.taxpayer_id, o.tax_type, o.period, t.name, t.office_id, c.id, c.role, c.name, c.mobile_enc,
       o.amount_due - o.amount_paid
FROM obligations o
JOIN taxpayers t ON t.id = o.taxpayer_id
JOIN contacts c ON c.taxpayer_id = o.taxpayer_id AND c.status = 'active'
WHERE o.filed_on <> '' AND o.amount_due > o.amount_paid AND o.payment_due = ? AND o.taxpayer_id > ? AND o.taxpayer_id <= ?
  AND t.id > ? AND t.id <= ? AND c.taxpayer_id > ? AND c.taxpayer_id <= ? AND {{SCOPE}}
ORDER BY o.taxpayer_id

-- name: BoundUnpaid
SELECT taxpayer_id FROM obligations
WHERE filed_on <> '' AND amount_due > amount_paid AND payment_due = ? AND taxpayer_id > ?
ORDER BY taxpayer_id LIMIT 1 OFFSET ?

-- name: SelectFailedDeductions
-- Failed deductions whose reminder is not yet planned, with the taxpayer's
-- active contacts (none: one row with NULL contact), unless a later
-- deduction of the same tax succeeded or the obligation is paid.
SELECT d.id, d.reference, d.taxpayer_id, d.tax_type, d.period, d.amount, d.result, d.reason, d.at,
       t.name, t.office_id, c.id, c.role, c.name, c.mobile_enc
FROM deductions d
JOIN taxpayers t ON t.id = d.taxpayer_id
LEFT JOIN contacts c ON c.taxpayer_id = d.taxpayer_id AND c.status = 'active'
WHERE d.result = 'failed' AND d.reminded_at = 0 AND d.id > ? AND {{SCOPE}}
  AND NOT EXISTS (SELECT 1 FROM deductions s WHERE s.taxpayer_id = d.taxpayer_id AND s.period = d.period
                  AND s.tax_type = d.tax_type AND s.result = 'success' AND s.at > d.at)
  AND NOT EXISTS (SELECT 1 FROM obligations o WHERE o.taxpayer_id = d.taxpayer_id AND o.tax_type = d.tax_type
                  AND o.period = d.period AND o.paid_on <> '' AND o.amount_paid >= o.amount_due)
ORDER BY d.id
LIMIT ?

-- name: SelectOfficeContacts
SELECT id, name, phone FROM offices;

-- name: CancelMootFilingReminders
-- Waiting reminders to file for a period whose taxpayer has nothing left to
-- file for it.
UPDATE messages SET status = 'cancelled', updated_at = ?, done_at = ?, error = ?
WHERE id >= ? AND status IN ('scheduled', 'queued', 'held') AND kind IN ('filing_reminder', 'overdue_filing')
  AND idempotency_key LIKE ? AND taxpayer_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM obligations o WHERE o.taxpayer_id = messages.taxpayer_id AND o.period = ?
                  AND o.filed_on = '' AND o.filing_due <> '');

-- name: CancelMootUnpaidReminders
UPDATE messages SET status = 'cancelled', updated_at = ?, done_at = ?, error = ?
WHERE id >= ? AND status IN ('scheduled', 'queued', 'held') AND kind = 'unpaid_tax'
  AND idempotency_key LIKE ? AND taxpayer_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM obligations o WHERE o.taxpayer_id = messages.taxpayer_id AND o.period = ?
                  AND o.filed_on <> '' AND o.amount_due > o.amount_paid);

-- name: CancelMootDeductionReminders
UPDATE messages SET status = 'cancelled', updated_at = ?, done_at = ?, error = ?
WHERE id >= ? AND status IN ('scheduled', 'queued', 'held') AND kind = 'failed_deduction'
  AND idempotency_key LIKE ? AND taxpayer_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM deductions d WHERE d.taxpayer_id = messages.taxpayer_id AND d.period = ?
                  AND d.result = 'failed'
                  AND NOT EXISTS (SELECT 1 FROM deductions s WHERE s.taxpayer_id = d.taxpayer_id AND s.period = d.period
                                  AND s.tax_type = d.tax_type AND s.result = 'success' AND s.at > d.at)
                  AND NOT EXISTS (SELECT 1 FROM obligations o WHERE o.taxpayer_id = d.taxpayer_id AND o.tax_type = d.tax_type
                                  AND o.period = d.period AND o.paid_on <> '' AND o.amount_paid >= o.amount_due));
