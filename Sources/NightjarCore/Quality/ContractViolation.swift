/// One field of one row that breaks the input contract.
public struct ContractViolation: Sendable, Equatable, CustomStringConvertible {
    /// 0-based row index in the checked batch; the I/O layer maps it to a line or a key.
    public var row: Int
    public var column: String
    /// The field as read (empty for an empty field).
    public var value: String
    public var reason: RejectReason

    public init(row: Int, column: String, value: String, reason: RejectReason) {
        self.row = row
        self.column = column
        self.value = value
        self.reason = reason
    }

    public var description: String {
        "row \(row), column '\(column)': \(QuotedValue.quote(value)): \(reason.explanation) (\(reason.rawValue))"
    }
}
