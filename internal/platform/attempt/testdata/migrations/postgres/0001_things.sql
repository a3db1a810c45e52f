CREATE TABLE attempt_things (id TEXT PRIMARY KEY, status TEXT NOT NULL);
