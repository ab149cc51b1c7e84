-- name: InsertTaxpayer
INSERT INTO taxpayers (identifier, id_type, name, office_id, admin_id, reg_status, registered_on, changed_on,
                       cancelled_on, industry, tax_types, remote_filer, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: UpdateTaxpayer
UPDATE taxpayers SET identifier = ?, id_type = ?, name = ?, office_id = ?, admin_id = ?, reg_status = ?,
       registered_on = ?, changed_on = ?, cancelled_on = ?, industry = ?, tax_types = ?, remote_filer = ?,
       updated_at = ?
WHERE id = ?;

-- name: UpdateTaxpayerIfChanged
UPDATE taxpayers SET id_type = ?, name = ?, office_id = ?, admin_id = ?, reg_status = ?,
       registered_on = ?, changed_on = ?, cancelled_on = ?, industry = ?, tax_types = ?, remote_filer = ?,
       updated_at = ?
WHERE id = ? AND (id_type <> ? OR name <> ? OR office_id <> ? OR COALESCE(admin_id, 0) <> ? OR reg_status <> ?
       OR registered_on <> ? OR changed_on <> ? OR cancelled_on <> ? OR industry <> ? OR tax_types <> ?
       OR remote_filer <> ?);

-- name: TaxpayerColumns
SELECT t.id, t.identifier, t.id_type, t.name, t.office_id, COALESCE(t.admin_id, 0), t.reg_status, t.registered_on,
       t.changed_on, t.cancelled_on, t.industry, t.tax_types, t.remote_filer, t.created_at, t.updated_at
FROM taxpayers t

-- name: SelectTaxpayerIdentifiers
SELECT identifier, id FROM taxpayers;
