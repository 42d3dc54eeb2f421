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

    init(files: [String], resumeAfter last: ChunkRecord?, runID: String) throws {
        self.files = files
        totalBytes = files.reduce(Int64(0)) { $0 + CSVFilesSource.size($1) }
        if let last {
            guard last.fileIndex < files.count, files[last.fileIndex] == last.sourceFile else {
                throw ScoreError("the input files changed since run \(runID) started (expected \(last.sourceFile)); start over with --restart")
            }
            fileIndex = last.fileIndex
            for f in files[..<fileIndex] { bytesBefore += CSVFilesSource.size(f) }
            resumeAt = last
        }
        try open()
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0).map { Int64($0) } ?? 0
    }

    private func open() throws {
        guard fileIndex < files.count else { reader = nil; return }
        let r = try CSVReader(path: files[fileIndex])
        if let last = resumeAt, last.fileIndex == fileIndex {
            try r.resume(at: last.endOffset, line: last.endLine)
            resumeAt = nil
        }
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
            if try r.readChunk(maxRows: maxRows, into: &chunk) {
                batch = chunk.batch
                checkpoint.fileIndex = fileIndex
                checkpoint.sourceFile = files[fileIndex]
                checkpoint.startOffset = chunk.startOffset
                checkpoint.endOffset = chunk.endOffset
                checkpoint.endLine = r.line
                checkpoint.rows = chunk.rowCount
                return true
            }
            bytesBefore += CSVFilesSource.size(files[fileIndex])
            fileIndex += 1
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
         features: [String], resumeAfter last: ChunkRecord?) throws {
        let connection = try PostgresConnection(conninfo: try settings.conninfo(job: job.name), name: "source \(settings.description)")
        let (sql, params) = PostgresSource.bind(query, date: date)
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
