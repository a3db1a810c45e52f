-- One row per slip imported from Rakuten: the Rakuten order it came from and what the poll
-- last read and decided, so a repeated poll changes nothing.
CREATE TABLE rakutenpay_orders (
	order_id         TEXT PRIMARY KEY REFERENCES orders(id),
	shop_id          TEXT NOT NULL REFERENCES shops(id),
	rakuten_number   TEXT NOT NULL,
	settlement_code  INTEGER NOT NULL,
	rakuten_ordered_at TIMESTAMP NOT NULL,
	basis_at         TIMESTAMP NOT NULL,
	amount_changed_at TIMESTAMP,
	progress         INTEGER NOT NULL,
	payment_status   INTEGER NOT NULL DEFAULT 0,
	payment_ok_at    TIMESTAMP,
	rk_state         TEXT NOT NULL DEFAULT '',
	fingerprint      TEXT NOT NULL DEFAULT '',
	watch            BOOLEAN NOT NULL DEFAULT TRUE,
	manual_reason    TEXT NOT NULL DEFAULT '',
	cancel_state     TEXT NOT NULL DEFAULT '',
	cancel_reason    INTEGER NOT NULL DEFAULT 0,
	cancel_error     TEXT NOT NULL DEFAULT '',
	checked_at       TIMESTAMP NOT NULL,
	UNIQUE (shop_id, rakuten_number)
);
CREATE INDEX rakutenpay_orders_watch ON rakutenpay_orders (shop_id, watch, basis_at);
CREATE INDEX rakutenpay_orders_manual ON rakutenpay_orders (manual_reason) WHERE manual_reason <> '';
CREATE INDEX rakutenpay_orders_cancel ON rakutenpay_orders (cancel_state) WHERE cancel_state <> '';

-- Where each shop's import stands: the end of the last search that read every page.
CREATE TABLE rakutenpay_polls (
	shop_id      TEXT PRIMARY KEY REFERENCES shops(id),
	searched_to  TIMESTAMP,
	last_run_at  TIMESTAMP,
	last_ok_at   TIMESTAMP,
	last_error   TEXT NOT NULL DEFAULT '',
	imported     INTEGER NOT NULL DEFAULT 0,
	updated      INTEGER NOT NULL DEFAULT 0
);

-- Rakuten orders left out because their settlement method has no kessai payment method.
CREATE TABLE rakutenpay_unmapped (
	shop_id         TEXT NOT NULL REFERENCES shops(id),
	rakuten_number  TEXT NOT NULL,
	settlement_code INTEGER NOT NULL,
	settlement_name TEXT NOT NULL,
	seen_at         TIMESTAMP NOT NULL,
	PRIMARY KEY (shop_id, rakuten_number)
);

-- Room settings: 出荷可能 (the 入金状況 that let a slip go to printing).
CREATE TABLE rakutenpay_settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
