import Foundation
import Logging
import NightjarCore
import NightjarIO

/// How one run is started.
public struct RunOptions: Sendable {
    public var date: LogicalDate
    public var trigger: RunRecord.Trigger
    /// Start over instead of resuming an unfinished run for the date.
    public var restart: Bool
    /// Wait for another process running the same job and date instead of failing.
    public var wait: Bool
    /// The cron fire time, for scheduled runs.
    public var scheduledFor: Date?
    public var statePath: String?
    /// Score only this share of the input; the shards of a date form one run.
    public var shard: Shard?

    public init(date: LogicalDate, trigger: RunRecord.Trigger = .manual, restart: Bool = false, wait: Bool = false,
                scheduledFor: Date? = nil, statePath: String? = nil, shard: Shard? = nil) {
        self.shard = shard
        self.date = date
        self.trigger = trigger
        self.restart = restart
        self.wait = wait
        self.scheduledFor = scheduledFor
        self.statePath = statePath
    }
}

/// Runs a job for one logical date: every chunk's rows and its checkpoint commit together, so a
/// run killed at any point resumes from its last committed chunk and the result is the same as
/// an uninterrupted run — no row lost, none written twice.
public final class RunExecutor {
    public static let version = NightjarVersion.current

    let job: JobSpec
    let logger: Logger
    let progress: RunProgress?
    let cancellation: Cancellation
    /// When this process's attempt at the run started, and the active seconds of earlier attempts.
    var attemptClock = (started: Date(), before: 0.0)
    /// The lease on the lock the run holds while it works (checked before every commit and the publish).
    var lease: RunLease?
    /// A bare model file loaded before the run started (by its sha256), for `plan`.
    var preloaded: (sha256: String, model: ScoringModel)?

    public init(job: JobSpec, logger: Logger = Logger(label: "nightjar.run", factory: { _ in SwiftLogNoOpLogHandler() }),
                progress: RunProgress? = nil, cancellation: Cancellation = Cancellation()) {
        self.job = job
        self.logger = logger
        self.progress = progress
        self.cancellation = cancellation
    }

    public static func sha256(ofFile path: String) throws(ModelError) -> String {
        do {
            return ModelBundle.sha256(try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe))
        } catch {
            throw .notFound(path: path, detail: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
    }

    static func newRunID(date: LogicalDate) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss"
        let random = (0..<6).map { _ in String("0123456789abcdef".randomElement()!) }.joined()
        return "\(f.string(from: Date()))-\(random)"
    }

    /// Everything a run needs that is decided before the first row: model, columns, files.
    struct Plan {
        var model: ScoringModel
        var sha256: String
        var version: String
        var name: String
        var resolved: ResolvedModel
        var predictor: Predictor
        var quality: RunQuality
        var layoutColumns: [OutputColumn]
        var files: [String]
    }

    /// `resolveFiles: false` (offline validation) leaves the source's files alone.
    func plan(date: LogicalDate, model resolved: ResolvedModel, resolveFiles: Bool = true) throws -> Plan {
        let model = try loadModel(resolved)
        let sha = resolved.sha256
        let all = model.outputColumns(includeMargin: true)
        var includeMargin = false
        var selected = model.outputColumns(includeMargin: false)
        if let outputs = job.outputs {
            for name in outputs where !all.contains(where: { $0.name == name }) {
                throw JobFileError(file: job.file, line: nil, key: "outputs",
                                   message: "'\(name)' is not an output of this model (it has: \(all.map(\.name).joined(separator: ", ")))")
            }
            includeMargin = outputs.contains { $0.hasPrefix("margin") }
            selected = all.filter { outputs.contains($0.name) }
        }
        if let twice = job.keys.first(where: { k in job.keys.filter { $0 == k }.count > 1 }) {
            throw JobFileError(file: job.file, line: nil, key: "key", message: "the key column '\(twice)' is named twice")
        }
        let threads = job.threads > 0 ? job.threads : ProcessInfo.processInfo.activeProcessorCount
        let explain = job.explain ?? JobSpec.Explain()
        if job.explain != nil, let why = model.contributionsUnavailable {
            throw JobFileError(file: job.file, line: nil, key: "explain", message: "\(resolved.modelPath): \(why)")
        }
        let predictor = Predictor(model: model, includeMargin: includeMargin, threads: threads,
                                  contributions: explain.contributions, reasons: explain.reasons)
        // The explanation columns follow the predictions, whatever `outputs:` keeps.
        selected += predictor.columns.filter {
            switch $0.role {
            case .contribution, .reason, .reasonContribution: return true
            default: return false
            }
        }
        try RunExecutor.refuseKeyClashes(job: job, outputs: selected.map(\.name))
        var files: [String] = []
        if resolveFiles, case .csv(let pattern) = job.source { files = try SourceFiles.resolve(pattern: pattern, date: date, job: job.name) }
        return Plan(model: model, sha256: sha, version: resolved.version ?? "sha256:\(sha.prefix(12))", name: resolved.name,
                    resolved: resolved, predictor: predictor,
                    quality: try RunQuality(bundle: resolved.bundle, outputColumns: predictor.columns, job: job),
                    layoutColumns: selected, files: files)
    }

