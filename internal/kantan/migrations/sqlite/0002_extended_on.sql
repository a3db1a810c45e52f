-- The day of the last オーソリ期間延長 (JST): one extension a day, so a retried request never extends twice.
ALTER TABLE kantan_payments ADD COLUMN extended_on TEXT NOT NULL DEFAULT '';
