import Foundation
import NightjarCore

/// Writes a run's predictions for one output (see `PostgresOutputTable` for the layout) with
/// `COPY … FROM STDIN`, binary where the columns' types allow (`PostgresCopyBinaryEncoder` says
/// why), one transaction per chunk that the caller extends with its checkpoint.
///
/// - replace_partition: chunks go to a standalone table of the run, created `LIKE` the base table
///   with `CHECK (logical_date = D)` (so attaching it needs no validation scan). `publishStatements`
///   detaches the date's current partition and attaches the run's table in the caller's
///   transaction: readers on other connections see the old rows of the date or the new ones,
///   never a mix, and publishing costs the same for ten rows or ten million (measured: see
///   bench/pg_bench.sh, DELETE + INSERT … SELECT of 1M rows took 9 s).
/// - append: chunks go through the base table into the date's partition, created and attached
///   under an advisory lock when missing (runs of other dates and shards run at once).
///
/// Schema changes (base table, view, partitions, migration of an old-style table) run in short
/// transactions of their own before the first chunk, under an advisory lock per output, so a
/// chunk's transaction holds no DDL lock.
public final class PostgresTableWriter {
    public enum Mode: Sendable {
        /// Rows staged in the run's own table, attached as the date's partition on publish.
        case replacePartition(runID: String, suffix: String)
        /// Rows appended to the date's partition.
        case append(runID: String, suffix: String)
    }

    public let connection: PostgresConnection
    /// The output's name as the job gives it.
    public let table: String
    public let mode: Mode
    private let layout: OutputLayout
    /// What `nightjar.lineage` records for this writer's rows.
    private let lineage: OutputLineage
    private var output: PostgresOutputTable?
    private var lineageID: Int?
    private var text: [UInt8] = []
    /// The binary COPY form of the output's columns, when every one has a plain binary form (see
    /// `PostgresCopyBinaryEncoder`); nil: text.
    private var binary: PostgresCopyBinaryEncoder?
    /// Lines describing a migration of an old-style table done by this writer (for the caller to log).
    public private(set) var notes: [String] = []

    /// The lineage columns the view shows after the keys and predictions, in order.
    public static let lineageColumns = OutputLineage.columns

    public init(connection: PostgresConnection, table: String, layout: OutputLayout, lineage: OutputLineage, mode: Mode) {
        self.connection = connection
        self.table = table
        self.layout = layout
        self.lineage = lineage
        self.mode = mode
    }

    var isReplace: Bool { if case .replacePartition = mode { return true } else { return false } }
    var runID: String { switch mode { case let .replacePartition(r, _), let .append(r, _): return r } }
    var suffix: String { switch mode { case let .replacePartition(_, s), let .append(_, s): return s } }

    /// The run's staging table (replace_partition), schema-qualified and quoted.
    public var quotedStaging: String { "nightjar." + PostgresOutputTable.quote(PostgresOutputTable.stagingName(runID: runID, suffix: suffix)) }

