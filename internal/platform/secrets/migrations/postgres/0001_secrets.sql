CREATE TABLE provider_settings (
	provider     TEXT NOT NULL,
	shop_id      TEXT NOT NULL DEFAULT '',
	public_json  TEXT NOT NULL DEFAULT '{}',
	secrets_json TEXT NOT NULL DEFAULT '{}',
	updated_at   TIMESTAMPTZ NOT NULL,
	updated_by   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (provider, shop_id)
);