    /// A key named like a column Nightjar writes (a prediction, a lineage column) would give the
    /// output two columns of that name: refused, naming the job file and the key.
    static func refuseKeyClashes(job: JobSpec, outputs: [String]) throws {
        let taken = outputs + JobSpec.reservedKeyNames(sink: job.sink)
        for key in job.keys where taken.contains(key) {
            throw JobFileError(file: job.file, line: nil, key: "key",
                               message: "the key column '\(key)' has the name of an output column (\(taken.joined(separator: ", "))); rename it in the input (a PostgreSQL query can select it AS another name)")
        }
    }

    /// The same check before a run touches anything: the outputs from the bundle's manifest, or
    /// from the model file (loaded once: `plan` takes it from here).
    func refuseKeyClashes(_ resolved: ResolvedModel) throws {
        guard !job.keys.isEmpty else { return }
        let outputs: [String]
        if let chosen = job.outputs {
            outputs = chosen
        } else if let bundle = resolved.bundle {
            outputs = bundle.manifest.outputs
        } else {
            let model = try loadModel(resolved)
            preloaded = (resolved.sha256, model)
            outputs = model.outputColumns(includeMargin: false).map(\.name)
        }
        try RunExecutor.refuseKeyClashes(job: job, outputs: outputs)
    }

