/// Where every output row of a SQLite sink comes from (`OutputLineage`), stored once per (output
/// table, run, model) instead of on every row, and which of those row sets readers see.
///
/// Each lineage's rows live in a table of their own, `nightjar_rows__<table>__<id>` (keys and
/// predictions only), written once: a run's rows stay invisible (`staged`) until the run
/// publishes, which flips the states of a few lineage rows and rebuilds the output view over the
/// published lineages, in one transaction (`published`, and the date's previous rows `retired`).
/// Retired lineages are dropped afterwards, table by table: freeing a table's pages costs ~17 ms
/// for 1M rows, where deleting 1M rows from a shared table cost ~170 ms (25% of the run; measured
/// with `bench/job_bench.sh`, rerun path).
///
/// Nightjar 0.4's first layout kept every lineage in one rows table by rowid range
/// (`id << 32 …`); such lineages (`rows_table` NULL) are moved to tables of their own by the first
/// run that writes to their output table, and purged by range until then.
public enum SQLiteLineage {
    /// Rows of one lineage per rowid range in the earlier shared layout: 2^32.
    public static let rangeBits: Int64 = 32

    /// What readers see of a lineage's rows.
    public enum State: String, Sendable {
        /// Written by a run that has not published: invisible.
        case staged
        /// Visible through the table's view.
        case published
        /// Replaced by a newer run's rows for the same date: invisible, to be dropped.
        case retired
    }

    static let table = "nightjar_lineage"

    static let schema = """
        CREATE TABLE IF NOT EXISTS nightjar_lineage (
            id INTEGER PRIMARY KEY, table_name TEXT NOT NULL, logical_date TEXT NOT NULL, run_id TEXT NOT NULL,
            model_name TEXT NOT NULL, model_version TEXT NOT NULL, model_sha256 TEXT NOT NULL, state TEXT NOT NULL,
            rows_table TEXT);
        CREATE INDEX IF NOT EXISTS nightjar_lineage_run ON nightjar_lineage (run_id);
        CREATE INDEX IF NOT EXISTS nightjar_lineage_table_date ON nightjar_lineage (table_name, logical_date);
        """

    /// Creates the lineage table if missing, or adds `rows_table` to the earlier layout's (inside
    /// the caller's transaction or on its own).
    static func ensureTable(in database: SQLiteDatabase) throws {
        try database.execute(schema)
        let columns = try database.query("SELECT name FROM pragma_table_info('nightjar_lineage')").compactMap { $0[0] }
        if !columns.contains("rows_table") {
            try database.execute("ALTER TABLE nightjar_lineage ADD COLUMN rows_table TEXT")
        }
    }

    /// The table holding lineage `id`'s rows of output table `table`.
    public static func rowsTable(table: String, id: Int64) -> String { "nightjar_rows__\(table)__\(id)" }

    /// The id of this lineage's rows in `table`, created in `state` if missing (`created`).
    static func id(of lineage: OutputLineage, table: String, state: State, in database: SQLiteDatabase) throws -> (id: Int64, created: Bool) {
        let find = try database.prepare("""
            SELECT id FROM nightjar_lineage WHERE run_id = ? AND table_name = ? AND logical_date = ? AND model_name = ?
                AND model_version = ? AND model_sha256 = ? AND state <> 'retired'
            """)
        for (i, v) in ([lineage.runID, table] + [lineage.logicalDate, lineage.modelName, lineage.modelVersion, lineage.modelSHA256]).enumerated() {
            find.bind(Int32(i + 1), string: v)
        }
        if try find.step() { return (find.int(at: 0), false) }
        let insert = try database.prepare("""
            INSERT INTO nightjar_lineage (table_name, logical_date, run_id, model_name, model_version, model_sha256, state)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for (i, v) in ([table] + lineage.values + [state.rawValue]).enumerated() { insert.bind(Int32(i + 1), string: v) }
        _ = try insert.step()
        let id = database.lastInsertRowID
        try database.execute("UPDATE nightjar_lineage SET rows_table = \(SQLiteString.literal(rowsTable(table: table, id: id))) WHERE id = \(id)")
        return (id, true)
    }

    /// Makes `runID`'s rows of `tables` visible for `date` and retires the rows they replace, inside
    /// the caller's transaction: a few lineage rows and the views' definitions, whatever the row count.
    public static func publish(runID: String, date: String, tables: [String], in database: SQLiteDatabase) throws {
        try ensureTable(in: database)
        for table in tables {
            let retire = try database.prepare("""
                UPDATE nightjar_lineage SET state = 'retired'
                WHERE table_name = ? AND logical_date = ? AND state = 'published' AND run_id <> ?
                """)
            retire.bind(1, string: table)
            retire.bind(2, string: date)
            retire.bind(3, string: runID)
            _ = try retire.step()
        }
        let publish = try database.prepare("UPDATE nightjar_lineage SET state = 'published' WHERE run_id = ? AND state = 'staged'")
        publish.bind(1, string: runID)
        _ = try publish.step()
        for table in tables { try SQLiteOutputView.rebuild(table: table, in: database) }
    }

    /// Drops the rows of retired lineages (each in a transaction of its own; a crash in between
    /// leaves invisible rows that the next call drops). Returns the lineages dropped.
    @discardableResult
    public static func purgeRetired(in database: SQLiteDatabase) throws -> Int {
        try purge(where: "state = 'retired'", in: database)
    }

    /// Drops the staged rows of an unfinished run that is being abandoned.
    @discardableResult
    public static func discardStaged(runID: String, in database: SQLiteDatabase) throws -> Int {
        try purge(where: "state = 'staged' AND run_id = \(SQLiteString.literal(runID))", in: database)
    }

    private static func purge(where condition: String, in database: SQLiteDatabase) throws -> Int {
        guard try !database.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'nightjar_lineage'").isEmpty else { return 0 }
        let hasRowsTable = try database.query("SELECT name FROM pragma_table_info('nightjar_lineage')").contains { $0[0] == "rows_table" }
        let rows = try database.query("SELECT id, table_name, \(hasRowsTable ? "rows_table" : "NULL") FROM nightjar_lineage WHERE \(condition)")
        guard !rows.isEmpty else { return 0 }
        // Freed pages are not overwritten when that would cost I/O (Debian builds SQLite with
        // secure_delete on: every freed page written again, ~150 ms for a 1M-row table).
        try database.execute("PRAGMA secure_delete = FAST")
        var dropped = 0
        for row in rows {
            guard let id = row[0].flatMap({ Int64($0) }), let table = row[1] else { continue }
            try database.execute("BEGIN IMMEDIATE")
            do {
                if let own = row[2] {
                    try database.execute("DROP TABLE IF EXISTS \(SQLiteDatabase.quote(own))")
                } else {
                    // The earlier shared layout: the lineage's rowid range.
                    let shared = SQLiteOutputView.templateTable(table)
                    if try !database.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = \(SQLiteString.literal(shared))").isEmpty {
                        let low = id << rangeBits, high = low + (Int64(1) << rangeBits) - 1
                        try database.execute("DELETE FROM \(SQLiteDatabase.quote(shared)) WHERE rowid BETWEEN \(low) AND \(high)")
                    }
                }
                try database.execute("DELETE FROM nightjar_lineage WHERE id = \(id)")
                try database.execute("COMMIT")
                dropped += 1
            } catch {
                try? database.execute("ROLLBACK")
                throw error
            }
        }
        return dropped
    }
}
