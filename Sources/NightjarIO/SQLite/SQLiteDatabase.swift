import CSQLite
import Dispatch
import Foundation

/// A SQLite connection (libsqlite3 through the CSQLite system library target).
public final class SQLiteDatabase {
    public let path: String
    let handle: OpaquePointer

    /// Opens (creating if needed) the database file at `path`. `immutable`: read-only, without
    /// locks or the WAL's shared-memory file (for a file nothing else writes to).
    public init(path: String, readOnly: Bool = false, immutable: Bool = false) throws {
        self.path = path
        var db: OpaquePointer?
        var flags = readOnly || immutable ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var name = path
        if readOnly && !immutable { SQLiteDatabase.rollBackHotJournal(path) }
        if immutable {
            flags |= SQLITE_OPEN_URI
            let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))) ?? path
            name = "file:\(encoded)?immutable=1"
        }
        let rc = sqlite3_open_v2(name, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(path: path, message: "cannot open database: \(message)", code: rc & 0xff)
        }
        self.handle = db
        sqlite3_busy_timeout(db, 10_000)
        // Tests on a kernel without user namespaces (no small filesystem to fill) cap one file's
        // pages instead: NIGHTJAR_TEST_MAX_PAGE_COUNT=FILE_NAME:PAGES.
        if !readOnly, !immutable, let cap = ProcessInfo.processInfo.environment["NIGHTJAR_TEST_MAX_PAGE_COUNT"],
           let colon = cap.lastIndex(of: ":"), path.hasSuffix("/" + cap[..<colon]), let pages = Int(cap[cap.index(after: colon)...]) {
            sqlite3_exec(db, "PRAGMA max_page_count = \(pages)", nil, nil, nil)
        }
    }

    deinit { sqlite3_close_v2(handle) }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// Rows the last INSERT, UPDATE or DELETE on this connection touched.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last row inserted on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs one or more statements that return no rows.
    /// A process killed in a write transaction before the file was in WAL mode leaves a hot
    /// rollback journal, which only a writer may roll back: a read-only connection then fails every
    /// query with "attempt to write a readonly database" (seen by `nightjar runs` after a kill in
    /// the first milliseconds of a run). Rolls it back with a short read-write connection first,
    /// as the next writer would; if that cannot write (a full disk, a read-only mount) the
    /// read-only connection reports it as before.
    static func rollBackHotJournal(_ path: String) {
        let journal = path + "-journal"
        guard let size = (try? FileManager.default.attributesOfItem(atPath: journal))?[.size] as? NSNumber,
              size.intValue > 0 else { return }
        var db: OpaquePointer?
        if sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK {
            sqlite3_busy_timeout(db, 10_000)
            sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        }
        sqlite3_close_v2(db)
    }

    public func execute(_ sql: String) throws {
        let retryable = sql.hasPrefix("BEGIN")  // fails whole, changes nothing: safe to try again
        let deadline = DispatchTime.now().uptimeNanoseconds + SQLiteDatabase.busyRetryNanoseconds
        while true {
            var err: UnsafeMutablePointer<CChar>?
            let rc = sqlite3_exec(handle, sql, nil, nil, &err)
            if rc == SQLITE_OK { return }
            let message = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            if retryable, SQLiteDatabase.shouldRetry(rc, deadline: deadline) { continue }
            throw SQLiteError(path: path, message: message, sql: sql, code: rc & 0xff)
        }
    }

    /// How long a statement that SQLite refused with SQLITE_BUSY outside a transaction is retried:
    /// SQLite skips its busy handler (and answers at once) when waiting could deadlock, e.g. two
    /// processes opening one new file; the other side finishes if this one steps back and retries.
    static let busyRetryNanoseconds: UInt64 = 30_000_000_000

    static func shouldRetry(_ rc: Int32, deadline: UInt64) -> Bool {
        guard rc & 0xff == SQLITE_BUSY, DispatchTime.now().uptimeNanoseconds < deadline else { return false }
        usleep(UInt32.random(in: 5_000...25_000))
        return true
    }

    /// Switches the file to write-ahead logging (synchronous=NORMAL). Several processes opening a
    /// new file at once (shards, parallel backfills) can deadlock on the switch, each holding the
    /// shared lock the other needs: SQLite then answers SQLITE_BUSY at once, without its busy
    /// handler, so the switch is retried here for up to `timeout` seconds.
    public func enableWAL(timeout: Double = 10) throws {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        while true {
            do {
                try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
                return
            } catch let error as SQLiteError where error.code == SQLITE_BUSY && DispatchTime.now().uptimeNanoseconds < deadline {
                usleep(UInt32.random(in: 5_000...25_000))
            }
        }
    }

    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw SQLiteError(path: path, message: lastError, sql: sql, code: sqlite3_errcode(handle) & 0xff) }
        return SQLiteStatement(database: self, handle: stmt)
    }

    /// Rows of a query as strings (NULL as nil); for small result sets (metadata, tests, summaries).
    public func query(_ sql: String) throws -> [[String?]] {
        let stmt = try prepare(sql)
        var rows: [[String?]] = []
        while try stmt.step() {
            rows.append((0..<stmt.columnCount).map { stmt.string(at: $0) })
        }
        return rows
    }

    /// Opens a database for reading even on a full disk. A read-only connection to a WAL database
    /// creates the `-shm` file when it is missing (the last writer removed it), which fails when
    /// no space is left; such a file has no `-wal` either (everything is in the database file), so
    /// it is then read as immutable, without the shared-memory file.
    public static func openForReading(path: String) throws -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: path, readOnly: true)
        do {
            _ = try db.query("SELECT count(*) FROM sqlite_master")
            return db
        } catch let error as SQLiteError {  // (a refused prepare carries no code)
            let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? nil
            guard wal == nil || wal == 0 else { throw error }
            return try SQLiteDatabase(path: path, immutable: true)
        }
    }

    /// Double-quotes an identifier for SQL text.
    public static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A prepared statement.
