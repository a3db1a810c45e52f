-- 振込手数料 as the bank reported it in /transfer/status, for the accounting export. fee_apply_no
-- is the request it belongs to: after a re-execution an older request's fee is not this one's.
ALTER TABLE transfers ADD COLUMN fee BIGINT;
ALTER TABLE transfers ADD COLUMN fee_apply_no TEXT NOT NULL DEFAULT '';
-- When the transfer was last written to a 全銀 総合振込 file (paid through another bank): shown
-- beside it so nobody also executes it through the API.
ALTER TABLE transfers ADD COLUMN file_exported_at TIMESTAMP;
