import Foundation
import NightjarCore
import NightjarIO

/// A SQLite sink: rows go straight into the run's own rows table, each chunk with its checkpoint
/// in one transaction; a replace_partition run publishes by flipping its lineage to `published`
/// (and the date's previous rows to `retired`) and rebuilding the output view, in one small
/// transaction, then drops the retired rows tables (`SQLiteLineage`). Nothing is copied at publish.
final class SQLiteDestination: ChunkDestination {
    let writer: SQLiteTableWriter
    let store: RunStore
    let replace: Bool
    let runID: String
    let date: String
    /// Added writers (shadow tables, a split's challenger), sharing the main writer's transactions.
    var extras: [SQLiteTableWriter] = []

    init(path: String, table: String, layout: OutputLayout, lineage: OutputLineage, replace: Bool,
         runID: String, date: String, store: RunStore) throws {
        writer = try SQLiteTableWriter(path: path, table: table, layout: layout, lineage: lineage, staged: replace)
        writer.legacyStaging = SQLiteDestination.legacyStagingTable(runID: runID)
        self.store = store
        self.replace = replace
        self.runID = runID
        self.date = date
        _ = path == store.sqlitePath ? store : try SQLiteRunStore(path: path)  // checkpoint tables in the sink file
        try writer.database.execute("CREATE TABLE IF NOT EXISTS nightjar_publications (run_id TEXT PRIMARY KEY, logical_date TEXT NOT NULL, table_name TEXT NOT NULL, published_at TEXT NOT NULL)")
        // Rows another run retired but did not get to delete (it was killed right after publishing).
        try SQLiteLineage.purgeRetired(in: writer.database)
    }

    /// Where Nightjar 0.3 staged a run's rows (resumed runs of that version adopt them).
    static func legacyStagingTable(runID: String) -> String {
        "nightjar_staging_" + String(runID.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    func committed(runID: String, shard: Int?) throws -> [ChunkRecord] { try SQLiteRunStore.chunks(runID: runID, shard: shard, in: writer.database) }

    func isPublished(runID: String) throws -> Bool {
        try !writer.database.query("SELECT 1 FROM nightjar_publications WHERE run_id = \(SQLiteString.literal(runID))").isEmpty
    }

    func committedKeys(runID: String, keys: [String]) throws -> KeySet? {
        var set = KeySet()
        let tables = try writer.database.query("""
            SELECT rows_table FROM nightjar_lineage WHERE run_id = \(SQLiteString.literal(runID)) AND table_name = \(SQLiteString.literal(writer.table))
                AND state <> 'retired' AND rows_table IS NOT NULL
            """).compactMap { $0[0] }
        for table in tables {
            let select = try writer.database.prepare("SELECT \(keys.map(SQLiteDatabase.quote).joined(separator: ", ")) FROM \(SQLiteDatabase.quote(table))")
            while try select.step() {
                _ = set.insert((0..<keys.count).map { Array((select.string(at: $0) ?? "").utf8) })
            }
        }
        return set
    }

    func addWriter(table: String?, layout: OutputLayout, lineage: OutputLineage) throws -> Int {
        let added = SQLiteTableWriter(sharing: writer, table: table ?? writer.table, layout: layout, lineage: lineage)
        if table != nil { added.legacyStaging = SQLiteDestination.legacyStagingTable(runID: runID) + "_shadow" }
        extras.append(added)
        return extras.count - 1
    }

    func commit(_ chunk: ScoredChunk, layout: OutputLayout, keyTypes: [String]?, extras more: [ExtraRows], checkpoint: inout ChunkRecord) throws {
        let c = checkpoint
        try writer.inTransaction {
            try writer.write(chunk, layout: layout)
            for e in more { try extras[e.writer].write(e.chunk, layout: e.layout) }
            try SQLiteRunStore.insertChunk(c, into: writer.database)
        }
        if writer.path != store.sqlitePath { try store.mirror(c) }
    }

    func finish(runID: String, date: String) throws {
        // Every table this run writes exists (and has the run's lineage) even with no rows, so
        // publishing an empty run empties the date.
        try writer.ensureTables()
        for e in extras { try e.ensureTables() }
        guard replace else { return }
        var tables = [writer.table]
        for e in extras where !tables.contains(e.table) { tables.append(e.table) }
        // Tests that kill a run during its publish widen the two windows (inside the transaction, then before the purge).
        let pause = ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PUBLISH_DELAY_MS"].flatMap(Double.init).map { $0 / 1000 }
        try writer.inTransaction {
            try SQLiteLineage.publish(runID: runID, date: date, tables: tables, in: writer.database)
            try writer.database.execute("INSERT OR REPLACE INTO nightjar_publications (run_id, logical_date, table_name, published_at) VALUES (\(SQLiteString.literal(runID)), \(SQLiteString.literal(date)), \(SQLiteString.literal(writer.table)), \(SQLiteString.literal(Timestamp.now())))")
            if let pause { Thread.sleep(forTimeInterval: pause) }
        }
        if let pause { Thread.sleep(forTimeInterval: pause) }
        // The replaced rows are invisible already; deleting them is housekeeping (a later run
        // finishes it if this process dies now).
        try SQLiteLineage.purgeRetired(in: writer.database)
    }

    /// Drops what an unfinished run left in the sink file before a new run starts over: its staged
    /// rows (and the staging tables of an earlier version's layout) and its checkpoints.
    static func abandon(runID: String, path: String) throws {
        let db = try SQLiteDatabase(path: path)
        try db.execute("DROP TABLE IF EXISTS \(SQLiteDatabase.quote(SQLiteDestination.legacyStagingTable(runID: runID)))")
        try db.execute("DROP TABLE IF EXISTS \(SQLiteDatabase.quote(SQLiteDestination.legacyStagingTable(runID: runID) + "_shadow"))")
        try SQLiteLineage.discardStaged(runID: runID, in: db)
        if (try? db.query("SELECT 1 FROM sqlite_master WHERE name = 'nightjar_chunks'"))?.isEmpty == false {
            try db.execute("DELETE FROM nightjar_chunks WHERE run_id = \(SQLiteString.literal(runID))")
        }
    }
}
