import Foundation
import NightjarCore

/// Writes a run's predictions into a SQLite output table, chunk by chunk, each chunk in a
/// transaction the caller can add its checkpoint to (`inTransaction`).
///
/// The output table that analysts query (`churn_nightly`) is a view (`SQLiteOutputView`) over the
/// published lineages: each run's rows (keys and predictions) are written once into a table of
/// their own (`nightjar_rows__churn_nightly__<id>`), their lineage (logical date, run id, model
/// name, version and hash) once into `nightjar_lineage` (`SQLiteLineage`). A staged run's rows
/// become visible when the run publishes (a metadata update and the view rebuilt), so readers see
/// the old rows of a date or the new ones, never a mix, and nothing is copied. The zero-row
/// `nightjar_rows__churn_nightly` holds the output's column definitions.
public final class SQLiteTableWriter {
    public let path: String
    public let table: String
    public let database: SQLiteDatabase
    private let layout: OutputLayout
    public let lineage: OutputLineage
    private let staged: Bool
    private var insert: SQLiteBatchInsert?
    /// The rows table `insert` writes to.
    private var insertTable: String?
    private var schemaReady = false
    /// The staging table an earlier version's unfinished run of this lineage left (its rows are
    /// moved in before the first chunk is written).
    public var legacyStaging: String?
    /// Rows moved from tables of an earlier version's layout, for the log.
    public internal(set) var migratedRows = 0

    /// - Parameter staged: the rows stay invisible until `SQLiteLineage.publish` (replace_partition);
    ///   otherwise each chunk's rows are visible once it commits (append).
    public init(path: String, table: String, layout: OutputLayout, lineage: OutputLineage, staged: Bool) throws {
        self.path = path
        self.table = table
        self.layout = layout
        self.lineage = lineage
        self.staged = staged
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: path)
        try database.enableWAL()
    }

    /// A writer on another writer's connection, so both write in the same transactions (shadow
    /// tables, the challenger's side of a split).
    public init(sharing other: SQLiteTableWriter, table: String, layout: OutputLayout, lineage: OutputLineage) {
        self.path = other.path
        self.table = table
        self.layout = layout
        self.lineage = lineage
        self.staged = other.staged
        self.database = other.database
    }

    /// The zero-row table holding the output view `table`'s column definitions.
    public static func rowsTable(_ table: String) -> String { SQLiteOutputView.templateTable(table) }

    var rowsTable: String { SQLiteTableWriter.rowsTable(table) }

    func objectType(_ name: String) throws -> String? {
        try database.query("SELECT type FROM sqlite_master WHERE name = \(SQLiteString.literal(name)) AND type IN ('table', 'view')").first?[0] ?? nil
    }

    /// Checks (and creates, migrating an earlier version's layout first) the output's schema once
    /// per writer, with key types seen in `chunk`; finds or records this writer's lineage and its
    /// rows table. Runs inside the caller's transaction. A rolled-back transaction clears the
    /// prepared insert, so the next write checks the schema again.
    private func prepare(_ chunk: ScoredChunk, layout: OutputLayout) throws {
        if !schemaReady {
            try prepareSchema(chunk, layout: layout)
            schemaReady = true
        }
        let (id, created) = try SQLiteLineage.id(of: lineage, table: table, state: staged ? .staged : .published, in: database)
        let own = SQLiteLineage.rowsTable(table: table, id: id)
        if created || insertTable != own {
            let definitions = try SQLiteOutputView.columns(of: table, in: database)
                .map { "\(SQLiteDatabase.quote($0.name)) \($0.type)" }.joined(separator: ", ")
            try database.execute("CREATE TABLE IF NOT EXISTS \(SQLiteDatabase.quote(own)) (\(definitions))")
            // An append run's rows are visible from its first chunk: the view includes them now.
            if created && !staged { try SQLiteOutputView.rebuild(table: table, in: database) }
            insert = try SQLiteBatchInsert(database: database, table: SQLiteDatabase.quote(own), columns: layout.columnNames.map(SQLiteDatabase.quote))
            insertTable = own
        }
    }

    private func prepareSchema(_ chunk: ScoredChunk, layout: OutputLayout) throws {
        try SQLiteLineage.ensureTable(in: database)
        var migrated = false
        if try objectType(table) == "table" {
            try migrateLegacyTable()
            migrated = true
        }
        if try objectType(rowsTable) == nil {
            var columns: [String] = []
            if layout.rowNumberColumn {
                columns.append("\"row\" INTEGER NOT NULL")
            } else {
                for (key, integer) in zip(layout.keyColumns, layout.keyColumnsAreIntegers(in: chunk)) {
                    columns.append("\(SQLiteDatabase.quote(key.name)) \(integer ? "INTEGER" : "TEXT")")
                }
            }
            for p in layout.predictions { columns.append("\(SQLiteDatabase.quote(p.name)) \(p.isText ? "TEXT" : p.isInteger ? "INTEGER" : "REAL")") }
            try database.execute("CREATE TABLE \(SQLiteDatabase.quote(rowsTable)) (\(columns.joined(separator: ", ")))")
        } else {
            // The output must have every column this run writes.
            let existing = Set(try SQLiteOutputView.columns(of: table, in: database).map(\.name))
            let missing = layout.columnNames.filter { !existing.contains($0) }
            guard missing.isEmpty else {
                throw InputError(path: path, message: "table '\(table)' exists without column(s) \(missing.joined(separator: ", ")); write to a new table or drop it", kind: .configuration)
            }
        }
        if try migrateSharedRows() { migrated = true }
        if try migrateLegacyStaging() { migrated = true }
        let viewMissing = try objectType(table) == nil
        if migrated || viewMissing { try SQLiteOutputView.rebuild(table: table, in: database) }
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
            insert = nil
            insertTable = nil
            schemaReady = false
            throw error
        }
    }

    /// Inserts a chunk's rows (call inside `inTransaction`), appended to the lineage's own table.
    /// `layout` gives the key positions in this chunk's input when they differ from the writer's
    /// (files with other column orders).
    public func write(_ chunk: ScoredChunk, layout chunkLayout: OutputLayout? = nil) throws {
        let layout = chunkLayout ?? self.layout
        // The lineage is looked up in the transaction each time (an indexed read a chunk): a
        // rolled-back transaction leaves nothing cached that is not in the file.
        try prepare(chunk, layout: layout)
        guard chunk.batch.rowCount > 0, let insert else { return }
        try insert.insert(chunk, layout: layout) { statement, index, field, _ in
            statement.bind(index, text: field)
        }
    }

    /// Makes sure the tables exist even when the run had no rows.
    public func ensureTables() throws {
        try inTransaction { try prepare(ScoredChunk(batch: TextBatch(columnCount: 0), values: [], firstRowNumber: 1), layout: layout) }
    }
}
