-- +goose Up
-- The sweep expires waiting messages past their expiry every second; without
-- this index it read every queued message to find them.
CREATE INDEX messages_expiry ON messages (expires_at) WHERE status IN ('queued', 'scheduled') AND expires_at <> 0;

-- +goose Down
DROP INDEX messages_expiry;
