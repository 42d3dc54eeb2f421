import Dispatch
import Foundation
import NightjarCore
import NightjarIO

extension RunExecutor {
    /// Scores the run (or one shard of it). Returns the destination, still to be finished for shards.
    @discardableResult
    func execute(_ record: inout RunRecord, plan: Plan, store: RunStore, resuming: Bool, shard: Shard?) throws -> ChunkDestination {
        let started = Date()
        let ds = record.logicalDate
        let date = LogicalDate(ds)!
        let metadata: [(name: String, value: String)] = [
            ("logical_date", ds), ("run_id", record.runID), ("model_name", plan.name),
            ("model_version", plan.version), ("model_sha256", plan.sha256),
        ]
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
            destination = try SQLiteDestination(path: path, table: table, layout: writerLayout, metadata: metadata, replace: replace,
                                                runID: record.runID, date: ds, store: store)
        case let .csv(pattern):
            destination = CSVDestination(path: DateTemplate.render(pattern, date: date), layout: writerLayout, metadata: metadata, store: store)
        case let .postgres(settings, table):
            destination = try PostgresDestination(settings: settings, table: table, layout: writerLayout, metadata: metadata, replace: replace,
                                                  runID: record.runID, date: ds, job: job, store: store)
        }
        let shadowWriters = try challengers.map {
            try destination.addWriter(table: RunExecutor.shadowTable(job.sink.table ?? ""), layout: writerLayout, metadata: $0.metadata)
        }
        let splitWriter = try splitContender.map { try destination.addWriter(table: nil, layout: writerLayout, metadata: $0.metadata) }
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
        if plan.quality.contract != nil {
            // Rejects of chunks that did not commit are redone with them.
            try store.deleteRejects(runID: record.runID, shard: shard?.index ?? 0, fromChunk: committed.count)
        }
        if let csv = destination as? CSVDestination { try csv.open(runID: record.runID, resumeAt: committed.last?.outputOffset) }

        let source: ChunkSource
        switch job.source {
        case .csv:
            source = try CSVFilesSource(files: plan.files, resumeAfter: committed.last, runID: record.runID, shard: shard)
        case let .postgres(settings, query, key):
            source = try PostgresSource(settings: settings, query: query, key: key, date: date, job: job,
                                        features: plan.model.features.map(\.name), resumeAfter: committed.last, shard: shard)
        }
        defer { source.close() }

        let rowsBefore = committed.reduce(0) { $0 + $1.rows }
        let rejectedBefore = committed.reduce(0) { $0 + $1.rowsRejected }
        record.chunks = committed.count
        record.rowsRead = rowsBefore
        record.rowsRejected = rejectedBefore
        record.rowsScored = rowsBefore - rejectedBefore
        record.rowsWritten = record.rowsScored

        // Three overlapped stages: read + screen + encode (read thread) → score (this thread) →
        // commit (commit thread). Each hands one chunk on at a time, so the slowest sets the pace
        // and memory stays at a few chunks.
        let reader = ChunkReader(job: job, source: source, features: plan.model.features, quality: plan.quality,
                                 challengers: challengers, splitContender: splitContender, writerLayout: writerLayout,
                                 runID: record.runID, shardIndex: shard?.index ?? 0, rowsBefore: rowsBefore)
        let prefetcher = ChunkPrefetcher { batch, matrix in try reader.next(batch: &batch, matrix: &matrix) }
        defer { prefetcher.stop() }
        let scorer = ChunkScorer(plan: plan, quality: plan.quality, challengers: challengers, splitContender: splitContender,
                                 shadowWriters: shadowWriters, splitWriter: splitWriter, comparison: comparison,
                                 championProjection: championProjection)
        let committer = ChunkCommitter(record: record, destination: destination, store: store, quality: plan.quality, shard: shard,
                                       progress: progress, delayMilliseconds: delay) { prefetcher.recycle(batch: $0, matrix: $1) }
        // Joined before anything else touches the record, the store or the destination.
        defer { committer.stop() }
        // Feeds the stages until the input ends, the run is cancelled or times out, or a stage fails.
        func pump() throws {
            var chunkIndex = committed.count
            var rows = rowsBefore
            while true {
                if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: record.runID) }
                if let timeout = job.timeout, Date().timeIntervalSince(started) > timeout {
                    throw ScoreError("run \(record.runID) timed out after \(Int(timeout)) s (job timeout); committed chunks are kept")
                }
                let item: ChunkPrefetcher.Item
                switch prefetcher.next() {
                case .end: return
                case .failure(let error): throw error
                case .chunk(let i): item = i
                }
                try committer.submit(try scorer.score(item, chunkIndex: chunkIndex, rowsBefore: rows))
                chunkIndex += 1
                rows += item.rowsRead
            }
        }
        var failure: (any Error)?
        do { try pump() } catch { failure = error }
        // Whatever happened, the record counts exactly the chunks that committed.
        committer.stop()
        record = committer.committedRecord
        if let failure = failure ?? committer.error { throw failure }
        if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: record.runID) }
        if shard == nil {
            try plan.quality.finish(&record, chunks: try destination.committed(runID: record.runID, shard: nil), store: store,
                               challengers: challengers.map(\.info))
            try destination.finish(runID: record.runID, date: ds)
        }
        return destination
    }
}
