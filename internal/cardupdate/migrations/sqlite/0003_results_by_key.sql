-- A run's results are written, updated and read only by (run_id, member_id), up to a million
-- at a time: keep them as one b-tree in that key's order (WITHOUT ROWID) instead of a table, its
-- key index and a card index — a third of the writes. The latest result of a card is
-- cardupdate_card_status (card_id → run_id), so the card index is not needed; that table is
-- keyed the same way.
CREATE TABLE cardupdate_results_new (
	run_id      TEXT NOT NULL REFERENCES cardupdate_runs (id),
	member_id   TEXT NOT NULL,
	card_id     TEXT NOT NULL,
	customer_id TEXT NOT NULL,
	card_seq    TEXT NOT NULL DEFAULT '',
	old_expire  TEXT NOT NULL DEFAULT '',
	result      INTEGER,
	change_kind INTEGER NOT NULL DEFAULT 0,
	new_expire  TEXT NOT NULL DEFAULT '',
	new_masked  TEXT NOT NULL DEFAULT '',
	err_info    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, member_id)
) WITHOUT ROWID;
INSERT INTO cardupdate_results_new SELECT run_id, member_id, card_id, customer_id, card_seq, old_expire, result,
	change_kind, new_expire, new_masked, err_info FROM cardupdate_results;
DROP TABLE cardupdate_results;
ALTER TABLE cardupdate_results_new RENAME TO cardupdate_results;

CREATE TABLE cardupdate_card_status_new (
	card_id    TEXT PRIMARY KEY,
	status     TEXT NOT NULL,
	run_id     TEXT NOT NULL, -- the latest run that checked the card
	updated_at TIMESTAMP NOT NULL
) WITHOUT ROWID;
INSERT INTO cardupdate_card_status_new SELECT card_id, status, run_id, updated_at FROM cardupdate_card_status;
DROP TABLE cardupdate_card_status;
ALTER TABLE cardupdate_card_status_new RENAME TO cardupdate_card_status;
CREATE INDEX cardupdate_card_status_status ON cardupdate_card_status (status);
