import CSQLite
import NightjarCore

// The failure kinds of the I/O layer's errors (see `FailureKind`): what a retry can fix.

extension SQLiteError {
    /// SQLite could not write for lack of space (SQLITE_FULL; an I/O error on a full disk).
    public var isDiskFull: Bool { code == SQLITE_FULL || (code == SQLITE_IOERR && message.localizedCaseInsensitiveContains("full")) }
}

extension SQLiteError: ClassifiedError {
    /// Busy or locked files, full disks and I/O errors pass; a file that is not a database, or a
    /// schema Nightjar did not expect, does not.
    public var failureKind: FailureKind {
        switch code {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_NOMEM, SQLITE_PROTOCOL, SQLITE_READONLY:
            return .temporary
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            return .configuration
        default:
            return .internal
        }
    }
}

extension PostgresError: ClassifiedError {
    /// By SQLSTATE class where the server gave one: connection, resources, serialization and
    /// lock failures are temporary; authentication, missing objects and syntax are configuration;
    /// data exceptions are input. Nightjar's own messages say their kind, or are configuration
    /// (the shape of a table or query); a connection that failed for another reason than its
    /// settings is temporary.
    public var failureKind: FailureKind {
        if let kind { return kind }
        if isConnectionLoss { return .temporary }
        if let s = sqlState {
            if s.hasPrefix("08") || s.hasPrefix("53") || s.hasPrefix("57P") || s.hasPrefix("58")
                || ["40001", "40P01", "55P03", "55006", "57014"].contains(s) { return .temporary }
            if s.hasPrefix("28") || s.hasPrefix("42") || s.hasPrefix("3D") || s.hasPrefix("3F") || s == "0A000" { return .configuration }
            if s.hasPrefix("22") || s.hasPrefix("23") { return .input }
            return .internal
        }
        if message.hasPrefix("cannot connect:") {
            let settings = ["malformed", "password authentication failed", "no password supplied", "does not exist",
                            "invalid connection option", "invalid sslmode", "definition of service", "Peer authentication failed"]
            return settings.contains(where: message.contains) ? .configuration : .temporary
        }
        return .configuration
    }
}
