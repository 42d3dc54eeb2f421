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
        var challengerEncoders: [FeatureEncoder?] = []
        var splitEncoder: FeatureEncoder? = nil
        var splitColumns: [Int] = []
        let split = job.split
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
                func contenderEncoder(_ c: Contender) throws -> FeatureEncoder {
                    do throws(MissingColumnsError) {
                        return try FeatureEncoder(features: c.model.features, header: source.header)
                    } catch {
                        throw InputError(path: source.location(row: 0).file, line: 1, message: "challenger \(c.reference): \(error.description)")
                    }
                }
                challengerEncoders = try challengers.map { $0.sharesFeatures ? nil : try contenderEncoder($0) }
                splitEncoder = try splitContender.map { try contenderEncoder($0) }
                if let split {
                    splitColumns = try split.by.map { name in
                        guard let i = source.header.firstIndex(of: name) else {
                            throw InputError(path: source.location(row: 0).file, line: 1, message: "split.by column '\(name)' is not in the input")
                        }
                        return i
                    }
                }
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
            var item = ChunkPrefetcher.Item(batch: batch, matrix: matrix, checkpoint: checkpoint, layout: readerLayout,
                                            keyTypes: source.keyTypes, fraction: source.fraction, started: started,
                                            rowsRead: rowsRead, screened: screened)
            // Challengers reading other features get their own matrix; a split's challenger its rows'.
            func encoded(_ encoder: FeatureEncoder, _ rows: TextBatch) throws -> FeatureMatrix {
                var m = FeatureMatrix(rows: 0, features: encoder.features.count)
                do throws(EncodingError) {
                    try encoder.encode(rows, into: &m)
                } catch {
                    let (file, line) = source.location(row: error.row)
                    throw InputError(path: file, line: line, columnName: error.column, message: error.description)
                }
                return m
            }
            item.challengerMatrices = try challengerEncoders.map { try $0.map { try encoded($0, batch) } }
            if let split, let splitEncoder {
                let mask = (0..<batch.rowCount).map { r in
                    SplitHash.isChallenger(splitColumns.map { batch.bytes[batch.fieldRange(row: r, column: $0)] }, share: split.share)
                }
                item.splitMask = mask
                if mask.contains(true) { item.splitMatrix = try encoded(splitEncoder, batch.keeping(mask)) }
            }
            return item
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
            let scoringStarted = DispatchTime.now()
            plan.predictor.score(item.matrix, into: &values)
            let championSeconds = DispatchTime.now().seconds(since: scoringStarted)
            let count = item.rowsRead
            do {
                let width = plan.predictor.columns.count
                var outputValues = RunExecutor.project(values, width: width, championProjection)
                // Shadow challengers: the same rows, into the shadow table, compared with the champion.
                var extras: [ExtraRows] = []
                var comparisons: [ShadowComparison] = []
                for (i, c) in challengers.enumerated() {
                    var shadow: [Double] = []
                    let started = DispatchTime.now()
                    c.predictor.score(item.challengerMatrices[i] ?? item.matrix, into: &shadow)
                    var cmp = comparison.compare(champion: values, championColumns: plan.predictor.columns,
                                                 challenger: shadow, challengerColumns: c.predictor.columns)
                    cmp.championSeconds = championSeconds
                    cmp.challengerSeconds = DispatchTime.now().seconds(since: started)
                    comparisons.append(cmp)
                    extras.append(ExtraRows(writer: shadowWriters[i], layout: item.layout,
                                            chunk: ScoredChunk(batch: item.batch, values: RunExecutor.project(shadow, width: c.predictor.columns.count, c.projection),
                                                               firstRowNumber: Int64(rows + 1))))
                }
                // A split: the challenger's rows leave the champion's chunk and are written with the challenger's name.
                var mainBatch = item.batch
                if let s = splitContender, let mask = item.splitMask, let splitMatrix = item.splitMatrix {
                    var scoredSplit: [Double] = []
                    s.predictor.score(splitMatrix, into: &scoredSplit)
                    extras.append(ExtraRows(writer: splitWriter!, layout: item.layout,
                                            chunk: ScoredChunk(batch: item.batch.keeping(mask),
                                                               values: RunExecutor.project(scoredSplit, width: s.predictor.columns.count, s.projection),
                                                               firstRowNumber: Int64(rows + 1))))
                    let championRows = mask.map { !$0 }
                    mainBatch = item.batch.keeping(championRows)
                    outputValues = RunExecutor.rows(outputValues, width: championProjection.count, keep: championRows)
                }
                // The scored chunk takes the batch; once committed, its buffers go back to the reader.
                let scored = ScoredChunk(batch: mainBatch, values: outputValues, firstRowNumber: Int64(rows + 1))
                mainBatch = TextBatch(columnCount: 0)
                item.batch = TextBatch(columnCount: 0)
                var checkpoint = item.checkpoint
                checkpoint.chunk = chunkIndex
                checkpoint.committedAt = Timestamp.now()
                checkpoint.seconds = Date().timeIntervalSince(item.started)
                checkpoint.rowsRejected = item.screened.rejectedRows
                checkpoint.stats = try quality.statistics(item.matrix, predictions: values, stride: plan.predictor.columns.count,
                                                          shadows: comparisons)
                if item.screened.rejectedRows > 0 {
                    // Before the chunk commits: a crash in between redoes the chunk, which replaces these.
                    var rejects = item.screened.rejects
                    for i in rejects.indices { rejects[i].chunk = chunkIndex }
                    try store.replaceRejects(runID: record.runID, shard: shardIndex, chunk: chunkIndex, rejects)
                }
                try destination.commit(scored, layout: item.layout, keyTypes: item.keyTypes, extras: extras, checkpoint: &checkpoint)
                extras.removeAll()
                if splitContender == nil { item.batch = scored.batch }
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
            try quality.finish(&record, chunks: try destination.committed(runID: record.runID, shard: nil), store: store,
                               challengers: challengers.map(\.info))
            try destination.finish(runID: record.runID, date: ds)
        }
        return destination
    }
}
