import Foundation
import NightjarCore
import NightjarIO

/// A run-store row that cannot be read: NULL where a value is required, text where a number is,
/// a status no Nightjar writes. The store was damaged or edited by hand; the message names the
/// store, table, column and row so that someone can fix or delete the row — Nightjar never
/// guesses a value for it. A configuration failure (exit 78): retrying cannot help.
public struct RunStoreError: ClassifiedError, CustomStringConvertible, Sendable {
    /// The store (a SQLite file, or a PostgreSQL connection's name).
    public var location: String
    public var table: String
    public var column: String
    /// The row by its key columns: `run 20261128T040148-89fe4a`, `the row with model churn, alias champion`.
    public var row: String
    /// What is wrong with the value: `is NULL`, `holds 'x', not an integer`.
    public var problem: String
    /// The run the row belongs to, when its run_id could be read.
    public var runID: String?

    public var failureKind: FailureKind { .configuration }

    public var description: String {
        "\(location): \(table).\(column) of \(row) \(problem); the run store was damaged or edited by hand: fix or delete that row"
    }
}

/// The columns a run-store query selects, in order, and those that name a row in messages
/// (`keys`; `fallback` when every key is NULL).
public struct RunStoreColumns: Sendable {
    public let names: [String]
    public let keys: [String]
    public let fallback: [String]
    let positions: [String: Int]

    public init(_ names: [String], keys: [String], fallback: [String] = []) {
        self.names = names
        self.keys = keys
        self.fallback = fallback
        positions = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The select list: each name, or the expression `expressions` gives for it (PostgreSQL casts).
    public func list(prefix: String = "", _ expressions: [String: String] = [:]) -> String {
        names.map { expressions[$0] ?? prefix + $0 }.joined(separator: ", ")
    }
}

/// One row of a run-store table, read from SQLite or PostgreSQL, decoded column by column: a
/// NULL or a value of the wrong type throws `RunStoreError` instead of trapping. Both stores
/// build these; the records (`RunRecord(row:)`, `ChunkRecord(row:)`, …) decode from them.
public struct RunStoreRow: Sendable {
    /// A value as the store returned it. PostgreSQL rows are all text (or NULL).
    public enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        /// A BLOB, by its size: nothing in a run store is one.
        case blob(Int)
    }

    public let location: String
    public let table: String
    public let columns: RunStoreColumns
    public let values: [Value]

    public init(location: String, table: String, columns: RunStoreColumns, values: [Value]) {
        self.location = location
        self.table = table
        self.columns = columns
        self.values = values
    }

    /// The current row of a SQLite statement that selected `columns`.
    public init(location: String, table: String, columns: RunStoreColumns, statement s: SQLiteStatement) {
        self.init(location: location, table: table, columns: columns, values: (0..<columns.names.count).map { i in
            switch s.value(at: i) {
            case .null: return .null
            case .integer(let v): return .integer(v)
            case .real(let v): return .real(v)
            case .text(let v): return .text(v)
            case .blob(let n): return .blob(n)
            }
        })
    }

    /// A PostgreSQL result row (text format; NULL as nil).
    public init(location: String, table: String, columns: RunStoreColumns, text: [String?]) {
        self.init(location: location, table: table, columns: columns,
                  values: (0..<columns.names.count).map { i in i < text.count ? text[i].map { .text($0) } ?? .null : .null })
    }

    // MARK: Values

    func value(_ column: String) -> Value {
        guard let i = columns.positions[column], i < values.count else { return .null }
        return values[i]
    }

    public func optionalString(_ column: String) throws -> String? {
        switch value(column) {
        case .null: return nil
        case .text(let s): return s
        case .integer(let v): return String(v)
        case .real(let v): return String(v)
        case .blob(let n): throw failure(column, "holds a BLOB of \(n) bytes, not text")
        }
    }

    public func string(_ column: String) throws -> String {
        guard let s = try optionalString(column) else { throw null(column) }
        return s
    }

    public func optionalInt64(_ column: String) throws -> Int64? {
        switch value(column) {
        case .null: return nil
        case .integer(let v): return v
        case .real(let v):
            guard v == v.rounded(), abs(v) < 9.2e18 else { throw failure(column, "holds \(v), not an integer") }
            return Int64(v)
        case .text(let s):
            guard let v = Int64(s.trimmingCharacters(in: .whitespaces)) else { throw failure(column, "holds \(QuotedValue.quote(s)), not an integer") }
            return v
        case .blob(let n): throw failure(column, "holds a BLOB of \(n) bytes, not an integer")
        }
    }

