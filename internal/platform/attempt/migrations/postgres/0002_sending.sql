-- sent_at: when the call left (the attempt went pending → sending), so the janitor knows a
-- pending attempt was never sent and measures "too young to conclude" from the real send.
-- The idempotency key is no longer unique: a re-execution of a request the provider may hold
-- reuses its key (and reference) so the provider dedupes it.
ALTER TABLE attempts ADD COLUMN sent_at TIMESTAMPTZ;
ALTER TABLE attempts DROP CONSTRAINT attempts_idempotency_key_key;
CREATE INDEX attempts_key ON attempts (idempotency_key);
