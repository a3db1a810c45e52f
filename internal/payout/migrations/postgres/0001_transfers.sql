-- Bank transfers to sellers of purchase cases (振込). One transfer per case: a case is paid
-- once; a transfer that is deleted frees the case for a new one.
CREATE TABLE transfers (
	id                TEXT PRIMARY KEY,
	case_id           TEXT NOT NULL UNIQUE REFERENCES purchase_cases (id),
	customer_id       TEXT NOT NULL REFERENCES customers (id),
	source_account_id TEXT NOT NULL DEFAULT '', -- 振込元口座 (the bank's accountId), set at execution
	remitter_name     TEXT NOT NULL DEFAULT '', -- 振込元名義, empty = the account holder's name
	memo              TEXT NOT NULL DEFAULT '', -- internal only, never sent
	bank_code         TEXT NOT NULL,
	bank_name         TEXT NOT NULL DEFAULT '',
	branch_code       TEXT NOT NULL,
	branch_name       TEXT NOT NULL DEFAULT '',
	account_type      TEXT NOT NULL,
	account_number    TEXT NOT NULL,
	holder_kana       TEXT NOT NULL,            -- 全銀 half-width kana, ≤48
	amount            BIGINT NOT NULL,
	status            TEXT NOT NULL,
	reason            TEXT NOT NULL DEFAULT '', -- why キャンセル or エラー, shown as the warning mark's hover text
	apply_no          TEXT NOT NULL DEFAULT '', -- the bank's 16-digit applyNo
	bank_status       TEXT NOT NULL DEFAULT '', -- the bank's latest transferStatus code
	idempotency_key   TEXT NOT NULL DEFAULT '', -- of the current execution; a new one per execution
	attempt_id        TEXT NOT NULL DEFAULT '',
	designated_date   TEXT NOT NULL DEFAULT '', -- 振込指定日 YYYY-MM-DD
	requested_by      TEXT NOT NULL DEFAULT '',
	executed_by       TEXT NOT NULL DEFAULT '',
	executed_at       TIMESTAMPTZ,
	completed_at      TIMESTAMPTZ,
	checked_at        TIMESTAMPTZ,                -- last time the poller asked the bank
	created_at        TIMESTAMPTZ NOT NULL,
	updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX transfers_status ON transfers (status, updated_at);
CREATE INDEX transfers_customer ON transfers (customer_id);
CREATE INDEX transfers_apply_no ON transfers (apply_no);
