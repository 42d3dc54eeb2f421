import Foundation

/// The objects behind one user-visible output name (`churn_scores`, `analytics.churn_scores`).
///
/// Layout, and why:
/// - `nightjar."rows__<schema>.<table>"` — the **base table**, `PARTITION BY LIST (logical_date)`:
///   the key column(s) (or `row`), the predictions, `logical_date date` and `lineage_id integer`.
///   One partition per logical date, so a run publishes its date by attaching a table (metadata
///   only) instead of copying its rows a second time.
/// - `nightjar.lineage` — run id, model name, version and SHA-256, logical date and output name,
///   once per (run, writer) instead of ~100 bytes of text on every row; a row refers to it by id.
/// - `<schema>.<table>` — a **view** joining the two, with exactly the columns analysts had:
///   keys, predictions, `logical_date`, `run_id`, `model_name`, `model_version`, `model_sha256`.
///   `logical_date` comes from the base table, so a filter on it prunes partitions through the
///   view; the join is a LEFT JOIN on lineage's primary key, so a query that reads no lineage
///   column does not join at all (the planner removes it).
/// - Partitions and a run's staged table live in schema `nightjar`: `nightjar_staging_<run>`
///   while a replace_partition run writes, renamed `part__<yyyymmdd>__<run>` when attached.
///   A detached (replaced) partition is recorded in `nightjar.retired` in the publishing
///   transaction and dropped after it commits, by this run or — after a crash — the next one.
public struct PostgresOutputTable: Sendable {
    /// The name as the job gives it (maybe schema-qualified).
    public let name: String
    public let schema: String
    public let table: String

    /// `schema`: the schema an unqualified `name` resolves to (the connection's current schema).
    public init(name: String, defaultSchema: String) {
        self.name = name
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        schema = parts.count == 2 ? parts[0] : defaultSchema
        table = parts.count == 2 ? parts[1] : parts[0]
    }

    /// `name` resolved the way a run resolves it.
    /// An unqualified name is the relation the search path finds, if there is one; otherwise the
    /// first schema of the search path that is not Nightjar's own `nightjar` (which a role named
    /// `nightjar` would put first, through `"$user"`).
    public static func resolve(_ name: String, connection: PostgresConnection) throws -> PostgresOutputTable {
        let schema = try connection.execute("""
            SELECT coalesce(
                (SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)),
                (SELECT s::text FROM unnest(current_schemas(false)) WITH ORDINALITY AS t(s, i) WHERE s <> 'nightjar' ORDER BY i LIMIT 1),
                'public')
            """, [quote(name)]).string(0, 0) ?? "public"
        return PostgresOutputTable(name: name, defaultSchema: schema)
    }

    /// The view, schema-qualified and quoted.
    public var quotedView: String { PostgresOutputTable.quote(schema) + "." + PostgresOutputTable.quote(table) }

    /// `nightjar."rows__<schema>.<table>"`, shortened with a hash past PostgreSQL's 63-byte names.
    public var baseName: String { PostgresOutputTable.identifier("rows__\(schema).\(table)") }
    public var quotedBase: String { "nightjar." + PostgresOutputTable.quote(baseName) }

    /// What the view and lineage rows call this output (schema-qualified).
    public var lineageName: String { "\(schema).\(table)" }

    public static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `name` itself when it fits PostgreSQL's 63 bytes; else a prefix and a stable hash of the
    /// whole name, so long names never collide by truncation.
    public static func identifier(_ name: String) -> String {
        guard name.utf8.count > 63 else { return name }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for b in name.utf8 { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        var prefix = ""
        for ch in name where prefix.utf8.count + String(ch).utf8.count <= 46 { prefix.append(ch) }
        return prefix + "_" + String(hash, radix: 16)
    }

    /// The table a run stages its rows of this output in (`suffix`: "_shadow" for shadow outputs).
    public static func stagingName(runID: String, suffix: String) -> String {
        identifier("nightjar_staging_" + sanitized(runID) + suffix)
    }

    /// The name a partition gets once attached: its date and the run that wrote it.
    public static func partitionName(date: String, runID: String, suffix: String) -> String {
        identifier("part__" + date.replacingOccurrences(of: "-", with: "") + "__" + sanitized(runID) + suffix)
    }

    static func sanitized(_ s: String) -> String {
        String(s.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// Nightjar's own tables for partitioned outputs (created once per database, under the
    /// caller's schema lock).
    public static let setup = """
        CREATE SCHEMA IF NOT EXISTS nightjar;
        CREATE TABLE IF NOT EXISTS nightjar.lineage (
            id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, table_name text NOT NULL, logical_date date NOT NULL,
            run_id text NOT NULL, model_name text NOT NULL, model_version text NOT NULL, model_sha256 text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (run_id, table_name, model_name, model_version, model_sha256));
        CREATE TABLE IF NOT EXISTS nightjar.retired (
            table_name text PRIMARY KEY, output text NOT NULL, logical_date date NOT NULL, run_id text NOT NULL,
            retired_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS nightjar.migrations (
            output text NOT NULL, rows bigint NOT NULL, dates integer NOT NULL, old_columns text NOT NULL,
            migrated_at timestamptz NOT NULL DEFAULT now());
        """
}
