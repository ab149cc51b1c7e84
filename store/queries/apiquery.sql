-- Pages of lists for the REST API.

-- name: SelectOfficesAfter
SELECT id, COALESCE(parent_id, 0), code, name, phone, address, path, suspended, created_at, updated_at
FROM offices
WHERE (? = '' OR path LIKE ?) AND (? = '' OR code = ?) AND path > ?
ORDER BY path
LIMIT ?;
