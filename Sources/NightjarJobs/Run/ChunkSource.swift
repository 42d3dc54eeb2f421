import Foundation
import NightjarCore
import NightjarIO

/// Where a run's rows come from, chunk by chunk, with the position each chunk's checkpoint records.
protocol ChunkSource: AnyObject {
    /// Column names of the rows being read (may change between CSV files).
    var header: [String] { get }
    /// Changes whenever `header` does.
    var headerVersion: Int { get }
    /// PostgreSQL types of the key columns, when the source knows them.
    var keyTypes: [String]? { get }
    /// Share of the input read, when known.
    var fraction: Double? { get }
    /// Reads the next chunk; fills the checkpoint's position. False at the end.
    func next(maxRows: Int, into batch: inout TextBatch, checkpoint: inout ChunkRecord) throws -> Bool
    /// File and line of a row of the last chunk, for error messages.
    func location(row: Int) -> (file: String, line: Int?)
    func close()
}

/// CSV files (one, or a glob's matches in name order), resumed from a byte offset.
final class CSVFilesSource: ChunkSource {
    let files: [String]
    var fileIndex = 0
    var reader: CSVReader?
    var chunk = CSVChunk(columnCount: 0)
    var headerVersion = 0
    var bytesBefore: Int64 = 0
    let totalBytes: Int64
    var resumeAt: ChunkRecord?

    /// Indices (into `files`) this source reads: all, or a shard's share.
    let selected: [Int]
    var position = 0
    /// One file split into byte ranges: this shard's range.
    let range: CSVShardRange?
    let shard: Shard?

    init(files: [String], resumeAfter last: ChunkRecord?, runID: String, shard: Shard? = nil) throws {
        self.files = files
        self.shard = shard
        if let shard, files.count > 1 {
            selected = shard.files(files.count)
        } else {
            selected = Array(files.indices)
        }
        if let shard, shard.count > 1, files.count == 1 {
            let header = try CSVReader(path: files[0])
            range = try CSVShardRange.compute(path: files[0], shard: shard.index, of: shard.count, dataOffset: header.dataOffset)
        } else {
            range = nil
        }
        totalBytes = selected.reduce(Int64(0)) { $0 + CSVFilesSource.size(files[$1]) }
        if let last {
            guard last.fileIndex < files.count, files[last.fileIndex] == last.sourceFile, let p = selected.firstIndex(of: last.fileIndex) else {
                throw ScoreError("the input files changed since run \(runID) started (expected \(last.sourceFile)); start over with --restart")
            }
            position = p
            for i in selected[..<position] { bytesBefore += CSVFilesSource.size(files[i]) }
            resumeAt = last
        }
        try open()
    }

    static func size(_ path: String) -> Int64 {
        Int64((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
    }

    private func open() throws {
        guard position < selected.count else { reader = nil; return }
        fileIndex = selected[position]
        let r = try CSVReader(path: files[fileIndex])
        if let last = resumeAt, last.fileIndex == fileIndex {
            try r.resume(at: last.endOffset, line: last.endLine)
            resumeAt = nil
        } else if let range {
            try r.resume(at: range.start, line: range.line)
        }
        if let range { r.stopOffset = range.end }
        reader = r
        headerVersion += 1
    }

    var header: [String] { reader?.header ?? [] }
    var keyTypes: [String]? { nil }
    var fraction: Double? {
        guard totalBytes > 0 else { return nil }
        return Double(bytesBefore + chunk.endOffset) / Double(totalBytes)
    }

    func next(maxRows: Int, into batch: inout TextBatch, checkpoint: inout ChunkRecord) throws -> Bool {
        while let r = reader {
            // The caller's spare batch becomes the next chunk's storage: buffers are recycled, not reallocated.
            if batch.columnCount == r.columnCount { swap(&batch, &chunk.batch) }
            if try r.readChunk(maxRows: maxRows, into: &chunk) {
                swap(&batch, &chunk.batch)
                checkpoint.fileIndex = fileIndex
                checkpoint.sourceFile = files[fileIndex]
                checkpoint.startOffset = chunk.startOffset
                checkpoint.endOffset = chunk.endOffset
                checkpoint.endLine = r.line
                checkpoint.rows = batch.rowCount
                return true
            }
            bytesBefore += CSVFilesSource.size(files[fileIndex])
            position += 1
            try open()
        }
        return false
    }

    func location(row: Int) -> (file: String, line: Int?) {
        (files[min(fileIndex, files.count - 1)], row < chunk.lines.count ? chunk.lines[row] : nil)
    }

    func close() {}
}

/// A PostgreSQL query, read in key order through a cursor, resumed after the last committed key.
final class PostgresSource: ChunkSource {
    let reader: PostgresQueryReader
    let description: String
    var keyTypes: [String]?
    var headerVersion: Int { 1 }
    var header: [String] { reader.header }
    var fraction: Double? { nil }

    /// `{{ ds }}` and `{{ ds_nodash }}` become bind parameters, never SQL text.
    static func bind(_ query: String, date: LogicalDate) -> (String, [String]) {
        var sql = query
        var values: [String] = []
        let pattern = DateTemplate.pattern
        for m in pattern.matches(in: query, range: NSRange(query.startIndex..., in: query)).reversed() {
            let name = String(query[Range(m.range(at: 1), in: query)!])
            let value = name == "ds" ? date.description : date.description.replacingOccurrences(of: "-", with: "")
            var index = values.firstIndex(of: value)
            if index == nil { values.append(value); index = values.count - 1 }
            sql.replaceSubrange(Range(m.range, in: sql)!, with: "$\(index! + 1)")
        }
        return (sql, values)
    }

    init(settings: JobSpec.PostgresSettings, query: String, key: String, date: LogicalDate, job: JobSpec,
         features: [String], resumeAfter last: ChunkRecord?, shard: Shard? = nil) throws {
        let connection = try PostgresConnection(conninfo: try settings.conninfo(job: job.name), name: "source \(settings.description)")
        var (sql, params) = PostgresSource.bind(query, date: date)
        if let shard, shard.count > 1 {
            // A stable hash of the key, pushed into the query: hashtextextended is the hash PostgreSQL's own
            // hash partitioning relies on, so it does not change between server versions.
            params.append(contentsOf: [String(shard.count), String(shard.index - 1)])
            let k = "nightjar_s." + PostgresConnection.quoteQualified(key)
            sql = "SELECT * FROM (\(sql)) AS nightjar_s WHERE (hashtextextended(\(k)::text, 0) & 9223372036854775807) % $\(params.count - 1)::bigint = $\(params.count)::bigint"
        }
        reader = try PostgresQueryReader(connection: connection, query: sql, parameters: params, key: key, after: last?.lastKey,
                                         features: features, fetchRows: job.chunkRows)
        description = "postgres:\(settings.description) ordered by \(key)"
    }

    func next(maxRows: Int, into batch: inout TextBatch, checkpoint: inout ChunkRecord) throws -> Bool {
        guard let lastKey = try reader.readChunk(maxRows: maxRows, into: &batch) else { return false }
        checkpoint.fileIndex = 0
        checkpoint.sourceFile = description
        checkpoint.startOffset = 0
        checkpoint.endOffset = 0
        checkpoint.endLine = 0
        checkpoint.rows = batch.rowCount
        checkpoint.lastKey = lastKey
        return true
    }

    func location(row: Int) -> (file: String, line: Int?) { (description, nil) }

    func close() { reader.close() }
}
