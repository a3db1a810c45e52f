-- Optimistic concurrency: every update sets version = version + 1 WHERE version = the one the
-- editor read, so two edits of the same record can't silently overwrite each other.
ALTER TABLE shops ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE customers ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE customer_cards ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE orders ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE purchase_cases ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE subscriptions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Indexes for the list pages' searches and sort orders.
CREATE INDEX purchase_cases_status_confirmed ON purchase_cases (status, confirmed_on);
CREATE INDEX purchase_cases_shop ON purchase_cases (shop_id);
CREATE INDEX purchase_cases_received ON purchase_cases (received_on);
CREATE INDEX orders_ordered ON orders (ordered_at);
CREATE INDEX orders_tracking ON orders (tracking_number);
CREATE INDEX subscriptions_shop ON subscriptions (shop_id);
CREATE INDEX subscriptions_card ON subscriptions (card_id);
CREATE INDEX customers_phone ON customers (phone);
