-- +goose Up
-- The service reports at a city's scale: indexes that hold what a report
-- reads, so that it reads no table row (or only the few it keeps).
-- A taxpayer's reminders of a kind, their key and outcome (the effect of
-- reminders looks them up for every taxpayer of a period). Broadcasts'
-- messages, never reminders, are left out: a city's broadcast need not
-- write them here. (campaign_id, always NULL, lets the look-ups read the
-- index alone.)
CREATE INDEX messages_reminders ON messages (taxpayer_id, kind, idempotency_key, status, campaign_id)
    WHERE idempotency_key IS NOT NULL AND campaign_id IS NULL;
-- The messages written by staff, in id order (supervision).
CREATE INDEX messages_authored ON messages (id) WHERE author_id IS NOT NULL;
-- A taxpayer's contacts' states (coverage, without service, the effect of
-- reminders).
CREATE INDEX contacts_state ON contacts (taxpayer_id, status);
-- Each office's taxpayers by registration (coverage, without service).
CREATE INDEX taxpayers_office_reg ON taxpayers (office_id, reg_status, registered_on);

-- +goose Down
DROP INDEX taxpayers_office_reg;
DROP INDEX contacts_state;
DROP INDEX messages_authored;
DROP INDEX messages_reminders;
