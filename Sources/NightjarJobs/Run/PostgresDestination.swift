import Foundation
import NightjarCore
import NightjarIO

/// A run's rows into PostgreSQL: each chunk's rows and its checkpoint in one transaction; a
/// replace_partition run publishes its date by attaching its own table as the date's partition
/// (`PostgresTableWriter`, `PostgresOutputTable`), in one transaction with the publication record.
///
/// One connection, used by one thread at a time (the caller serialises `commit` and `finish`),
/// from whichever thread calls: nothing here is tied to the creating thread.
final class PostgresDestination: ChunkDestination {
    let connection: PostgresConnection
    let writer: PostgresTableWriter
    let store: RunStore
    let replace: Bool
    let runID: String
    let date: String
    var extras: [(writer: PostgresTableWriter, publishes: Bool)] = []

    static let setup = """
        CREATE SCHEMA IF NOT EXISTS nightjar;
        CREATE TABLE IF NOT EXISTS nightjar.chunks (
            run_id text NOT NULL, chunk integer NOT NULL, file_index integer NOT NULL, source_file text NOT NULL,
            start_offset bigint NOT NULL, end_offset bigint NOT NULL, end_line bigint NOT NULL, rows bigint NOT NULL,
            output_offset bigint, committed_at timestamptz NOT NULL, seconds double precision NOT NULL, last_key text,
            PRIMARY KEY (run_id, chunk));
        """ + chunksShardMigration + """
        CREATE TABLE IF NOT EXISTS nightjar.publications (
            run_id text PRIMARY KEY, logical_date date NOT NULL, table_name text NOT NULL, published_at timestamptz NOT NULL);
        """ + chunksQualityMigration + PostgresOutputTable.setup

    /// Chunks carry their rejected-row count and statistics (merged into the run's drift at the end).
    static let chunksQualityMigration = """
        ALTER TABLE nightjar.chunks ADD COLUMN IF NOT EXISTS rows_rejected bigint NOT NULL DEFAULT 0, ADD COLUMN IF NOT EXISTS stats text;
        """

    static let chunkColumns = ChunkRecord.storeColumns.list()

    static func chunkValues(_ c: ChunkRecord) -> [String?] {
        [c.runID, String(c.chunk), String(c.fileIndex), c.sourceFile, String(c.startOffset), String(c.endOffset), String(c.endLine),
         String(c.rows), c.outputOffset.map { String($0) }, c.committedAt, String(c.seconds), c.lastKey, String(c.shard),
         String(c.rowsRejected), c.stats]
    }

    /// Shards commit chunks of one run side by side: the shard is part of the checkpoint's key.
    static let chunksShardMigration = """
        ALTER TABLE nightjar.chunks ADD COLUMN IF NOT EXISTS shard integer NOT NULL DEFAULT 0;
        DO $$ BEGIN
            IF (SELECT array_length(string_to_array(indkey::text, ' '), 1) FROM pg_index
                WHERE indrelid = 'nightjar.chunks'::regclass AND indisprimary) = 2 THEN
                ALTER TABLE nightjar.chunks DROP CONSTRAINT chunks_pkey, ADD PRIMARY KEY (run_id, shard, chunk);
            END IF;
        END $$;
        """

    static func chunks(runID: String, shard: Int?, connection: PostgresConnection) throws -> [ChunkRecord] {
        let columns = ChunkRecord.storeColumns
        var sql = "SELECT \(columns.list(["committed_at": "committed_at::text"])) FROM nightjar.chunks WHERE run_id = $1"
        var args: [String?] = [runID]
        if let shard { sql += " AND shard = $2"; args.append(String(shard)) }
        return try connection.execute(sql + " ORDER BY shard, chunk", args).rows.map {
            try ChunkRecord(row: RunStoreRow(location: connection.name, table: "nightjar.chunks", columns: columns, text: $0))
        }
    }

    init(settings: JobSpec.PostgresSettings, table: String, layout: OutputLayout, lineage: OutputLineage,
         replace: Bool, runID: String, date: String, job: JobSpec, store: RunStore) throws {
        connection = try PostgresConnection(conninfo: try settings.conninfo(job: job.name), name: "sink \(settings.description)")
        try connection.execute("BEGIN")
        try connection.execute("SELECT pg_advisory_xact_lock(hashtext('nightjar schema'))")
        try connection.execute(PostgresDestination.setup)
        try connection.execute("COMMIT")
        self.store = store
        self.replace = replace
        self.runID = runID
        self.date = date
        writer = PostgresTableWriter(connection: connection, table: table, layout: layout,
                                     lineage: lineage,
                                     mode: PostgresDestination.mode(replace: replace, runID: runID, suffix: ""))
        // Partitions detached by earlier publications whose process died before dropping them.
        PostgresTableWriter.dropRetired(connection: connection)
    }

