-- The invoice registry. The upsert is written with /*rows*/ … /*end*/
-- around the row of values, repeated for a batch.

-- name: UpsertInvoices
INSERT INTO invoices (code, number, kind, status, seller_name, seller_id, issued_on, amount, created_at, updated_at)
VALUES /*rows*/(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)/*end*/
ON CONFLICT (code, number) DO UPDATE
SET kind = excluded.kind, status = excluded.status, seller_name = excluded.seller_name,
    seller_id = excluded.seller_id, issued_on = excluded.issued_on, amount = excluded.amount,
    updated_at = excluded.updated_at
WHERE invoices.kind <> excluded.kind OR invoices.status <> excluded.status
   OR invoices.seller_name <> excluded.seller_name OR invoices.seller_id <> excluded.seller_id
   OR invoices.issued_on <> excluded.issued_on OR invoices.amount <> excluded.amount
RETURNING id;

-- name: MaxInvoiceID
SELECT COALESCE(MAX(id), 0) FROM invoices;

-- name: SelectInvoice
SELECT code, number, kind, status, seller_name, seller_id, issued_on, amount, updated_at
FROM invoices WHERE code = ? AND number = ?;
