import NightjarCore

/// A problem with an input or output file. Renders as one line naming the file and, where it
/// applies, the line and column.
public struct InputError: ClassifiedError, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var line: Int?
    /// 1-based column number and its header name, when known.
    public var column: Int?
    public var columnName: String?
    public var message: String
    /// `.input` unless said otherwise: a missing file is `.temporary` (it may not be there yet),
    /// an output table of the wrong shape `.configuration`.
    public var failureKind: FailureKind

    public init(path: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil, message: String,
                kind: FailureKind = .input) {
        self.failureKind = kind
        self.path = path
        self.line = line
        self.column = column
        self.columnName = columnName
        self.message = message
    }

    public var description: String {
        var location = path
        if let line { location += ": line \(line)" }
        if let column {
            location += ", column \(column)"
            if let columnName { location += " ('\(columnName)')" }
        } else if let columnName {
            location += ", column '\(columnName)'"
        }
        return "\(location): \(message)"
    }
}
