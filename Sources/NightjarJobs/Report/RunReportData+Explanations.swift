import Foundation
import NightjarIO

extension RunReportData {
    /// Per feature, the mean |contribution| and the share of first reasons over the champion's
    /// rows of the run, read back from its output table: SQLite (`sqlite:PATH#TABLE` in the run
    /// record) or PostgreSQL (`postgres:$ENV#TABLE` / `postgres:service NAME#TABLE`, connected
    /// through the same environment variable or service as the run). Multi-class contributions
    /// (`contrib_<k>_<feature>`) are summed over the classes.
    ///
    /// Empty when the output has no explanation columns or is a CSV file; `note` says why a table
    /// that should have them could not be read (a database that is gone, a variable not set).
    static func explanations(sink: String?, runID: String, modelVersion: String?) -> (features: [FeatureExplanation], note: String?) {
        guard let sink, let hash = sink.lastIndex(of: "#") else { return ([], nil) }
        let table = String(sink[sink.index(after: hash)...])
        let reader: OutputReader
        do {
            if sink.hasPrefix("sqlite:") {
                let path = String(sink[sink.index(sink.startIndex, offsetBy: 7)..<hash])
                guard FileManager.default.fileExists(atPath: path) else { return ([], "the output \(path) is no longer there") }
                reader = try SQLiteOutputReader(path: path, table: table)
            } else if sink.hasPrefix("postgres:") {
                let where_ = String(sink[sink.index(sink.startIndex, offsetBy: 9)..<hash])
                let settings: JobSpec.PostgresSettings
                if where_.hasPrefix("$") {
                    settings = JobSpec.PostgresSettings(dsnEnv: String(where_.dropFirst()), service: nil)
                } else if where_.hasPrefix("service ") {
                    settings = JobSpec.PostgresSettings(dsnEnv: nil, service: String(where_.dropFirst("service ".count)))
                } else {
                    return ([], nil)
                }
                reader = try PostgresOutputReader(settings: settings, table: table)
            } else {
                return ([], nil)
            }
        } catch {
            return ([], "the explanation columns of \(sink) could not be read: \(error)")
        }
        do {
            return (try summarize(reader, runID: runID, modelVersion: modelVersion ?? ""), nil)
        } catch {
            return ([], "the explanation columns of \(sink) could not be read: \(error)")
        }
    }

    private static func summarize(_ reader: OutputReader, runID: String, modelVersion: String) throws -> [FeatureExplanation] {
        let columns = try reader.columns()
        let contributions = columns.filter { $0.hasPrefix("contrib_") && !$0.hasSuffix("_bias") && $0 != "contrib_bias" }
        let multi = columns.contains { $0.hasPrefix("contrib_0_") }
        func feature(_ column: String) -> String {
            // contrib_<k>_<feature> (multi-class) when contrib_0_… columns exist, else contrib_<feature>.
            let rest = String(column.dropFirst("contrib_".count))
            if multi, let underscore = rest.firstIndex(of: "_"), Int(rest[..<underscore]) != nil {
                return String(rest[rest.index(after: underscore)...])
            }
            return rest
        }
        let table = reader.table
        let where_ = "WHERE run_id = \(reader.placeholder(1)) AND model_version = \(reader.placeholder(2))"
        var byFeature: [String: (mean: Double?, share: Double?)] = [:]
        var order: [String] = []
        if !contributions.isEmpty {
            let select = contributions.map { "avg(abs(\(reader.quote($0))))" }.joined(separator: ", ")
            if let row = try reader.query("SELECT \(select) FROM \(table) \(where_)", [runID, modelVersion]).first {
                for (i, c) in contributions.enumerated() {
                    guard let text = row[i], let value = Double(text) else { continue }
                    let f = feature(c)
                    if byFeature[f] == nil { order.append(f) }
                    byFeature[f, default: (nil, nil)].mean = (byFeature[f]?.mean ?? 0) + value
                }
            }
        }
        if columns.contains("reason_1") {
            let rows = try reader.query("""
                SELECT reason_1, count(*) * 1.0 / (SELECT count(*) FROM \(table) \(where_))
                FROM \(table) \(where_) AND reason_1 IS NOT NULL GROUP BY reason_1
                """, [runID, modelVersion])
            for row in rows {
                guard let f = row[0], let text = row[1], let share = Double(text) else { continue }
                if byFeature[f] == nil { order.append(f) }
                byFeature[f, default: (nil, nil)].share = share
            }
        }
        return order.map { FeatureExplanation(feature: $0, meanAbsContribution: byFeature[$0]?.mean, firstReasonShare: byFeature[$0]?.share) }
            .sorted { ($0.meanAbsContribution ?? $0.firstReasonShare ?? 0) > ($1.meanAbsContribution ?? $1.firstReasonShare ?? 0) }
    }
}

/// An output table read back for the report: its columns, and queries with text results.
private protocol OutputReader {
    /// The table, quoted for SQL.
    var table: String { get }
    func columns() throws -> [String]
    /// Rows of text values (NULL: nil); parameters bound as text to placeholders 1, 2, ….
    func query(_ sql: String, _ parameters: [String]) throws -> [[String?]]
    func placeholder(_ n: Int) -> String
    func quote(_ identifier: String) -> String
}

private struct SQLiteOutputReader: OutputReader {
    let db: SQLiteDatabase
    let name: String
    var table: String { SQLiteDatabase.quote(name) }

    init(path: String, table: String) throws {
        db = try SQLiteDatabase.openForReading(path: path)
        name = table
    }

    func columns() throws -> [String] {
        try db.query("PRAGMA table_info(\(table))").compactMap { $0.count > 1 ? $0[1] : nil }
    }

    func query(_ sql: String, _ parameters: [String]) throws -> [[String?]] {
        let s = try db.prepare(sql)
        for (i, p) in parameters.enumerated() { s.bind(Int32(i + 1), string: p) }
        var rows: [[String?]] = []
        while try s.step() { rows.append((0..<s.columnCount).map { s.string(at: $0) }) }
        return rows
    }

    func placeholder(_ n: Int) -> String { "?\(n)" }
    func quote(_ identifier: String) -> String { SQLiteDatabase.quote(identifier) }
}

private struct PostgresOutputReader: OutputReader {
    let connection: PostgresConnection
    let table: String

    init(settings: JobSpec.PostgresSettings, table: String) throws {
        connection = try PostgresConnection(conninfo: try settings.conninfo(job: "report"), name: "output \(settings.description)")
        self.table = PostgresConnection.quoteQualified(table)
    }

    func columns() throws -> [String] {
        let r = try connection.execute("SELECT * FROM \(table) LIMIT 0")
        return (0..<r.columnCount).map(r.columnName)
    }

    func query(_ sql: String, _ parameters: [String]) throws -> [[String?]] {
        try connection.execute(sql, parameters).rows
    }

    func placeholder(_ n: Int) -> String { "$\(n)" }
    func quote(_ identifier: String) -> String { PostgresConnection.quoteIdentifier(identifier) }
}
