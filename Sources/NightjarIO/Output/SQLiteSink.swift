import Foundation
import NightjarCore

/// Writes predictions into a table of a SQLite file, all in one transaction: the table appears
/// complete or not at all (an existing table of that name is replaced, or appended to).
public final class SQLiteSink: PredictionSink {
    public enum Mode: String, Sendable, CaseIterable {
        /// Drop and recreate the table (in the same transaction as the rows).
        case replace
        /// Insert into the table, creating it if missing.
        case append
        /// Refuse when the table exists.
        case fail
    }

    public let path: String
    public let table: String
    private let layout: OutputLayout
    private let mode: Mode
    private let database: SQLiteDatabase
    private var insert: SQLiteBatchInsert?
    private var keyIsInteger: [Bool] = []
    private var open = false

    public var destination: String { "\(path) (table \(table))" }

    public init(path: String, table: String, layout: OutputLayout, mode: Mode) throws {
        self.path = path
        self.table = table
        self.layout = layout
        self.mode = mode
        guard !table.isEmpty else { throw InputError(path: path, message: "empty table name") }
        try OutputDirectory.create(for: path)
        database = try SQLiteDatabase(path: path)
        try database.enableWAL()
        try database.execute("BEGIN IMMEDIATE")
        open = true
    }

    /// Creates the table at the first chunk, when the key columns' types can be seen.
    private func prepareTable(_ chunk: ScoredChunk) throws {
        keyIsInteger = layout.keyColumnsAreIntegers(in: chunk)
        let quoted = SQLiteDatabase.quote(table)
        let exists = try !database.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=\(SQLiteSink.literal(table))").isEmpty
        if exists {
            switch mode {
            case .fail:
                throw InputError(path: path, message: "table '\(table)' already exists; pass --if-exists replace or --if-exists append", kind: .configuration)
            case .replace:
                try database.execute("DROP TABLE \(quoted)")
            case .append:
                break
            }
        }
        var columns: [String] = []
        if layout.rowNumberColumn {
            columns.append("\"row\" INTEGER NOT NULL")
        } else {
            for (k, key) in layout.keyColumns.enumerated() {
                columns.append("\(SQLiteDatabase.quote(key.name)) \(keyIsInteger[k] ? "INTEGER" : "TEXT")")
            }
        }
        for p in layout.predictions {
            columns.append("\(SQLiteDatabase.quote(p.name)) \(p.isText ? "TEXT" : p.isInteger ? "INTEGER" : "REAL")")
        }
        try database.execute("CREATE TABLE IF NOT EXISTS \(quoted) (\(columns.joined(separator: ", ")))")
        insert = try SQLiteBatchInsert(database: database, table: quoted, columns: layout.columnNames.map(SQLiteDatabase.quote))
    }

    static func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

    /// Digits with an optional minus and no leading zero: stored as INTEGER without changing its text.
    static func isCanonicalInteger(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { canonicalInteger($0) != nil }
    }

    /// The value of a canonical integer (see `isCanonicalInteger`; at most 18 digits, so it cannot
    /// overflow), nil for any other text. Runs once per row and key: read in place, without the
    /// String the previous `Int64(String(...))` made (1.8% of a scoring run's time, perf).
    static func canonicalInteger(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let negative = s.first == 0x2D
        if negative { i = 1 }
        let digits = s.count - i
        guard digits > 0, digits <= 18 else { return nil }
        if s[i] == 0x30 && digits > 1 { return nil }
        var v: Int64 = 0
        while i < s.count {
            let d = s[i] &- 0x30
            guard d <= 9 else { return nil }
            v = v &* 10 &+ Int64(d)
            i += 1
        }
        return negative ? -v : v
    }

    public func write(_ chunk: ScoredChunk) throws {
        if insert == nil { try prepareTable(chunk) }
        guard let insert else { return }
        try insert.insert(chunk, layout: layout) { statement, index, field, k in
            if keyIsInteger[k], let v = SQLiteSink.canonicalInteger(field) {
                statement.bind(index, int: v)
            } else {
                statement.bind(index, text: field)
            }
        }
    }

    public func commit() throws {
        guard open else { return }
        if insert == nil { try prepareTable(ScoredChunk(batch: TextBatch(columnCount: 0), values: [], firstRowNumber: 1)) }
        insert = nil
        try database.execute("COMMIT")
        open = false
    }

    public func abort() {
        guard open else { return }
        insert = nil
        try? database.execute("ROLLBACK")
        open = false
    }

    deinit { abort() }
}
