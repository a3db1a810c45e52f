-- One row per outgoing money call: written with its idempotency key in the same transaction as
-- the record's state change, before the call; the outcome is written back after it.
CREATE TABLE attempts (
	id               TEXT PRIMARY KEY,
	room             TEXT NOT NULL,
	record_type      TEXT NOT NULL,
	record_id        TEXT NOT NULL,
	operation        TEXT NOT NULL,
	idempotency_key  TEXT NOT NULL UNIQUE,
	state            TEXT NOT NULL, -- pending, succeeded, failed, unknown
	provider_code    TEXT NOT NULL DEFAULT '',
	provider_message TEXT NOT NULL DEFAULT '',
	request_summary  TEXT NOT NULL DEFAULT '',
	response_summary TEXT NOT NULL DEFAULT '',
	created_at       TIMESTAMPTZ NOT NULL,
	updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX attempts_record ON attempts (record_type, record_id, created_at);
CREATE INDEX attempts_open ON attempts (state, updated_at);
