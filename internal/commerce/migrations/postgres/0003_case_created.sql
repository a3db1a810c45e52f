-- The case list's default order (newest first) reads this index instead of sorting every case.
CREATE INDEX purchase_cases_created ON purchase_cases (created_at, code);
