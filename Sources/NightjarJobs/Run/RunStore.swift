import Foundation

/// The record of every run, chunk and lock: what `nightjar runs` shows and what analysts join
/// predictions to. SQLite by default (`SQLiteRunStore`), PostgreSQL when several machines share
/// it (`PostgresRunStore`). Tables: `schemas/run_store.sql`.
///
/// Reading a row that cannot be decoded (NULL where a value is required, text in a number
/// column, an unknown status) throws `RunStoreError`, naming the table, column and row.
public protocol RunStore: AnyObject {
    /// Where it is, for messages (a file path, or a PostgreSQL connection's name).
    var location: String { get }
    /// The SQLite file, when it is one (a SQLite sink in the same file shares its transaction).
    var sqlitePath: String? { get }

    func insert(_ r: RunRecord) throws
    func update(_ r: RunRecord) throws
    func run(id: String) throws -> RunRecord?
    func latestRun(job: String, date: String) throws -> RunRecord?
    func recentRuns(job: String?, limit: Int) throws -> [RunRecord]
    /// As `recentRuns(job:limit:)`, but a run whose row cannot be decoded is handed to
    /// `unreadable` and left out, instead of failing the whole list.
    func recentRuns(job: String?, limit: Int, unreadable: (RunStoreError) -> Void) throws -> [RunRecord]
    func succeededDates(job: String) throws -> Set<String>
    func lastScheduled(job: String) throws -> Date?

    func record(_ c: ChunkRecord) throws
    /// Progress after each committed chunk, and the store's copy of a checkpoint that the sink
    /// holds durably already: a store may write these without waiting for the disk (a lost one is
    /// rewritten by the next chunk or recovered from the sink on resume). Default: as `update`/`record`.
    func updateProgress(_ r: RunRecord) throws
    func mirror(_ c: ChunkRecord) throws
    func chunks(runID: String) throws -> [ChunkRecord]
    func deleteChunks(runID: String) throws

    func updateShard(_ r: ShardRecord) throws
    func shards(runID: String) throws -> [ShardRecord]

    /// Takes the (job, date) lock, or returns who holds it (a live holder: a lock whose holder is
    /// gone is taken over, and the takeover recorded as a `LockEvent`).
    func tryLock(job: String, date: String, runID: String) throws -> RunLockHolder?
    /// Releases this process's lock.
    func unlock(job: String, date: String) throws
    /// Renews this process's lease on the lock (on a connection of its own: it is called from the
    /// lease thread); nil where the lock needs no lease (PostgreSQL: the server session holds it).
    func leaseRenewer(job: String, date: String) throws -> RunLease.Renew?
    /// Names the lock after the run that holds it (a resumed run keeps its first run id).
    func retagLock(job: String, date: String, runID: String) throws
    /// The locks of a job for a date: its own and its shards' (`job#shardI/N`), live or not.
    func lockHolders(job: String, date: String) throws -> [RunLockHolder]
    /// Removes one lock (`nightjar unlock`). PostgreSQL: with `force`, ends the session holding it.
    func removeLock(_ holder: RunLockHolder, force: Bool) throws
    func recordLockEvent(_ event: LockEvent) throws
    /// The lock events of a job (its shards' included), oldest first.
    func lockEvents(job: String) throws -> [LockEvent]
    /// Keeps a little disk space in reserve for recording the run's end (SQLite: a file next to
    /// the store); `releaseReserve` frees it when a write failed on a full disk. No-ops by default.
    func keepReserve()
    func releaseReserve() -> Bool
    /// Marks runs whose process is gone as interrupted (call while holding the lock).
    func markDeadRunsInterrupted(job: String, date: String) throws

    // Registry aliases.
    func aliases(model: String?) throws -> [ModelAlias]
    /// Every change of the alias (or of all aliases of the model), oldest first.
    func aliasEvents(model: String, alias: String?) throws -> [AliasEvent]
    /// Records the event and points the alias at `event.version`, in one transaction.
    func apply(_ event: AliasEvent) throws

    // Input contract rejects and feature statistics.
    /// Replaces the rejects of one chunk (idempotent: a chunk redone after a crash writes the same rows).
    func replaceRejects(runID: String, shard: Int, chunk: Int, _ rejects: [RejectRecord]) throws
    /// Drops rejects of chunks not committed (a resumed run redoes them).
    func deleteRejects(runID: String, shard: Int, fromChunk: Int) throws
    func rejectCounts(runID: String) throws -> [RejectCount]
    func rejects(runID: String, limit: Int) throws -> [RejectRecord]
    func replaceFeatureStats(runID: String, _ stats: [FeatureStatRecord]) throws
    func featureStats(runID: String) throws -> [FeatureStatRecord]

    // Shadow challengers.
    func replaceShadowComparisons(runID: String, _ comparisons: [ShadowComparisonRecord]) throws
    func shadowComparisons(runID: String) throws -> [ShadowComparisonRecord]
    /// The comparisons of succeeded runs where `model`@`version` was a challenger, newest first.
    func shadowHistory(model: String, version: String, limit: Int) throws -> [ShadowComparisonRecord]

    // Outcome evaluations (`nightjar evaluate`).
    /// Replaces the evaluations of a job's date with `records`, in one transaction.
    func replaceEvaluations(job: String, date: String, _ records: [EvaluationRecord]) throws
    /// A job's evaluations with `from <= logical_date <= to` (nil: unbounded), by date, arm, model, version.
    func evaluations(job: String, from: String?, to: String?) throws -> [EvaluationRecord]
}

extension RunStore {
    public func alias(model: String, alias: String) throws -> String? {
        try aliases(model: model).first { $0.alias == alias }?.version
    }
}

public enum RunStores {
    /// The run store a job names (`state:`), or `override` (a SQLite file given with --state).
    public static func open(for job: JobSpec, override: String? = nil) throws -> RunStore {
        if let override { return try SQLiteRunStore(path: override) }
        if let pg = job.statePostgres { return try PostgresRunStore(settings: pg, job: job.name) }
        return try SQLiteRunStore(path: job.state)
    }
}

extension RunStore {
    public func updateProgress(_ r: RunRecord) throws { try update(r) }
    public func mirror(_ c: ChunkRecord) throws { try record(c) }
    public func keepReserve() {}
    public func releaseReserve() -> Bool { false }
}
