-- +goose Up
-- Instants are INTEGER milliseconds since the Unix epoch, UTC; calendar dates
-- are TEXT 'YYYY-MM-DD'; flags are INTEGER 0/1. Mobile numbers are stored only
-- sealed (mobile_enc), as a keyed hash for look-up (mobile_hash) and masked.
CREATE TABLE offices (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES offices (id),
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT '',
    path       TEXT NOT NULL DEFAULT '',
    suspended  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX offices_path ON offices (path);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    office_id     INTEGER NOT NULL REFERENCES offices (id),
    role          TEXT NOT NULL,
    status        TEXT NOT NULL,
    mobile_enc    BLOB,
    mobile_hash   BLOB,
    mobile_mask   TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX users_office ON users (office_id);

CREATE TABLE taxpayers (
    id           INTEGER PRIMARY KEY,
    identifier   TEXT NOT NULL UNIQUE,
    id_type      TEXT NOT NULL,
    name         TEXT NOT NULL,
    office_id    INTEGER NOT NULL REFERENCES offices (id),
    admin_id     INTEGER REFERENCES users (id),
    reg_status   TEXT NOT NULL,
    registered_on TEXT NOT NULL DEFAULT '',
    changed_on   TEXT NOT NULL DEFAULT '',
    cancelled_on TEXT NOT NULL DEFAULT '',
    industry     TEXT NOT NULL DEFAULT '',
    tax_types    TEXT NOT NULL DEFAULT '',
    remote_filer INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX taxpayers_name ON taxpayers (name);
CREATE INDEX taxpayers_office ON taxpayers (office_id, id);
CREATE INDEX taxpayers_admin ON taxpayers (admin_id, id);

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    taxpayer_id    INTEGER NOT NULL REFERENCES taxpayers (id) ON DELETE CASCADE,
    role           TEXT NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    mobile_enc     BLOB NOT NULL,
    mobile_hash    BLOB NOT NULL,
    mobile_mask    TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_since   INTEGER NOT NULL,
    status_channel TEXT NOT NULL,
    failures       INTEGER NOT NULL DEFAULT 0, -- messages failed in a row (R-15)
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (taxpayer_id, role)
);
CREATE INDEX contacts_mobile ON contacts (mobile_hash);

CREATE TABLE contact_events (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status      TEXT NOT NULL,
    channel     TEXT NOT NULL,
    mobile_mask TEXT NOT NULL
);
CREATE INDEX contact_events_contact ON contact_events (contact_id, at);

-- A contact's service history. A contact's first state lives in its own row
-- until it first changes: only then are its first state and the change
-- written to contact_events, which keeps bulk imports to one row a contact.
CREATE VIEW contact_history AS
SELECT contact_id, at, status, channel, mobile_mask FROM contact_events
UNION ALL
SELECT c.id, c.status_since, c.status, c.status_channel, c.mobile_mask FROM contacts c
WHERE NOT EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_id = c.id);

-- The outbox and the archive of every message sent or received. An MT
-- message moves scheduled → queued → sending → submitted → delivered or
-- failed; held, cancelled, expired and rejected are side exits. "sending"
-- means claimed by a node (claimed_by) until claim_until: a node that dies
-- leaves its claims to expire and be queued again. The timeline is
-- created_at, submitted_at and done_at, plus message_events for everything
-- else (retries, holds, cancels, errors).
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    direction       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    priority        INTEGER NOT NULL,
    mobile_enc      BLOB NOT NULL,
    mobile_hash     BLOB NOT NULL,
    mobile_mask     TEXT NOT NULL,
    taxpayer_id     INTEGER REFERENCES taxpayers (id),
    contact_id      INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    user_id         INTEGER REFERENCES users (id),
    office_id       INTEGER REFERENCES offices (id),
    author_id       INTEGER REFERENCES users (id),
    campaign_id     INTEGER,
    body            TEXT NOT NULL,
    coding          TEXT NOT NULL DEFAULT '',
    segments        INTEGER NOT NULL,
    status          TEXT NOT NULL,
    carrier         TEXT NOT NULL DEFAULT '',
    link            TEXT NOT NULL DEFAULT '',
    service_number  TEXT NOT NULL DEFAULT '', -- MO: the number it was sent to, extension included
    idempotency_key TEXT,
    error           TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    claimed_by      TEXT NOT NULL DEFAULT '',
    claim_until     INTEGER NOT NULL DEFAULT 0,
    not_before      INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    submitted_at    INTEGER NOT NULL DEFAULT 0,
    done_at         INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_idempotency ON messages (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_outbox ON messages (priority, id) WHERE status = 'queued';
CREATE INDEX messages_scheduled ON messages (not_before) WHERE status = 'scheduled';
CREATE INDEX messages_sending ON messages (claim_until) WHERE status = 'sending';
CREATE INDEX messages_taxpayer ON messages (taxpayer_id, id);
CREATE INDEX messages_office ON messages (office_id, id);
CREATE INDEX messages_mobile ON messages (mobile_hash, id);
CREATE INDEX messages_campaign ON messages (campaign_id) WHERE campaign_id IS NOT NULL;

CREATE TABLE message_events (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    status     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_events_message ON message_events (message_id, at);

-- One row per segment as the carrier accepted it, written with the submit
-- result; receipts find it by the carrier's id.
CREATE TABLE message_parts (
    message_id     INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    carrier        TEXT NOT NULL,
    carrier_msg_id TEXT NOT NULL,
    status         TEXT NOT NULL,
    error          TEXT NOT NULL DEFAULT '',
    done_at        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, seq)
);
CREATE INDEX message_parts_carrier ON message_parts (carrier_msg_id);

-- Status reports not (yet) matched to a part: those that overtook their
-- submit response, and those that match nothing (kept, never dropped).
CREATE TABLE receipts_pending (
    id             INTEGER PRIMARY KEY,
    carrier        TEXT NOT NULL,
    carrier_msg_id TEXT NOT NULL,
    link           TEXT NOT NULL,
    stat           TEXT NOT NULL,
    error          TEXT NOT NULL DEFAULT '',
    done_at        INTEGER NOT NULL DEFAULT 0,
    received_at    INTEGER NOT NULL,
    unmatched      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX receipts_pending_msg ON receipts_pending (carrier_msg_id);

-- Inbound PDUs, stored before they are acknowledged. A long MO is kept
-- fragment by fragment until it is whole (or times out), then stored once
-- as a message; fragments stay a while to drop late duplicates.
CREATE TABLE mo_fragments (
    id             INTEGER PRIMARY KEY,
    carrier        TEXT NOT NULL,
    carrier_msg_id TEXT NOT NULL,
    link           TEXT NOT NULL,
    sender_enc     BLOB NOT NULL,
    sender_hash    BLOB NOT NULL,
    recipient      TEXT NOT NULL,
    ref            INTEGER NOT NULL,
    total          INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    body           TEXT NOT NULL,
    received_at    INTEGER NOT NULL,
    message_id     INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    UNIQUE (carrier, carrier_msg_id)
);
CREATE INDEX mo_fragments_waiting ON mo_fragments (sender_hash, ref, total) WHERE message_id IS NULL;

-- +goose Down
DROP VIEW contact_history;
DROP TABLE mo_fragments;
DROP TABLE receipts_pending;
DROP TABLE message_parts;
DROP TABLE message_events;
DROP TABLE messages;
DROP TABLE contact_events;
DROP TABLE contacts;
DROP TABLE taxpayers;
DROP TABLE users;
DROP TABLE offices;
