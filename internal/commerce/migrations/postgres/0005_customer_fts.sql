-- Free-text customer search from an index: pg_trgm GIN indexes on exactly the expressions
-- customerText's LIKEs compare, so '%text%' (three characters or more) is a bitmap index scan.
-- Where the extension cannot be created (a role without the right, a server without contrib)
-- the migration still applies and the search scans, as before.
DO $$
BEGIN
	CREATE EXTENSION IF NOT EXISTS pg_trgm;
	CREATE INDEX customers_name_trgm ON customers USING gin (LOWER(name) gin_trgm_ops);
	CREATE INDEX customers_kana_trgm ON customers USING gin (name_kana gin_trgm_ops);
	CREATE INDEX customers_code_trgm ON customers USING gin (LOWER(code) gin_trgm_ops);
	CREATE INDEX customers_email_trgm ON customers USING gin (LOWER(email) gin_trgm_ops);
	CREATE INDEX customers_phone_trgm ON customers USING gin (REPLACE(phone, '-', '') gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
	RAISE NOTICE 'pg_trgm is not available (%): customer free-text search will scan', SQLERRM;
END
$$;
