-- The case list's 顧客のフリガナ順 reads an index in its order: each case carries its customer's
-- kana (customer_kana), kept by triggers when a case is created or moved to another customer
-- and when a customer's kana changes, so the sort is (customer_kana, code) of the cases alone
-- instead of a sort of every case joined to its customer.
ALTER TABLE purchase_cases ADD COLUMN customer_kana TEXT NOT NULL DEFAULT '';
UPDATE purchase_cases SET customer_kana = COALESCE((SELECT name_kana FROM customers WHERE id = purchase_cases.customer_id), '');
CREATE INDEX purchase_cases_kana_code ON purchase_cases (customer_kana, code);

CREATE TRIGGER purchase_cases_kana_insert AFTER INSERT ON purchase_cases BEGIN
	UPDATE purchase_cases SET customer_kana = COALESCE((SELECT name_kana FROM customers WHERE id = new.customer_id), '')
	WHERE id = new.id;
END;

CREATE TRIGGER purchase_cases_kana_customer AFTER UPDATE OF customer_id ON purchase_cases BEGIN
	UPDATE purchase_cases SET customer_kana = COALESCE((SELECT name_kana FROM customers WHERE id = new.customer_id), '')
	WHERE id = new.id;
END;

CREATE TRIGGER customers_kana_cases AFTER UPDATE OF name_kana ON customers WHEN old.name_kana IS NOT new.name_kana BEGIN
	UPDATE purchase_cases SET customer_kana = new.name_kana WHERE customer_id = new.id;
END;
