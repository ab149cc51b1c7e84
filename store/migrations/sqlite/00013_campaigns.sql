-- +goose Up
-- Broadcasts (Art. 15, 17, 18): a campaign is one text sent to an audience
-- once checked and approved. Its audience is kept as JSON (taxsms.Audience);
-- expanded_upto is the last contact (or user, or list row) expanded into
-- the outbox, so that an expansion stopped half-way resumes after it.
CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    office_id        BIGINT NOT NULL REFERENCES offices (id),
    author_id        BIGINT REFERENCES users (id),
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    template         TEXT NOT NULL,
    audience         TEXT NOT NULL,
    state            TEXT NOT NULL,
    emergency        INTEGER NOT NULL DEFAULT 0,
    emergency_reason TEXT NOT NULL DEFAULT '',
    override_by      BIGINT REFERENCES users (id),
    override_reason  TEXT NOT NULL DEFAULT '',
    approved_by      BIGINT REFERENCES users (id),
    reject_reason    TEXT NOT NULL DEFAULT '',
    scheduled_at     BIGINT NOT NULL DEFAULT 0,
    festival         TEXT NOT NULL DEFAULT '',
    recipients       INTEGER NOT NULL DEFAULT 0,
    segments         INTEGER NOT NULL DEFAULT 0,
    expanded_upto    BIGINT NOT NULL DEFAULT 0,
    expanded         INTEGER NOT NULL DEFAULT 0,
    held             INTEGER NOT NULL DEFAULT 0, -- its waiting messages held outside working hours
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    started_at       BIGINT NOT NULL DEFAULT 0,
    completed_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_office ON campaigns (office_id, id);
CREATE INDEX campaigns_state ON campaigns (state, id);
-- A festival's greeting is prepared once per office.
CREATE UNIQUE INDEX campaigns_festival ON campaigns (office_id, festival) WHERE festival <> '';

-- A campaign's history: every change of state, who made it and why.
CREATE TABLE campaign_events (
    id          INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    state       TEXT NOT NULL,
    actor_id    BIGINT,
    actor       TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX campaign_events_campaign ON campaign_events (campaign_id, at);

-- Uploaded recipient lists: each row a taxpayer (by identifier) or a
-- number, sealed like every number.
CREATE TABLE recipient_lists (
    id         INTEGER PRIMARY KEY,
    office_id  BIGINT NOT NULL REFERENCES offices (id),
    author_id  BIGINT REFERENCES users (id),
    name       TEXT NOT NULL,
    taxpayers  INTEGER NOT NULL DEFAULT 0,
    numbers    INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE recipient_list_entries (
    list_id     BIGINT NOT NULL REFERENCES recipient_lists (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    taxpayer_id BIGINT REFERENCES taxpayers (id) ON DELETE CASCADE,
    mobile_enc  BLOB,
    mobile_hash BLOB,
    mobile_mask TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (list_id, seq)
);

-- Which broadcasts need approval, per office; an office without a row
-- takes the nearest office's above it (like working hours).
CREATE TABLE approval_rules (
    office_id          BIGINT PRIMARY KEY REFERENCES offices (id) ON DELETE CASCADE,
    always_approve     INTEGER NOT NULL,
    over_recipients    INTEGER NOT NULL,
    city_wide          INTEGER NOT NULL,
    emergency_approval INTEGER NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- Staff groups (e.g. 纳税服务科, 党员), for internal notices to a group.
CREATE TABLE user_groups (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
);
CREATE INDEX user_groups_name ON user_groups (name, user_id);

-- +goose Down
DROP TABLE user_groups;
DROP TABLE approval_rules;
DROP TABLE recipient_list_entries;
DROP TABLE recipient_lists;
DROP TABLE campaign_events;
DROP TABLE campaigns;
