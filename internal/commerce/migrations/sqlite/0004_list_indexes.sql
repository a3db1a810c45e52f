-- Lists stay O(page) at a million rows: every filter the 詳細検索 offers has an index that
-- also holds the default order's columns (so the page is read in order, never sorted), and
-- every sort has an index that ends with the unique tie-breaker (so keyset paging, after=ID,
-- starts at the right entry). query plans are checked in commerce's plan test.
DROP INDEX IF EXISTS orders_ordered;
DROP INDEX IF EXISTS orders_shop_ordered;
DROP INDEX IF EXISTS orders_customer;
DROP INDEX IF EXISTS orders_status;
CREATE INDEX orders_ordered_number ON orders (ordered_at, number);
CREATE INDEX orders_total_number ON orders (total, number);
CREATE INDEX orders_updated_number ON orders (updated_at, number);
CREATE INDEX orders_shop_ordered ON orders (shop_id, ordered_at, number);
CREATE INDEX orders_customer_ordered ON orders (customer_id, ordered_at, number);
CREATE INDEX orders_order_status_ordered ON orders (order_status, ordered_at, number);
CREATE INDEX orders_payment_status_ordered ON orders (payment_status, ordered_at, number);
CREATE INDEX orders_authorization_status_ordered ON orders (authorization_status, ordered_at, number);
CREATE INDEX orders_payment_method_ordered ON orders (payment_method, ordered_at, number);
CREATE INDEX orders_source_ordered ON orders (source, ordered_at, number);
DROP INDEX IF EXISTS orders_tracking;
DROP INDEX IF EXISTS orders_external_ref;
CREATE INDEX orders_tracking_ordered ON orders (tracking_number, ordered_at, number);
CREATE INDEX orders_external_ref_ordered ON orders (external_ref, ordered_at, number);

DROP INDEX IF EXISTS purchase_cases_received;
DROP INDEX IF EXISTS purchase_cases_shop;
DROP INDEX IF EXISTS purchase_cases_customer;
CREATE INDEX purchase_cases_confirmed_code ON purchase_cases (confirmed_on, code);
CREATE INDEX purchase_cases_received_code ON purchase_cases (received_on, code);
CREATE INDEX purchase_cases_amount_code ON purchase_cases (purchase_amount, code);
CREATE INDEX purchase_cases_kind_created ON purchase_cases (kind, created_at, code);
CREATE INDEX purchase_cases_status_created ON purchase_cases (status, created_at, code);
CREATE INDEX purchase_cases_shop_created ON purchase_cases (shop_id, created_at, code);
CREATE INDEX purchase_cases_customer_created ON purchase_cases (customer_id, created_at, code);

DROP INDEX IF EXISTS customers_name_kana;
CREATE INDEX customers_created_code ON customers (created_at, code);
CREATE INDEX customers_kana_code ON customers (name_kana, code);
CREATE INDEX customers_updated_id ON customers (updated_at, id);
CREATE INDEX customers_prefecture_created ON customers (prefecture, created_at, code);
