import Foundation
import NightjarIO

/// The run store in a SQLite file (`nightjar_*` tables, documented in `schemas/run_store.sql`).
/// Several processes on one machine may share one file: writes take SQLite's lock, and a lock
/// left by a process that died is taken over.
public final class SQLiteRunStore: RunStore {
    public let path: String
    let db: SQLiteDatabase

    /// Versioned migrations, applied once each, in order, inside one immediate transaction.
    static let migrations: [String] = [
        """
        CREATE TABLE IF NOT EXISTS nightjar_runs (
            run_id TEXT PRIMARY KEY,
            job TEXT NOT NULL,
            logical_date TEXT NOT NULL,
            trigger TEXT NOT NULL,
            status TEXT NOT NULL,
            attempt INTEGER NOT NULL DEFAULT 1,
            scheduled_for TEXT,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            rows_read INTEGER NOT NULL DEFAULT 0,
            rows_scored INTEGER NOT NULL DEFAULT 0,
            rows_written INTEGER NOT NULL DEFAULT 0,
            chunks INTEGER NOT NULL DEFAULT 0,
            model_name TEXT, model_version TEXT, model_sha256 TEXT, model_path TEXT,
            source TEXT, sink TEXT,
            nightjar_version TEXT, host TEXT, pid INTEGER,
            error TEXT
        );
        CREATE INDEX IF NOT EXISTS nightjar_runs_job_date ON nightjar_runs (job, logical_date);
        CREATE TABLE IF NOT EXISTS nightjar_chunks (
            run_id TEXT NOT NULL,
            chunk INTEGER NOT NULL,
            file_index INTEGER NOT NULL,
            source_file TEXT NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            rows INTEGER NOT NULL,
            output_offset INTEGER,
            committed_at TEXT NOT NULL,
            seconds REAL NOT NULL,
            PRIMARY KEY (run_id, chunk)
        );
        CREATE TABLE IF NOT EXISTS nightjar_locks (
            job TEXT NOT NULL,
            logical_date TEXT NOT NULL,
            run_id TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            acquired_at TEXT NOT NULL,
            PRIMARY KEY (job, logical_date)
        );
        """,
        "ALTER TABLE nightjar_chunks ADD COLUMN last_key TEXT;",
        """
        CREATE TABLE nightjar_chunks_v3 (
            run_id TEXT NOT NULL, shard INTEGER NOT NULL DEFAULT 0, chunk INTEGER NOT NULL,
            file_index INTEGER NOT NULL, source_file TEXT NOT NULL, start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL,
            end_line INTEGER NOT NULL, rows INTEGER NOT NULL, output_offset INTEGER, committed_at TEXT NOT NULL, seconds REAL NOT NULL,
            last_key TEXT, PRIMARY KEY (run_id, shard, chunk));
        INSERT INTO nightjar_chunks_v3 (run_id, shard, chunk, file_index, source_file, start_offset, end_offset, end_line, rows, output_offset, committed_at, seconds, last_key)
            SELECT run_id, 0, chunk, file_index, source_file, start_offset, end_offset, end_line, rows, output_offset, committed_at, seconds, last_key FROM nightjar_chunks;
        DROP TABLE nightjar_chunks;
        ALTER TABLE nightjar_chunks_v3 RENAME TO nightjar_chunks;
        CREATE TABLE IF NOT EXISTS nightjar_shards (
            run_id TEXT NOT NULL, shard INTEGER NOT NULL, shards INTEGER NOT NULL, status TEXT NOT NULL,
            rows INTEGER NOT NULL DEFAULT 0, chunks INTEGER NOT NULL DEFAULT 0, host TEXT NOT NULL, pid INTEGER NOT NULL,
            started_at TEXT NOT NULL, ended_at TEXT, error TEXT, PRIMARY KEY (run_id, shard));
        """,
        // v4: bundles, aliases, input contracts and drift.
        """
        ALTER TABLE nightjar_runs ADD COLUMN bundle_path TEXT;
        ALTER TABLE nightjar_runs ADD COLUMN model_alias TEXT;
        ALTER TABLE nightjar_runs ADD COLUMN rows_rejected INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE nightjar_runs ADD COLUMN prediction_psi REAL;
        ALTER TABLE nightjar_runs ADD COLUMN drift_status TEXT;
        ALTER TABLE nightjar_runs ADD COLUMN stats TEXT;
        ALTER TABLE nightjar_chunks ADD COLUMN rows_rejected INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE nightjar_chunks ADD COLUMN stats TEXT;
        CREATE TABLE IF NOT EXISTS nightjar_model_aliases (
            model TEXT NOT NULL, alias TEXT NOT NULL, version TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (model, alias));
        CREATE TABLE IF NOT EXISTS nightjar_alias_events (
            event_id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, alias TEXT NOT NULL, action TEXT NOT NULL,
            version TEXT NOT NULL, previous_version TEXT, at TEXT NOT NULL, reason TEXT, run_id TEXT);
        CREATE TABLE IF NOT EXISTS nightjar_rejects (
            run_id TEXT NOT NULL, shard INTEGER NOT NULL DEFAULT 0, chunk INTEGER NOT NULL, row_number INTEGER NOT NULL,
            key TEXT NOT NULL, column_name TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
            PRIMARY KEY (run_id, shard, chunk, row_number, column_name));
        CREATE TABLE IF NOT EXISTS nightjar_feature_stats (
            run_id TEXT NOT NULL, feature TEXT NOT NULL, rows INTEGER NOT NULL, null_rate REAL NOT NULL, mean REAL, min REAL, max REAL,
            psi REAL NOT NULL, status TEXT NOT NULL, PRIMARY KEY (run_id, feature));
        """,
        // v5: shadow challengers.
        """
        CREATE TABLE IF NOT EXISTS nightjar_shadow_comparisons (
            run_id TEXT NOT NULL, job TEXT NOT NULL, logical_date TEXT NOT NULL, challenger TEXT NOT NULL,
            model_name TEXT NOT NULL, model_version TEXT NOT NULL, champion_version TEXT NOT NULL, rows INTEGER NOT NULL,
            mean_abs_diff REAL NOT NULL, max_abs_diff REAL NOT NULL, correlation REAL, flip_rate REAL NOT NULL,
            prediction_psi REAL NOT NULL, champion_us_per_row REAL NOT NULL, challenger_us_per_row REAL NOT NULL,
            PRIMARY KEY (run_id, challenger));
        """,
        // v6: active time of resumed runs.
        """
        ALTER TABLE nightjar_runs ADD COLUMN active_seconds REAL;
        """,
        // v7: lock leases, and what took over or removed a lock.
        """
        ALTER TABLE nightjar_locks ADD COLUMN heartbeat_at TEXT;
        ALTER TABLE nightjar_locks ADD COLUMN expires_at TEXT;
        CREATE TABLE IF NOT EXISTS nightjar_lock_events (
            event_id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, job TEXT NOT NULL, logical_date TEXT NOT NULL,
            action TEXT NOT NULL, run_id TEXT, holder_host TEXT, holder_pid INTEGER, holder_since TEXT, holder_expires_at TEXT,
            by_host TEXT NOT NULL, by_pid INTEGER NOT NULL, by_user TEXT, reason TEXT);
        """,
        // v8: outcome evaluations (nightjar evaluate).
        """
        CREATE TABLE IF NOT EXISTS nightjar_evaluations (
            job TEXT NOT NULL, logical_date TEXT NOT NULL, model_name TEXT NOT NULL, model_version TEXT NOT NULL,
            arm TEXT NOT NULL, run_id TEXT NOT NULL, evaluated_at TEXT NOT NULL, task TEXT NOT NULL,
            labels_source TEXT NOT NULL, label_column TEXT NOT NULL, threshold REAL,
            rows_scored INTEGER NOT NULL, rows_matched INTEGER NOT NULL, rows_unlabelled INTEGER NOT NULL, positives INTEGER,
            labels_read INTEGER NOT NULL, labels_missing INTEGER NOT NULL, labels_duplicate INTEGER NOT NULL,
            labels_conflicting INTEGER NOT NULL, labels_unscored INTEGER NOT NULL,
            auc REAL, log_loss REAL, brier REAL, ece REAL, accuracy REAL, precision REAL, recall REAL,
            rmse REAL, mae REAL, r2 REAL, calibration TEXT,
            compared_with TEXT, difference_metric TEXT, difference REAL, difference_low REAL, difference_high REAL,
            significant INTEGER,
            PRIMARY KEY (job, logical_date, model_name, model_version, arm));
        """,
    ]

    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        db = try SQLiteDatabase(path: path)
        try db.enableWAL()
        try migrate()
    }

    /// Opens an existing store for reading (`runs`, `report`, `validate`): read-only, so it works on
    /// a full disk; only a store an older Nightjar wrote is migrated first (which writes).
    public init(existing path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ScoreError("\(path): no run store here (pass --state with the job's state file, or --job with the job file)")
        }
        self.path = path
        let reader = try SQLiteDatabase.openForReading(path: path)
        let version = try? SQLiteRunStore.schemaVersion(reader)
        if let version, version > SQLiteRunStore.migrations.count {
            throw ScoreError("\(path): the run store was written by a newer Nightjar (schema version \(version)); upgrade Nightjar")
        }
        if version == SQLiteRunStore.migrations.count {
            db = reader
        } else {
            db = try SQLiteDatabase(path: path)
            try migrate()
        }
    }

    /// The schema version a store records (0 for a file without one).
    static func schemaVersion(_ db: SQLiteDatabase) throws -> Int {
        guard try !db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'nightjar_meta'").isEmpty else { return 0 }
        return Int(try db.query("SELECT value FROM nightjar_meta WHERE key = 'schema_version'").first?[0] ?? "0") ?? 0
    }

    func migrate() throws {
        // Up to date: nothing to write (a full disk does not stop a store from being opened).
        if (try? SQLiteRunStore.schemaVersion(db)) == SQLiteRunStore.migrations.count { return }
        try db.execute("BEGIN IMMEDIATE")
        do {
            try db.execute("CREATE TABLE IF NOT EXISTS nightjar_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            let current = Int(try db.query("SELECT value FROM nightjar_meta WHERE key = 'schema_version'").first?[0] ?? "0") ?? 0
            if current > SQLiteRunStore.migrations.count {
                throw ScoreError("\(path): the run store was written by a newer Nightjar (schema version \(current)); upgrade Nightjar")
            }
            for version in current..<SQLiteRunStore.migrations.count {
                try db.execute(SQLiteRunStore.migrations[version])
            }
            try db.execute("INSERT OR REPLACE INTO nightjar_meta (key, value) VALUES ('schema_version', '\(SQLiteRunStore.migrations.count)')")
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: Runs

    static let runColumns = RunRecord.storeColumns.list()
    static let runColumnCount = RunRecord.storeColumns.names.count

    public func insert(_ r: RunRecord) throws {
        let stmt = try db.prepare("INSERT INTO nightjar_runs (\(SQLiteRunStore.runColumns)) VALUES (\(Array(repeating: "?", count: SQLiteRunStore.runColumnCount).joined(separator: ",")))")
        bind(stmt, r)
        try stmt.step()
    }

    public func update(_ r: RunRecord) throws {
        let stmt = try db.prepare("REPLACE INTO nightjar_runs (\(SQLiteRunStore.runColumns)) VALUES (\(Array(repeating: "?", count: SQLiteRunStore.runColumnCount).joined(separator: ",")))")
        bind(stmt, r)
        try stmt.step()
    }

    private func bind(_ s: SQLiteStatement, _ r: RunRecord) {
        func text(_ i: Int32, _ v: String?) { if let v { s.bind(i, string: v) } else { s.bindNull(i) } }
        func int(_ i: Int32, _ v: Int?) { if let v { s.bind(i, int: Int64(v)) } else { s.bindNull(i) } }
        text(1, r.runID); text(2, r.job); text(3, r.logicalDate); text(4, r.trigger.rawValue); text(5, r.status.rawValue)
        int(6, r.attempt); text(7, r.scheduledFor); text(8, r.startedAt); text(9, r.endedAt)
        int(10, r.rowsRead); int(11, r.rowsScored); int(12, r.rowsWritten); int(13, r.chunks)
        text(14, r.modelName); text(15, r.modelVersion); text(16, r.modelSHA256); text(17, r.modelPath)
        text(18, r.source); text(19, r.sink); text(20, r.nightjarVersion); text(21, r.host); int(22, r.pid); text(23, r.error)
        text(24, r.bundlePath); text(25, r.modelAlias); int(26, r.rowsRejected)
        if let psi = r.predictionPSI { s.bind(27, double: psi) } else { s.bindNull(27) }
        text(28, r.driftStatus?.rawValue); text(29, r.stats)
        if let active = r.activeSeconds { s.bind(30, double: active) } else { s.bindNull(30) }
    }

    /// Runs matching `clause`, newest first. A row that cannot be decoded throws `RunStoreError`,
    /// or, with `unreadable`, is handed to it and left out.
    private func runs(where clause: String, _ args: [String], limit: Int? = nil,
                      unreadable: ((RunStoreError) -> Void)? = nil) throws -> [RunRecord] {
        let stmt = try db.prepare("SELECT \(SQLiteRunStore.runColumns) FROM nightjar_runs WHERE \(clause) ORDER BY started_at DESC, run_id DESC\(limit.map { " LIMIT \($0)" } ?? "")")
        for (i, a) in args.enumerated() { stmt.bind(Int32(i + 1), string: a) }
        var out: [RunRecord] = []
        while try stmt.step() {
            do {
                out.append(try RunRecord(row: RunStoreRow(location: path, table: "nightjar_runs", columns: RunRecord.storeColumns, statement: stmt)))
            } catch let error as RunStoreError {
                guard let unreadable else { throw error }
                unreadable(error)
            }
        }
        return out
    }

    public func run(id: String) throws -> RunRecord? {
        try runs(where: "run_id = ?", [id]).first
    }

    /// The newest run of a job for a date.
    public func latestRun(job: String, date: String) throws -> RunRecord? {
        try runs(where: "job = ? AND logical_date = ?", [job, date], limit: 1).first
    }

    public func recentRuns(job: String?, limit: Int) throws -> [RunRecord] {
        if let job { return try runs(where: "job = ?", [job], limit: limit) }
        return try runs(where: "1", [], limit: limit)
    }

    public func recentRuns(job: String?, limit: Int, unreadable: (RunStoreError) -> Void) throws -> [RunRecord] {
        try withoutActuallyEscaping(unreadable) { unreadable in
            if let job { return try runs(where: "job = ?", [job], limit: limit, unreadable: unreadable) }
            return try runs(where: "1", [], limit: limit, unreadable: unreadable)
        }
    }

    /// Dates that already have a successful run.
    public func succeededDates(job: String) throws -> Set<String> {
        Set(try db.query("SELECT DISTINCT logical_date FROM nightjar_runs WHERE job = \(SQLiteString.literal(job)) AND status = 'succeeded'").compactMap { $0[0] })
    }

    /// The newest cron fire time a run was started for.
    public func lastScheduled(job: String) throws -> Date? {
        try db.query("SELECT max(scheduled_for) FROM nightjar_runs WHERE job = \(SQLiteString.literal(job)) AND scheduled_for IS NOT NULL")
            .first?[0].flatMap(Timestamp.parse)
    }

    // MARK: Chunks

    public func record(_ c: ChunkRecord) throws {
        try SQLiteRunStore.insertChunk(c, into: db)
    }

    static func insertChunk(_ c: ChunkRecord, into db: SQLiteDatabase) throws {
        let s = try db.prepare("INSERT OR REPLACE INTO nightjar_chunks (run_id, chunk, file_index, source_file, start_offset, end_offset, end_line, rows, output_offset, committed_at, seconds, last_key, shard, rows_rejected, stats) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        s.bind(1, string: c.runID); s.bind(2, int: Int64(c.chunk)); s.bind(3, int: Int64(c.fileIndex)); s.bind(4, string: c.sourceFile)
        s.bind(5, int: c.startOffset); s.bind(6, int: c.endOffset); s.bind(7, int: Int64(c.endLine)); s.bind(8, int: Int64(c.rows))
        if let o = c.outputOffset { s.bind(9, int: o) } else { s.bindNull(9) }
        s.bind(10, string: c.committedAt); s.bind(11, double: c.seconds)
        if let k = c.lastKey { s.bind(12, string: k) } else { s.bindNull(12) }
        s.bind(13, int: Int64(c.shard)); s.bind(14, int: Int64(c.rowsRejected))
        if let stats = c.stats { s.bind(15, string: stats) } else { s.bindNull(15) }
        try s.step()
    }

    /// A run's chunks (of one shard, when given), in order.
    static func chunks(runID: String, shard: Int? = nil, in db: SQLiteDatabase) throws -> [ChunkRecord] {
        let s = try db.prepare("SELECT \(ChunkRecord.storeColumns.list()) FROM nightjar_chunks WHERE run_id = ?\(shard == nil ? "" : " AND shard = ?") ORDER BY shard, chunk")
        s.bind(1, string: runID)
        if let shard { s.bind(2, int: Int64(shard)) }
        var out: [ChunkRecord] = []
        while try s.step() {
            out.append(try ChunkRecord(row: RunStoreRow(location: db.path, table: "nightjar_chunks", columns: ChunkRecord.storeColumns, statement: s)))
        }
        return out
    }

    public func chunks(runID: String) throws -> [ChunkRecord] {
        try SQLiteRunStore.chunks(runID: runID, in: db)
    }

    public var location: String { path }

    public func updateShard(_ r: ShardRecord) throws {
        let s = try db.prepare("INSERT OR REPLACE INTO nightjar_shards (run_id, shard, shards, status, rows, chunks, host, pid, started_at, ended_at, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
        s.bind(1, string: r.runID); s.bind(2, int: Int64(r.shard)); s.bind(3, int: Int64(r.shards)); s.bind(4, string: r.status.rawValue)
        s.bind(5, int: Int64(r.rows)); s.bind(6, int: Int64(r.chunks)); s.bind(7, string: r.host); s.bind(8, int: Int64(r.pid))
        s.bind(9, string: r.startedAt)
        if let e = r.endedAt { s.bind(10, string: e) } else { s.bindNull(10) }
        if let e = r.error { s.bind(11, string: e) } else { s.bindNull(11) }
        try s.step()
    }

    public func shards(runID: String) throws -> [ShardRecord] {
        let s = try db.prepare("SELECT \(ShardRecord.storeColumns.list()) FROM nightjar_shards WHERE run_id = ? ORDER BY shard")
        s.bind(1, string: runID)
        var out: [ShardRecord] = []
        while try s.step() {
            out.append(try ShardRecord(row: RunStoreRow(location: path, table: "nightjar_shards", columns: ShardRecord.storeColumns, statement: s)))
        }
        return out
    }
    public var sqlitePath: String? { path }

    public func deleteChunks(runID: String) throws {
        try db.execute("DELETE FROM nightjar_chunks WHERE run_id = \(SQLiteString.literal(runID))")
    }

    // MARK: Disk space

    /// A file of `reserveBytes` next to the store (`<state>-reserve`), written while there is room
    /// and deleted when a run's end cannot be recorded on a full disk: the few pages the run
    /// record and the lock release need are then free, so the run reads `failed`, not `running`.
    public var reservePath: String { path + "-reserve" }
    public static let reserveBytes = 1 << 20

    public func keepReserve() {
        guard !FileManager.default.fileExists(atPath: reservePath) else { return }
        let temporary = reservePath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        // Real bytes, not a sparse file: the blocks must be allocated to be given back.
        let block = [UInt8](repeating: 0, count: 65536)
        var written = 0
        while written < SQLiteRunStore.reserveBytes {
            let n = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            written += n
        }
        close(fd)
        if written >= SQLiteRunStore.reserveBytes { rename(temporary, reservePath) } else { unlink(temporary) }
    }

    public func releaseReserve() -> Bool { unlink(reservePath) == 0 }

    // MARK: Locks

    static let lockColumns = RunLockHolder.storeColumns.list()

    /// The lock rows matching `clause`.
    private func locks(where clause: String, in db: SQLiteDatabase) throws -> [RunLockHolder] {
        let s = try db.prepare("SELECT \(SQLiteRunStore.lockColumns) FROM nightjar_locks WHERE \(clause)")
        var out: [RunLockHolder] = []
        while try s.step() {
            out.append(try RunLockHolder(row: RunStoreRow(location: path, table: "nightjar_locks", columns: RunLockHolder.storeColumns, statement: s)))
        }
        return out
    }

    /// Takes the (job, date) lock with a lease of `RunLease.seconds`, or returns who holds it. A
    /// lock whose holder is gone (its process on this host ended, or its lease expired) is taken
    /// over, and the takeover recorded in `nightjar_lock_events`.
    public func tryLock(job: String, date: String, runID: String) throws -> RunLockHolder? {
        try db.execute("BEGIN IMMEDIATE")
        do {
            let key = "job = \(SQLiteString.literal(job)) AND logical_date = \(SQLiteString.literal(date))"
            if let holder = try locks(where: key, in: db).first, !(holder.host == Host.name && holder.pid == Int(getpid())) {
                if let dead = holder.deadReason() {
                    try recordLockEvent(LockEvent(action: .takeover, holder: holder, reason: dead))
                } else {
                    try db.execute("COMMIT")
                    return holder
                }
            }
            let now = Date()
            let s = try db.prepare("INSERT OR REPLACE INTO nightjar_locks (job, logical_date, run_id, host, pid, acquired_at, heartbeat_at, expires_at) VALUES (?,?,?,?,?,?,?,?)")
            s.bind(1, string: job); s.bind(2, string: date); s.bind(3, string: runID); s.bind(4, string: Host.name)
            s.bind(5, int: Int64(getpid())); s.bind(6, string: Timestamp.format(now)); s.bind(7, string: Timestamp.format(now))
            s.bind(8, string: Timestamp.format(now.addingTimeInterval(RunLease.seconds)))
            try s.step()
            try db.execute("COMMIT")
            return nil
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    public func unlock(job: String, date: String) throws {
        try db.execute("DELETE FROM nightjar_locks WHERE job = \(SQLiteString.literal(job)) AND logical_date = \(SQLiteString.literal(date)) AND host = \(SQLiteString.literal(Host.name)) AND pid = \(getpid())")
    }

    /// Renews on a connection of its own (SQLite connections are not shared between threads).
    public func leaseRenewer(job: String, date: String) throws -> RunLease.Renew? {
        let own = try SQLiteDatabase(path: path)
        let sql = "UPDATE nightjar_locks SET heartbeat_at = ?, expires_at = ? WHERE job = ? AND logical_date = ? AND host = ? AND pid = ?"
        return {
            let now = Date()
            let until = now.addingTimeInterval(RunLease.seconds)
            let s = try own.prepare(sql)
            s.bind(1, string: Timestamp.format(now)); s.bind(2, string: Timestamp.format(until)); s.bind(3, string: job)
            s.bind(4, string: date); s.bind(5, string: Host.name); s.bind(6, int: Int64(getpid()))
            try s.step()
            return own.changes == 1 ? until : nil
        }
    }

    public func retagLock(job: String, date: String, runID: String) throws {
        try db.execute("UPDATE nightjar_locks SET run_id = \(SQLiteString.literal(runID)) WHERE job = \(SQLiteString.literal(job)) AND logical_date = \(SQLiteString.literal(date)) AND host = \(SQLiteString.literal(Host.name)) AND pid = \(getpid())")
    }

    public func lockHolders(job: String, date: String) throws -> [RunLockHolder] {
        let name = SQLiteString.literal(job)
        return try locks(where: "logical_date = \(SQLiteString.literal(date)) AND (job = \(name) OR substr(job, 1, length(\(name)) + 6) = \(name) || '#shard')", in: db)
    }

    public func removeLock(_ holder: RunLockHolder, force: Bool) throws {
        try db.execute("DELETE FROM nightjar_locks WHERE job = \(SQLiteString.literal(holder.job)) AND logical_date = \(SQLiteString.literal(holder.logicalDate)) AND host = \(SQLiteString.literal(holder.host)) AND pid = \(holder.pid)")
    }

    public func recordLockEvent(_ e: LockEvent) throws {
        let s = try db.prepare("INSERT INTO nightjar_lock_events (at, job, logical_date, action, run_id, holder_host, holder_pid, holder_since, holder_expires_at, by_host, by_pid, by_user, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
        func text(_ i: Int32, _ v: String?) { if let v { s.bind(i, string: v) } else { s.bindNull(i) } }
        text(1, e.at); text(2, e.job); text(3, e.logicalDate); text(4, e.action.rawValue); text(5, e.runID); text(6, e.holderHost)
        if let pid = e.holderPID { s.bind(7, int: Int64(pid)) } else { s.bindNull(7) }
        text(8, e.holderSince); text(9, e.holderExpiresAt); text(10, e.byHost); s.bind(11, int: Int64(e.byPID)); text(12, e.byUser); text(13, e.reason)
        try s.step()
    }

    public func lockEvents(job: String) throws -> [LockEvent] {
        let s = try db.prepare("SELECT \(LockEvent.storeColumns.list()) FROM nightjar_lock_events WHERE job = ? OR substr(job, 1, length(?) + 6) = ? || '#shard' ORDER BY event_id")
        s.bind(1, string: job); s.bind(2, string: job); s.bind(3, string: job)
        var out: [LockEvent] = []
        while try s.step() {
            out.append(try LockEvent(row: RunStoreRow(location: path, table: "nightjar_lock_events", columns: LockEvent.storeColumns, statement: s)))
        }
        return out
    }

    /// While this process holds the date's lock, a `running` run of the date that no live shard
    /// lock covers has lost its process (on this host or another): it is marked interrupted.
    public func markDeadRunsInterrupted(job: String, date: String) throws {
        let live = try lockHolders(job: job, date: date).filter { $0.job != job && $0.isLive }
        for r in try runs(where: "job = ? AND logical_date = ? AND status = 'running'", [job, date]) where !live.contains(where: { $0.runID == r.runID }) {
            var updated = r
            updated.status = .interrupted
            updated.error = updated.error ?? "the process (pid \(r.pid.map(String.init) ?? "?") on \(r.host ?? "?")) ended without finishing the run"
            try update(updated)
        }
    }
}

enum Host {
    static let name: String = ProcessInfo.processInfo.hostName

    static func processIsAlive(_ pid: Int) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid_t(pid), 0) == 0 { return true }
        return errno == EPERM
    }
}
