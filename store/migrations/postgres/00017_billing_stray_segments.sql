-- +goose Up
-- Segments a carrier accepted of a message that was not sent whole that
-- time (the link failed, or the carrier refused a later segment, and the
-- message was retried, failed over or failed), and the segments of a
-- submission whose outcome came after another had already been recorded
-- (a claim that lapsed while its node still sent). The carrier bills them;
-- the message's own parts (message_parts) are those of the submission that
-- marked it submitted. billing_counters count them (segments, no message)
-- on the day recorded_at falls in the bureau's zone.
CREATE TABLE billing_stray_segments (
    message_id     BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    carrier        TEXT NOT NULL,
    carrier_msg_id TEXT NOT NULL,
    link           TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    recorded_at    BIGINT NOT NULL,
    PRIMARY KEY (message_id, carrier, carrier_msg_id, seq)
);

-- +goose Down
DROP TABLE billing_stray_segments;
