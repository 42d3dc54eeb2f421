/// Where every output row of a SQLite sink comes from (`OutputLineage`), stored once per (output
/// table, run, model) instead of on every row, and which of those row sets readers see.
///
/// Each lineage owns the rowid range `id << 32 ..< (id + 1) << 32` of its table's rows table, so
/// its rows are found, published and deleted as one contiguous range of the table's B-tree, with
/// no secondary index. Rows are written once: a run's rows stay invisible (`staged`) until the
/// run publishes, which flips the states of a few lineage rows in one transaction (`published`,
/// and the date's previous rows `retired`); retired rows are deleted afterwards, by range.
///
/// Measured on 1,000,000 churn rows (CSV → SQLite job, `replace_partition`): the staging table
/// plus `DELETE` + `INSERT … SELECT` at publish wrote every row twice (543k one-page `pwrite`s,
/// 22 s against 4.6 s for `nightjar score`) and stored ~175 bytes a row, ~100 of them lineage
/// text. See `bench/job_bench.sh` for the figures after.
public enum SQLiteLineage {
    /// Rows of one lineage per rowid range: 2^32.
    public static let rangeBits: Int64 = 32

    /// What readers see of a lineage's rows.
    public enum State: String, Sendable {
        /// Written by a run that has not published: invisible.
        case staged
        /// Visible through the table's view.
        case published
        /// Replaced by a newer run's rows for the same date: invisible, to be deleted.
        case retired
    }

    static let table = "nightjar_lineage"

    static let schema = """
        CREATE TABLE IF NOT EXISTS nightjar_lineage (
            id INTEGER PRIMARY KEY, table_name TEXT NOT NULL, logical_date TEXT NOT NULL, run_id TEXT NOT NULL,
            model_name TEXT NOT NULL, model_version TEXT NOT NULL, model_sha256 TEXT NOT NULL, state TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS nightjar_lineage_run ON nightjar_lineage (run_id);
        CREATE INDEX IF NOT EXISTS nightjar_lineage_table_date ON nightjar_lineage (table_name, logical_date);
        """

    /// Creates the lineage table if missing (inside the caller's transaction or on its own).
    static func ensureTable(in database: SQLiteDatabase) throws {
        try database.execute(schema)
    }

    /// The id of this lineage's rows in `table`, created in `state` if missing.
    static func id(of lineage: OutputLineage, table: String, state: State, in database: SQLiteDatabase) throws -> Int64 {
        let find = try database.prepare("""
            SELECT id FROM nightjar_lineage WHERE run_id = ? AND table_name = ? AND logical_date = ? AND model_name = ?
                AND model_version = ? AND model_sha256 = ? AND state <> 'retired'
            """)
        for (i, v) in ([lineage.runID, table] + [lineage.logicalDate, lineage.modelName, lineage.modelVersion, lineage.modelSHA256]).enumerated() {
            find.bind(Int32(i + 1), string: v)
        }
        if try find.step() { return find.int(at: 0) }
        let insert = try database.prepare("""
            INSERT INTO nightjar_lineage (table_name, logical_date, run_id, model_name, model_version, model_sha256, state)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for (i, v) in ([table] + lineage.values + [state.rawValue]).enumerated() { insert.bind(Int32(i + 1), string: v) }
        _ = try insert.step()
        return database.lastInsertRowID
    }

    /// The SQL range condition selecting lineage `l`'s rows of rows-table alias `r`.
    static func rangeCondition(lineage l: String, rows r: String) -> String {
        "\(r).rowid BETWEEN \(l).id * 4294967296 AND \(l).id * 4294967296 + 4294967295"
    }

    /// Makes `runID`'s rows of `tables` visible for `date` and retires the rows they replace, inside
    /// the caller's transaction: a metadata change of a few rows, whatever the row count.
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
    }

    /// Deletes the rows of retired lineages (each in a transaction of its own; a crash in between
    /// leaves invisible rows that the next call deletes). Returns the rows deleted.
    @discardableResult
    public static func purgeRetired(in database: SQLiteDatabase) throws -> Int {
        try purge(where: "state = 'retired'", in: database)
    }

    /// Deletes the staged rows of an unfinished run that is being abandoned.
    @discardableResult
    public static func discardStaged(runID: String, in database: SQLiteDatabase) throws -> Int {
        try purge(where: "state = 'staged' AND run_id = \(SQLiteString.literal(runID))", in: database)
    }

    private static func purge(where condition: String, in database: SQLiteDatabase) throws -> Int {
        guard try !database.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'nightjar_lineage'").isEmpty else { return 0 }
        var deleted = 0
        for row in try database.query("SELECT id, table_name FROM nightjar_lineage WHERE \(condition)") {
            guard let id = row[0].flatMap({ Int64($0) }), let table = row[1] else { continue }
            let rows = SQLiteTableWriter.rowsTable(table)
            try database.execute("BEGIN IMMEDIATE")
            do {
                if try !database.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = \(SQLiteString.literal(rows))").isEmpty {
                    let low = id << rangeBits, high = low + (Int64(1) << rangeBits) - 1
                    try database.execute("DELETE FROM \(SQLiteDatabase.quote(rows)) WHERE rowid BETWEEN \(low) AND \(high)")
                    deleted += database.changes
                }
                try database.execute("DELETE FROM nightjar_lineage WHERE id = \(id)")
                try database.execute("COMMIT")
            } catch {
                try? database.execute("ROLLBACK")
                throw error
            }
        }
        return deleted
    }
}
