-- +goose Up
-- The knowledge base of tax questions answered by SMS (kb.Entry). The
-- question is the natural key that `taxsms import faq` upserts by;
-- keywords are stored joined by "、".
CREATE TABLE kb_entries (
    id         INTEGER PRIMARY KEY,
    question   TEXT NOT NULL UNIQUE,
    answer     TEXT NOT NULL,
    keywords   TEXT NOT NULL DEFAULT '',
    category   TEXT NOT NULL DEFAULT '',
    enabled    INTEGER NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE kb_entries;
