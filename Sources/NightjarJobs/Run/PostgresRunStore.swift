import Foundation
import NightjarIO

/// The run store in PostgreSQL (schema `nightjar`), shared by every machine that runs the job.
/// Locks are session-level advisory locks: released by the server when a process dies, wherever
/// it ran. Migrations are versioned and applied once, under an advisory lock, so processes that
/// start at the same moment do not race.
public final class PostgresRunStore: RunStore {
    let connection: PostgresConnection
    public let location: String
    public var sqlitePath: String? { nil }

    static let migrations: [String] = [
        """
        CREATE SCHEMA IF NOT EXISTS nightjar;
        CREATE TABLE IF NOT EXISTS nightjar.runs (
            run_id text PRIMARY KEY, job text NOT NULL, logical_date date NOT NULL, trigger text NOT NULL, status text NOT NULL,
            attempt integer NOT NULL DEFAULT 1, scheduled_for timestamptz, started_at timestamptz NOT NULL, ended_at timestamptz,
            rows_read bigint NOT NULL DEFAULT 0, rows_scored bigint NOT NULL DEFAULT 0, rows_written bigint NOT NULL DEFAULT 0,
            chunks integer NOT NULL DEFAULT 0, model_name text, model_version text, model_sha256 text, model_path text,
            source text, sink text, nightjar_version text, host text, pid integer, error text);
        CREATE INDEX IF NOT EXISTS runs_job_date ON nightjar.runs (job, logical_date);
        CREATE TABLE IF NOT EXISTS nightjar.chunks (
            run_id text NOT NULL, chunk integer NOT NULL, file_index integer NOT NULL, source_file text NOT NULL,
            start_offset bigint NOT NULL, end_offset bigint NOT NULL, end_line bigint NOT NULL, rows bigint NOT NULL,
            output_offset bigint, committed_at timestamptz NOT NULL, seconds double precision NOT NULL, last_key text,
            PRIMARY KEY (run_id, chunk));
        CREATE TABLE IF NOT EXISTS nightjar.locks (
            job text NOT NULL, logical_date date NOT NULL, run_id text NOT NULL, host text NOT NULL, pid integer NOT NULL,
            acquired_at timestamptz NOT NULL, PRIMARY KEY (job, logical_date));
        """,
        PostgresDestination.chunksShardMigration + """
        CREATE TABLE IF NOT EXISTS nightjar.shards (
            run_id text NOT NULL, shard integer NOT NULL, shards integer NOT NULL, status text NOT NULL,
            rows bigint NOT NULL DEFAULT 0, chunks integer NOT NULL DEFAULT 0, host text NOT NULL, pid integer NOT NULL,
            started_at timestamptz NOT NULL, ended_at timestamptz, error text, PRIMARY KEY (run_id, shard));
        """,
        // v3: bundles, aliases, input contracts and drift.
        PostgresDestination.chunksQualityMigration + """
        ALTER TABLE nightjar.runs ADD COLUMN IF NOT EXISTS bundle_path text, ADD COLUMN IF NOT EXISTS model_alias text,
            ADD COLUMN IF NOT EXISTS rows_rejected bigint NOT NULL DEFAULT 0, ADD COLUMN IF NOT EXISTS prediction_psi double precision,
            ADD COLUMN IF NOT EXISTS drift_status text, ADD COLUMN IF NOT EXISTS stats text;
        CREATE TABLE IF NOT EXISTS nightjar.model_aliases (
            model text NOT NULL, alias text NOT NULL, version text NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (model, alias));
        CREATE TABLE IF NOT EXISTS nightjar.alias_events (
            event_id bigserial PRIMARY KEY, model text NOT NULL, alias text NOT NULL, action text NOT NULL,
            version text NOT NULL, previous_version text, at timestamptz NOT NULL, reason text, run_id text);
        CREATE TABLE IF NOT EXISTS nightjar.rejects (
            run_id text NOT NULL, shard integer NOT NULL DEFAULT 0, chunk integer NOT NULL, row_number bigint NOT NULL,
            key text NOT NULL, column_name text NOT NULL, value text NOT NULL, reason text NOT NULL,
            PRIMARY KEY (run_id, shard, chunk, row_number, column_name));
        CREATE TABLE IF NOT EXISTS nightjar.feature_stats (
            run_id text NOT NULL, feature text NOT NULL, rows bigint NOT NULL, null_rate double precision NOT NULL,
            mean double precision, min double precision, max double precision, psi double precision NOT NULL, status text NOT NULL,
            PRIMARY KEY (run_id, feature));
        """,
        // v4: shadow challengers.
        """
        CREATE TABLE IF NOT EXISTS nightjar.shadow_comparisons (
            run_id text NOT NULL, job text NOT NULL, logical_date date NOT NULL, challenger text NOT NULL,
            model_name text NOT NULL, model_version text NOT NULL, champion_version text NOT NULL, rows bigint NOT NULL,
            mean_abs_diff double precision NOT NULL, max_abs_diff double precision NOT NULL, correlation double precision,
            flip_rate double precision NOT NULL, prediction_psi double precision NOT NULL,
            champion_us_per_row double precision NOT NULL, challenger_us_per_row double precision NOT NULL,
            PRIMARY KEY (run_id, challenger));
        """,
        // v5: active time of resumed runs.
        "ALTER TABLE nightjar.runs ADD COLUMN IF NOT EXISTS active_seconds double precision;",
        // v6: what took over or removed a lock (the lease columns stay NULL here: the session holds the lock).
        """
        ALTER TABLE nightjar.locks ADD COLUMN IF NOT EXISTS heartbeat_at timestamptz, ADD COLUMN IF NOT EXISTS expires_at timestamptz;
        CREATE TABLE IF NOT EXISTS nightjar.lock_events (
            event_id bigserial PRIMARY KEY, at timestamptz NOT NULL, job text NOT NULL, logical_date date NOT NULL,
            action text NOT NULL, run_id text, holder_host text, holder_pid integer, holder_since text, holder_expires_at text,
            by_host text NOT NULL, by_pid integer NOT NULL, by_user text, reason text);
        """,
        // v7: outcome evaluations (nightjar evaluate).
        """
        CREATE TABLE IF NOT EXISTS nightjar.evaluations (
            job text NOT NULL, logical_date date NOT NULL, model_name text NOT NULL, model_version text NOT NULL,
            arm text NOT NULL, run_id text NOT NULL, evaluated_at timestamptz NOT NULL, task text NOT NULL,
            labels_source text NOT NULL, label_column text NOT NULL, threshold double precision,
            rows_scored bigint NOT NULL, rows_matched bigint NOT NULL, rows_unlabelled bigint NOT NULL, positives bigint,
            labels_read bigint NOT NULL, labels_missing bigint NOT NULL, labels_duplicate bigint NOT NULL,
            labels_conflicting bigint NOT NULL, labels_unscored bigint NOT NULL,
            auc double precision, log_loss double precision, brier double precision, ece double precision,
            accuracy double precision, precision double precision, recall double precision,
            rmse double precision, mae double precision, r2 double precision, calibration text,
            compared_with text, difference_metric text, difference double precision, difference_low double precision,
            difference_high double precision, significant integer,
            PRIMARY KEY (job, logical_date, model_name, model_version, arm));
        """,
    ]

