-- かんたん決済 (Recruit かんたん支払い and card through GMO-PG): one payment per order.
-- pg_order_id is GMO-PG's OrderID, fixed when the order is created, before any call.
CREATE TABLE kantan_payments (
	order_id      TEXT PRIMARY KEY REFERENCES orders (id),
	pay_type      TEXT NOT NULL,               -- GMO-PG PayType: O (Recruit), 0 (card)
	pg_order_id   TEXT NOT NULL UNIQUE,
	access_id     TEXT NOT NULL DEFAULT '',
	access_pass   TEXT NOT NULL DEFAULT '',
	job_cd        TEXT NOT NULL,               -- AUTH (仮売上→実売上) or CAPTURE (即時売上)
	status        TEXT NOT NULL,               -- see Statuses
	busy          TEXT NOT NULL DEFAULT '',    -- the operation in flight ('' none)
	pg_status     TEXT NOT NULL DEFAULT '',    -- GMO-PG's last known 取引状態
	amount        BIGINT NOT NULL,            -- the amount GMO-PG holds
	tax           BIGINT NOT NULL DEFAULT 0,
	points_only   BOOLEAN NOT NULL DEFAULT FALSE,  -- paid with Ponta points only
	auth_deadline TEXT NOT NULL DEFAULT '',    -- YYYY-MM-DD (JST), the authorization's last day
	captured_at   TIMESTAMPTZ,
	refund_owed   BOOLEAN NOT NULL DEFAULT FALSE,  -- cancelled after capture: refund by hand
	reason        TEXT NOT NULL DEFAULT '',    -- the last failure, in Japanese
	synced_at     TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX kantan_payments_status ON kantan_payments (status);

-- Result notifications as received (each applied by reading the trade back).
CREATE TABLE kantan_notifications (
	id          TEXT PRIMARY KEY,
	dedupe_key  TEXT NOT NULL UNIQUE,
	pg_order_id TEXT NOT NULL,
	status      TEXT NOT NULL,
	body        TEXT NOT NULL,
	received_at TIMESTAMPTZ NOT NULL
);

-- 設定 › 決済 › GMO-PG (one row).
CREATE TABLE kantan_settings (
	id            INTEGER PRIMARY KEY,
	job_cd        TEXT NOT NULL,
	extend_auth   BOOLEAN NOT NULL,
	ship_capture  BOOLEAN NOT NULL,
	capture_fail  TEXT NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);
