-- +goose Up
-- The service reports (Art. 9-14): their settings as the city administrator
-- keeps them in the console (one row; none means the defaults), and the
-- indexes their queries read by.
CREATE TABLE report_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    drive_start TEXT NOT NULL,    -- first day of the activation drive, 'YYYY-MM-DD'
    fail_run    INTEGER NOT NULL, -- failures in a row that put a number on the worklist
    fail_days   INTEGER NOT NULL, -- days without a delivery that put it there
    paid_within INTEGER NOT NULL, -- days after a notice within which paying counts
    updated_at  BIGINT NOT NULL
);

-- New registrations, changes and cancellations of a range of days.
CREATE INDEX taxpayers_registered ON taxpayers (registered_on);
CREATE INDEX taxpayers_changed ON taxpayers (changed_on) WHERE changed_on <> '';
CREATE INDEX taxpayers_cancelled ON taxpayers (cancelled_on) WHERE cancelled_on <> '';
-- Whether a taxpayer has an active contact.
CREATE INDEX contacts_active ON contacts (taxpayer_id) WHERE status = 'active';
-- The candidates of the failing numbers' worklist.
CREATE INDEX contacts_failing ON contacts (id) WHERE failures > 0;
-- A period's obligations and deductions, for the effect of reminders.
CREATE INDEX obligations_period ON obligations (period, taxpayer_id);
CREATE INDEX deductions_period ON deductions (period, taxpayer_id) WHERE result = 'failed';

-- +goose Down
DROP INDEX deductions_period;
DROP INDEX obligations_period;
DROP INDEX contacts_failing;
DROP INDEX contacts_active;
DROP INDEX taxpayers_cancelled;
DROP INDEX taxpayers_changed;
DROP INDEX taxpayers_registered;
DROP TABLE report_settings;
