-- Stored responses of API requests sent with an Idempotency-Key header, per principal, kept
-- 24 hours. A row is 'running' while its first request is being served and 'done' after.
CREATE TABLE api_idempotency_keys (
	principal        TEXT NOT NULL,            -- "apikey:key_…" or "user:usr_…"
	idem_key         TEXT NOT NULL,
	request_hash     TEXT NOT NULL,            -- sha256 of method, path, principal and body
	method           TEXT NOT NULL,
	path             TEXT NOT NULL,
	state            TEXT NOT NULL,            -- running, done
	status_code      INTEGER NOT NULL DEFAULT 0,
	response_headers TEXT NOT NULL DEFAULT '', -- JSON object of the headers replayed
	response_body    BYTEA,
	created_at       TIMESTAMPTZ NOT NULL,
	completed_at     TIMESTAMPTZ,
	PRIMARY KEY (principal, idem_key)
);
CREATE INDEX api_idempotency_keys_created ON api_idempotency_keys (created_at);
