-- Bulk runs: one row per confirmed bulk action, one item row per record it acts on. The item
-- row's outcome is written in the same transaction as the action's own change, so a retried job
-- never processes an item twice.
CREATE TABLE bulk_runs (
	id             TEXT PRIMARY KEY,
	token          TEXT NOT NULL UNIQUE, -- the confirmation form's token: a double submit finds this row
	action         TEXT NOT NULL,
	record_type    TEXT NOT NULL,
	principal_kind TEXT NOT NULL,
	principal_id   TEXT NOT NULL,
	principal_name TEXT NOT NULL,
	principal_role TEXT NOT NULL,
	selection      TEXT NOT NULL,            -- ids or filter
	filter         TEXT NOT NULL DEFAULT '', -- the list's query string when selection = filter
	state          TEXT NOT NULL,            -- pending, running, finished, failed
	total          INTEGER NOT NULL,
	done           INTEGER NOT NULL DEFAULT 0,
	counts         TEXT NOT NULL DEFAULT '{}', -- JSON {outcome: count}
	error          TEXT NOT NULL DEFAULT '',
	created_at     TIMESTAMP NOT NULL,
	started_at     TIMESTAMP,
	finished_at    TIMESTAMP
);
CREATE INDEX bulk_runs_state ON bulk_runs (state, created_at);

CREATE TABLE bulk_run_items (
	run_id    TEXT NOT NULL REFERENCES bulk_runs (id),
	seq       INTEGER NOT NULL,
	record_id TEXT NOT NULL,
	outcome   TEXT NOT NULL DEFAULT '', -- '' until processed
	reason    TEXT NOT NULL DEFAULT '',
	done_at   TIMESTAMP,
	PRIMARY KEY (run_id, seq)
);
CREATE INDEX bulk_run_items_outcome ON bulk_run_items (run_id, outcome, record_id);
