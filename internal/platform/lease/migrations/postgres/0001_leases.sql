-- A lease gives one process at a time a piece of work that must not run twice at once (e.g.
-- rotating a provider's refresh token). A holder that dies loses it when it expires.
CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	released   BOOLEAN NOT NULL DEFAULT FALSE
);
