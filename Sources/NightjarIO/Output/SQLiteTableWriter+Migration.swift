import NightjarCore

/// Output tables written by earlier versions are moved into the current layout once, in the
/// transaction of the first chunk that writes to them; no row is dropped:
/// - Nightjar 0.3 kept the lineage text on every row of a plain output table, and staged a run's
///   rows in `nightjar_staging_<run>` tables;
/// - Nightjar 0.4's first layout kept every lineage's rows in one shared table by rowid range.
extension SQLiteTableWriter {
    /// Moves the rows of the old-style output table `table` (a plain table with the lineage columns
    /// on every row) into rows tables of their own as published lineages, and drops the old table.
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

    /// Moves the rows an unfinished run of an earlier version staged for this table into rows
    /// tables of their own as staged lineages (the run resumes from its checkpoints), and drops
    /// the staging table. `legacyStaging`: its name, when such a run is being resumed.
    func migrateLegacyStaging() throws -> Bool {
        guard let staging = legacyStaging, try objectType(staging) == "table" else { return false }
        let data = try database.query("SELECT name FROM pragma_table_info(\(SQLiteString.literal(staging)))")
            .compactMap { $0[0] }.filter { !OutputLineage.columns.contains($0) }
        migratedRows += try moveRows(from: staging, columns: data, state: .staged)
        try database.execute("DROP TABLE \(SQLiteDatabase.quote(staging))")
        return true
    }

    /// Moves this table's lineages kept by rowid range in the shared table (0.4's first layout)
    /// into tables of their own, in rowid order; retired ones are left to the purge. Empties the
    /// shared table, which keeps the column definitions. Returns whether anything moved.
    func migrateSharedRows() throws -> Bool {
        let lineages = try database.query("""
            SELECT id FROM nightjar_lineage WHERE table_name = \(SQLiteString.literal(table)) AND rows_table IS NULL AND state <> 'retired'
            """).compactMap { $0[0].flatMap { Int64($0) } }
        guard !lineages.isEmpty else { return false }
        let columns = try SQLiteOutputView.columns(of: table, in: database)
        let definitions = columns.map { "\(SQLiteDatabase.quote($0.name)) \($0.type)" }.joined(separator: ", ")
        let names = columns.map { SQLiteDatabase.quote($0.name) }.joined(separator: ", ")
        for id in lineages {
            let own = SQLiteLineage.rowsTable(table: table, id: id)
            let low = id << SQLiteLineage.rangeBits, high = low + (Int64(1) << SQLiteLineage.rangeBits) - 1
            try database.execute("CREATE TABLE IF NOT EXISTS \(SQLiteDatabase.quote(own)) (\(definitions))")
            try database.execute("""
                INSERT INTO \(SQLiteDatabase.quote(own)) (\(names))
                SELECT \(names) FROM \(SQLiteDatabase.quote(rowsTable)) WHERE rowid BETWEEN \(low) AND \(high) ORDER BY rowid
                """)
            migratedRows += database.changes
            try database.execute("UPDATE nightjar_lineage SET rows_table = \(SQLiteString.literal(own)) WHERE id = \(id)")
            try database.execute("DELETE FROM \(SQLiteDatabase.quote(rowsTable)) WHERE rowid BETWEEN \(low) AND \(high)")
        }
        return true
    }

    /// Copies `source`'s rows into one new rows table per distinct lineage value set, in
    /// `source`'s rowid order. Returns the rows moved.
    private func moveRows(from source: String, columns: [String], state: SQLiteLineage.State) throws -> Int {
        let before = try database.query("SELECT coalesce(max(id), 0) FROM nightjar_lineage")[0][0].flatMap { Int64($0) } ?? 0
        let meta = OutputLineage.columns.map(SQLiteDatabase.quote).joined(separator: ", ")
        try database.execute("""
            INSERT INTO nightjar_lineage (table_name, \(meta), state)
            SELECT DISTINCT \(SQLiteString.literal(table)), \(meta), \(SQLiteString.literal(state.rawValue)) FROM \(SQLiteDatabase.quote(source))
            """)
        let definitions = try SQLiteOutputView.columns(of: table, in: database)
            .map { "\(SQLiteDatabase.quote($0.name)) \($0.type)" }.joined(separator: ", ")
        let names = columns.map(SQLiteDatabase.quote)
        var moved = 0
        for row in try database.query("SELECT id, \(meta) FROM nightjar_lineage WHERE id > \(before) AND table_name = \(SQLiteString.literal(table))") {
            guard let id = row[0].flatMap({ Int64($0) }) else { continue }
            let own = SQLiteLineage.rowsTable(table: table, id: id)
            try database.execute("CREATE TABLE \(SQLiteDatabase.quote(own)) (\(definitions))")
            let match = zip(OutputLineage.columns, row.dropFirst()).map { name, value in
                "o.\(SQLiteDatabase.quote(name)) = \(value.map(SQLiteString.literal) ?? "NULL")"
            }.joined(separator: " AND ")
            try database.execute("""
                INSERT INTO \(SQLiteDatabase.quote(own)) (\(names.joined(separator: ", ")))
                SELECT \(names.map { "o." + $0 }.joined(separator: ", ")) FROM \(SQLiteDatabase.quote(source)) AS o WHERE \(match) ORDER BY o.rowid
                """)
            moved += database.changes
            try database.execute("UPDATE nightjar_lineage SET rows_table = \(SQLiteString.literal(own)) WHERE id = \(id)")
        }
        return moved
    }
}
