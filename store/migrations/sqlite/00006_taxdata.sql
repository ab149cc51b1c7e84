-- +goose Up
-- Tax data from the core systems. An obligation is known by its taxpayer,
-- tax type and period ('2026-11', '2026Q3', '2025'); filings and payments
-- are gathered onto it (filed_on, amount_due; paid_on, amount_paid), so that
-- re-importing any of them changes nothing. Dates are TEXT 'YYYY-MM-DD', ''
-- when unknown (an obligation first seen in a filing has no deadlines yet);
-- amounts are integer fen.
CREATE TABLE obligations (
    id          INTEGER PRIMARY KEY,
    taxpayer_id INTEGER NOT NULL REFERENCES taxpayers (id) ON DELETE CASCADE,
    tax_type    TEXT NOT NULL,
    period      TEXT NOT NULL,
    filing_due  TEXT NOT NULL DEFAULT '',
    payment_due TEXT NOT NULL DEFAULT '',
    filed_on    TEXT NOT NULL DEFAULT '',
    amount_due  INTEGER NOT NULL DEFAULT 0,
    paid_on     TEXT NOT NULL DEFAULT '',
    amount_paid INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (taxpayer_id, tax_type, period)
);
-- The reminders' look-ups: not filed by a deadline (rules 1 and 2), filed
-- and not paid by a deadline (rule 3), each in taxpayer order for a date.
CREATE INDEX obligations_unfiled ON obligations (filing_due, taxpayer_id) WHERE filed_on = '';
CREATE INDEX obligations_unpaid ON obligations (payment_due, taxpayer_id) WHERE filed_on <> '' AND amount_due > amount_paid;

-- Treasury deduction results, known by the bank's serial number. A failed
-- one waits in deductions_unreminded until its reminder is planned.
CREATE TABLE deductions (
    id          INTEGER PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    taxpayer_id INTEGER NOT NULL REFERENCES taxpayers (id) ON DELETE CASCADE,
    tax_type    TEXT NOT NULL,
    period      TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    result      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    reminded_at INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX deductions_unreminded ON deductions (id) WHERE result = 'failed' AND reminded_at = 0;
CREATE INDEX deductions_taxpayer ON deductions (taxpayer_id, period);

-- +goose Down
DROP TABLE deductions;
DROP TABLE obligations;
