-- The merchant's records shared by every workflow room. Rooms add their own tables next to
-- these and reference them; they never change these columns' meaning.

CREATE TABLE shops (
	id         TEXT PRIMARY KEY,
	code       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);

-- Human-readable numbers (customer code, order number, case code) come from counters updated in
-- the same transaction as the insert, so they are gap-free per name and never reused.
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);

CREATE TABLE customers (
	id                  TEXT PRIMARY KEY,
	code                TEXT NOT NULL UNIQUE,
	name                TEXT NOT NULL,
	name_kana           TEXT NOT NULL DEFAULT '',
	email               TEXT NOT NULL DEFAULT '',
	phone               TEXT NOT NULL DEFAULT '',
	postal_code         TEXT NOT NULL DEFAULT '',
	prefecture          TEXT NOT NULL DEFAULT '',
	address1            TEXT NOT NULL DEFAULT '',
	address2            TEXT NOT NULL DEFAULT '',
	-- payout bank account (振込先口座)
	bank_code           TEXT NOT NULL DEFAULT '',
	bank_name           TEXT NOT NULL DEFAULT '',
	branch_code         TEXT NOT NULL DEFAULT '',
	branch_name         TEXT NOT NULL DEFAULT '',
	account_type        TEXT NOT NULL DEFAULT '',
	account_number      TEXT NOT NULL DEFAULT '',
	account_holder_kana TEXT NOT NULL DEFAULT '',
	note                TEXT NOT NULL DEFAULT '',
	created_at          TIMESTAMPTZ NOT NULL,
	updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX customers_name_kana ON customers (name_kana);
CREATE INDEX customers_email ON customers (email);

-- Stored card references (the card itself lives at the provider; we keep the handle).
CREATE TABLE customer_cards (
	id           TEXT PRIMARY KEY,
	customer_id  TEXT NOT NULL REFERENCES customers (id),
	provider     TEXT NOT NULL,
	member_id    TEXT NOT NULL,
	card_seq     TEXT NOT NULL DEFAULT '',
	masked_pan   TEXT NOT NULL DEFAULT '',
	expire_ym    TEXT NOT NULL DEFAULT '', -- YYMM as providers send it
	status       TEXT NOT NULL DEFAULT 'valid',
	created_at   TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL,
	UNIQUE (provider, member_id, card_seq)
);
CREATE INDEX customer_cards_customer ON customer_cards (customer_id);

CREATE TABLE orders (
	id                     TEXT PRIMARY KEY,
	number                 TEXT NOT NULL UNIQUE,
	shop_id                TEXT NOT NULL REFERENCES shops (id),
	customer_id            TEXT REFERENCES customers (id),
	source                 TEXT NOT NULL,            -- api, csv, manual, copy
	ordered_at             TIMESTAMPTZ NOT NULL,
	subtotal               BIGINT NOT NULL DEFAULT 0,
	tax                    BIGINT NOT NULL DEFAULT 0,
	shipping_fee           BIGINT NOT NULL DEFAULT 0,
	total                  BIGINT NOT NULL DEFAULT 0,
	payment_method         TEXT NOT NULL,
	order_status           TEXT NOT NULL,            -- 受注状態
	payment_status         TEXT NOT NULL,            -- 入金状況
	authorization_status   TEXT NOT NULL,            -- 承認状況
	authorized_on          TEXT NOT NULL DEFAULT '', -- 承認日 YYYY-MM-DD
	carrier                TEXT NOT NULL DEFAULT '',
	tracking_number        TEXT NOT NULL DEFAULT '',
	shipped_on             TEXT NOT NULL DEFAULT '',
	delivery_note_print_on TEXT NOT NULL DEFAULT '', -- 納品書印刷指示日
	parent_order_id        TEXT REFERENCES orders (id),
	cancel_type            TEXT NOT NULL DEFAULT '0', -- 0 none, 1 cancelled, 2 split, 3 merged into another slip
	merged_into_order_id   TEXT REFERENCES orders (id),
	external_ref           TEXT NOT NULL DEFAULT '', -- the provider's order number (e.g. Rakuten)
	ship_name              TEXT NOT NULL DEFAULT '',
	ship_postal_code       TEXT NOT NULL DEFAULT '',
	ship_address           TEXT NOT NULL DEFAULT '',
	ship_phone             TEXT NOT NULL DEFAULT '',
	note                   TEXT NOT NULL DEFAULT '',
	created_at             TIMESTAMPTZ NOT NULL,
	updated_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_shop_ordered ON orders (shop_id, ordered_at);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_status ON orders (order_status, payment_status);
CREATE INDEX orders_external_ref ON orders (external_ref);

CREATE TABLE order_lines (
	id         TEXT PRIMARY KEY,
	order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	line_no    INTEGER NOT NULL,
	sku        TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL,
	unit_price BIGINT NOT NULL,
	quantity   INTEGER NOT NULL,
	tax_rate   INTEGER NOT NULL DEFAULT 10, -- percent: 10 or 8 (軽減税率)
	amount     BIGINT NOT NULL,
	UNIQUE (order_id, line_no)
);

CREATE TABLE purchase_cases (
	id              TEXT PRIMARY KEY,
	code            TEXT NOT NULL UNIQUE,
	kind            TEXT NOT NULL,            -- takuhai (宅配買取), ippan (一般仕入)
	shop_id         TEXT NOT NULL REFERENCES shops (id),
	customer_id     TEXT NOT NULL REFERENCES customers (id),
	status          TEXT NOT NULL,
	received_on     TEXT NOT NULL DEFAULT '', -- 受付日
	confirmed_on    TEXT NOT NULL DEFAULT '', -- 買取確定日
	purchase_amount BIGINT NOT NULL DEFAULT 0,
	item_count      INTEGER NOT NULL DEFAULT 0,
	note            TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX purchase_cases_kind_status ON purchase_cases (kind, status, confirmed_on);
CREATE INDEX purchase_cases_customer ON purchase_cases (customer_id);

CREATE TABLE subscriptions (
	id              TEXT PRIMARY KEY,
	code            TEXT NOT NULL UNIQUE,
	shop_id         TEXT NOT NULL REFERENCES shops (id),
	customer_id     TEXT NOT NULL REFERENCES customers (id),
	card_id         TEXT REFERENCES customer_cards (id),
	product_name    TEXT NOT NULL DEFAULT '',
	amount          BIGINT NOT NULL,
	cycle_months    INTEGER NOT NULL DEFAULT 1,
	next_billing_on TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	note            TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX subscriptions_next_billing ON subscriptions (status, next_billing_on);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id);
