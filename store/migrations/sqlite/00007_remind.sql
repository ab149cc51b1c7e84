-- +goose Up
-- The working-day calendar as the city administrator keeps it: one entry a
-- day (a statutory holiday or a make-up working day), dates TEXT
-- 'YYYY-MM-DD'. No entry at all means the calendar embedded in the binary.
CREATE TABLE calendar_entries (
    day         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    provisional INTEGER NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);

-- Local adjustments of a filing deadline, by period ('2026-02', 'eit:2025').
CREATE TABLE deadline_overrides (
    period     TEXT PRIMARY KEY,
    day        TEXT NOT NULL,
    reason     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The automatic reminders' rules as edited in the console; a rule without a
-- row keeps the configuration's. roles and days are comma-separated lists,
-- send_at and until_at minutes after midnight.
CREATE TABLE reminder_rules (
    name        TEXT PRIMARY KEY,
    enabled     INTEGER NOT NULL,
    template_zh TEXT NOT NULL,
    template_en TEXT NOT NULL,
    roles       TEXT NOT NULL DEFAULT '',
    days        TEXT NOT NULL DEFAULT '',
    send_at     INTEGER NOT NULL,
    until_at    INTEGER NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE reminder_rules;
DROP TABLE deadline_overrides;
DROP TABLE calendar_entries;
