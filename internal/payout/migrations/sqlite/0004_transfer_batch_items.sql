-- Every 総合振込 a transfer went in, with its itemId there: a transfer's 銀行への送信履歴 lists
-- its batches' requests too, after it was fixed and sent again.
CREATE TABLE transfer_batch_items (
	batch_id    TEXT NOT NULL,
	transfer_id TEXT NOT NULL,
	item_id     INTEGER NOT NULL,
	PRIMARY KEY (transfer_id, batch_id)
);
-- The room's settings an administrator chooses (e.g. execute_mode: bulk = まとめて, single = 1件ずつ).
CREATE TABLE payout_settings (
	key        TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at TIMESTAMP NOT NULL
);
