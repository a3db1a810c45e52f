-- Per-job results for people: progress, counts, a short error and an optional result CSV.
CREATE TABLE job_runs (
	job_id      BIGINT PRIMARY KEY,
	kind        TEXT NOT NULL,
	done        BIGINT NOT NULL DEFAULT 0,
	total       BIGINT NOT NULL DEFAULT 0,
	counts_json TEXT NOT NULL DEFAULT '[]',
	note        TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	csv         BYTEA,
	csv_name    TEXT NOT NULL DEFAULT '',
	csv_size    BIGINT NOT NULL DEFAULT 0,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX job_runs_updated_at ON job_runs (updated_at);

-- The last business period each periodic job was enqueued for.
CREATE TABLE job_schedule (
	name        TEXT PRIMARY KEY,
	last_period TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);

-- One row per run of system.heartbeat: proves the queue works (top page, tests).
CREATE TABLE job_heartbeats (
	id      TEXT PRIMARY KEY,
	job_id  BIGINT NOT NULL,
	period  TIMESTAMPTZ,
	worker  TEXT NOT NULL,
	ran_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX job_heartbeats_ran_at ON job_heartbeats (ran_at);