    static func mode(replace: Bool, runID: String, suffix: String) -> PostgresTableWriter.Mode {
        replace ? .replacePartition(runID: runID, suffix: suffix) : .append(runID: runID, suffix: suffix)
    }

    /// A shadow output (`table`, its own view and base table, staged in the run's `_shadow` table)
    /// or, with `table` nil, a split's challenger: the main output's rows with other lineage,
    /// staged in the main run table and published with it.
    func addWriter(table: String?, layout: OutputLayout, lineage: OutputLineage) throws -> Int {
        let first = table != nil && !extras.contains { $0.writer.table == table }
        extras.append((PostgresTableWriter(connection: connection, table: table ?? writer.table, layout: layout,
                                           lineage: lineage,
                                           mode: PostgresDestination.mode(replace: replace, runID: runID, suffix: table == nil ? "" : "_shadow")),
                       first))
        return extras.count - 1
    }

    func committed(runID: String, shard: Int?) throws -> [ChunkRecord] {
        try PostgresDestination.chunks(runID: runID, shard: shard, connection: connection)
    }

    func isPublished(runID: String) throws -> Bool {
        try connection.execute("SELECT 1 FROM nightjar.publications WHERE run_id = $1", [runID]).rowCount > 0
    }

    func commit(_ chunk: ScoredChunk, layout: OutputLayout, keyTypes: [String]?, extras more: [ExtraRows], checkpoint: inout ChunkRecord) throws {
        let c = checkpoint
        // Tables first, each in a short transaction of its own (no DDL lock held while rows are copied).
        try writer.prepare(chunk, keyTypes: keyTypes)
        for e in more { try extras[e.writer].writer.prepare(e.chunk, keyTypes: keyTypes) }
        try writer.inTransaction {
            try writer.write(chunk, layout: layout)
            for e in more { try extras[e.writer].writer.write(e.chunk, layout: e.layout) }
            try connection.execute("""
                INSERT INTO nightjar.chunks (\(PostgresDestination.chunkColumns))
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                """, PostgresDestination.chunkValues(c))
        }
        try store.mirror(c)  // the chunk is durable in the sink already
        logNotes()
    }

    func finish(runID: String, date: String) throws {
        try writer.ensureTables()
        for e in extras where !replace || e.publishes { try e.writer.ensureTables() }
        logNotes()
        guard replace else { return }
        // Outputs in a stable order, so two processes publishing dates of the same outputs take
        // their locks in the same order.
        let publishing = ([writer] + extras.filter(\.publishes).map(\.writer)).sorted { ($0.baseTable ?? "") < ($1.baseTable ?? "") }
        // Tests that kill a run during its publish widen the two windows (inside the transaction, then before the drop).
        let pause = ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PUBLISH_DELAY_MS"].flatMap(Double.init).map { $0 / 1000 }
        try writer.inTransaction {
            for w in publishing { try w.publishStatements() }
            try connection.execute("INSERT INTO nightjar.publications (run_id, logical_date, table_name, published_at) VALUES ($1, $2, $3, now())",
                                   [runID, date, writer.table])
            if let pause { Thread.sleep(forTimeInterval: pause) }
        }
        if let pause { Thread.sleep(forTimeInterval: pause) }
        // The detached partitions are no longer visible; dropping them can wait for a reader that
        // still holds one, and a crash here leaves them recorded for the next run.
        PostgresTableWriter.dropRetired(connection: connection)
    }

    /// Migration notes of the writers, once each, on stderr (the destination has no logger; a
    /// migration happens once per output and must not go unnoticed).
    private var notesLogged = 0
    private func logNotes() {
        let notes = ([writer] + extras.map(\.writer)).flatMap(\.notes)
        guard notes.count > notesLogged else { return }
        for note in notes[notesLogged...] { FileHandle.standardError.write(Data("nightjar: \(note)\n".utf8)) }
        notesLogged = notes.count
    }

    /// Drops what an unfinished run left in the sink database (its staged tables, its checkpoints)
    /// before a new run starts over, and any partition a crashed publication left detached.
    static func abandon(runID: String, settings: JobSpec.PostgresSettings, job: JobSpec) throws {
        let connection = try PostgresConnection(conninfo: try settings.conninfo(job: job.name), name: "sink \(settings.description)")
        if try connection.execute("SELECT to_regclass('nightjar.chunks')").string(0, 0) != nil {
            for suffix in ["", "_shadow"] {
                try connection.execute("DROP TABLE IF EXISTS nightjar.\(PostgresOutputTable.quote(PostgresOutputTable.stagingName(runID: runID, suffix: suffix)))")
            }
            try connection.execute("DELETE FROM nightjar.chunks WHERE run_id = $1", [runID])
        }
        if try connection.execute("SELECT to_regclass('nightjar.retired')").string(0, 0) != nil {
            PostgresTableWriter.dropRetired(connection: connection)
        }
    }
}
