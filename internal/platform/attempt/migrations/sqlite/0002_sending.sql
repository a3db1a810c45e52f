-- sent_at: when the call left (the attempt went pending → sending), so the janitor knows a
-- pending attempt was never sent and measures "too young to conclude" from the real send.
-- The idempotency key is no longer unique: a re-execution of a request the provider may hold
-- reuses its key (and reference) so the provider dedupes it. SQLite cannot drop a UNIQUE
-- constraint, so the table is rebuilt.
CREATE TABLE attempts_new (
	id               TEXT PRIMARY KEY,
	room             TEXT NOT NULL,
	record_type      TEXT NOT NULL,
	record_id        TEXT NOT NULL,
	operation        TEXT NOT NULL,
	idempotency_key  TEXT NOT NULL,
	state            TEXT NOT NULL, -- pending, sending, succeeded, failed, unknown
	provider_code    TEXT NOT NULL DEFAULT '',
	provider_message TEXT NOT NULL DEFAULT '',
	request_summary  TEXT NOT NULL DEFAULT '',
	response_summary TEXT NOT NULL DEFAULT '',
	created_at       TIMESTAMP NOT NULL,
	updated_at       TIMESTAMP NOT NULL,
	sent_at          TIMESTAMP
);
INSERT INTO attempts_new (id, room, record_type, record_id, operation, idempotency_key, state, provider_code,
	provider_message, request_summary, response_summary, created_at, updated_at)
	SELECT id, room, record_type, record_id, operation, idempotency_key, state, provider_code,
	provider_message, request_summary, response_summary, created_at, updated_at FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_new RENAME TO attempts;
CREATE INDEX attempts_record ON attempts (record_type, record_id, created_at);
CREATE INDEX attempts_open ON attempts (state, updated_at);
CREATE INDEX attempts_key ON attempts (idempotency_key);
