import CLibpq
import Foundation

/// One `COPY … TO STDOUT` in progress on a connection, read a row at a time with libpq's
/// `PQgetCopyData`.
///
/// The connection stays in COPY state until the stream reaches its end or is cancelled, so the
/// owner must call `cancel()` (or read to the end) before using the connection again; nothing
/// else runs on the connection meanwhile. A slow reader is fine: the server blocks on a full
/// socket and resumes when rows are read.
public final class PostgresCopyOut {
    let connection: PostgresConnection
    /// False once the end (or an error) was seen and the connection is out of COPY state.
    public private(set) var isOpen = true

    init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Calls `body` with the next row's bytes (text format: the row's line, newline included;
    /// binary: one tuple). Returns false at the end of the data. The bytes are valid only during
    /// the call.
    public func nextRow(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        guard isOpen else { return false }
        var buffer: UnsafeMutablePointer<CChar>? = nil
        let count = PQgetCopyData(connection.handle, &buffer, 0)
        if count > 0, let buffer {
            defer { PQfreemem(buffer) }
            try body(UnsafeRawBufferPointer(start: buffer, count: Int(count)))
            return true
        }
        if let buffer { PQfreemem(buffer) }
        // -1: the COPY ended; -2: an error. Either way the final result says how it went.
        isOpen = false
        if let failure = drainResults(fallback: count == -2 ? connection.lastError : nil) { throw failure }
        return false
    }

    /// Ends the COPY before its end: asks the server to cancel the statement, then reads and drops
    /// what is already on its way, so the connection leaves COPY state and can be reused (or
    /// closed) without hanging. Safe to call at any time, and more than once.
    public func cancel() {
        guard isOpen else { return }
        if let cancel = PQgetCancel(connection.handle) {
            var message = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &message, Int32(message.count))
            PQfreeCancel(cancel)
        }
        // The server stops sending soon after the cancel arrives; what was sent before is read and dropped.
        while true {
            var buffer: UnsafeMutablePointer<CChar>? = nil
            let count = PQgetCopyData(connection.handle, &buffer, 0)
            if let buffer { PQfreemem(buffer) }
            if count < 0 { break }
        }
        isOpen = false
        _ = drainResults(fallback: nil)  // the "canceling statement" error is the expected outcome
    }

    /// Reads the results that follow the COPY data; returns the first error among them.
    private func drainResults(fallback: String?) -> PostgresError? {
        var failure: PostgresError? = fallback.map { PostgresError(name: connection.name, message: $0) }
        while let result = PQgetResult(connection.handle) {
            let status = PQresultStatus(result)
            if status != PGRES_COMMAND_OK && status != PGRES_COPY_OUT {
                let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
                let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
                if failure == nil || failure?.sqlState == nil {
                    failure = PostgresError(name: connection.name, message: message.isEmpty ? connection.lastError : oneLine(message), sqlState: sqlState)
                }
            }
            PQclear(result)
            // A connection lost mid-COPY keeps answering PGRES_FATAL_ERROR: stop once it is gone.
            if PQstatus(connection.handle) == CONNECTION_BAD { break }
        }
        return failure
    }

    private func oneLine(_ s: String) -> String { s.split(separator: "\n").joined(separator: " ") }
}
