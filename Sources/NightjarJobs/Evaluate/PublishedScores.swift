import Foundation
import NightjarCore
import NightjarIO

/// The rows a job published for one logical date, grouped by the model version and arm that
/// scored them: the output table's rows (the champion's, and a split's challenger's) and the
/// shadow table's (each shadow challenger's). Read from the job's SQLite or PostgreSQL sink.
public struct PublishedScores: Sendable {
    /// What the prediction columns say, from the output table's columns.
    public enum Task: Sendable, Equatable {
        /// `probability` (of the positive class).
        case binary
        /// `probability_0 … probability_{K-1}`.
        case multiclass(classes: Int)
        /// `prediction`.
        case regression

        public var name: String {
            switch self {
            case .binary: "binary"
            case .multiclass: "multiclass"
            case .regression: "regression"
            }
        }

        var columns: [String] {
            switch self {
            case .binary: ["probability"]
            case .multiclass(let k): (0..<k).map { "probability_\($0)" }
            case .regression: ["prediction"]
            }
        }

        public var labelKind: OutcomeLabels.Kind {
            switch self {
            case .binary: .binary
            case .multiclass(let k): .multiclass(classes: k)
            case .regression: .regression
            }
        }
    }

    /// One model version's rows in one table.
    public struct Group: Sendable {
        public var modelName: String
        public var modelVersion: String
        public var runID: String
        /// The shadow table's rows (a shadow challenger), or the output table's.
        public var shadow: Bool
        public var keys: [String] = []
        /// `task.columns.count` values a row, row-major.
        public var values: [Double] = []
    }

    public var task: Task
    public var groups: [Group]

    /// Chooses the task from an output table's columns.
    static func task(columns: [String], table: String) throws -> Task {
        if columns.contains("probability") { return .binary }
        var k = 0
        while columns.contains("probability_\(k)") { k += 1 }
        if k >= 2 { return .multiclass(classes: k) }
        if columns.contains("prediction") { return .regression }
        throw ScoreError("\(table) has no probability, probability_0 … or prediction column (it has \(columns.joined(separator: ", "))); evaluation needs the model's probabilities or predictions: keep them in the job's outputs:")
    }

    /// Refuses a prediction no model writes (NULL, NaN, a probability outside 0…1): the table was
    /// changed by hand or by something else, and a metric over it would be garbage.
    func check(_ values: [Double], key: String, table: String) throws {
        for (j, v) in values.enumerated() {
            let ok = task == .regression ? v.isFinite : (v >= 0 && v <= 1)
            if !ok {
                throw ScoreError("\(table): the row with key \(QuotedValue.quote(key.replacingOccurrences(of: "\u{1F}", with: ","))) has \(task.columns[j]) \(v.isNaN ? "NULL or not a number" : String(v)), which no model writes; fix or delete the row, or rerun the date", kind: .input)
            }
        }
    }

    mutating func add(name: String, version: String, runID: String, shadow: Bool, key: String, values: [Double]) {
        if let i = groups.lastIndex(where: { $0.modelName == name && $0.modelVersion == version && $0.shadow == shadow }) {
            groups[i].keys.append(key)
            groups[i].values.append(contentsOf: values)
        } else {
            var g = Group(modelName: name, modelVersion: version, runID: runID, shadow: shadow)
            g.keys.append(key)
            g.values.append(contentsOf: values)
            groups.append(g)
        }
    }
}

extension PublishedScores {
    /// Reads the date's published rows from the job's sink.
    public static func read(job: JobSpec, date: String) throws -> PublishedScores {
        guard !job.keys.isEmpty else {
            throw ScoreError("job \(job.name) names no key; outcomes are joined to scores by the job's key: add key: to \(job.file)")
        }
        switch job.sink {
        case .sqlite(let path, let table):
            return try readSQLite(path: path, table: table, keys: job.keys, date: date)
        case .postgres(let settings, let table):
            return try readPostgres(conninfo: try settings.conninfo(job: job.name), name: "sink \(settings.description)",
                                    table: table, keys: job.keys, date: date)
        case .csv:
            throw ScoreError("job \(job.name) writes CSV files; nightjar evaluate reads what a run published from a SQLite or PostgreSQL sink")
        }
    }

