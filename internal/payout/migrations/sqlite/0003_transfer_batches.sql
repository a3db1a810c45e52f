-- 総合振込 (one /bulktransfer/request for many transfers, approved once at the bank). A batch
-- is the request; its transfers keep their own status, set from the bank's per-item results.
CREATE TABLE transfer_batches (
	id                TEXT PRIMARY KEY,
	attempt_id        TEXT NOT NULL,            -- the bulk request's attempt (one per batch)
	data_name         TEXT NOT NULL,            -- transferDataName sent: how the resolver finds a lost request
	source_account_id TEXT NOT NULL,
	designated_date   TEXT NOT NULL,
	item_count        INTEGER NOT NULL,
	total_amount      BIGINT NOT NULL,
	status            TEXT NOT NULL,            -- a transfer status code: sending, awaiting_approval, completed, failed, cancelled
	apply_no          TEXT NOT NULL DEFAULT '',
	bank_status       TEXT NOT NULL DEFAULT '',
	reason            TEXT NOT NULL DEFAULT '',
	executed_by       TEXT NOT NULL DEFAULT '',
	checked_at        TIMESTAMP,
	created_at        TIMESTAMP NOT NULL,
	updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX transfer_batches_status ON transfer_batches (status, updated_at);
-- The batch a transfer was last sent in, and its itemId there (empty / 0 when sent alone).
ALTER TABLE transfers ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';
ALTER TABLE transfers ADD COLUMN batch_item INTEGER NOT NULL DEFAULT 0;
CREATE INDEX transfers_batch ON transfers (batch_id);
