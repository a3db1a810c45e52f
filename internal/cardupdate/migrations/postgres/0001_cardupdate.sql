-- Monthly card update (自動洗替) through GMO-PG. No foreign keys to customer_cards: a card
-- deleted later must not be blocked by its history.
CREATE TABLE cardupdate_runs (
	id            TEXT PRIMARY KEY,
	month         TEXT NOT NULL UNIQUE,        -- YYYYMM (JST) the request is for
	status        TEXT NOT NULL,               -- see RunStatuses
	file_name     TEXT NOT NULL DEFAULT '',
	targets       INTEGER NOT NULL DEFAULT 0,
	ok_count      INTEGER NOT NULL DEFAULT 0,
	invalid_count INTEGER NOT NULL DEFAULT 0,
	mismatch_count INTEGER NOT NULL DEFAULT 0,
	input_error_count INTEGER NOT NULL DEFAULT 0,
	reason        TEXT NOT NULL DEFAULT '',    -- why it failed, in Japanese
	uploaded_at   TIMESTAMPTZ,
	applied_at    TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);

-- One row per card sent; result is NULL until the result file is applied.
CREATE TABLE cardupdate_results (
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
);
CREATE INDEX cardupdate_results_card ON cardupdate_results (card_id);

-- The latest 洗替 result of each card (absent: 未実施). Subscriptions read it through card_id.
CREATE TABLE cardupdate_card_status (
	card_id    TEXT PRIMARY KEY,
	status     TEXT NOT NULL,
	run_id     TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX cardupdate_card_status_status ON cardupdate_card_status (status);

-- The schedule: one row (id 1).
CREATE TABLE cardupdate_settings (
	id          INTEGER PRIMARY KEY,
	submit_day  INTEGER NOT NULL,
	result_day  INTEGER NOT NULL,
	deadline_days INTEGER NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);
