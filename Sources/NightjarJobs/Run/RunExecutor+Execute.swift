import Dispatch
import Foundation
import NightjarCore
import NightjarIO

extension RunExecutor {
    /// Scores the run (or one shard of it). Returns the destination, still to be finished for shards.
    @discardableResult
    /// - Parameter early: the run's CSV source, already cutting its first chunks (a new run over one file).
    func execute(_ record: inout RunRecord, plan: Plan, store: RunStore, resuming: Bool, shard: Shard?,
                 early: CSVFilesSource? = nil) throws -> ChunkDestination {
        let started = Date()
        let ds = record.logicalDate
        let date = LogicalDate(ds)!
        let lineage = OutputLineage(logicalDate: ds, runID: record.runID, modelName: plan.name, modelVersion: plan.version,
                                    modelSHA256: plan.sha256)
        let float32 = plan.model.float32Outputs
        let delay = ProcessInfo.processInfo.environment["NIGHTJAR_TEST_CHUNK_DELAY_MS"].flatMap(Double.init) ?? 0
        let replace = job.writeMode == .replacePartition

        // The writer's column layout: key names and prediction columns (key positions come per chunk).
        let writerLayout = OutputLayout(keyColumns: job.keys.enumerated().map { ($1, $0) }, predictions: plan.layoutColumns, float32Values: float32)

        // Challengers (shadow) and a split's challenger: resolved, verified and loaded before anything is written.
        let includeMargin = plan.predictor.columns.contains { if case .margin = $0.role { return true } else { return false } }
        let challengers = try job.challengers.map {
            try contender($0, store: store, champion: plan.model, outputs: plan.layoutColumns, includeMargin: includeMargin,
                          threads: plan.predictor.threads, date: date, runID: record.runID)
        }
        let splitContender = try job.split.map {
            try contender($0.challenger, store: store, champion: plan.model, outputs: plan.layoutColumns, includeMargin: includeMargin,
                          threads: plan.predictor.threads, date: date, runID: record.runID)
        }
        let championProjection = RunExecutor.projection(plan.layoutColumns, in: plan.predictor.columns).map { $0! }
        let comparison = ComparisonSetup(plan: plan, threshold: job.threshold)

        // The destination first: it holds the authoritative checkpoints.
        let destination: ChunkDestination
        switch job.sink {
        case let .sqlite(path, table):
            destination = try SQLiteDestination(path: path, table: table, layout: writerLayout, lineage: lineage, replace: replace,
                                                runID: record.runID, date: ds, store: store)
        case let .csv(pattern):
            destination = CSVDestination(path: DateTemplate.render(pattern, date: date), layout: writerLayout, lineage: lineage, store: store)
        case let .postgres(settings, table):
            destination = try PostgresDestination(settings: settings, table: table, layout: writerLayout, lineage: lineage, replace: replace,
                                                  runID: record.runID, date: ds, job: job, store: store)
        }
        let shadowWriters = try challengers.map {
            try destination.addWriter(table: RunExecutor.shadowTable(job.sink.table ?? ""), layout: writerLayout, lineage: $0.lineage)
        }
        let splitWriter = try splitContender.map { try destination.addWriter(table: nil, layout: writerLayout, lineage: $0.lineage) }
        var committed: [ChunkRecord] = []
        if resuming {
            if shard == nil, try destination.isPublished(runID: record.runID) {
                // Published before the process died: only the run record was left to update.
                let chunks = try destination.committed(runID: record.runID, shard: nil)
                record.chunks = chunks.count
                record.rowsRead = chunks.reduce(0) { $0 + $1.rows }
                record.rowsScored = record.rowsRead
                record.rowsWritten = record.rowsRead
                try? plan.quality.finish(&record, chunks: chunks, store: store)  // recomputed; the rows are out already
                return destination
            }
            committed = try destination.committed(runID: record.runID, shard: shard?.index ?? 0)
        }
        if plan.quality.contract != nil || job.duplicateKeys == .reject {
            // Rejects of chunks that did not commit are redone with them.
            try store.deleteRejects(runID: record.runID, shard: shard?.index ?? 0, fromChunk: committed.count)
        }
        if let csv = destination as? CSVDestination { try csv.open(runID: record.runID, resumeAt: committed.last?.outputOffset) }

        let source: ChunkSource
        switch job.source {
        case .csv:
            if let early, committed.isEmpty, shard == nil, early.files == plan.files {
                source = early
            } else {
                source = try CSVFilesSource(files: plan.files, resumeAfter: committed.last, runID: record.runID, shard: shard)
            }
        case let .postgres(settings, query, key):
            source = try PostgresSource(settings: settings, query: query, key: key, date: date, job: job,
                                        features: plan.model.features.map(\.name), resumeAfter: committed.last, shard: shard)
        }
        defer { source.close() }

        let before = ChunkCommitter.Counts(chunks: committed.count, rowsRead: committed.reduce(0) { $0 + $1.rows },
                                           rowsRejected: committed.reduce(0) { $0 + $1.rowsRejected })
        let runID = record.runID
        let shardIndex = shard?.index ?? 0
        // Keys seen twice: checked across the whole run, the committed rows' keys included when resuming.
        // A PostgreSQL source is read in key order, and its reader refuses a key equal to the one
        // before it: no table of keys needed.
        var duplicates: JobSpec.DuplicateKeys = job.keys.isEmpty ? .keep : job.duplicateKeys
        if case .postgres = job.source { duplicates = .keep }
        var seen = KeySet()
        if duplicates != .keep, !committed.isEmpty {
            if let keys = try destination.committedKeys(runID: record.runID, keys: job.keys) {
                seen = keys
            } else {
                logger.warning("duplicate keys are checked from here on only: this sink cannot read back the keys written before the restart",
                               metadata: ["run_id": "\(record.runID)"])
            }
        }
        let reader = ChunkReader(source: source, keys: job.keys, chunkRows: job.chunkRows, split: job.split, features: plan.model.features,
                                 quality: plan.quality, challengers: challengers, splitContender: splitContender,
                                 writerLayout: writerLayout, runID: runID, shardIndex: shardIndex, rowsBefore: before.rowsRead,
                                 duplicateKeys: duplicates, seenKeys: seen)
        let scorer = ChunkScorer(predictor: plan.predictor, quality: plan.quality, championProjection: championProjection,
                                 challengers: challengers, splitContender: splitContender, shadowWriters: shadowWriters,
                                 splitWriter: splitWriter, comparison: comparison)
        // The commit thread keeps the run record (or the shard's) current after every chunk.
        let base = record
        let clock = attemptClock
        let quality = plan.quality
        var hooks = ChunkCommitter.Hooks()
        let lease = self.lease
        hooks.willCommit = { pending, checkpoint in
            // Only while the lock is this run's: a run paused past its lease, or whose lock was
            // removed, commits nothing more.
            try lease?.check(runID: runID)
            if !pending.rejects.isEmpty { try store.replaceRejects(runID: runID, shard: shardIndex, chunk: checkpoint.chunk, pending.rejects) }
        }
        hooks.didCommit = { [progress] counts, pending, _ in
            var live = base
            RunExecutor.apply(counts, to: &live)
            live.activeSeconds = clock.before + Date().timeIntervalSince(clock.started)
            if let shard {
                try store.updateShard(ShardRecord(runID: runID, shard: shard.index, shards: shard.count, status: .running,
                                                  rows: counts.rowsRead, chunks: counts.chunks, host: Host.name, pid: Int(getpid()),
                                                  startedAt: live.startedAt))
            } else {
                try store.updateProgress(live)
            }
            progress?.update(runID: runID, chunk: counts.chunks, rows: counts.rowsRead, fraction: pending.fraction)
            try quality.checkRejects(rejected: counts.rowsRejected, read: counts.rowsRead, final: false, store: store, runID: runID)
            if delay > 0 { Thread.sleep(forTimeInterval: delay / 1000) }
        }
        let cancellation = self.cancellation
        let timeout = job.timeout
        let pipeline = ChunkPipeline(reader: reader, scorer: scorer, destination: destination, hooks: hooks) {
            if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: runID) }
            try lease?.check(runID: runID)
            if let timeout, Date().timeIntervalSince(started) > timeout {
                throw ScoreError("run \(runID) timed out after \(Int(timeout)) s (job timeout); committed chunks are kept", kind: .temporary)
            }
        }
        let (counts, failure) = pipeline.run(before: before)
        // Whatever happened, the record counts exactly the chunks that committed.
        RunExecutor.apply(counts, to: &record)
        if let failure { throw failure }
        if shard == nil {
            try plan.quality.finish(&record, chunks: try destination.committed(runID: record.runID, shard: nil), store: store,
                               challengers: challengers.map(\.info))
            logQualityWarnings(record, store: store)
            try lease?.check(runID: runID)
            try destination.finish(runID: record.runID, date: ds)
        }
        return destination
    }

    /// Sets a run record's counts from what committed.
    static func apply(_ counts: ChunkCommitter.Counts, to record: inout RunRecord) {
        record.chunks = counts.chunks
        record.rowsRead = counts.rowsRead
        record.rowsRejected = counts.rowsRejected
        record.rowsScored = counts.rowsWritten
        record.rowsWritten = counts.rowsWritten
    }
}