public final class SQLiteStatement {
    let database: SQLiteDatabase
    let handle: OpaquePointer

    init(database: SQLiteDatabase, handle: OpaquePointer) {
        self.database = database
        self.handle = handle
    }

    deinit { sqlite3_finalize(handle) }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public func bind(_ index: Int32, double value: Double) {
        if value.isNaN { sqlite3_bind_null(handle, index) } else { sqlite3_bind_double(handle, index, value) }
    }

    public func bind(_ index: Int32, int value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    public func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    /// Binds UTF-8 text copied by SQLite.
    public func bind(_ index: Int32, text: UnsafeBufferPointer<UInt8>) {
        guard let base = text.baseAddress, text.count > 0 else {
            sqlite3_bind_text(handle, index, "", 0, nil)
            return
        }
        base.withMemoryRebound(to: CChar.self, capacity: text.count) { p in
            _ = sqlite3_bind_text(handle, index, p, Int32(text.count), nightjar_sqlite_transient())
        }
    }

    public func bind(_ index: Int32, string: String) {
        var s = string
        s.withUTF8 { bind(index, text: $0) }
    }

    /// Steps once; true when a row is available, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + SQLiteDatabase.busyRetryNanoseconds
        // Not in the middle of its rows: a refusal now means it did nothing yet.
        let fresh = sqlite3_stmt_busy(handle) == 0
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_ROW { return true }
            if rc == SQLITE_DONE { return false }
            // Outside a transaction, a statement refused before its first row did nothing: retry it.
            if fresh, sqlite3_get_autocommit(database.handle) != 0, SQLiteDatabase.shouldRetry(rc, deadline: deadline) {
                sqlite3_reset(handle)
                continue
            }
            throw SQLiteError(path: database.path, message: database.lastError, code: rc & 0xff)
        }
    }

    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func string(at column: Int) -> String? {
        guard sqlite3_column_type(handle, Int32(column)) != SQLITE_NULL, let p = sqlite3_column_text(handle, Int32(column)) else { return nil }
        return String(cString: p)
    }

    /// A column's value as stored (SQLite keeps whatever a row was given, whatever the column's
    /// declared type: 'x' in an INTEGER column stays text).
    public enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        /// A BLOB (its size in bytes).
        case blob(Int)
    }

    public func value(at column: Int) -> Value {
        let c = Int32(column)
        switch sqlite3_column_type(handle, c) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, c))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, c))
        case SQLITE_TEXT: return string(at: column).map { .text($0) } ?? .null
        default: return .blob(Int(sqlite3_column_bytes(handle, c)))
        }
    }

    public func double(at column: Int) -> Double { sqlite3_column_double(handle, Int32(column)) }
    public func int(at column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }
}

public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var sql: String?
    /// SQLite's primary result code (SQLITE_BUSY, …), 0 when not from SQLite.
    public var code: Int32 = 0

    public init(path: String, message: String, sql: String? = nil, code: Int32 = 0) {
        self.path = path
        self.message = message
        self.sql = sql
        self.code = code
    }

    public var description: String {
        if code == 13 {  // SQLITE_FULL
            return "\(path): SQLite: \(message): no space left for it; free space on its disk and run again (a run resumes from its last committed chunk)"
        }
        return "\(path): SQLite: \(message)"
    }
}
