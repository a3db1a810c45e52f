-- A key belongs to the user who made it (empty for keys made by the CLI, which belong to the
-- installation): a disabled owner stops the key, a downgraded owner limits it. expires_at is
-- optional.
ALTER TABLE api_keys ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP;
