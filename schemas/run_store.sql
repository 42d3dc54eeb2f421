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
    error TEXT,                       -- one line, for failed and interrupted runs
    bundle_path TEXT,                 -- the bundle directory the model came from (NULL for a bare model file)
    model_alias TEXT,                 -- the alias the job named (churn@champion → champion), resolved at the start
    rows_rejected INTEGER NOT NULL DEFAULT 0,  -- rows that broke the input contract (in nightjar_rejects, not scored)
    prediction_psi REAL,              -- PSI of the predictions against the bundle's training reference
    drift_status TEXT,                -- ok | warn | fail (NULL without reference statistics)
    stats TEXT,                       -- the run's merged statistics (JSON), for reports
    active_seconds REAL               -- seconds the run's attempts worked, summed (a resumed run's downtime excluded)
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
    shard INTEGER NOT NULL DEFAULT 0, -- 1-based shard of a sharded run, 0 otherwise
    rows_rejected INTEGER NOT NULL DEFAULT 0,  -- of `rows`, those that broke the input contract
    stats TEXT,                       -- statistics of the chunk's scored rows (JSON), committed with it
    PRIMARY KEY (run_id, shard, chunk)
);

-- Who runs a job for a date right now: one process per (job, logical_date); a shard's lock is
-- named `job#shardI/N`. The holder renews its lease (schema version 7) every quarter of it; a lock
-- whose lease expired, or whose process on this host is gone, is taken over by the next run.
-- In PostgreSQL the session's advisory lock is the lease: heartbeat_at and expires_at stay NULL.
CREATE TABLE nightjar_locks (
    job TEXT NOT NULL, logical_date TEXT NOT NULL,
    run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, acquired_at TEXT NOT NULL,
    heartbeat_at TEXT,                -- last renewal of the lease
    expires_at TEXT,                  -- the lease runs until then (NIGHTJAR_LOCK_LEASE_SECONDS, default 60)
    PRIMARY KEY (job, logical_date)
);

-- What happened to a lock other than being taken and released, oldest first: takeover (a run took
-- the lock of a holder that was gone) | unlock (nightjar unlock, holder gone) | force_unlock
-- (nightjar unlock --force, holder possibly alive). The holder's fields are as the lock row had them.
CREATE TABLE nightjar_lock_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, job TEXT NOT NULL, logical_date TEXT NOT NULL,
    action TEXT NOT NULL, run_id TEXT, holder_host TEXT, holder_pid INTEGER, holder_since TEXT, holder_expires_at TEXT,
    by_host TEXT NOT NULL, by_pid INTEGER NOT NULL, by_user TEXT, reason TEXT
);

-- In a SQLite sink: replace_partition runs that published their rows.
CREATE TABLE nightjar_publications (
    run_id TEXT PRIMARY KEY, logical_date TEXT NOT NULL, table_name TEXT NOT NULL, published_at TEXT NOT NULL
);

-- In a SQLite sink: where every output row comes from, once per (output table, run, model): the
-- champion, a split's challenger and each shadow challenger of a run have one row each.
CREATE TABLE nightjar_lineage (
    id INTEGER PRIMARY KEY,           -- its rows are rowids id * 2^32 … id * 2^32 + 2^32 - 1 of the rows table
    table_name TEXT NOT NULL,         -- the output view (sink.sqlite.table, or <table>_shadow)
    logical_date TEXT NOT NULL, run_id TEXT NOT NULL,
    model_name TEXT NOT NULL, model_version TEXT NOT NULL, model_sha256 TEXT NOT NULL,
    state TEXT NOT NULL               -- staged (being written, invisible) | published | retired (replaced, being deleted)
);

-- Output tables (sink.sqlite.table) are views with, in order: the key column(s) (or `row`), the
-- prediction columns (probability / probability_K / label / prediction / margin…), then
--   logical_date TEXT, run_id TEXT, model_name TEXT, model_version TEXT, model_sha256 TEXT
-- showing the published rows only. The rows themselves (keys and predictions, written once, never
-- copied) are in nightjar_rows__<table>; a run publishes by flipping its lineage to `published` and
-- the date's previous one to `retired` in one transaction. A table written by Nightjar 0.3 or
-- earlier (lineage text on every row) is migrated into this layout by the first run that writes to it.
--   CREATE VIEW churn_scores AS SELECT r.customer_id, r.probability, r.label, l.logical_date, l.run_id,
--       l.model_name, l.model_version, l.model_sha256
--   FROM nightjar_lineage AS l JOIN nightjar_rows__churn_scores AS r
--       ON r.rowid BETWEEN l.id * 4294967296 AND l.id * 4294967296 + 4294967295
--   WHERE l.table_name = 'churn_scores' AND l.state = 'published';
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
-- nightjar.chunks, nightjar.locks, nightjar.lock_events, nightjar.shards, nightjar.publications,
-- nightjar.schema_migrations),
-- with date and timestamptz columns.

-- Where each registry alias points now (changed by nightjar models promote / rollback).
CREATE TABLE nightjar_model_aliases (
    model TEXT NOT NULL, alias TEXT NOT NULL, version TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (model, alias)
);

-- Every change of an alias, oldest first: promote | rollback | auto_rollback.
CREATE TABLE nightjar_alias_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL, alias TEXT NOT NULL, action TEXT NOT NULL,
    version TEXT NOT NULL,            -- where the alias points after the event
    previous_version TEXT,            -- where it pointed before
    at TEXT NOT NULL, reason TEXT,
    run_id TEXT                       -- the run that triggered an automatic rollback
);

