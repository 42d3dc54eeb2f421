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

        func layout(for header: [String]) throws -> OutputLayout {
            var keys: [(name: String, index: Int)] = []
            for k in job.keys {
                guard let i = header.firstIndex(of: k) else {
                    throw ScoreError("key column '\(k)' is not in the input (columns: \(header.joined(separator: ", ")))")
                }
                keys.append((k, i))
            }
            return OutputLayout(keyColumns: keys, predictions: plan.layoutColumns, float32Values: float32)
        }
        // The writer's column layout: key names and prediction columns (key positions come per chunk).
        let writerLayout = OutputLayout(keyColumns: job.keys.enumerated().map { ($1, $0) }, predictions: plan.layoutColumns, float32Values: float32)

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

        var chunkIndex = committed.count
        var rows = committed.reduce(0) { $0 + $1.rows }
        var rejected = committed.reduce(0) { $0 + $1.rowsRejected }
        record.chunks = chunkIndex
        record.rowsRead = rows
        record.rowsScored = rows - rejected
        record.rowsWritten = rows - rejected
        record.rowsRejected = rejected
        // Reading and encoding run one chunk ahead on their own thread; scoring and committing here.
        let features = plan.model.features
        let chunkRows = job.chunkRows
        let runID = record.runID
        let shardIndex = shard?.index ?? 0
        var headerVersion = -1
        var encoder: FeatureEncoder? = nil
        var readerLayout = writerLayout
        let quality = plan.quality
        var checker: ContractChecker? = nil
        var keyColumns: [Int] = []
        var readerRows = rows
        var firstChunk = committed.isEmpty
        let prefetcher = ChunkPrefetcher { batch, matrix in
            let started = Date()
            var checkpoint = ChunkRecord(runID: runID, chunk: 0, fileIndex: 0, sourceFile: "", startOffset: 0, endOffset: 0,
                                         endLine: 0, rows: 0, outputOffset: nil, committedAt: "", seconds: 0, shard: shardIndex)
            guard try source.next(maxRows: chunkRows, into: &batch, checkpoint: &checkpoint) else { return nil }
            if source.headerVersion != headerVersion {
                headerVersion = source.headerVersion
                do throws(MissingColumnsError) {
                    encoder = try FeatureEncoder(features: features, header: source.header)
                } catch {
                    throw InputError(path: source.location(row: 0).file, line: 1, message: error.description)
                }
                readerLayout = try layout(for: source.header)
                checker = try quality.checker(header: source.header, file: source.location(row: 0).file)
                keyColumns = self.job.keys.compactMap { source.header.firstIndex(of: $0) }
            }
            // The input contract: rows that break it are set aside before encoding, never scored.
            let rowsRead = batch.rowCount
            var screened = RunQuality.Screened()
            if let checker {
                screened = try quality.screen(&batch, checker: checker, keyColumns: keyColumns, rowsBefore: readerRows, firstChunk: firstChunk,
                                              runID: runID, shard: shardIndex, location: source.location(row:))
            }
            readerRows += rowsRead
            firstChunk = false
            if matrix.stride != features.count { matrix = FeatureMatrix(rows: 0, features: features.count) }
            do throws(EncodingError) {
                try encoder!.encode(batch, into: &matrix)
            } catch {
                let column = encoder!.columnIndex[encoder!.features.firstIndex { $0.name == error.column } ?? 0]
                let (file, line) = source.location(row: error.row)
                throw InputError(path: file, line: line, column: column + 1, columnName: error.column,
                                 message: error.description.replacingOccurrences(of: "column '\(error.column)': ", with: ""))
            }
            return ChunkPrefetcher.Item(batch: batch, matrix: matrix, checkpoint: checkpoint, layout: readerLayout,
                                        keyTypes: source.keyTypes, fraction: source.fraction, started: started,
                                        rowsRead: rowsRead, screened: screened)
        }
        defer { prefetcher.stop() }
        var values: [Double] = []
        loop: while true {
            if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: record.runID) }
            if let timeout = job.timeout, Date().timeIntervalSince(started) > timeout {
                throw ScoreError("run \(record.runID) timed out after \(Int(timeout)) s (job timeout); committed chunks are kept")
            }
            var item: ChunkPrefetcher.Item
            switch prefetcher.next() {
            case .end: break loop
            case .failure(let error): throw error
            case .chunk(let i): item = i
            }
            plan.predictor.score(item.matrix, into: &values)
            let count = item.rowsRead
            do {
                // The scored chunk takes the batch; once committed, its buffers go back to the reader.
                let scored = ScoredChunk(batch: item.batch, values: values, firstRowNumber: Int64(rows + 1))
                item.batch = TextBatch(columnCount: 0)
                var checkpoint = item.checkpoint
                checkpoint.chunk = chunkIndex
                checkpoint.committedAt = Timestamp.now()
                checkpoint.seconds = Date().timeIntervalSince(item.started)
                checkpoint.rowsRejected = item.screened.rejectedRows
                checkpoint.stats = try quality.statistics(item.matrix, predictions: values, stride: plan.predictor.columns.count)
                if item.screened.rejectedRows > 0 {
                    // Before the chunk commits: a crash in between redoes the chunk, which replaces these.
                    var rejects = item.screened.rejects
                    for i in rejects.indices { rejects[i].chunk = chunkIndex }
                    try store.replaceRejects(runID: record.runID, shard: shardIndex, chunk: chunkIndex, rejects)
                }
                try destination.commit(scored, layout: item.layout, keyTypes: item.keyTypes, checkpoint: &checkpoint)
                item.batch = scored.batch
            }
            chunkIndex += 1
            rows += count
            rejected += item.screened.rejectedRows
            record.chunks = chunkIndex
            record.rowsRead = rows
            record.rowsScored = rows - rejected
            record.rowsWritten = rows - rejected
            record.rowsRejected = rejected
            if let shard {
                try store.updateShard(ShardRecord(runID: record.runID, shard: shard.index, shards: shard.count, status: .running, rows: rows,
                                                  chunks: chunkIndex, host: Host.name, pid: Int(getpid()), startedAt: record.startedAt))
            } else {
                try store.update(record)
            }
            progress?.update(runID: record.runID, chunk: chunkIndex, rows: rows, fraction: item.fraction)
            try quality.checkRejects(rejected: rejected, read: rows, final: false, store: store, runID: record.runID)
            prefetcher.recycle(item)
            if delay > 0 { Thread.sleep(forTimeInterval: delay / 1000) }
        }
        if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: record.runID) }
        if shard == nil {
            try quality.finish(&record, chunks: try destination.committed(runID: record.runID, shard: nil), store: store)
            try destination.finish(runID: record.runID, date: ds)
        }
        return destination
    }
}