    /// Runs `body` in a transaction; rolls back if it throws.
    public func inTransaction<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN")
        do {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Creates (or migrates) the base table and view, records the lineage, and creates the run's
    /// staging table or the date's partition — once, in a transaction of its own. Call outside
    /// any transaction, before the first `write`.
    public func prepare(_ chunk: ScoredChunk, keyTypes: [String]?) throws {
        guard lineageID == nil else { return }
        try inTransaction {
            let output = try PostgresOutputTable.resolve(table, connection: connection)
            // Serialise DDL on this output between processes (shards, parallel backfills).
            try connection.execute("SELECT pg_advisory_xact_lock(hashtext('nightjar ddl ' || $1))", [output.lineageName])
            try ensureBase(output, chunk: chunk, keyTypes: keyTypes)
            let id = try connection.execute("""
                WITH new AS (
                    INSERT INTO nightjar.lineage (table_name, logical_date, run_id, model_name, model_version, model_sha256)
                    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id)
                SELECT id FROM new UNION ALL
                SELECT id FROM nightjar.lineage WHERE run_id = $3 AND table_name = $1 AND model_name = $4 AND model_version = $5 AND model_sha256 = $6
                """, [output.lineageName, lineage.logicalDate, lineage.runID, lineage.modelName, lineage.modelVersion, lineage.modelSHA256])
                .string(0, 0)
            guard let id, let n = Int(id) else { throw PostgresError(name: connection.name, message: "cannot record the lineage of \(table)") }
            let check = "CONSTRAINT nightjar_logical_date CHECK (logical_date = \(try connection.literal(lineage.logicalDate))::date)"
            if isReplace {
                try connection.execute("CREATE TABLE IF NOT EXISTS \(quotedStaging) (LIKE \(output.quotedBase) INCLUDING DEFAULTS, \(check))")
                // The date is the same on every row of the run's table: a default, not a COPY field
                // (parsing a date per row was ~0.14 s of the server's CPU per 1M rows).
                try connection.execute("ALTER TABLE \(quotedStaging) ALTER COLUMN logical_date SET DEFAULT \(try connection.literal(lineage.logicalDate))::date")
            } else if try partition(of: output, date: lineage.logicalDate) == nil {
                let name = "nightjar." + PostgresOutputTable.quote(PostgresOutputTable.partitionName(date: lineage.logicalDate, runID: runID, suffix: suffix))
                try connection.execute("CREATE TABLE \(name) (LIKE \(output.quotedBase) INCLUDING DEFAULTS, \(check))")
                try connection.execute("ALTER TABLE \(output.quotedBase) ATTACH PARTITION \(name) FOR VALUES IN (\(try connection.literal(lineage.logicalDate)))")
            }
            self.output = output
            binary = try binaryEncoder(output)
            lineageID = n
        }
    }

    /// The binary encoder for the base table's column types, or nil when one of them has no
    /// plain binary form (text columns, such as reasons, go through text COPY).
    private func binaryEncoder(_ output: PostgresOutputTable) throws -> PostgresCopyBinaryEncoder? {
        var types: [String: UInt32] = [:]
        for row in try connection.execute("""
            SELECT attname, atttypid::int8 FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
            """, [output.quotedBase]).rows {
            if let name = row[0], let oid = row[1].flatMap({ UInt32($0) }) { types[name] = oid }
        }
        func field(_ name: String) -> PostgresCopyBinaryEncoder.Field? { types[name].flatMap(PostgresCopyBinaryEncoder.Field.init(oid:)) }
        guard types["logical_date"] == 1082, types["lineage_id"] == 23,
              PostgresCopyBinaryEncoder.days(sinceEpochOf: lineage.logicalDate) != nil else { return nil }
        let keyNames = layout.rowNumberColumn ? ["row"] : layout.keyColumns.map(\.name)
        let keys = keyNames.compactMap(field)
        let predictions = layout.predictions.map(\.name).compactMap(field)
        guard keys.count == keyNames.count, predictions.count == layout.predictions.count,
              !keys.contains(.float8), !keys.contains(.float4), !predictions.contains(.text) else { return nil }
        return PostgresCopyBinaryEncoder(keys: keys, predictions: predictions)
    }

    /// The base table and the view: created, checked, or migrated from an old-style table.
    private func ensureBase(_ output: PostgresOutputTable, chunk: ScoredChunk, keyTypes: [String]?) throws {
        let existing = try connection.execute("SELECT c.relkind::text FROM pg_class c WHERE c.oid = to_regclass($1)", [output.quotedView]).string(0, 0)
        let wanted = layout.columnNames + PostgresTableWriter.lineageColumns
        if let existing, existing != "v" {
            // An output table written by an earlier version: moved into the new layout once.
            try migrate(output, kind: existing, wanted: wanted)
            return
        }
        if try connection.execute("SELECT to_regclass($1)", [output.quotedBase]).string(0, 0) == nil {
            var columns: [String] = []
            if layout.rowNumberColumn {
                columns.append("\"row\" bigint NOT NULL")
            } else {
                let integers = layout.keyColumnsAreIntegers(in: chunk)
                for (k, key) in layout.keyColumns.enumerated() {
                    columns.append("\(PostgresOutputTable.quote(key.name)) \(keyTypes?[k] ?? (integers[k] ? "bigint" : "text"))")
                }
            }
            for p in layout.predictions { columns.append("\(PostgresOutputTable.quote(p.name)) \(p.isText ? "text" : p.isInteger ? "bigint" : "double precision")") }
            try createBase(output, columns: columns)
        }
        if existing == nil {
            try connection.execute("CREATE SCHEMA IF NOT EXISTS \(PostgresOutputTable.quote(output.schema))")
            try createView(output)
        }
        let have = try connection.execute("""
            SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, [output.quotedView]).rows.compactMap { $0[0] }
        guard have == wanted else {
            throw PostgresError(name: connection.name, message: "output \(table) has the columns (\(have.joined(separator: ", "))), this job writes (\(wanted.joined(separator: ", "))); write to a new table or drop the old one")
        }
    }

    private func createBase(_ output: PostgresOutputTable, columns: [String]) throws {
        try connection.execute("""
            CREATE TABLE \(output.quotedBase) (\((columns + ["logical_date date NOT NULL", "lineage_id integer NOT NULL"]).joined(separator: ", ")))
            PARTITION BY LIST (logical_date)
            """)
        try connection.execute("COMMENT ON TABLE \(output.quotedBase) IS \(try connection.literal("Nightjar: rows of \(output.lineageName) (a view joining nightjar.lineage); one partition per logical_date"))")
    }

    private func createView(_ output: PostgresOutputTable) throws {
        let own = layout.columnNames.map { "b." + PostgresOutputTable.quote($0) }
        try connection.execute("""
            CREATE VIEW \(output.quotedView) AS
            SELECT \((own + ["b.logical_date", "l.run_id", "l.model_name", "l.model_version", "l.model_sha256"]).joined(separator: ", "))
            FROM \(output.quotedBase) b LEFT JOIN nightjar.lineage l ON l.id = b.lineage_id
            """)
        try connection.execute("COMMENT ON VIEW \(output.quotedView) IS \(try connection.literal("Nightjar output: rows in \(output.quotedBase), lineage in nightjar.lineage"))")
    }

    /// Moves the rows of an old-style output table (every row carrying its lineage as text) into
    /// the partitioned layout, in the caller's transaction: base table with the old key and
    /// prediction types, one lineage row per run and model, one partition per date, the rows
    /// copied once, counted, the old table dropped and the view created in its place. Any
    /// failure rolls all of it back and leaves the old table as it was.
    private func migrate(_ output: PostgresOutputTable, kind: String, wanted: [String]) throws {
        guard kind == "r" || kind == "p" else {
            throw PostgresError(name: connection.name, message: "\(table) exists and is not a table or a Nightjar view (relkind \(kind)); write to another name")
        }
        let old = try connection.execute("""
            SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, [output.quotedView]).rows.map { ($0[0]!, $0[1]!) }
        let types = Dictionary(old, uniquingKeysWith: { a, _ in a })
        let missing = wanted.filter { types[$0] == nil }
        guard missing.isEmpty else {
            throw PostgresError(name: connection.name, message: "table \(table) exists without column(s) \(missing.joined(separator: ", ")); write to a new table or drop it")
        }
        guard try connection.execute("SELECT to_regclass($1)", [output.quotedBase]).string(0, 0) == nil else {
            throw PostgresError(name: connection.name, message: "table \(table) exists next to Nightjar's \(output.quotedBase); drop one of them")
        }
        try createBase(output, columns: layout.columnNames.map { "\(PostgresOutputTable.quote($0)) \(types[$0]!)" })
        let name = try connection.literal(output.lineageName)
        try connection.execute("""
            INSERT INTO nightjar.lineage (table_name, logical_date, run_id, model_name, model_version, model_sha256)
            SELECT DISTINCT ON (run_id, model_name, model_version, model_sha256) \(name), logical_date, run_id, model_name, model_version, model_sha256
            FROM \(output.quotedView) ORDER BY run_id, model_name, model_version, model_sha256, logical_date
            ON CONFLICT DO NOTHING
            """)
        let dates = try connection.execute("SELECT DISTINCT logical_date::text FROM \(output.quotedView) ORDER BY 1").rows.compactMap { $0[0] }
        for date in dates {
            let part = "nightjar." + PostgresOutputTable.quote(PostgresOutputTable.partitionName(date: date, runID: "migrated", suffix: suffix))
            try connection.execute("CREATE TABLE \(part) PARTITION OF \(output.quotedBase) FOR VALUES IN (\(try connection.literal(date)))")
        }
        let own = layout.columnNames.map(PostgresOutputTable.quote)
        let moved = try connection.execute("""
            INSERT INTO \(output.quotedBase) (\((own + ["logical_date", "lineage_id"]).joined(separator: ", ")))
            SELECT \((own.map { "o." + $0 } + ["o.logical_date", "l.id"]).joined(separator: ", "))
            FROM \(output.quotedView) o JOIN nightjar.lineage l ON l.table_name = \(name) AND l.run_id = o.run_id
                AND l.model_name = o.model_name AND l.model_version = o.model_version AND l.model_sha256 = o.model_sha256
            """).affectedRows
        let count = Int(try connection.execute("SELECT count(*) FROM \(output.quotedView)").string(0, 0) ?? "") ?? -1
        guard moved == count else {
            throw PostgresError(name: connection.name, message: "migrating \(table): \(moved) of \(count) rows matched their lineage; nothing was changed")
        }
        try connection.execute("DROP TABLE \(output.quotedView)")
        try createView(output)
        try connection.execute("INSERT INTO nightjar.migrations (output, rows, dates, old_columns) VALUES ($1, $2, $3, $4)",
                               [output.lineageName, String(count), String(dates.count), old.map { "\($0.0) \($0.1)" }.joined(separator: ", ")])
        notes.append("migrated the old-style table \(output.lineageName) (\(count) rows, \(dates.count) dates) into \(output.quotedBase), partitioned by logical_date; \(output.lineageName) is now a view over it")
    }

    /// The partition of `output` holding `date`, if any (schema-qualified, quoted).
    func partition(of output: PostgresOutputTable, date: String) throws -> String? {
        // The bound and the literal are both printed with the session's DateStyle, so they compare as text.
        try connection.execute("""
            SELECT format('%I.%I', n.nspname, c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE i.inhparent = $1::regclass AND pg_get_expr(c.relpartbound, c.oid) = 'FOR VALUES IN (' || quote_literal($2::date::text) || ')'
            """, [output.quotedBase, date]).string(0, 0)
    }

    /// Copies a chunk's rows (call inside `inTransaction`, after `prepare`).
    public func write(_ chunk: ScoredChunk, layout chunkLayout: OutputLayout? = nil) throws {
        guard let output, let lineageID else { throw PostgresError(name: connection.name, message: "internal: \(table) written before it was prepared") }
        let layout = chunkLayout ?? self.layout
        text.removeAll(keepingCapacity: true)
        // The run's own table (replace_partition) fills logical_date from its default.
        let date = isReplace ? nil : PostgresCopyBinaryEncoder.days(sinceEpochOf: lineage.logicalDate)
        var format = ""
        if let binary, binary.encode(chunk, layout: layout, lineageID: Int32(truncatingIfNeeded: lineageID), date: date, into: &text) {
            format = " (FORMAT binary)"
        } else {
            let tail = isReplace ? "\t\(lineageID)" : "\t\(lineage.logicalDate)\t\(lineageID)"
            PostgresTableWriter.format(chunk, layout: layout, tail: Array(tail.utf8), into: &text)
        }
        let target = isReplace ? quotedStaging : output.quotedBase
        let columns = (self.layout.columnNames.map(PostgresOutputTable.quote) + (isReplace ? ["lineage_id"] : ["logical_date", "lineage_id"]))
            .joined(separator: ", ")
        try connection.copyIn("COPY \(target) (\(columns)) FROM STDIN\(format)") { send in
            try text.withUnsafeBytes { try send($0) }
        }
    }

    /// COPY text format: tab-separated, `\N` for NULL, backslash escapes; `tail` (the same on every
    /// row: date and lineage id, tab-prefixed) ends each line.
    static func format(_ chunk: ScoredChunk, layout: OutputLayout, tail: [UInt8], into out: inout [UInt8]) {
        let width = layout.predictions.count
        let batch = chunk.batch
        func escaped(_ bytes: ArraySlice<UInt8>) {
            // Most fields need no escaping: copy them in one go.
            if !bytes.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                out.append(contentsOf: bytes)
                return
            }
            for b in bytes {
                switch b {
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                default: out.append(b)
                }
            }
        }
        for r in 0..<batch.rowCount {
            if layout.rowNumberColumn {
                out.append(contentsOf: String(chunk.firstRowNumber + Int64(r)).utf8)
                out.append(0x09)
            } else {
                for key in layout.keyColumns {
                    let range = batch.fieldRange(row: r, column: key.index)
                    if range.isEmpty { out.append(contentsOf: [0x5C, UInt8(ascii: "N")]) } else { escaped(batch.bytes[range]) }
                    out.append(0x09)
                }
            }
            for c in 0..<width {
                if c > 0 { out.append(0x09) }
                let v = chunk.values[r * width + c]
                if v.isNaN { out.append(contentsOf: [0x5C, UInt8(ascii: "N")]); continue }
                if let names = layout.predictions[c].names {
                    escaped(ArraySlice(names[Int(v)].utf8))  // a text column (reasons): COPY's escapes, not CSV's quotes
                    continue
                }
                layout.appendValue(v, column: c, to: &out)
            }
            out.append(contentsOf: tail)
            out.append(0x0A)
        }
    }

