import CLibpq
import Foundation
import NightjarCore

/// A PostgreSQL connection through libpq (the CLibpq system library target).
/// Settings come from a libpq connection string (taken from the environment) and the usual
/// `PG*` variables, service and password files — never from a job file.
public final class PostgresConnection {
    let handle: OpaquePointer
    /// What error messages call this connection (no secrets).
    public let name: String

    public init(conninfo: String, name: String) throws {
        self.name = name
        // libpq's parse errors quote the text around the fault, which may be part of a password
        // (`password=a b`, an unencoded '@' in a URI): a malformed string gets a message of ours.
        let secrets = try PostgresConnection.secrets(in: conninfo, name: name)
        guard let conn = PQconnectdb(conninfo) else { throw PostgresError(name: name, message: "out of memory") }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(conn)
            var line = PostgresConnection.redact(message.split(separator: "\n").joined(separator: " "), secrets: secrets)
            if secrets.contains(where: { $0.contains("@") }) {
                line += " (a setting holds '@': percent-encode '@' in a URI's user or password as %40)"
            }
            throw PostgresError(name: name, message: "cannot connect: \(line)")
        }
        handle = conn
        // UTF-8 text; and no NOTICE lines ("relation … already exists, skipping") on stderr.
        _ = try execute("SET client_encoding = 'UTF8'; SET client_min_messages = warning")
        // Visible in pg_stat_activity: which Nightjar process and which side of the run.
        _ = try execute("SELECT set_config('application_name', $1, false)", ["nightjar[\(getpid())] \(name)".prefix(63).description])
    }

    deinit { PQfinish(handle) }

    /// The values of a connection string that must never be shown (the password, and the whole
    /// string's pieces around it). Throws, without libpq's text, when libpq cannot parse it.
    static func secrets(in conninfo: String, name: String) throws -> [String] {
        var error: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(conninfo, &error) else {
            if let error { PQfreemem(error) }
            throw PostgresError(name: name, message: "cannot connect: the connection string is malformed (libpq cannot parse it; its text is not shown, it may hold a password). Quote values with spaces as key='a b', and percent-encode '@', ':' and '/' inside a URI's user or password (%40, %3A, %2F)")
        }
        defer { PQconninfoFree(options) }
        var secrets: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let text = String(cString: value)
                // The password; and any other value with '@', a quote, a backslash or a space:
                // the shape of a password misparsed into it (an unencoded '@' in a URI puts the
                // password's tail into the host name, which a connect error quotes).
                if String(cString: keyword) == "password" || text.contains(where: { "@'\"\\".contains($0) || $0.isWhitespace }) {
                    if !text.isEmpty { secrets.append(text) }
                }
            }
            option += 1
        }
        return secrets
    }

    /// `message` with every secret (and every piece of a secret 4 characters or longer, split at
    /// spaces and quotes) replaced by `***`.
    static func redact(_ message: String, secrets: [String]) -> String {
        var out = message
        let pieces = secrets + secrets.flatMap { $0.split(whereSeparator: { " '\"\\".contains($0) }).map(String.init) }
        for piece in pieces.sorted(by: { $0.count > $1.count }) where piece.count >= 4 {
            out = out.replacingOccurrences(of: piece, with: "***")
        }
        return out
    }

    var lastError: String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").joined(separator: " ")
    }

    /// The server process serving this connection.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Runs a statement with text parameters (`$1`, `$2`, …; nil is NULL).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws -> PostgresResult {
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(handle, sql)
        } else {
            var cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
            defer { for p in cStrings { free(p) } }
            result = cStrings.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { values in
                    PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
                }
            }
        }
        guard let result else { throw PostgresError(name: name, message: lastError) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN || status == PGRES_COPY_OUT else {
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            let sqlstate = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            PQclear(result)
            throw PostgresError(name: name, message: message.split(separator: "\n").joined(separator: " "), sqlState: sqlstate)
        }
        return PostgresResult(handle: result)
    }

    /// Sends rows with `COPY … FROM STDIN`; `produce` is called with a function that sends bytes.
    public func copyIn(_ sql: String, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        _ = try execute(sql)
        var failure: Error? = nil
        do {
            try produce { bytes in
                guard bytes.count > 0 else { return }
                let rc = PQputCopyData(handle, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
                if rc != 1 { throw PostgresError(name: name, message: "COPY failed: \(lastError)") }
            }
        } catch {
            failure = error
        }
        let rc = failure == nil ? PQputCopyEnd(handle, nil) : PQputCopyEnd(handle, "aborted by nightjar")
        if rc != 1 && failure == nil { failure = PostgresError(name: name, message: "COPY failed: \(lastError)") }
        while let r = PQgetResult(handle) {
            let status = PQresultStatus(r)
            if status != PGRES_COMMAND_OK && failure == nil {
                failure = PostgresError(name: name, message: String(cString: PQresultErrorMessage(r)).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            PQclear(r)
        }
        if let failure { throw failure }
    }

    /// Starts `COPY … TO STDOUT` and returns the stream to read its rows from. The connection is
    /// in COPY state until the stream ends or is cancelled (`PostgresCopyOut.cancel`).
    public func copyOut(_ sql: String) throws -> PostgresCopyOut {
        guard let result = PQexec(handle, sql) else { throw PostgresError(name: name, message: lastError) }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COPY_OUT else {
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            let sqlstate = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw PostgresError(name: name, message: message.isEmpty ? "COPY did not start" : message.split(separator: "\n").joined(separator: " "),
                                sqlState: sqlstate)
        }
        return PostgresCopyOut(connection: self)
    }

    /// Prepares `sql` (unnamed statement) and describes it without running it: the types the server
    /// inferred for its parameters and the names and types of the columns it returns.
    public func describe(_ sql: String) throws -> PostgresDescription {
        func check(_ result: OpaquePointer?) throws -> OpaquePointer {
            guard let result else { throw PostgresError(name: name, message: lastError) }
            guard PQresultStatus(result) == PGRES_COMMAND_OK else {
                let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
                let sqlstate = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
                PQclear(result)
                throw PostgresError(name: name, message: message.split(separator: "\n").joined(separator: " "), sqlState: sqlstate)
            }
            return result
        }
        PQclear(try check(PQprepare(handle, "", sql, 0, nil)))
        let described = try check(PQdescribePrepared(handle, ""))
        defer { PQclear(described) }
        return PostgresDescription(
            parameterTypes: (0..<PQnparams(described)).map { PQparamtype(described, $0) },
            columnNames: (0..<PQnfields(described)).map { String(cString: PQfname(described, $0)) },
            columnTypes: (0..<PQnfields(described)).map { PQftype(described, $0) })
    }

    /// `value` as a quoted SQL string literal (libpq's `PQescapeLiteral`: quotes and backslashes
    /// escaped for this connection's settings), for statements that cannot take parameters (COPY).
    public func literal(_ value: String) throws -> String {
        guard !value.utf8.contains(0) else {
            throw PostgresError(name: name, message: "a value holds a NUL byte, which PostgreSQL text cannot hold")
        }
        guard let escaped = value.withCString({ PQescapeLiteral(handle, $0, strlen($0)) }) else {
            throw PostgresError(name: name, message: "cannot quote a value as a literal: \(lastError)")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Quotes one identifier (a column name: `a.b` stays one name).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Quotes an identifier, or a schema-qualified `schema.table`.
    public static func quoteQualified(_ name: String) -> String {
        name.split(separator: ".", maxSplits: 1).map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ".")
    }
}

/// What the server says a prepared statement takes and returns.
public struct PostgresDescription: Sendable {
    /// Type OIDs of `$1`, `$2`, …, as the server inferred them.
    public var parameterTypes: [UInt32]
    public var columnNames: [String]
    public var columnTypes: [UInt32]
}

/// A query result (text format).
public final class PostgresResult {
    let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    public var rowCount: Int { Int(PQntuples(handle)) }
    /// Rows an INSERT, UPDATE, DELETE or COPY touched.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }
    public var columnCount: Int { Int(PQnfields(handle)) }
    public func columnName(_ c: Int) -> String { String(cString: PQfname(handle, Int32(c))) }
    public func columnType(_ c: Int) -> UInt32 { PQftype(handle, Int32(c)) }
    public func isNull(_ r: Int, _ c: Int) -> Bool { PQgetisnull(handle, Int32(r), Int32(c)) == 1 }

    public func bytes(_ r: Int, _ c: Int) -> UnsafeRawBufferPointer {
        let p = PQgetvalue(handle, Int32(r), Int32(c))!
        return UnsafeRawBufferPointer(start: p, count: Int(PQgetlength(handle, Int32(r), Int32(c))))
    }

    /// nil for NULL, and for a cell past the result's end (without asking libpq, which would
    /// print "row number 0 is out of range" on stderr).
    public func string(_ r: Int, _ c: Int) -> String? {
        guard r < rowCount, c < columnCount, !isNull(r, c) else { return nil }
        return String(cString: PQgetvalue(handle, Int32(r), Int32(c)))
    }

    public var rows: [[String?]] {
        (0..<rowCount).map { r in (0..<columnCount).map { string(r, $0) } }
    }
}

public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public var name: String
    public var message: String
    public var sqlState: String?
    /// The failure kind, when the thrower knows it better than the SQLSTATE (see `failureKind`).
    public var kind: FailureKind?

    public init(name: String, message: String, sqlState: String? = nil, kind: FailureKind? = nil) {
        self.kind = kind
        self.name = name
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String { "PostgreSQL (\(name)): \(message)" }

    /// The connection was lost (server gone, backend terminated).
    public var isConnectionLoss: Bool {
        if let s = sqlState, s.hasPrefix("08") || s == "57P01" || s == "57P02" || s == "57P03" { return true }
        return message.contains("server closed the connection") || message.contains("no connection to the server")
            || message.contains("terminating connection")
    }
}
