-- The audit archive: append, read, prune. The chain itself is computed in Go
-- (package audit); these queries only move its rows.

-- name: InsertAudit
INSERT INTO audit_log (seq, at, actor_kind, actor_id, actor_login, actor_role, action,
    object_type, object_id, before_json, after_json, ip, user_agent, detail, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: SelectAuditLast
SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1;

-- name: SelectAuditAnchor
SELECT seq, hash FROM audit_anchor WHERE id = 1;

-- name: AuditColumns
SELECT seq, at, actor_kind, actor_id, actor_login, actor_role, action, object_type, object_id,
    before_json, after_json, ip, user_agent, detail, prev_hash, hash
FROM audit_log

-- name: SelectAuditAfter
SELECT seq, at, actor_kind, actor_id, actor_login, actor_role, action, object_type, object_id,
    before_json, after_json, ip, user_agent, detail, prev_hash, hash
FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?;

-- The first record kept by a prune: the oldest at or after the cutoff.
-- name: SelectAuditFirstKept
SELECT seq FROM audit_log WHERE at >= ? ORDER BY seq LIMIT 1;

-- name: SelectAuditHash
SELECT hash FROM audit_log WHERE seq = ?;

-- name: UpsertAuditAnchor
INSERT INTO audit_anchor (id, seq, hash, at) VALUES (1, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at;

-- name: DeleteAuditUpTo
DELETE FROM audit_log WHERE seq <= ?;
