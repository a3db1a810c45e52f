-- Free-text customer search from an index: an FTS5 table with the trigram tokenizer holds each
-- customer's searchable text (name, kana, code, email, phone digits, joined by U+001F so no
-- match spans two fields), kept by triggers; a quoted phrase of three characters or more is a
-- substring match answered by the index (customerText falls back to LIKE for shorter text).
-- The FTS row shares the customer's rowid (kept by the triggers) and carries the customer's id,
-- which the search returns, so a lookup never depends on rowids lining up.
CREATE VIRTUAL TABLE customers_fts USING fts5(body, id UNINDEXED, tokenize = 'trigram');

INSERT INTO customers_fts (rowid, id, body)
SELECT rowid, id, name || char(31) || name_kana || char(31) || code || char(31) || email || char(31) || replace(phone, '-', '')
FROM customers;

CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
	INSERT INTO customers_fts (rowid, id, body) VALUES (new.rowid, new.id,
		new.name || char(31) || new.name_kana || char(31) || new.code || char(31) || new.email || char(31) || replace(new.phone, '-', ''));
END;

CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
	DELETE FROM customers_fts WHERE rowid = old.rowid;
END;

CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, name_kana, code, email, phone ON customers BEGIN
	UPDATE customers_fts SET id = new.id, body =
		new.name || char(31) || new.name_kana || char(31) || new.code || char(31) || new.email || char(31) || replace(new.phone, '-', '')
	WHERE rowid = new.rowid;
END;