    /// Makes sure the tables exist even when the run had no rows.
    public func ensureTables() throws {
        try prepare(ScoredChunk(batch: TextBatch(columnCount: 0), values: [], firstRowNumber: 1), keyTypes: nil)
    }

    /// The base table's name (for the caller to lock outputs in a stable order); nil before `prepare`.
    public var baseTable: String? { output?.quotedBase }

    /// Publishes the run's staged rows as the date's partition, inside a transaction the caller
    /// holds (several outputs published at once, with the publication record): the date's current
    /// partition is detached and recorded in `nightjar.retired` (dropped after the commit by
    /// `dropRetired`), the run's table renamed and attached. Metadata only: no row is read or
    /// copied. The tables must exist (`ensureTables`).
    public func publishStatements() throws {
        guard isReplace else { return }
        guard let output else { throw PostgresError(name: connection.name, message: "internal: \(table) published before it was prepared") }
        try connection.execute("SELECT pg_advisory_xact_lock(hashtext('nightjar ddl ' || $1))", [output.lineageName])
        let date = try connection.literal(lineage.logicalDate)
        if let current = try partition(of: output, date: lineage.logicalDate) {
            try connection.execute("ALTER TABLE \(output.quotedBase) DETACH PARTITION \(current)")
            try connection.execute("""
                INSERT INTO nightjar.retired (table_name, output, logical_date, run_id) VALUES ($1, $2, $3, $4)
                ON CONFLICT (table_name) DO NOTHING
                """, [current, output.lineageName, lineage.logicalDate, lineage.runID])
        }
        let partition = PostgresOutputTable.partitionName(date: lineage.logicalDate, runID: runID, suffix: suffix)
        try connection.execute("ALTER TABLE \(quotedStaging) RENAME TO \(PostgresOutputTable.quote(partition))")
        try connection.execute("ALTER TABLE \(output.quotedBase) ATTACH PARTITION nightjar.\(PostgresOutputTable.quote(partition)) FOR VALUES IN (\(date))")
    }

