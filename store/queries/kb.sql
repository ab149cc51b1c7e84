-- name: SelectKBEntries
SELECT id, question, answer, keywords, category, enabled, updated_at FROM kb_entries ORDER BY id;

-- name: SelectKBEntry
SELECT id, question, answer, keywords, category, enabled, updated_at FROM kb_entries WHERE id = ?;

-- name: SelectKBEntryByQuestion
SELECT id, question, answer, keywords, category, enabled, updated_at FROM kb_entries WHERE question = ?;

-- name: InsertKBEntry
INSERT INTO kb_entries (question, answer, keywords, category, enabled, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: UpdateKBEntry
UPDATE kb_entries SET question = ?, answer = ?, keywords = ?, category = ?, enabled = ?, updated_at = ?
WHERE id = ?;

-- name: DeleteKBEntry
DELETE FROM kb_entries WHERE id = ?;