    /// Runs the job for `options.date`. Returns the finished run record.
    @discardableResult
    public func run(_ options: RunOptions) throws -> RunRecord {
        if let shard = options.shard { return try runShard(options, shard: shard) }
        let date = options.date
        let ds = date.description
        let store = try RunStores.open(for: job, override: options.statePath)

        // One process per (job, date).
        let candidateID = RunExecutor.newRunID(date: date)
        var waited = false
        var askedAt = Date()
        while let holder = try store.tryLock(job: job.name, date: ds, runID: candidateID) {
            guard options.wait else { throw LockHeld(job: job.name, date: ds, holder: holder) }
            if !waited {
                logger.info("waiting for the running run to finish", metadata: ["run_id": "\(holder.runID)", "pid": "\(holder.pid)"])
                waited = true
            }
            if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: holder.runID) }
            Thread.sleep(forTimeInterval: 0.5)
            askedAt = Date()
        }
        defer {
            lease?.stop()
            lease = nil
            try? store.unlock(job: job.name, date: ds)
        }
        lease = try startLease(store, job: job.name, date: ds, askedAt: askedAt)
        store.keepReserve()
        try store.markDeadRunsInterrupted(job: job.name, date: ds)
        let resolved = try resolveModel(store: store, date: ds, restart: options.restart)
        try refuseKeyClashes(resolved)

        // Resume the unfinished run of this date, or start a new one.
        let previous = try store.latestRun(job: job.name, date: ds)
        var record: RunRecord
        var resuming = false
        let previousWasSharded = try previous.map { try !store.shards(runID: $0.runID).isEmpty || $0.source?.hasPrefix("sharded over") == true } ?? false
        if let p = previous, p.status != .succeeded, !options.restart, p.modelSHA256 == resolved.sha256, !previousWasSharded {
            record = p
            record.attempt += 1
            record.trigger = options.trigger == .manual ? p.trigger : options.trigger
            resuming = true
        } else {
            if let p = previous, p.status != .succeeded {
                try abandon(p, store: store)
                if !options.restart {
                    logger.warning("the model changed since the unfinished run; starting over", metadata: ["run_id": "\(p.runID)"])
                }
            }
            record = RunRecord(runID: candidateID, job: job.name, logicalDate: ds, trigger: options.trigger, status: .running,
                               attempt: 1, scheduledFor: options.scheduledFor.map(Timestamp.format), startedAt: Timestamp.now(),
                               endedAt: nil, rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0)
        }
        attemptClock = (Date(), resuming ? (previous?.activeSeconds ?? previous.flatMap(RunReport.duration) ?? 0) : 0)
        markActive(&record)
        record.status = .running
        record.error = nil
        record.endedAt = nil
        record.modelName = resolved.name
        record.modelVersion = resolved.version ?? "sha256:\(resolved.sha256.prefix(12))"
        record.modelSHA256 = resolved.sha256
        record.modelPath = resolved.modelPath
        record.bundlePath = resolved.bundle?.directory
        record.modelAlias = resolved.alias
        record.sink = sinkDescription(date: date)
        record.nightjarVersion = RunExecutor.version
        record.host = Host.name
        record.pid = Int(getpid())
        try store.retagLock(job: job.name, date: ds, runID: record.runID)
        try store.update(record)
        logger.info(resuming ? "resuming run" : "starting run", metadata: [
            "job": "\(job.name)", "run_id": "\(record.runID)", "logical_date": "\(ds)",
            "model": "\(record.modelName ?? "")@\(record.modelVersion ?? "")",
        ])

        // A new run over one CSV file cuts its first chunks of text while the model loads (one
        // thread's work), as `score` does; nothing is encoded, scored or written before the model
        // (and its bundle) passed its checks.
        var early: CSVFilesSource? = nil
        if !resuming, case let .csv(pattern) = job.source,
           let files = try? SourceFiles.resolve(pattern: pattern, date: date, job: job.name), files.count == 1 {
            early = try? CSVFilesSource(files: files, resumeAfter: nil, runID: record.runID)
            early?.readAhead(chunks: ScoreRunner.readAheadChunks, chunkRows: job.chunkRows, maxRows: nil)
        }
        defer { early?.close() }
        do {
            // The model (a bundle verified: hashes, golden rows) before any row is scored.
            let plan = try plan(date: date, model: resolved)
            switch job.source {
            case .csv: record.source = plan.files.joined(separator: ", ")
            case let .postgres(settings, _, key): record.source = "postgres:\(settings.description) ordered by \(key)"
            }
            try store.update(record)
            try execute(&record, plan: plan, store: store, resuming: resuming, shard: nil, early: early)
            record.status = .succeeded
            record.endedAt = Timestamp.now()
            markActive(&record)
            try store.update(record)
            afterRun(record, store: store)
            progress?.finish()
            logger.info("run succeeded", metadata: ["run_id": "\(record.runID)", "rows": "\(record.rowsWritten)"])
            return record
        } catch {
            progress?.finish()
            // A run that lost its lock no longer owns its record: the run holding the lock now does.
            if !(error is LeaseLost) { recordFailure(&record, error, store: store) }
            throw error
        }
    }

    /// Marks the run failed (or interrupted) with its one-line reason, then what follows every run.
    func recordFailure(_ record: inout RunRecord, _ error: Error, store: RunStore) {
        if let interrupted = error as? RunInterrupted {
            record.status = .interrupted
            record.error = interrupted.description
        } else {
            record.status = .failed
            // One line, bounded (the run store, `runs show` and the report show it).
            record.error = QuotedValue.line("\(error)")
        }
        record.endedAt = Timestamp.now()
        markActive(&record)
        do {
            try store.update(record)
        } catch let error as SQLiteError where error.isDiskFull {
            // A full disk under the run store: the reserve gives the record (and the lock's
            // release after it) the room they need, so the run reads failed, not running.
            if store.releaseReserve() {
                logger.warning("the run store's disk is full: used its reserve to record the failure", metadata: ["run_id": "\(record.runID)"])
            }
            try? store.update(record)
        } catch {
            logger.warning("the run's end could not be recorded", metadata: ["run_id": "\(record.runID)", "error": "\(QuotedValue.line("\(error)"))"])
        }
        afterRun(record, store: store)
    }

    /// Sets the run's active seconds: earlier attempts' plus this one's so far.
    func markActive(_ record: inout RunRecord) {
        record.activeSeconds = attemptClock.before + Date().timeIntervalSince(attemptClock.started)
    }

    func sinkDescription(date: LogicalDate) -> String {
        switch job.sink {
        case let .sqlite(path, table): return "sqlite:\(path)#\(table)"
        case let .csv(path): return "csv:\(DateTemplate.render(path, date: date))"
        case let .postgres(settings, table): return "postgres:\(settings.description)#\(table)"
        }
    }

    /// Drops what an unfinished run left behind (its staging rows or partial file) before starting over.
    func abandon(_ run: RunRecord, store: RunStore) throws {
        switch job.sink {
        case let .sqlite(path, _):
            try SQLiteDestination.abandon(runID: run.runID, path: path)
        case let .csv(pattern):
            try CSVDestination.abandon(runID: run.runID, path: DateTemplate.render(pattern, date: LogicalDate(run.logicalDate) ?? LogicalDate(year: 1970, month: 1, day: 1)))
        case let .postgres(settings, _):
            try PostgresDestination.abandon(runID: run.runID, settings: settings, job: job)
        }
        try store.deleteChunks(runID: run.runID)
        var old = run
        if old.status == .running { old.status = .interrupted }
        old.error = (old.error.map { $0 + "; " } ?? "") + "abandoned: a new run was started for this date"
        try store.update(old)
    }
}
