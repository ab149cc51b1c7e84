-- +goose Up
-- Connection slots of the carrier links, leased by the nodes sharing this
-- database so that a carrier's connection limit holds across them: a node
-- dials a session only while it holds one of the link's slots (0 to
-- max_connections-1). node is '' for a free slot; lease_until is in
-- milliseconds since the Unix epoch, and a slot whose lease has passed is
-- free again (its node died).
CREATE TABLE link_slots (
    link        TEXT NOT NULL,
    slot        INTEGER NOT NULL,
    node        TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (link, slot)
);

-- +goose Down
DROP TABLE link_slots;
