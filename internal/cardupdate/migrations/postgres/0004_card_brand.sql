-- What GMO-PG said about a card when it was registered here (commerce keeps only the masked
-- number and expiry): the brand shown on the customer page.
CREATE TABLE cardupdate_card_info (
	card_id    TEXT PRIMARY KEY,
	brand      TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