-- Input rows that broke the bundle's input contract: one row per broken rule (a row may break several).
CREATE TABLE nightjar_rejects (
    run_id TEXT NOT NULL, shard INTEGER NOT NULL DEFAULT 0, chunk INTEGER NOT NULL,
    row_number INTEGER NOT NULL,      -- 1-based row of the run's (shard's) input
    key TEXT NOT NULL,                -- the row's key columns, comma-separated (file:line without a key)
    column_name TEXT NOT NULL,
    value TEXT NOT NULL,              -- as read (first 200 characters)
    reason TEXT NOT NULL,             -- null_value | not_a_number | unseen_category | out_of_range
    PRIMARY KEY (run_id, shard, chunk, row_number, column_name)
);

-- Per run and input feature: statistics of the scored rows and drift against the training reference.
CREATE TABLE nightjar_feature_stats (
    run_id TEXT NOT NULL, feature TEXT NOT NULL,
    rows INTEGER NOT NULL, null_rate REAL NOT NULL,  -- missing (empty, or an unseen category) / rows
    mean REAL, min REAL, max REAL,                   -- numeric features
    psi REAL NOT NULL,                               -- population stability index (see README: Drift)
    status TEXT NOT NULL,                            -- ok | warn | fail against the job's thresholds
    PRIMARY KEY (run_id, feature)
);

-- Per run and shadow challenger: how its predictions compared with the champion's on the same rows.
CREATE TABLE nightjar_shadow_comparisons (
    run_id TEXT NOT NULL, job TEXT NOT NULL, logical_date TEXT NOT NULL,
    challenger TEXT NOT NULL,         -- as the job names it, e.g. churn@challenger
    model_name TEXT NOT NULL, model_version TEXT NOT NULL,  -- the version the challenger resolved to
    champion_version TEXT NOT NULL,
    rows INTEGER NOT NULL,
    mean_abs_diff REAL NOT NULL, max_abs_diff REAL NOT NULL,  -- on probability / prediction / label
    correlation REAL,                 -- Pearson; NULL when a side is constant
    flip_rate REAL NOT NULL,          -- share of rows whose label differs (binary: at the job's threshold)
    prediction_psi REAL NOT NULL,     -- challenger vs champion, over the champion's training deciles
    champion_us_per_row REAL NOT NULL, challenger_us_per_row REAL NOT NULL,  -- scoring time per row
    PRIMARY KEY (run_id, challenger)
);

-- Outcomes (nightjar evaluate): per job, logical date, model version and arm (champion | challenger
-- | split), how its published rows did once labels arrived. Metrics a task lacks, or that are
-- undefined on the rows, are NULL (never 0). Evaluating a date again replaces its rows.
CREATE TABLE nightjar_evaluations (
    job TEXT NOT NULL, logical_date TEXT NOT NULL, model_name TEXT NOT NULL, model_version TEXT NOT NULL,
    arm TEXT NOT NULL,                -- champion | challenger (shadow) | split
    run_id TEXT NOT NULL,             -- the run that published the rows
    evaluated_at TEXT NOT NULL, task TEXT NOT NULL,   -- binary | multiclass | regression
    labels_source TEXT NOT NULL, label_column TEXT NOT NULL, threshold REAL,
    rows_scored INTEGER NOT NULL, rows_matched INTEGER NOT NULL, rows_unlabelled INTEGER NOT NULL, positives INTEGER,
    labels_read INTEGER NOT NULL,     -- label rows read for the date (same on every arm of a date)
    labels_missing INTEGER NOT NULL,  -- empty or NULL labels
    labels_duplicate INTEGER NOT NULL,  -- rows repeating a key already labelled
    labels_conflicting INTEGER NOT NULL,  -- keys given different labels (left out of every metric)
    labels_unscored INTEGER NOT NULL, -- labelled keys the job never scored that date
    auc REAL, log_loss REAL, brier REAL, ece REAL, accuracy REAL, precision REAL, recall REAL,  -- classifiers (auc: macro for multi-class)
    rmse REAL, mae REAL, r2 REAL,     -- regressors
    calibration TEXT,                 -- JSON: 10 bins {lower, upper, rows, mean_predicted, observed_rate}
    compared_with TEXT,               -- the champion's version (challenger and split arms)
    difference_metric TEXT,           -- auc | log_loss | mse
    difference REAL, difference_low REAL, difference_high REAL,  -- this arm − champion, 95% interval
    significant INTEGER,              -- 1 when the interval excludes 0
    PRIMARY KEY (job, logical_date, model_name, model_version, arm)
);
-- AUC per night per version:
--   SELECT logical_date, model_version, arm, auc, rows_matched FROM nightjar_evaluations
--    WHERE job = 'churn-outcomes' ORDER BY logical_date, arm;

-- PostgreSQL run stores (state: { postgres: … }) hold the same tables in schema `nightjar`
-- without the prefix: nightjar.runs, nightjar.chunks, nightjar.rejects, nightjar.feature_stats, …

-- Example: the most drifted features of a job's last week, with the model version that scored.
-- SELECT r.logical_date, r.model_version, f.feature, f.psi, f.status
--   FROM nightjar_feature_stats f JOIN nightjar_runs r USING (run_id)
--  WHERE r.job = 'churn-nightly' AND r.logical_date >= date('now', '-7 days')
--  ORDER BY f.psi DESC LIMIT 20;
