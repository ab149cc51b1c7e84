-- name: SelectContentLists
SELECT name, body, updated_at, updated_by FROM content_lists;

-- name: SelectContentListsVersion
SELECT COALESCE(MAX(updated_at), 0), COUNT(*) FROM content_lists;

-- name: UpsertContentList
INSERT INTO content_lists (name, body, updated_at, updated_by) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by;

-- name: DeleteContentList
DELETE FROM content_lists WHERE name = ?;
