-- The run store: what Nightjar records about every run. SQLite (the job's `state` file; by
-- default the same file as a SQLite sink, so predictions and runs can be joined directly).
-- Created and migrated by Nightjar (nightjar_meta.schema_version).

-- One row per run of a job for a logical date.
CREATE TABLE nightjar_runs (
    run_id TEXT PRIMARY KEY,          -- e.g. 20261129T040148-89fe4a; on every output row
    job TEXT NOT NULL,                -- job name
    logical_date TEXT NOT NULL,       -- YYYY-MM-DD
    trigger TEXT NOT NULL,            -- manual | schedule | backfill | retry
    status TEXT NOT NULL,             -- running | succeeded | failed | interrupted
    attempt INTEGER NOT NULL,         -- 1, then +1 each time the run is resumed
    scheduled_for TEXT,               -- cron fire time (ISO 8601, UTC) for scheduled runs
    started_at TEXT NOT NULL, ended_at TEXT,
    rows_read INTEGER NOT NULL, rows_scored INTEGER NOT NULL, rows_written INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    model_name TEXT, model_version TEXT, model_sha256 TEXT, model_path TEXT,
    source TEXT,                      -- input files
    sink TEXT,                        -- sqlite:PATH#TABLE or csv:PATH
    nightjar_version TEXT, host TEXT, pid INTEGER,
    error TEXT                        -- one line, for failed and interrupted runs
);

-- One row per committed chunk: the checkpoint a resumed run continues from. For SQLite sinks this
-- table also lives in the sink file and is written in the same transaction as the chunk's rows.
CREATE TABLE nightjar_chunks (
    run_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,           -- 0, 1, 2, …
    file_index INTEGER NOT NULL,      -- index in the run's sorted input files
    source_file TEXT NOT NULL,
    start_offset INTEGER NOT NULL,    -- byte offset of the chunk's first row
    end_offset INTEGER NOT NULL,      -- byte offset just past its last row
    end_line INTEGER NOT NULL,        -- line of the next row
    rows INTEGER NOT NULL,
    output_offset INTEGER,            -- CSV sinks: bytes of the output file after this chunk
    last_key TEXT,                    -- PostgreSQL sources: key of the last row (resume after it)
    committed_at TEXT NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (run_id, chunk)
);

-- Who runs a job for a date right now: one process per (job, logical_date).
CREATE TABLE nightjar_locks (
    job TEXT NOT NULL, logical_date TEXT NOT NULL,
    run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, acquired_at TEXT NOT NULL,
    PRIMARY KEY (job, logical_date)
);

-- In a SQLite sink: replace_partition runs whose rows were swapped into the output table.
CREATE TABLE nightjar_publications (
    run_id TEXT PRIMARY KEY, logical_date TEXT NOT NULL, table_name TEXT NOT NULL, published_at TEXT NOT NULL
);

-- Output tables (sink.sqlite.table) have, in order: the key column(s) (or `row`), the prediction
-- columns (probability / probability_K / label / prediction / margin…), then on every row:
--   logical_date TEXT, run_id TEXT, model_name TEXT, model_version TEXT, model_sha256 TEXT
-- Which model produced a number:
--   SELECT s.*, r.model_path, r.started_at FROM churn_scores s JOIN nightjar_runs r USING (run_id);

-- Runs split with --shard i/n: one row per shard (schema version 3; nightjar_chunks then also
-- carries `shard`, part of its primary key (run_id, shard, chunk)).
CREATE TABLE nightjar_shards (
    run_id TEXT NOT NULL, shard INTEGER NOT NULL, shards INTEGER NOT NULL,
    status TEXT NOT NULL,             -- running | succeeded | failed | interrupted
    rows INTEGER NOT NULL, chunks INTEGER NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
    started_at TEXT NOT NULL, ended_at TEXT, error TEXT,
    PRIMARY KEY (run_id, shard)
);

-- In PostgreSQL (state: postgres) the same tables live in schema `nightjar` (nightjar.runs,
-- nightjar.chunks, nightjar.locks, nightjar.shards, nightjar.publications, nightjar.schema_migrations),
-- with date and timestamptz columns.
