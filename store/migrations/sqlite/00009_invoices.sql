-- +goose Up
-- The invoice registry that answers SMS invoice checks, fed by import and
-- the API. An invoice is known by its code and number; a fully digitised
-- invoice (数电票) has code '' and a 20-digit number, so one unique key
-- serves both. kind and status hold the values of package invoice; dates
-- are TEXT 'YYYY-MM-DD'; the amount (total with tax) is integer fen.
CREATE TABLE invoices (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL,
    number      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    seller_name TEXT NOT NULL,
    seller_id   TEXT NOT NULL DEFAULT '',
    issued_on   TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (code, number)
);

-- +goose Down
DROP TABLE invoices;
