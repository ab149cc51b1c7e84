-- +goose Up
-- The numbers that more than one contact holds, which a broadcast's count
-- must look at one by one to remove its duplicates. SQLite keeps them as
-- the contacts change (its writers take turns, so each trigger sees every
-- other contact), and a count reads them rather than grouping every
-- contact's number. PostgreSQL groups them when asked (a view).
CREATE TABLE shared_numbers (
    mobile_hash BLOB PRIMARY KEY
) WITHOUT ROWID;

INSERT INTO shared_numbers (mobile_hash)
SELECT mobile_hash FROM contacts GROUP BY mobile_hash HAVING COUNT(*) > 1;

-- +goose StatementBegin
CREATE TRIGGER contacts_shared_insert AFTER INSERT ON contacts
WHEN EXISTS (SELECT 1 FROM contacts WHERE mobile_hash = NEW.mobile_hash AND id <> NEW.id)
BEGIN
    INSERT OR IGNORE INTO shared_numbers (mobile_hash) VALUES (NEW.mobile_hash);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER contacts_shared_update AFTER UPDATE OF mobile_hash ON contacts
WHEN OLD.mobile_hash IS NOT NEW.mobile_hash
BEGIN
    INSERT OR IGNORE INTO shared_numbers (mobile_hash)
    SELECT NEW.mobile_hash WHERE EXISTS (SELECT 1 FROM contacts WHERE mobile_hash = NEW.mobile_hash AND id <> NEW.id);
    DELETE FROM shared_numbers WHERE mobile_hash = OLD.mobile_hash
        AND (SELECT COUNT(*) FROM (SELECT 1 FROM contacts WHERE mobile_hash = OLD.mobile_hash LIMIT 2)) < 2;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER contacts_shared_delete AFTER DELETE ON contacts
BEGIN
    DELETE FROM shared_numbers WHERE mobile_hash = OLD.mobile_hash
        AND (SELECT COUNT(*) FROM (SELECT 1 FROM contacts WHERE mobile_hash = OLD.mobile_hash LIMIT 2)) < 2;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER contacts_shared_delete;
DROP TRIGGER contacts_shared_update;
DROP TRIGGER contacts_shared_insert;
DROP TABLE shared_numbers;
