import NightjarCore

/// Output tables written by Nightjar before 0.4 held the lineage text on every row, and staged a
/// run's rows in `nightjar_staging_<run>` tables. They are moved into the current layout once, in
/// the transaction of the first chunk that writes to them; no row is dropped.
extension SQLiteTableWriter {
    /// Moves the rows of the old-style output table `table` (a plain table with the lineage columns
    /// on every row) into the rows table as published lineages, and drops the old table.
    func migrateLegacyTable() throws {
        let columns = try database.query("SELECT name, type FROM pragma_table_info(\(SQLiteString.literal(table)))")
            .compactMap { r in r[0].map { ($0, r[1] ?? "") } }
        let missing = OutputLineage.columns.filter { name in !columns.contains { $0.0 == name } }
        guard missing.isEmpty else {
            throw InputError(path: path, message: "table '\(table)' exists but was not written by Nightjar (no column \(missing.joined(separator: ", "))); write to a new table or drop it", kind: .configuration)
        }
        let data = columns.filter { !OutputLineage.columns.contains($0.0) }
        if try objectType(rowsTable) == nil {
            try database.execute("CREATE TABLE \(SQLiteDatabase.quote(rowsTable)) (\(data.map { "\(SQLiteDatabase.quote($0.0)) \($0.1)" }.joined(separator: ", ")))")
        }
        migratedRows += try moveRows(from: table, columns: data.map(\.0), state: .published)
        try database.execute("DROP TABLE \(SQLiteDatabase.quote(table))")
    }

    /// Moves the rows an unfinished run of an earlier version staged for this table into the
    /// rows table as staged lineages (the run resumes from its checkpoints), and drops the
    /// staging table. `legacyStaging`: its name, when such a run is being resumed.
    func migrateLegacyStaging() throws {
        guard let staging = legacyStaging, try objectType(staging) == "table" else { return }
        let data = try database.query("SELECT name FROM pragma_table_info(\(SQLiteString.literal(staging)))")
            .compactMap { $0[0] }.filter { !OutputLineage.columns.contains($0) }
        migratedRows += try moveRows(from: staging, columns: data, state: .staged)
        try database.execute("DROP TABLE \(SQLiteDatabase.quote(staging))")
    }

    /// Copies `source`'s rows into the rows table, one lineage per distinct lineage value set, in
    /// `source`'s rowid order. Returns the rows moved.
    private func moveRows(from source: String, columns: [String], state: SQLiteLineage.State) throws -> Int {
        let before = try database.query("SELECT coalesce(max(id), 0) FROM nightjar_lineage")[0][0].flatMap { Int64($0) } ?? 0
        let meta = OutputLineage.columns.map(SQLiteDatabase.quote).joined(separator: ", ")
        try database.execute("""
            INSERT INTO nightjar_lineage (table_name, \(meta), state)
            SELECT DISTINCT \(SQLiteString.literal(table)), \(meta), \(SQLiteString.literal(state.rawValue)) FROM \(SQLiteDatabase.quote(source))
            """)
        let match = OutputLineage.columns.map { "l.\(SQLiteDatabase.quote($0)) = o.\(SQLiteDatabase.quote($0))" }.joined(separator: " AND ")
        let names = columns.map(SQLiteDatabase.quote)
        try database.execute("""
            INSERT INTO \(SQLiteDatabase.quote(rowsTable)) (rowid, \(names.joined(separator: ", ")))
            SELECT l.id * 4294967296 + row_number() OVER (PARTITION BY l.id ORDER BY o.rowid) - 1, \(names.map { "o." + $0 }.joined(separator: ", "))
            FROM \(SQLiteDatabase.quote(source)) AS o JOIN nightjar_lineage AS l ON l.id > \(before) AND l.table_name = \(SQLiteString.literal(table)) AND \(match)
            """)
        return database.changes
    }
}
