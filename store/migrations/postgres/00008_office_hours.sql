-- +goose Up
-- An office's working hours (seed Art. 15: manual messages go in working
-- hours), as calendar.ParseSessions reads them: "08:30-12:00,13:30-17:30".
-- An office with no row works the hours of the nearest office above it that
-- has one, or the default.
CREATE TABLE office_hours (
    office_id  BIGINT PRIMARY KEY REFERENCES offices (id) ON DELETE CASCADE,
    hours      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE office_hours;
