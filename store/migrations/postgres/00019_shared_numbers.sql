-- +goose Up
-- The numbers that more than one contact holds, which a broadcast's count
-- must look at one by one to remove its duplicates. PostgreSQL groups them
-- when asked: a table kept by triggers would miss a number two
-- transactions give to two contacts at once, neither seeing the other's.
-- (SQLite, whose writers take turns, keeps a table.)
CREATE VIEW shared_numbers AS
SELECT mobile_hash FROM contacts GROUP BY mobile_hash HAVING COUNT(*) > 1;

-- +goose Down
DROP VIEW shared_numbers;
