-- +goose Up
-- Consultations, complaints and reports received by SMS that staff answer.
-- The sender's number is stored as the other tables store numbers: sealed,
-- as a keyed hash for look-up, and masked. number is "TS-20261203-0007":
-- the type's prefix, the day (Shanghai) and the sequence of that day, which
-- ticket_days hands out.
CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    mobile_enc  BLOB NOT NULL,
    mobile_hash BLOB NOT NULL,
    mobile_mask TEXT NOT NULL,
    taxpayer_id BIGINT REFERENCES taxpayers (id),
    office_id   BIGINT NOT NULL REFERENCES offices (id),
    assignee_id BIGINT REFERENCES users (id),
    mo_id       BIGINT REFERENCES messages (id),
    reply_id    BIGINT REFERENCES messages (id),
    text        TEXT NOT NULL,
    answer      TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    due_at      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    answered_at BIGINT NOT NULL DEFAULT 0,
    closed_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tickets_office ON tickets (office_id, status);
CREATE INDEX tickets_status_due ON tickets (status, due_at);
CREATE INDEX tickets_assignee ON tickets (assignee_id);
CREATE INDEX tickets_mobile ON tickets (mobile_hash);

-- The last sequence number handed out per prefix and day.
CREATE TABLE ticket_days (
    prefix TEXT NOT NULL,
    day    TEXT NOT NULL,
    last   BIGINT NOT NULL,
    PRIMARY KEY (prefix, day)
);

-- +goose Down
DROP TABLE ticket_days;
DROP TABLE tickets;