    public init(settings: JobSpec.PostgresSettings, job: String) throws {
        connection = try PostgresConnection(conninfo: try settings.conninfo(job: job), name: "run store \(settings.description)")
        location = "postgres:\(settings.description)"
        try migrate()
    }

    func migrate() throws {
        try connection.execute("BEGIN")
        do {
            try connection.execute("SELECT pg_advisory_xact_lock(hashtext('nightjar migrations'))")
            try connection.execute("CREATE SCHEMA IF NOT EXISTS nightjar")
            try connection.execute("CREATE TABLE IF NOT EXISTS nightjar.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let current = Int(try connection.execute("SELECT coalesce(max(version), 0) FROM nightjar.schema_migrations").string(0, 0) ?? "0") ?? 0
            if current > PostgresRunStore.migrations.count {
                throw ScoreError("\(location): the run store was migrated by a newer Nightjar (version \(current)); upgrade Nightjar")
            }
            for v in current..<PostgresRunStore.migrations.count {
                try connection.execute(PostgresRunStore.migrations[v])
                try connection.execute("INSERT INTO nightjar.schema_migrations (version) VALUES ($1)", [String(v + 1)])
            }
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    static let columns = RunRecord.storeColumns.list(["logical_date": "logical_date::text"])

    func values(_ r: RunRecord) -> [String?] {
        [r.runID, r.job, r.logicalDate, r.trigger.rawValue, r.status.rawValue, String(r.attempt), r.scheduledFor, r.startedAt, r.endedAt,
         String(r.rowsRead), String(r.rowsScored), String(r.rowsWritten), String(r.chunks), r.modelName, r.modelVersion, r.modelSHA256,
         r.modelPath, r.source, r.sink, r.nightjarVersion, r.host, r.pid.map(String.init), r.error,
         r.bundlePath, r.modelAlias, String(r.rowsRejected), r.predictionPSI.map { "\($0)" }, r.driftStatus?.rawValue, r.stats,
         r.activeSeconds.map { "\($0)" }]
    }

    public func insert(_ r: RunRecord) throws { try update(r) }

    public func update(_ r: RunRecord) throws {
        let names = PostgresRunStore.columns.replacingOccurrences(of: "::text", with: "")
        let marks = (1...RunRecord.storeColumns.names.count).map { "$\($0)" }.joined(separator: ", ")
        let assignments = names.split(separator: ",").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
            .map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        try connection.execute("INSERT INTO nightjar.runs (\(names)) VALUES (\(marks)) ON CONFLICT (run_id) DO UPDATE SET \(assignments)", values(r))
    }

    /// Runs matching `clause`, newest first. A row that cannot be decoded throws `RunStoreError`,
    /// or, with `unreadable`, is handed to it and left out.
    private func runs(where clause: String, _ args: [String?], limit: Int? = nil,
                      unreadable: ((RunStoreError) -> Void)? = nil) throws -> [RunRecord] {
        let sql = "SELECT \(PostgresRunStore.columns) FROM nightjar.runs WHERE \(clause) ORDER BY started_at DESC, run_id DESC\(limit.map { " LIMIT \($0)" } ?? "")"
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func time(_ s: String?) -> String? {
            // timestamptz text (2026-11-29 04:01:48.123+00) → ISO 8601.
            guard let s else { return nil }
            let iso = s.replacingOccurrences(of: " ", with: "T")
            let withZone = iso.hasSuffix("+00") ? iso.dropLast(3) + "Z" : Substring(iso)
            if let d = Timestamp.parse(String(withZone)) { return Timestamp.format(d) }
            return s
        }
        var out: [RunRecord] = []
        for t in try connection.execute(sql, args).rows {
            do {
                var r = try RunRecord(row: RunStoreRow(location: location, table: "nightjar.runs", columns: RunRecord.storeColumns, text: t))
                r.scheduledFor = time(r.scheduledFor)
                r.startedAt = time(r.startedAt) ?? r.startedAt
                r.endedAt = time(r.endedAt)
                out.append(r)
            } catch let error as RunStoreError {
                guard let unreadable else { throw error }
                unreadable(error)
            }
        }
        return out
    }

    public func run(id: String) throws -> RunRecord? { try runs(where: "run_id = $1", [id]).first }

    public func latestRun(job: String, date: String) throws -> RunRecord? {
        try runs(where: "job = $1 AND logical_date = $2::date", [job, date], limit: 1).first
    }

    public func recentRuns(job: String?, limit: Int) throws -> [RunRecord] {
        if let job { return try runs(where: "job = $1", [job], limit: limit) }
        return try runs(where: "true", [], limit: limit)
    }

    public func recentRuns(job: String?, limit: Int, unreadable: (RunStoreError) -> Void) throws -> [RunRecord] {
        try withoutActuallyEscaping(unreadable) { unreadable in
            if let job { return try runs(where: "job = $1", [job], limit: limit, unreadable: unreadable) }
            return try runs(where: "true", [], limit: limit, unreadable: unreadable)
        }
    }

    public func succeededDates(job: String) throws -> Set<String> {
        Set(try connection.execute("SELECT DISTINCT logical_date::text FROM nightjar.runs WHERE job = $1 AND status = 'succeeded'", [job]).rows.compactMap { $0[0] })
    }

    public func lastScheduled(job: String) throws -> Date? {
        try connection.execute("SELECT to_char(max(scheduled_for) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM nightjar.runs WHERE job = $1", [job])
            .string(0, 0).flatMap(Timestamp.parse)
    }

    /// Without waiting for the server's WAL flush (`synchronous_commit = off` for this transaction
    /// only): one fsync less per chunk; the sink's own commit of the chunk is durable.
    public func updateProgress(_ r: RunRecord) throws {
        try asynchronously { try update(r) }
    }

    public func mirror(_ c: ChunkRecord) throws {
        try asynchronously { try record(c) }
    }

    private func asynchronously(_ body: () throws -> Void) throws {
        try connection.execute("BEGIN")
        do {
            try connection.execute("SET LOCAL synchronous_commit = off")
            try body()
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    public func record(_ c: ChunkRecord) throws {
        try connection.execute("""
            INSERT INTO nightjar.chunks (\(PostgresDestination.chunkColumns))
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (run_id, shard, chunk) DO NOTHING
            """, PostgresDestination.chunkValues(c))
    }

    public func chunks(runID: String) throws -> [ChunkRecord] {
        try PostgresDestination.chunks(runID: runID, shard: nil, connection: connection)
    }

    public func updateShard(_ r: ShardRecord) throws {
        try connection.execute("""
            INSERT INTO nightjar.shards (run_id, shard, shards, status, rows, chunks, host, pid, started_at, ended_at, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (run_id, shard) DO UPDATE SET shards = EXCLUDED.shards, status = EXCLUDED.status, rows = EXCLUDED.rows, chunks = EXCLUDED.chunks,
                host = EXCLUDED.host, pid = EXCLUDED.pid, started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, error = EXCLUDED.error
            """, [r.runID, String(r.shard), String(r.shards), r.status.rawValue, String(r.rows), String(r.chunks), r.host, String(r.pid),
                  r.startedAt, r.endedAt, r.error])
    }

    public func shards(runID: String) throws -> [ShardRecord] {
        let columns = ShardRecord.storeColumns
        return try connection.execute("SELECT \(columns.list(["started_at": "started_at::text", "ended_at": "ended_at::text"])) FROM nightjar.shards WHERE run_id = $1 ORDER BY shard", [runID])
            .rows.map { try ShardRecord(row: RunStoreRow(location: location, table: "nightjar.shards", columns: columns, text: $0)) }
    }

    public func deleteChunks(runID: String) throws {
        try connection.execute("DELETE FROM nightjar.chunks WHERE run_id = $1", [runID])
    }

    /// Whether a server session holds the advisory lock of the lock row `l` (any session: pg_locks
    /// shows every backend's locks in this database).
    static let sessionHolds = """
        EXISTS (SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted AND p.objsubid = 2
            AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND p.classid = hashtext('nightjar run ' || l.job)::oid AND p.objid = hashtext(l.logical_date::text)::oid)
        """

    static let lockSelect = "SELECT l.job, l.logical_date::text, l.run_id, l.host, l.pid, \(iso("l.acquired_at")), \(iso("l.heartbeat_at")), \(iso("l.expires_at")), \(sessionHolds) FROM nightjar.locks l"

    private func holders(_ rows: [[String?]]) throws -> [RunLockHolder] {
        try rows.map { t in
            var h = try RunLockHolder(row: RunStoreRow(location: location, table: "nightjar.locks", columns: RunLockHolder.storeColumns, text: Array(t.prefix(8))))
            h.sessionHolds = t.count > 8 && t[8] == "t"
            return h
        }
    }

    /// The advisory lock is the lease: the server releases it when the holder's session ends,
    /// whichever machine it ran on, so the row in `nightjar.locks` only says who holds it. A row
    /// left by a process that died is replaced (and the takeover recorded).
    public func tryLock(job: String, date: String, runID: String) throws -> RunLockHolder? {
        let got = try connection.execute("SELECT pg_try_advisory_lock(hashtext('nightjar run ' || $1), hashtext($2))", [job, date]).string(0, 0) == "t"
        let current = try holders(connection.execute("\(PostgresRunStore.lockSelect) WHERE l.job = $1 AND l.logical_date = $2::date", [job, date]).rows).first
        if got {
            if let old = current, !(old.host == Host.name && old.pid == Int(getpid())) {
                var gone = old
                gone.sessionHolds = false
                try recordLockEvent(LockEvent(action: .takeover, holder: old, reason: gone.deadReason()))
            }
            try connection.execute("""
                INSERT INTO nightjar.locks (job, logical_date, run_id, host, pid, acquired_at, heartbeat_at) VALUES ($1, $2::date, $3, $4, $5, now(), now())
                ON CONFLICT (job, logical_date) DO UPDATE SET run_id = EXCLUDED.run_id, host = EXCLUDED.host, pid = EXCLUDED.pid,
                    acquired_at = EXCLUDED.acquired_at, heartbeat_at = EXCLUDED.heartbeat_at, expires_at = NULL
                """, [job, date, runID, Host.name, String(getpid())])
            return nil
        }
        return current ?? RunLockHolder(job: job, logicalDate: date, runID: "?", host: "?", pid: 0, acquiredAt: "?", sessionHolds: true)
    }

    public func unlock(job: String, date: String) throws {
        try connection.execute("DELETE FROM nightjar.locks WHERE job = $1 AND logical_date = $2::date AND host = $3 AND pid = $4", [job, date, Host.name, String(getpid())])
        try connection.execute("SELECT pg_advisory_unlock(hashtext('nightjar run ' || $1), hashtext($2))", [job, date])
    }

    /// None: the server session holds the lock for as long as the process lives.
    public func leaseRenewer(job: String, date: String) throws -> RunLease.Renew? { nil }

    public func retagLock(job: String, date: String, runID: String) throws {
        try connection.execute("UPDATE nightjar.locks SET run_id = $3 WHERE job = $1 AND logical_date = $2::date AND host = $4 AND pid = $5",
                               [job, date, runID, Host.name, String(getpid())])
    }

    public func lockHolders(job: String, date: String) throws -> [RunLockHolder] {
        try holders(connection.execute("\(PostgresRunStore.lockSelect) WHERE l.logical_date = $2::date AND (l.job = $1 OR left(l.job, length($1) + 6) = $1 || '#shard')",
                                       [job, date]).rows)
    }

    /// Removes the row; with `force`, first ends the server session holding the advisory lock (the
    /// holder's next statement fails and the run stops, exit 75).
    public func removeLock(_ holder: RunLockHolder, force: Bool) throws {
        if force {
            try connection.execute("""
                SELECT pg_terminate_backend(p.pid) FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted AND p.objsubid = 2
                    AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND p.classid = hashtext('nightjar run ' || $1)::oid AND p.objid = hashtext($2)::oid AND p.pid <> pg_backend_pid()
                """, [holder.job, holder.logicalDate])
        }
        try connection.execute("DELETE FROM nightjar.locks WHERE job = $1 AND logical_date = $2::date AND host = $3 AND pid = $4",
                               [holder.job, holder.logicalDate, holder.host, String(holder.pid)])
    }

    public func recordLockEvent(_ e: LockEvent) throws {
        try connection.execute("""
            INSERT INTO nightjar.lock_events (at, job, logical_date, action, run_id, holder_host, holder_pid, holder_since, holder_expires_at, by_host, by_pid, by_user, reason)
            VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """, [e.at, e.job, e.logicalDate, e.action.rawValue, e.runID, e.holderHost, e.holderPID.map(String.init), e.holderSince,
                  e.holderExpiresAt, e.byHost, String(e.byPID), e.byUser, e.reason])
    }

    public func lockEvents(job: String) throws -> [LockEvent] {
        let columns = LockEvent.storeColumns
        return try connection.execute("SELECT \(columns.list(["at": PostgresRunStore.iso("at"), "logical_date": "logical_date::text"])) FROM nightjar.lock_events WHERE job = $1 OR left(job, length($1) + 6) = $1 || '#shard' ORDER BY event_id", [job])
            .rows.map { try LockEvent(row: RunStoreRow(location: location, table: "nightjar.lock_events", columns: columns, text: $0)) }
    }

    /// While this process holds the lock, any other `running` run of the date has lost its process.
    public func markDeadRunsInterrupted(job: String, date: String) throws {
        let live = try lockHolders(job: job, date: date).filter { $0.job != job && $0.isLive }.map(\.runID)
        try connection.execute("""
            UPDATE nightjar.runs SET status = 'interrupted', error = coalesce(error, 'the process (pid ' || coalesce(pid::text, '?') || ' on ' || coalesce(host, '?') || ') ended without finishing the run')
            WHERE job = $1 AND logical_date = $2::date AND status = 'running' AND NOT (run_id = ANY (string_to_array($3, ',')))
            """, [job, date, live.joined(separator: ",")])
    }
}
