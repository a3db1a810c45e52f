-- The daily billing run's charges: one per subscription and due date. The GMO OrderID is fixed
-- when the row is written, before any call, so every retry and SearchTrade uses the same one.
CREATE TABLE cardupdate_charges (
	id              TEXT PRIMARY KEY,
	subscription_id TEXT NOT NULL,
	due_on          TEXT NOT NULL,             -- YYYY-MM-DD, the subscription's next_billing_on
	order_id        TEXT NOT NULL UNIQUE,      -- GMO-PG OrderID (≤27)
	card_id         TEXT NOT NULL DEFAULT '',
	member_id       TEXT NOT NULL DEFAULT '',
	card_seq        TEXT NOT NULL DEFAULT '',
	amount          BIGINT NOT NULL,
	status          TEXT NOT NULL,             -- pending, charging, charged, failed, skipped
	reason          TEXT NOT NULL DEFAULT '',
	tran_id         TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	UNIQUE (subscription_id, due_on)
);
CREATE INDEX cardupdate_charges_status ON cardupdate_charges (status);
