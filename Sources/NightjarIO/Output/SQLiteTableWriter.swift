import Foundation
import NightjarCore

/// Writes a run's predictions into a SQLite output table, chunk by chunk, each chunk in a
/// transaction the caller can add its checkpoint to (`inTransaction`).
///
/// The output table that analysts query (`churn_nightly`) is a view: it joins the rows table
/// (`nightjar_rows__churn_nightly`: keys and predictions only) to `nightjar_lineage` (logical
/// date, run id, model name, version and hash, once per run and model), and shows only published
/// lineages. Rows are written once, into their lineage's rowid range (`SQLiteLineage`); a staged
/// run's rows become visible when the run publishes (a metadata update), so readers see the old
/// rows of a date or the new ones, never a mix, and nothing is copied.
public final class SQLiteTableWriter {
    public let path: String
    public let table: String
    public let database: SQLiteDatabase
    private let layout: OutputLayout
    public let lineage: OutputLineage
    private let staged: Bool
    private var insert: SQLiteBatchInsert?
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

    /// The table that holds the rows of the output view `table`.
    public static func rowsTable(_ table: String) -> String { "nightjar_rows__" + table }

    var rowsTable: String { SQLiteTableWriter.rowsTable(table) }

    func objectType(_ name: String) throws -> String? {
        try database.query("SELECT type FROM sqlite_master WHERE name = \(SQLiteString.literal(name)) AND type IN ('table', 'view')").first?[0] ?? nil
    }

    /// Creates the rows table and the view (migrating a table written by an earlier version first),
    /// with key types seen in `chunk`, once per writer; returns the id of this writer's lineage,
    /// recorded if missing. Runs inside the caller's transaction. A rolled-back transaction clears
    /// the prepared insert, so the next write checks the schema again.
    private func prepare(_ chunk: ScoredChunk, layout: OutputLayout) throws -> Int64 {
        if insert == nil {
            try prepareSchema(chunk, layout: layout)
            insert = try SQLiteBatchInsert(database: database, table: SQLiteDatabase.quote(rowsTable),
                                           columns: ["rowid"] + layout.columnNames.map(SQLiteDatabase.quote))
        }
        return try SQLiteLineage.id(of: lineage, table: table, state: staged ? .staged : .published, in: database)
    }

    private func prepareSchema(_ chunk: ScoredChunk, layout: OutputLayout) throws {
        try SQLiteLineage.ensureTable(in: database)
        if try objectType(table) == "table" { try migrateLegacyTable() }
        if try objectType(rowsTable) == nil {
            var columns: [String] = []
            if layout.rowNumberColumn {
                columns.append("\"row\" INTEGER NOT NULL")
            } else {
                for (key, integer) in zip(layout.keyColumns, layout.keyColumnsAreIntegers(in: chunk)) {
                    columns.append("\(SQLiteDatabase.quote(key.name)) \(integer ? "INTEGER" : "TEXT")")
                }
            }
            for p in layout.predictions { columns.append("\(SQLiteDatabase.quote(p.name)) \(p.isInteger ? "INTEGER" : "REAL")") }
            try database.execute("CREATE TABLE \(SQLiteDatabase.quote(rowsTable)) (\(columns.joined(separator: ", ")))")
        } else {
            // The rows table must have every column this run writes.
            let existing = Set(try rowsColumns())
            let missing = layout.columnNames.filter { !existing.contains($0) }
            guard missing.isEmpty else {
                throw InputError(path: path, message: "table '\(table)' exists without column(s) \(missing.joined(separator: ", ")); write to a new table or drop it", kind: .configuration)
            }
        }
        if try objectType(table) == nil { try createView() }
        try migrateLegacyStaging()
    }

    private func rowsColumns() throws -> [String] {
        try database.query("SELECT name FROM pragma_table_info(\(SQLiteString.literal(rowsTable)))").compactMap { $0[0] }
    }

    /// The output view: every column of the rows table, then the lineage columns, published rows only.
    private func createView() throws {
        let columns = try rowsColumns().map { "r." + SQLiteDatabase.quote($0) }
            + OutputLineage.columns.map { "l." + SQLiteDatabase.quote($0) }
        try database.execute("""
            CREATE VIEW \(SQLiteDatabase.quote(table)) AS SELECT \(columns.joined(separator: ", "))
            FROM nightjar_lineage AS l JOIN \(SQLiteDatabase.quote(rowsTable)) AS r ON \(SQLiteLineage.rangeCondition(lineage: "l", rows: "r"))
            WHERE l.table_name = \(SQLiteString.literal(table)) AND l.state = 'published'
            """)
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
            throw error
        }
    }

    /// Inserts a chunk's rows (call inside `inTransaction`). `layout` gives the key positions in this
    /// chunk's input when they differ from the writer's (files with other column orders).
    public func write(_ chunk: ScoredChunk, layout chunkLayout: OutputLayout? = nil) throws {
        let layout = chunkLayout ?? self.layout
        // The lineage id and the range's end are read in the transaction each time (indexed reads,
        // a few a chunk): a rolled-back transaction leaves nothing cached that is not in the file.
        let id = try prepare(chunk, layout: layout)
        guard chunk.batch.rowCount > 0, let insert else { return }
        let low = id << SQLiteLineage.rangeBits, high = low + (Int64(1) << SQLiteLineage.rangeBits) - 1
        let rows = SQLiteDatabase.quote(rowsTable)
        let last = try database.query("SELECT max(rowid) FROM \(rows) WHERE rowid BETWEEN \(low) AND \(high)")
        let next = last.first?[0].flatMap { Int64($0) }.map { $0 + 1 } ?? low
        guard next - low + Int64(chunk.batch.rowCount) <= high - low + 1 else {
            throw InputError(path: path, message: "table '\(table)': more than 2^32 rows for one run and model")
        }
        // Rows are appended (SQLite's max(rowid) + 1) whenever no other lineage has rows above
        // this one's next rowid: the usual case, one run writing at a time. The first row of an
        // empty range is placed explicitly; rows below another lineage's all are.
        let top = try database.query("SELECT max(rowid) FROM \(rows)").first?[0].flatMap { Int64($0) }
        let explicit: Int
        switch top {
        case .some(let t) where t >= next: explicit = chunk.batch.rowCount
        case .some(let t) where t == next - 1: explicit = 0
        default: explicit = 1
        }
        try insert.insert(chunk, layout: layout, rowIDs: (next, explicit)) { statement, index, field, _ in
            statement.bind(index, text: field)
        }
    }

    /// Makes sure the tables exist even when the run had no rows.
    public func ensureTables() throws {
        try inTransaction { _ = try prepare(ScoredChunk(batch: TextBatch(columnCount: 0), values: [], firstRowNumber: 1), layout: layout) }
    }
}
