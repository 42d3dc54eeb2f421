/// Why a contract cannot be derived or applied. Each case renders as one line saying what to fix.
public enum ContractError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Columns named by the contract (or the model) that the input header lacks.
    case missingColumns([String], header: [String])
    /// A numeric column of the training sample holds text that is not a number (`row` is 0-based).
    case notANumber(column: String, row: Int, value: String)
    /// A rule of a (hand-edited) contract that cannot be applied.
    case invalidRule(column: String, detail: String)

    public var description: String {
        switch self {
        case let .missingColumns(missing, header):
            let list = missing.map { "'\($0)'" }.joined(separator: ", ")
            let noun = missing.count == 1 ? "column" : "columns"
            return "input contract: missing \(noun) \(list) (the input has: \(header.joined(separator: ", "))); add the \(noun) to the input or remove the rule from contract.json"
        case let .notANumber(column, row, value):
            return "input contract: training sample column '\(column)', data row \(row + 1): \(QuotedValue.quote(value)) is not a number; the model reads this column as numeric (leave the field empty for a missing value)"
        case let .invalidRule(column, detail):
            return "input contract: rule for column '\(column)': \(detail); fix contract.json"
        }
    }
}
