-- +goose Up
-- Billing (MISSION R-16, Art. 16): tariffs, and counters of billable
-- messages kept exact as messages are submitted, so that a monthly
-- statement reads the counters, not the messages.
--
-- Days are numbers: days since 1970-01-01 of the day in the bureau's zone
-- (Asia/Shanghai, UTC+8 all year), so a message submitted at ms is counted
-- on day (ms + 28800000) / 86400000.
--
-- A tariff's price is in milli-yuan per segment, valid from valid_from to
-- valid_to, both included (valid_to 2932896, 9999-12-31, when open-ended).
CREATE TABLE billing_tariffs (
    id         INTEGER PRIMARY KEY,
    carrier    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    price      INTEGER NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_to   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX billing_tariffs_key ON billing_tariffs (carrier, kind, valid_from);

-- The billable MT messages and their segments, by day, office (a message
-- of no office counts for the root office), carrier and kind. The counters
-- are the truth of every day, closed months included.
CREATE TABLE billing_counters (
    day       INTEGER NOT NULL,
    office_id INTEGER NOT NULL,
    carrier   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    messages  INTEGER NOT NULL,
    segments  INTEGER NOT NULL,
    PRIMARY KEY (day, office_id, carrier, kind)
);

-- Months ("YYYY-MM") counted so far; closed_at non-zero once closed. A
-- transaction that counts into a month reads its row first (locking it
-- against a concurrent close on PostgreSQL).
CREATE TABLE billing_months (
    month     TEXT PRIMARY KEY,
    closed_at INTEGER NOT NULL DEFAULT 0,
    closed_by TEXT NOT NULL DEFAULT ''
);

-- The figures of a closed month, frozen when it closed (adjustment = 1
-- for the adjustments billed in it).
CREATE TABLE billing_closed_lines (
    month      TEXT NOT NULL,
    office_id  INTEGER NOT NULL,
    carrier    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    adjustment INTEGER NOT NULL,
    messages   INTEGER NOT NULL,
    segments   INTEGER NOT NULL,
    amount     INTEGER NOT NULL,
    unpriced   INTEGER NOT NULL,
    PRIMARY KEY (month, office_id, carrier, kind, adjustment)
);

-- Changes to a closed month's counters, billed in the first open month
-- after it (month), priced at the tariff of the day they belong to.
CREATE TABLE billing_adjustments (
    id         INTEGER PRIMARY KEY,
    month      TEXT NOT NULL,
    day        INTEGER NOT NULL,
    office_id  INTEGER NOT NULL,
    carrier    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    messages   INTEGER NOT NULL,
    segments   INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX billing_adjustments_month ON billing_adjustments (month);

-- The messages already submitted, counted.
INSERT INTO billing_counters (day, office_id, carrier, kind, messages, segments)
SELECT (submitted_at + 28800000) / 86400000,
       COALESCE(office_id, (SELECT MIN(id) FROM offices WHERE parent_id IS NULL), 0), carrier, kind, COUNT(*), SUM(segments)
FROM messages WHERE direction = 'mt' AND submitted_at <> 0
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE billing_adjustments;
DROP TABLE billing_closed_lines;
DROP TABLE billing_months;
DROP TABLE billing_counters;
DROP TABLE billing_tariffs;