    static func readSQLite(path: String, table: String, keys: [String], date: String) throws -> PublishedScores {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ScoreError("\(path) does not exist: the job has published nothing yet (run it for \(date) first)")
        }
        let db = try SQLiteDatabase.openForReading(path: path)
        func columns(_ t: String) throws -> [String] {
            try db.query("PRAGMA table_info(\(SQLiteDatabase.quote(t)))").compactMap { $0.count > 1 ? $0[1] : nil }
        }
        let main = try columns(table)
        guard !main.isEmpty else { throw ScoreError("\(path) has no table \(table): the job has published nothing yet (run it for \(date) first)") }
        let task = try task(columns: main, table: "\(path)#\(table)")
        var scores = PublishedScores(task: task, groups: [])
        for (name, shadow) in [(table, false), (table + "_shadow", true)] {
            let have = shadow ? try columns(name) : main
            if have.isEmpty { continue }
            for c in keys + task.columns where !have.contains(c) {
                throw ScoreError("\(path)#\(name) has no column \(c) (it has \(have.joined(separator: ", ")))")
            }
            let select = (keys + task.columns + ["model_name", "model_version", "run_id"]).map(SQLiteDatabase.quote).joined(separator: ", ")
            let s = try db.prepare("SELECT \(select) FROM \(SQLiteDatabase.quote(name)) WHERE logical_date = ?")
            s.bind(1, string: date)
            let k = keys.count, w = task.columns.count
            var values = [Double](repeating: 0, count: w)
            while try s.step() {
                let key = (0..<k).map { s.string(at: $0) ?? "" }.joined(separator: "\u{1F}")
                for j in 0..<w { values[j] = s.string(at: k + j) == nil ? .nan : s.double(at: k + j) }
                try scores.check(values, key: key, table: "\(path)#\(name)")
                scores.add(name: s.string(at: k + w) ?? "", version: s.string(at: k + w + 1) ?? "",
                           runID: s.string(at: k + w + 2) ?? "", shadow: shadow, key: key, values: values)
            }
        }
        return scores
    }

    static func readPostgres(conninfo: String, name: String, table: String, keys: [String], date: String) throws -> PublishedScores {
        let connection = try PostgresConnection(conninfo: conninfo, name: name)
        func columns(_ t: String) throws -> [String] {
            let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", [PostgresConnection.quoteQualified(t)])
            guard exists.string(0, 0) == "t" else { return [] }
            return try connection.describe("SELECT * FROM \(PostgresConnection.quoteQualified(t))").columnNames
        }
        let main = try columns(table)
        guard !main.isEmpty else { throw ScoreError("\(name) has no table \(table): the job has published nothing yet (run it for \(date) first)") }
        let task = try task(columns: main, table: table)
        var scores = PublishedScores(task: task, groups: [])
        for (view, shadow) in [(table, false), (table + "_shadow", true)] {
            let have = shadow ? try columns(view) : main
            if have.isEmpty { continue }
            for c in keys + task.columns where !have.contains(c) {
                throw ScoreError("\(view) has no column \(c) (it has \(have.joined(separator: ", ")))")
            }
            let select = keys.map { PostgresConnection.quoteIdentifier($0) + "::text" } + task.columns.map(PostgresConnection.quoteIdentifier)
                + ["model_name", "model_version", "run_id"]
            let result = try connection.execute("SELECT \(select.joined(separator: ", ")) FROM \(PostgresConnection.quoteQualified(view)) WHERE logical_date = $1::date", [date])
            let k = keys.count, w = task.columns.count
            var values = [Double](repeating: 0, count: w)
            for r in 0..<result.rowCount {
                let key = (0..<k).map { result.string(r, $0) ?? "" }.joined(separator: "\u{1F}")
                for j in 0..<w { values[j] = result.string(r, k + j).flatMap(Double.init) ?? .nan }
                try scores.check(values, key: key, table: view)
                scores.add(name: result.string(r, k + w) ?? "", version: result.string(r, k + w + 1) ?? "",
                           runID: result.string(r, k + w + 2) ?? "", shadow: shadow, key: key, values: values)
            }
        }
        return scores
    }
}