    public func int64(_ column: String) throws -> Int64 {
        guard let v = try optionalInt64(column) else { throw null(column) }
        return v
    }

    public func optionalInt(_ column: String) throws -> Int? { try optionalInt64(column).map { Int($0) } }
    public func int(_ column: String) throws -> Int { Int(try int64(column)) }

    public func optionalDouble(_ column: String) throws -> Double? {
        switch value(column) {
        case .null: return nil
        case .real(let v): return v
        case .integer(let v): return Double(v)
        case .text(let s):
            // PostgreSQL writes NaN, Infinity and -Infinity as such; Double reads them.
            guard let v = Double(s.trimmingCharacters(in: .whitespaces)) else { throw failure(column, "holds \(QuotedValue.quote(s)), not a number") }
            return v
        case .blob(let n): throw failure(column, "holds a BLOB of \(n) bytes, not a number")
        }
    }

    public func double(_ column: String) throws -> Double {
        guard let v = try optionalDouble(column) else { throw null(column) }
        return v
    }

    /// One of an enumeration's stored values (`running`, `ok`, `auto_rollback`…).
    public func optionalCase<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ column: String) throws -> E? where E.RawValue == String {
        guard let s = try optionalString(column) else { return nil }
        guard let v = E(rawValue: s) else {
            throw failure(column, "holds \(QuotedValue.quote(s)), not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }

    public func `case`<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ column: String) throws -> E where E.RawValue == String {
        guard let v = try optionalCase(type, column) else { throw null(column) }
        return v
    }

    // MARK: Errors

    /// The row's run id, when it has a readable one.
    var runID: String? {
        if case .text(let s) = value("run_id") { return s }
        return nil
    }

    /// The row by its key columns, for messages.
    var name: String {
        func shown(_ v: Value) -> String {
            switch v {
            case .null: return "NULL"
            case .integer(let i): return String(i)
            case .real(let d): return String(d)
            case .blob(let n): return "a BLOB of \(n) bytes"
            case .text(let s):
                let plain = !s.isEmpty && s.utf8.count <= 80 && s.utf8.allSatisfy { b in
                    (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || "-_.:@+/".utf8.contains(b)
                }
                return plain ? s : QuotedValue.quote(s, limit: 80)
            }
        }
        var keys = columns.keys.map { ($0, value($0)) }
        if keys.allSatisfy({ $0.1 == .null }) { keys = columns.fallback.map { ($0, value($0)) } }
        if keys.allSatisfy({ $0.1 == .null }) { return "a row" }
        if keys.count == 1, keys[0].0 == "run_id" { return "run \(shown(keys[0].1))" }
        return "the row with " + keys.map { "\($0.0) \(shown($0.1))" }.joined(separator: ", ")
    }

    func failure(_ column: String, _ problem: String) -> RunStoreError {
        RunStoreError(location: location, table: table, column: column, row: name, problem: problem, runID: runID)
    }

    func null(_ column: String) -> RunStoreError { failure(column, "is NULL") }
}

// MARK: Records

extension RunRecord {
    /// `nightjar_runs` (`nightjar.runs`), in the order both stores select and write them.
    public static let storeColumns = RunStoreColumns([
        "run_id", "job", "logical_date", "trigger", "status", "attempt", "scheduled_for", "started_at", "ended_at",
        "rows_read", "rows_scored", "rows_written", "chunks", "model_name", "model_version", "model_sha256", "model_path",
        "source", "sink", "nightjar_version", "host", "pid", "error", "bundle_path", "model_alias", "rows_rejected",
        "prediction_psi", "drift_status", "stats", "active_seconds",
    ], keys: ["run_id"], fallback: ["job", "logical_date", "started_at"])

    public init(row r: RunStoreRow) throws {
        self.init(
            runID: try r.string("run_id"), job: try r.string("job"), logicalDate: try r.string("logical_date"),
            trigger: try r.case(Trigger.self, "trigger"), status: try r.case(Status.self, "status"),
            attempt: try r.optionalInt("attempt") ?? 1, scheduledFor: try r.optionalString("scheduled_for"),
            startedAt: try r.string("started_at"), endedAt: try r.optionalString("ended_at"),
            rowsRead: try r.optionalInt("rows_read") ?? 0, rowsScored: try r.optionalInt("rows_scored") ?? 0,
            rowsWritten: try r.optionalInt("rows_written") ?? 0, chunks: try r.optionalInt("chunks") ?? 0,
            modelName: try r.optionalString("model_name"), modelVersion: try r.optionalString("model_version"),
            modelSHA256: try r.optionalString("model_sha256"), modelPath: try r.optionalString("model_path"),
            source: try r.optionalString("source"), sink: try r.optionalString("sink"),
            nightjarVersion: try r.optionalString("nightjar_version"), host: try r.optionalString("host"),
            pid: try r.optionalInt("pid"), error: try r.optionalString("error"),
            bundlePath: try r.optionalString("bundle_path"), modelAlias: try r.optionalString("model_alias"),
            rowsRejected: try r.optionalInt("rows_rejected") ?? 0, predictionPSI: try r.optionalDouble("prediction_psi"),
            driftStatus: try r.optionalCase(DriftStatus.self, "drift_status"), stats: try r.optionalString("stats"),
            activeSeconds: try r.optionalDouble("active_seconds"))
    }
}

extension ChunkRecord {
    public static let storeColumns = RunStoreColumns([
        "run_id", "chunk", "file_index", "source_file", "start_offset", "end_offset", "end_line", "rows", "output_offset",
        "committed_at", "seconds", "last_key", "shard", "rows_rejected", "stats",
    ], keys: ["run_id", "shard", "chunk"])

    public init(row r: RunStoreRow) throws {
        self.init(runID: try r.string("run_id"), chunk: try r.int("chunk"), fileIndex: try r.int("file_index"),
                  sourceFile: try r.string("source_file"), startOffset: try r.int64("start_offset"), endOffset: try r.int64("end_offset"),
                  endLine: try r.int("end_line"), rows: try r.int("rows"), outputOffset: try r.optionalInt64("output_offset"),
                  committedAt: try r.string("committed_at"), seconds: try r.double("seconds"), lastKey: try r.optionalString("last_key"),
                  shard: try r.optionalInt("shard") ?? 0, rowsRejected: try r.optionalInt("rows_rejected") ?? 0,
                  stats: try r.optionalString("stats"))
    }
}

extension ShardRecord {
    public static let storeColumns = RunStoreColumns([
        "run_id", "shard", "shards", "status", "rows", "chunks", "host", "pid", "started_at", "ended_at", "error",
    ], keys: ["run_id", "shard"])

    public init(row r: RunStoreRow) throws {
        self.init(runID: try r.string("run_id"), shard: try r.int("shard"), shards: try r.int("shards"),
                  status: try r.case(RunRecord.Status.self, "status"), rows: try r.optionalInt("rows") ?? 0,
                  chunks: try r.optionalInt("chunks") ?? 0, host: try r.string("host"), pid: try r.int("pid"),
                  startedAt: try r.string("started_at"), endedAt: try r.optionalString("ended_at"), error: try r.optionalString("error"))
    }
}

extension ModelAlias {
    public static let storeColumns = RunStoreColumns(["model", "alias", "version", "updated_at"], keys: ["model", "alias"])

    public init(row r: RunStoreRow) throws {
        self.init(model: try r.string("model"), alias: try r.string("alias"), version: try r.string("version"),
                  updatedAt: try r.string("updated_at"))
    }
}

extension AliasEvent {
    public static let storeColumns = RunStoreColumns([
        "event_id", "model", "alias", "action", "version", "previous_version", "at", "reason", "run_id",
    ], keys: ["event_id"])

    public init(row r: RunStoreRow) throws {
        self.init(model: try r.string("model"), alias: try r.string("alias"), action: try r.case(Action.self, "action"),
                  version: try r.string("version"), previousVersion: try r.optionalString("previous_version"), at: try r.string("at"),
                  reason: try r.optionalString("reason"), runID: try r.optionalString("run_id"))
    }
}

extension RejectRecord {
    public static let storeColumns = RunStoreColumns([
        "run_id", "shard", "chunk", "row_number", "key", "column_name", "value", "reason",
    ], keys: ["run_id", "shard", "chunk", "row_number", "column_name"])

    public init(row r: RunStoreRow) throws {
        self.init(runID: try r.string("run_id"), shard: try r.optionalInt("shard") ?? 0, chunk: try r.int("chunk"),
                  rowNumber: try r.int("row_number"), key: try r.string("key"), column: try r.string("column_name"),
                  value: try r.string("value"), reason: try r.string("reason"))
    }
}

extension RejectCount {
    /// `column_name, reason, count(*)` grouped by the first two.
    public static let storeColumns = RunStoreColumns(["column_name", "reason", "count"], keys: ["column_name", "reason"])

    public init(row r: RunStoreRow) throws {
        self.init(column: try r.string("column_name"), reason: try r.string("reason"), count: try r.int("count"))
    }
}

extension FeatureStatRecord {
    public static let storeColumns = RunStoreColumns([
        "run_id", "feature", "rows", "null_rate", "mean", "min", "max", "psi", "status",
    ], keys: ["run_id", "feature"])

    public init(row r: RunStoreRow) throws {
        self.init(runID: try r.string("run_id"), feature: try r.string("feature"), rows: try r.int("rows"),
                  nullRate: try r.double("null_rate"), mean: try r.optionalDouble("mean"), min: try r.optionalDouble("min"),
                  max: try r.optionalDouble("max"), psi: try r.double("psi"), status: try r.case(DriftStatus.self, "status"))
    }
}

extension ShadowComparisonRecord {
    public static let storeColumns = RunStoreColumns([
        "run_id", "job", "logical_date", "challenger", "model_name", "model_version", "champion_version", "rows",
        "mean_abs_diff", "max_abs_diff", "correlation", "flip_rate", "prediction_psi", "champion_us_per_row", "challenger_us_per_row",
    ], keys: ["run_id", "challenger"])

    public init(row r: RunStoreRow) throws {
        self.init(runID: try r.string("run_id"), job: try r.string("job"), logicalDate: try r.string("logical_date"),
                  challenger: try r.string("challenger"), modelName: try r.string("model_name"), modelVersion: try r.string("model_version"),
                  championVersion: try r.string("champion_version"), rows: try r.int("rows"), meanAbsDiff: try r.double("mean_abs_diff"),
                  maxAbsDiff: try r.double("max_abs_diff"), correlation: try r.optionalDouble("correlation"),
                  flipRate: try r.double("flip_rate"), predictionPSI: try r.double("prediction_psi"),
                  championMicrosPerRow: try r.double("champion_us_per_row"), challengerMicrosPerRow: try r.double("challenger_us_per_row"))
    }
}

extension RunLockHolder {
    /// `nightjar_locks` (`nightjar.locks`).
    public static let storeColumns = RunStoreColumns([
        "job", "logical_date", "run_id", "host", "pid", "acquired_at", "heartbeat_at", "expires_at",
    ], keys: ["job", "logical_date"])

    public init(row r: RunStoreRow) throws {
        self.init(job: try r.string("job"), logicalDate: try r.string("logical_date"), runID: try r.string("run_id"),
                  host: try r.string("host"), pid: try r.int("pid"), acquiredAt: try r.string("acquired_at"),
                  heartbeatAt: try r.optionalString("heartbeat_at"), expiresAt: try r.optionalString("expires_at"))
    }
}

extension LockEvent {
    /// `nightjar_lock_events` (`nightjar.lock_events`).
    public static let storeColumns = RunStoreColumns([
        "event_id", "at", "job", "logical_date", "action", "run_id", "holder_host", "holder_pid", "holder_since",
        "holder_expires_at", "by_host", "by_pid", "by_user", "reason",
    ], keys: ["event_id"])

    public init(row r: RunStoreRow) throws {
        self.init(at: try r.string("at"), job: try r.string("job"), logicalDate: try r.string("logical_date"),
                  action: try r.case(Action.self, "action"), runID: try r.optionalString("run_id"),
                  holderHost: try r.optionalString("holder_host"), holderPID: try r.optionalInt("holder_pid"),
                  holderSince: try r.optionalString("holder_since"), holderExpiresAt: try r.optionalString("holder_expires_at"),
                  byHost: try r.string("by_host"), byPID: try r.int("by_pid"), byUser: try r.optionalString("by_user"),
                  reason: try r.optionalString("reason"))
    }
}
