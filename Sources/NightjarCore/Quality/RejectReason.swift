/// Why a row was sent to the reject table. Raw values are what the reject table stores.
public enum RejectReason: String, Codable, Sendable, CaseIterable {
    /// Empty or missing value in a column that is not nullable.
    case nullValue = "null_value"
    /// Numeric column, text that does not parse as a number.
    case notANumber = "not_a_number"
    /// Categorical column whose rule rejects unseen values, value not among its categories.
    case unseenCategory = "unseen_category"
    /// Numeric value beyond the rule's range widened by its tolerance; ±infinity always.
    case outOfRange = "out_of_range"

    /// A short phrase for messages and reports.
    public var explanation: String {
        switch self {
        case .nullValue: return "missing value in a column that is not nullable"
        case .notANumber: return "not a number in a numeric column"
        case .unseenCategory: return "category not seen in training"
        case .outOfRange: return "number outside the allowed range"
        }
    }
}
