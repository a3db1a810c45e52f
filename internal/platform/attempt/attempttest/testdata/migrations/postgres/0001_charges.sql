CREATE TABLE test_charges (
	id         TEXT PRIMARY KEY,
	amount     BIGINT NOT NULL,
	status     TEXT NOT NULL,
	attempt_id TEXT NOT NULL DEFAULT '',
	ref        TEXT NOT NULL DEFAULT ''
);
