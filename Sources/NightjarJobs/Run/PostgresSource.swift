import Foundation
import NightjarCore
import NightjarIO

/// A PostgreSQL query, read in key order by one `COPY (query) TO STDOUT`, resumed after the last committed key.
final class PostgresSource: ChunkSource {
    let reader: PostgresQueryReader
    let description: String
    var keyTypes: [String]?
    var headerVersion: Int { 1 }
    var header: [String] { reader.header }
    var fraction: Double? { nil }

    /// `{{ ds }}` and `{{ ds_nodash }}` become placeholders, never pasted SQL text: the reader
    /// describes the query with them and sends their values as quoted, typed literals.
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
            let k = "nightjar_s." + PostgresConnection.quoteIdentifier(key)
            sql = "SELECT * FROM (\(sql)) AS nightjar_s WHERE (hashtextextended(\(k)::text, 0) & 9223372036854775807) % $\(params.count - 1)::bigint = $\(params.count)::bigint"
        }
        reader = try PostgresQueryReader(connection: connection, query: sql, parameters: params, key: key, after: last?.lastKey,
                                         features: features)
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
