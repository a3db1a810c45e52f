-- Which request holds a running key, so a request that outlived StaleAfter cannot overwrite or
-- release the claim of the retry that took its key over.
ALTER TABLE api_idempotency_keys ADD COLUMN claim_id TEXT NOT NULL DEFAULT '';
