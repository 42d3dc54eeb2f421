import Foundation
import NightjarCore
import NightjarIO

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
        """ + chunksQualityMigration

    /// Chunks carry their rejected-row count and statistics (merged into the run's drift at the end).
    static let chunksQualityMigration = """
        ALTER TABLE nightjar.chunks ADD COLUMN IF NOT EXISTS rows_rejected bigint NOT NULL DEFAULT 0, ADD COLUMN IF NOT EXISTS stats text;
        """

    static let chunkColumns = "run_id, chunk, file_index, source_file, start_offset, end_offset, end_line, rows, output_offset, committed_at, seconds, last_key, shard, rows_rejected, stats"

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
        var sql = "SELECT \(chunkColumns.replacingOccurrences(of: "committed_at", with: "committed_at::text")) FROM nightjar.chunks WHERE run_id = $1"
        var args: [String?] = [runID]
        if let shard { sql += " AND shard = $2"; args.append(String(shard)) }
        return try connection.execute(sql + " ORDER BY shard, chunk", args).rows.map { r in
            ChunkRecord(runID: r[0]!, chunk: Int(r[1]!)!, fileIndex: Int(r[2]!)!, sourceFile: r[3]!, startOffset: Int64(r[4]!)!,
                        endOffset: Int64(r[5]!)!, endLine: Int(r[6]!)!, rows: Int(r[7]!)!, outputOffset: r[8].flatMap { Int64($0) },
                        committedAt: r[9]!, seconds: Double(r[10]!)!, lastKey: r[11], shard: Int(r[12]!)!,
                        rowsRejected: Int(r[13] ?? "0") ?? 0, stats: r[14])
        }
    }

    init(settings: JobSpec.PostgresSettings, table: String, layout: OutputLayout, metadata: [(name: String, value: String)],
         replace: Bool, runID: String, date: String, job: JobSpec, store: RunStore) throws {
        connection = try PostgresConnection(conninfo: try settings.conninfo(job: job.name), name: "sink \(settings.description)")
        try connection.execute("BEGIN")
        try connection.execute("SELECT pg_advisory_xact_lock(hashtext('nightjar schema'))")
        try connection.execute(PostgresDestination.setup)
        try connection.execute("COMMIT")
        let typed = metadata.map { (name: $0.name, value: $0.value, type: $0.name == "logical_date" ? "date" : "text") }
        let staging = "nightjar." + RunExecutor.stagingTable(runID: runID)
        writer = PostgresTableWriter(connection: connection, table: table, layout: layout, metadata: typed,
                                     partition: replace ? .init(column: "logical_date", value: date, stagingTable: staging) : nil)
        self.store = store
        self.replace = replace
        self.runID = runID
        self.date = date
    }

    func addWriter(table: String?, layout: OutputLayout, metadata: [(name: String, value: String)]) throws -> Int {
        let staging = "nightjar." + RunExecutor.stagingTable(runID: runID) + (table == nil ? "" : "_shadow")
        let typed = metadata.map { (name: $0.name, value: $0.value, type: $0.name == "logical_date" ? "date" : "text") }
        let first = table != nil && !extras.contains { $0.writer.table == table }
        extras.append((PostgresTableWriter(connection: connection, table: table ?? writer.table, layout: layout, metadata: typed,
                                           partition: replace ? .init(column: "logical_date", value: date, stagingTable: staging) : nil),
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
        try writer.inTransaction {
            try writer.write(chunk, layout: layout, keyTypes: keyTypes)
            for e in more { try extras[e.writer].writer.write(e.chunk, layout: e.layout, keyTypes: keyTypes) }
            try connection.execute("""
                INSERT INTO nightjar.chunks (\(PostgresDestination.chunkColumns))
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                """, PostgresDestination.chunkValues(c))
        }
        try store.record(c)
    }

    func finish(runID: String, date: String) throws {
        for e in extras where !replace || e.publishes { try e.writer.ensureTables() }
        if replace {
            try writer.publishPartition {
                for e in extras where e.publishes { try e.writer.publishStatements() }
                try connection.execute("INSERT INTO nightjar.publications (run_id, logical_date, table_name, published_at) VALUES ($1, $2, $3, now())",
                                       [runID, date, writer.table])
            }
        } else {
            try writer.ensureTables()
        }
    }

    /// Drops what an unfinished run left in the sink database before a new run starts over.
    static func abandon(runID: String, settings: JobSpec.PostgresSettings, job: JobSpec) throws {
        let connection = try PostgresConnection(conninfo: try settings.conninfo(job: job.name), name: "sink \(settings.description)")
        if try connection.execute("SELECT to_regclass('nightjar.chunks')").string(0, 0) != nil {
            try connection.execute("DROP TABLE IF EXISTS \(PostgresConnection.quoteQualified("nightjar." + RunExecutor.stagingTable(runID: runID)))")
            try connection.execute("DROP TABLE IF EXISTS \(PostgresConnection.quoteQualified("nightjar." + RunExecutor.stagingTable(runID: runID) + "_shadow"))")
            try connection.execute("DELETE FROM nightjar.chunks WHERE run_id = $1", [runID])
        }
    }
}

