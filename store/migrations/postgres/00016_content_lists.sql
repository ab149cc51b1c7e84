-- +goose Up
-- The lists of the content check (content.Lists) as the city administrator
-- edited them, one row a list (words, vocabulary, allow); a list with no
-- row is the embedded one. updated_by is the user who saved it (0: the
-- system).
CREATE TABLE content_lists (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE content_lists;
