-- クロネコ代金後払い: one transaction per order at Yamato. order_id is NULL while a checkout's
-- credit runs (the order is created only for 与信OK) and for an approved credit whose order
-- was never created (the poller cancels those at Yamato). No foreign key to orders: the
-- transaction's history must outlive an order.
CREATE TABLE atobarai_transactions (
	id            TEXT PRIMARY KEY,
	order_id      TEXT UNIQUE,
	order_no      TEXT NOT NULL UNIQUE,        -- Yamato's 受注番号 (≤ 20 of [0-9A-Za-z_-])
	mode          TEXT NOT NULL,               -- api, csv: how the credit was asked for
	request       TEXT NOT NULL DEFAULT '',    -- the credit request (JSON), exactly what is sent
	total         BIGINT NOT NULL,             -- the amount Yamato bills now
	initial_total BIGINT NOT NULL,             -- the first approved amount (reductions stay below)
	credit        TEXT NOT NULL,               -- see CreditStates
	credit_result TEXT NOT NULL DEFAULT '',    -- Yamato's 審査結果 code, verbatim
	status        TEXT NOT NULL DEFAULT '',    -- KAAST0010 取引状況 code, verbatim
	warning       TEXT NOT NULL DEFAULT '',    -- KAAST0010 warning code, verbatim
	flipped       INTEGER NOT NULL DEFAULT 0,  -- 1: Yamato withdrew an approved credit (OK → NG)
	tracking_no   TEXT NOT NULL DEFAULT '',
	ship_date     TEXT NOT NULL DEFAULT '',    -- YYYY-MM-DD
	busy          TEXT NOT NULL DEFAULT '',    -- the operation in flight: credit, shipment, cancel, reduce
	attempt_id    TEXT NOT NULL DEFAULT '',
	op_args       TEXT NOT NULL DEFAULT '',    -- the in-flight or queued operation's request (JSON)
	queued_op     TEXT NOT NULL DEFAULT '',    -- an operation waiting for Yamato's follow-up window
	queued_until  TIMESTAMP,
	last_error    TEXT NOT NULL DEFAULT '',
	credited_at   TIMESTAMP,
	checked_at    TIMESTAMP,
	mail_sent_at  TIMESTAMP,
	created_at    TIMESTAMP NOT NULL,
	updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX atobarai_transactions_open ON atobarai_transactions (credit, status, checked_at);
CREATE INDEX atobarai_transactions_queued ON atobarai_transactions (queued_until);
