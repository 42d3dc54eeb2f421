/// The outcome of checking one batch against an input contract.
public struct ContractCheck: Sendable {
    /// Every violation, in row order, then in the contract's column order (a row may have several).
    public var violations: [ContractViolation]
    /// Per batch row: true when the row has no violation and goes on to be scored.
    public var keep: [Bool]
    public var rejectedRows: Int
    /// Contract columns whose every field in this batch is missing (empty for an empty batch),
    /// nullable or not: usually a sign of a renamed or broken upstream column.
    public var allNullColumns: [String]

    public init(violations: [ContractViolation], keep: [Bool], rejectedRows: Int, allNullColumns: [String]) {
        self.violations = violations
        self.keep = keep
        self.rejectedRows = rejectedRows
        self.allNullColumns = allNullColumns
    }

    /// The rows that passed.
    public var keptRows: Int { keep.count - rejectedRows }
}
