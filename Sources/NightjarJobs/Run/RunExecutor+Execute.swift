import Foundation
import NightjarCore
import NightjarIO

extension RunExecutor {
    /// Where committed rows go: a SQLite table (rows and checkpoint in one transaction) or a CSV
    /// file (rows flushed to disk, then the checkpoint recorded).
    enum Destination {
        case sqlite(SQLiteTableWriter)
        case csv(CSVPartitionWriter)
    }

    func execute(_ record: inout RunRecord, plan: Plan, store: RunStore, resuming: Bool) throws {
        let started = Date()
        let ds = record.logicalDate
        let metadata: [(name: String, value: String)] = [
            ("logical_date", ds), ("run_id", record.runID), ("model_name", job.model.name),
            ("model_version", plan.version), ("model_sha256", plan.sha256),
        ]
        let float32 = plan.model.float32Outputs
        let delay = ProcessInfo.processInfo.environment["NIGHTJAR_TEST_CHUNK_DELAY_MS"].flatMap(Double.init) ?? 0

        // Committed chunks so far: the checkpoint to continue from.
        var committed: [ChunkRecord] = []
        let destination: Destination
        var layoutKeys: [String] = job.keys
        if layoutKeys.isEmpty { layoutKeys = [] }
        // The layout's key indices depend on each file's header; the writer only needs names and order.
        func layout(for header: [String]) throws -> OutputLayout {
            var keys: [(name: String, index: Int)] = []
            for k in job.keys {
                guard let i = header.firstIndex(of: k) else {
                    throw ScoreError("key column '\(k)' is not in the input header (columns: \(header.joined(separator: ", ")))")
                }
                keys.append((k, i))
            }
            return OutputLayout(keyColumns: keys, predictions: plan.layoutColumns, float32Values: float32)
        }
        // Use the first file's header for the writer.
        let firstHeader = try CSVReader(path: plan.files[0]).header
        let baseLayout = try layout(for: firstHeader)

        switch job.sink {
        case let .sqlite(path, table):
            let partition = job.writeMode == .replacePartition
                ? SQLiteTableWriter.Partition(column: "logical_date", value: ds, stagingTable: RunExecutor.stagingTable(runID: record.runID))
                : nil
            let writer = try SQLiteTableWriter(path: path, table: table, layout: baseLayout, metadata: metadata, partition: partition)
            _ = path == store.path ? store : try RunStore(path: path)  // the checkpoint tables in the sink file
            try writer.database.execute("CREATE TABLE IF NOT EXISTS nightjar_publications (run_id TEXT PRIMARY KEY, logical_date TEXT NOT NULL, table_name TEXT NOT NULL, published_at TEXT NOT NULL)")
            if resuming {
                if try !writer.database.query("SELECT 1 FROM nightjar_publications WHERE run_id = \(SQLiteString.literal(record.runID))").isEmpty {
                    // Published before the process died: only the run record was left to update.
                    let chunks = try RunStore.chunks(runID: record.runID, in: writer.database)
                    record.chunks = chunks.count
                    record.rowsRead = chunks.reduce(0) { $0 + $1.rows }
                    record.rowsScored = record.rowsRead
                    record.rowsWritten = record.rowsRead
                    return
                }
                committed = try RunStore.chunks(runID: record.runID, in: writer.database)
            }
            destination = .sqlite(writer)
        case let .csv(pattern):
            let path = DateTemplate.render(pattern, date: LogicalDate(ds)!)
            if resuming { committed = try store.chunks(runID: record.runID) }
            if let last = committed.last, let offset = last.outputOffset {
                let probe = try CSVPartitionWriter.partialPath(path: path, runID: record.runID)
                if !FileManager.default.fileExists(atPath: probe),
                   let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, Int64(size) == offset {
                    return  // renamed into place before the process died
                }
            }
            let writer = try CSVPartitionWriter(path: path, runID: record.runID, layout: baseLayout, metadata: metadata,
                                                resumeAt: committed.last?.outputOffset)
            destination = .csv(writer)
        }

        var chunkIndex = committed.count
        var rows = committed.reduce(0) { $0 + $1.rows }
        record.chunks = chunkIndex
        record.rowsRead = rows
        record.rowsScored = rows
        record.rowsWritten = rows
        let totalBytes = plan.files.reduce(Int64(0)) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int).map { Int64($0) } ?? 0) }
        var bytesBefore: Int64 = 0
        if let last = committed.last {
            guard last.fileIndex < plan.files.count, plan.files[last.fileIndex] == last.sourceFile else {
                throw ScoreError("the input files changed since run \(record.runID) started (expected \(last.sourceFile)); start over with --restart")
            }
        }
        var matrix = FeatureMatrix(rows: 0, features: plan.model.features.count)
        var values: [Double] = []
        for (fileIndex, file) in plan.files.enumerated() {
            let fileSize = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int).map { Int64($0) } ?? 0
            defer { bytesBefore += fileSize }
            if let last = committed.last, fileIndex < last.fileIndex { continue }
            let reader = try CSVReader(path: file)
            let encoder: FeatureEncoder
            do {
                encoder = try FeatureEncoder(features: plan.model.features, header: reader.header)
            } catch {
                throw InputError(path: file, line: 1, message: error.description)
            }
            let fileLayout = try layout(for: reader.header)
            if let last = committed.last, fileIndex == last.fileIndex {
                try reader.resume(at: last.endOffset, line: last.endLine)
            }
            var chunk = CSVChunk(columnCount: reader.columnCount)
            while true {
                if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: record.runID) }
                if let timeout = job.timeout, Date().timeIntervalSince(started) > timeout {
                    throw ScoreError("run \(record.runID) timed out after \(Int(timeout)) s (job timeout); committed chunks are kept")
                }
                let chunkStart = Date()
                guard try reader.readChunk(maxRows: job.chunkRows, into: &chunk) else { break }
                do {
                    try encoder.encode(chunk.batch, into: &matrix)
                } catch {
                    let column = encoder.columnIndex[encoder.features.firstIndex { $0.name == error.column } ?? 0]
                    throw InputError(path: file, line: chunk.lines[error.row], column: column + 1, columnName: error.column,
                                     message: error.description.replacingOccurrences(of: "column '\(error.column)': ", with: ""))
                }
                plan.predictor.score(matrix, into: &values)
                let scored = ScoredChunk(batch: chunk.batch, values: values, firstRowNumber: Int64(rows + 1))
                var checkpoint = ChunkRecord(runID: record.runID, chunk: chunkIndex, fileIndex: fileIndex, sourceFile: file,
                                             startOffset: chunk.startOffset, endOffset: chunk.endOffset, endLine: reader.line,
                                             rows: chunk.rowCount, outputOffset: nil, committedAt: Timestamp.now(),
                                             seconds: Date().timeIntervalSince(chunkStart))
                switch destination {
                case .sqlite(let writer):
                    try writer.inTransaction {
                        try writer.write(scored, layout: fileLayout)
                        try RunStore.insertChunk(checkpoint, into: writer.database)
                    }
                    if writer.path != store.path { try store.record(checkpoint) }
                case .csv(let writer):
                    checkpoint.outputOffset = try writer.write(scored, layout: fileLayout)
                    try store.record(checkpoint)
                }
                chunkIndex += 1
                rows += chunk.rowCount
                record.chunks = chunkIndex
                record.rowsRead = rows
                record.rowsScored = rows
                record.rowsWritten = rows
                try store.update(record)
                let fraction = totalBytes > 0 ? Double(bytesBefore + chunk.endOffset) / Double(totalBytes) : nil
                progress?.update(runID: record.runID, chunk: chunkIndex, rows: rows, fraction: fraction)
                if delay > 0 { Thread.sleep(forTimeInterval: delay / 1000) }
            }
        }

        if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: record.runID) }
        switch destination {
        case .sqlite(let writer):
            if job.writeMode == .replacePartition {
                let runID = record.runID
                let table = writer.table
                try writer.publishPartition {
                    try writer.database.execute("INSERT OR REPLACE INTO nightjar_publications (run_id, logical_date, table_name, published_at) VALUES (\(SQLiteString.literal(runID)), \(SQLiteString.literal(ds)), \(SQLiteString.literal(table)), \(SQLiteString.literal(Timestamp.now())))")
                }
            } else {
                try writer.ensureTables()
            }
        case .csv(let writer):
            try writer.finish()
        }
    }
}
