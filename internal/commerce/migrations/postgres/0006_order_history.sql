-- What the rooms sent to providers about an order and what came back (the order's 履歴 tab).
CREATE TABLE order_history (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    at TIMESTAMPTZ NOT NULL,
    room TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_history_order ON order_history (order_id, at, id);
