-- One-time tokens of create forms: a row is written in the transaction that creates the record,
-- so a double click, a Back-and-resubmit or two concurrent posts of one form create one record;
-- the repeat finds path and lands on it. Rows older than a day are deleted as new ones come in.
CREATE TABLE form_tokens (
	token      TEXT PRIMARY KEY,
	principal  TEXT NOT NULL, -- "user:usr_…" of the first submit
	path       TEXT NOT NULL, -- the record the first submit created, e.g. /cases/case_…
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX form_tokens_created ON form_tokens (created_at);
