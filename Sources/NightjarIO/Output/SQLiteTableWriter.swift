import Foundation
import NightjarCore

/// Writes a run's predictions into a SQLite table, chunk by chunk, each chunk in a transaction the
/// caller can add its checkpoint to (`inTransaction`). Every row also carries constant metadata
/// columns (run id, model, logical date).
///
/// With a `partition`, rows go to a staging table first and `publishPartition` swaps them in, in one
/// transaction: readers see the old rows of that date or the new ones, never a mix.
public final class SQLiteTableWriter {
    public typealias Partition = StagedPartition

    public let path: String
    public let table: String
    public let database: SQLiteDatabase
    private let layout: OutputLayout
    private let metadata: [(name: String, value: String)]
    private let partition: Partition?
    private var insert: SQLiteBatchInsert?

    public init(path: String, table: String, layout: OutputLayout, metadata: [(name: String, value: String)], partition: Partition?) throws {
        self.path = path
        self.table = table
        self.layout = layout
        self.metadata = metadata
        self.partition = partition
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    }

    /// A writer on another writer's connection, so both write in the same transactions (shadow
    /// tables, the challenger's side of a split).
    public init(sharing other: SQLiteTableWriter, table: String, layout: OutputLayout, metadata: [(name: String, value: String)], partition: Partition?) {
        self.path = other.path
        self.table = table
        self.layout = layout
        self.metadata = metadata
        self.partition = partition
        self.database = other.database
    }

    var columnNames: [String] { layout.columnNames + metadata.map(\.name) }

    private func tableExists(_ name: String) throws -> Bool {
        try !database.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '\(name.replacingOccurrences(of: "'", with: "''"))'").isEmpty
    }

    /// Creates the output (and staging) table if needed, with key types seen in `chunk`.
    private func prepare(_ chunk: ScoredChunk, layout: OutputLayout? = nil) throws {
        let layout = layout ?? self.layout
        let quoted = SQLiteDatabase.quote(table)
        if try !tableExists(table) {
            var columns: [String] = []
            if layout.rowNumberColumn {
                columns.append("\"row\" INTEGER NOT NULL")
            } else {
                for (key, integer) in zip(layout.keyColumns, layout.keyColumnsAreIntegers(in: chunk)) {
                    columns.append("\(SQLiteDatabase.quote(key.name)) \(integer ? "INTEGER" : "TEXT")")
                }
            }
            for p in layout.predictions { columns.append("\(SQLiteDatabase.quote(p.name)) \(p.isInteger ? "INTEGER" : "REAL")") }
            for m in metadata { columns.append("\(SQLiteDatabase.quote(m.name)) TEXT NOT NULL") }
            try database.execute("CREATE TABLE IF NOT EXISTS \(quoted) (\(columns.joined(separator: ", ")))")
            if let partition {
                try database.execute("CREATE INDEX IF NOT EXISTS \(SQLiteDatabase.quote("\(table)_\(partition.column)")) ON \(quoted) (\(SQLiteDatabase.quote(partition.column)))")
            }
        } else {
            // The table must have every column this run writes.
            let existing = Set(try database.query("SELECT name FROM pragma_table_info('\(table.replacingOccurrences(of: "'", with: "''"))')").compactMap { $0[0] })
            let missing = columnNames.filter { !existing.contains($0) }
            guard missing.isEmpty else {
                throw InputError(path: path, message: "table '\(table)' exists without column(s) \(missing.joined(separator: ", ")); write to a new table or drop it")
            }
        }
        let target = partition?.stagingTable ?? table
        if let partition, try !tableExists(partition.stagingTable) {
            try database.execute("CREATE TABLE \(SQLiteDatabase.quote(partition.stagingTable)) AS SELECT \(columnNames.map(SQLiteDatabase.quote).joined(separator: ", ")) FROM \(quoted) WHERE 0")
        }
        insert = try SQLiteBatchInsert(database: database, table: SQLiteDatabase.quote(target),
                                       columns: columnNames.map(SQLiteDatabase.quote))
    }

    /// Runs `body` in an immediate transaction on this connection; rolls back if it throws.
    public func inTransaction<T>(_ body: () throws -> T) throws -> T {
        try database.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try database.execute("COMMIT")
            return result
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// Inserts a chunk's rows (call inside `inTransaction`). `layout` gives the key positions in this
    /// chunk's input when they differ from the writer's (files with other column orders).
    public func write(_ chunk: ScoredChunk, layout chunkLayout: OutputLayout? = nil) throws {
        let layout = chunkLayout ?? self.layout
        if insert == nil { try prepare(chunk, layout: layout) }
        guard let insert else { return }
        try insert.insert(chunk, layout: layout, trailing: metadata.map(\.value)) { statement, index, field, _ in
            statement.bind(index, text: field)
        }
    }

    /// Makes sure the tables exist even when the run had no rows.
    public func ensureTables() throws {
        if insert == nil {
            try inTransaction { try prepare(ScoredChunk(batch: TextBatch(columnCount: 0), values: [], firstRowNumber: 1)) }
        }
    }

    /// Replaces the partition's rows in the output table with the staged rows, in one transaction
    /// (plus whatever `alsoInTransaction` records), and drops the staging table.
    public func publishPartition(alsoInTransaction: () throws -> Void = {}) throws {
        guard partition != nil else { return }
        try ensureTables()
        insert = nil
        try inTransaction {
            try publishStatements()
            try alsoInTransaction()
        }
    }

    /// The statements of `publishPartition`, inside a transaction the caller holds (several tables
    /// published at once).
    public func publishStatements() throws {
        guard let partition else { return }
        if insert == nil, try !tableExists(table) {
            try prepare(ScoredChunk(batch: TextBatch(columnCount: 0), values: [], firstRowNumber: 1))
        }
        insert = nil
        let names = columnNames.map(SQLiteDatabase.quote).joined(separator: ", ")
        let del = try database.prepare("DELETE FROM \(SQLiteDatabase.quote(table)) WHERE \(SQLiteDatabase.quote(partition.column)) = ?")
        del.bind(1, string: partition.value)
        try del.step()
        if try tableExists(partition.stagingTable) {
            try database.execute("INSERT INTO \(SQLiteDatabase.quote(table)) (\(names)) SELECT \(names) FROM \(SQLiteDatabase.quote(partition.stagingTable))")
            try database.execute("DROP TABLE \(SQLiteDatabase.quote(partition.stagingTable))")
        }
    }

    /// Drops the staging table of an abandoned run.
    public func dropStaging() throws {
        guard let partition else { return }
        insert = nil
        try database.execute("DROP TABLE IF EXISTS \(SQLiteDatabase.quote(partition.stagingTable))")
    }
}