    /// Drops the partitions that publications detached (recorded in `nightjar.retired`), each in a
    /// transaction of its own that waits at most `lockTimeout` for readers still holding it; one
    /// that cannot be dropped now stays recorded for a later run. Returns the tables dropped.
    @discardableResult
    public static func dropRetired(connection: PostgresConnection, lockTimeout: String = "5s") -> [String] {
        guard let retired = try? connection.execute("SELECT table_name FROM nightjar.retired ORDER BY retired_at").rows.compactMap({ $0[0] }) else { return [] }
        var dropped: [String] = []
        for name in retired {
            do {
                try connection.execute("BEGIN")
                try connection.execute("SELECT set_config('lock_timeout', $1, true)", [lockTimeout])
                // Only a table that is not a partition (again): a name recorded by a crashed publish
                // whose table was attached meanwhile is not ours to drop.
                let attached = try connection.execute("""
                    SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1)
                    """, [name]).rowCount > 0
                if !attached { try connection.execute("DROP TABLE IF EXISTS \(name)") }
                try connection.execute("DELETE FROM nightjar.retired WHERE table_name = $1", [name])
                try connection.execute("COMMIT")
                if !attached { dropped.append(name) }
            } catch {
                _ = try? connection.execute("ROLLBACK")
            }
        }
        return dropped
    }

    /// Drops an output entirely: the view, the base table with its partitions and its lineage rows
    /// (tests and operators; a run never calls it).
    public static func dropOutput(_ name: String, connection: PostgresConnection) throws {
        let output = try PostgresOutputTable.resolve(name, connection: connection)
        let kind = try connection.execute("SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)", [output.quotedView]).string(0, 0)
        if kind == "v" { try connection.execute("DROP VIEW \(output.quotedView)") } else if kind != nil { try connection.execute("DROP TABLE \(output.quotedView)") }
        try connection.execute("DROP TABLE IF EXISTS \(output.quotedBase)")
        if try connection.execute("SELECT to_regclass('nightjar.lineage')").string(0, 0) != nil {
            try connection.execute("DELETE FROM nightjar.lineage WHERE table_name = $1", [output.lineageName])
        }
    }
}
