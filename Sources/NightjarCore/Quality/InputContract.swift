/// What a model's input columns are allowed to hold, checked on every chunk before encoding.
///
/// Written as `contract.json` in a model bundle. It is derived from the training sample
/// (`derive(features:header:sample:defaultTolerance:)`) and meant to be edited by hand afterwards:
/// widen a range, make a column nullable, or switch a categorical column to reject unseen values.
/// JSON keys are snake_case; optional rules are left out when unset.
public struct InputContract: Codable, Sendable, Equatable {
    public var columns: [ColumnRule]

    public init(columns: [ColumnRule]) {
        self.columns = columns
    }

    /// The rule for one input column.
    public struct ColumnRule: Codable, Sendable, Equatable {
        public enum ValueType: String, Codable, Sendable { case numeric, categorical }
        /// What to do with a categorical value that is not among `categories`.
        public enum UnseenPolicy: String, Codable, Sendable {
            /// Score the row with the value as missing: what the encoder does, and what training did.
            case missing
            /// Send the row to the reject table.
            case reject
        }

        public var name: String
        public var type: ValueType
        /// Whether an empty (missing) field is accepted. A non-nullable column rejects the row.
        public var nullable: Bool
        /// Categorical: the allowed values.
        public var categories: [String]?
        /// Categorical: nil means `.missing`.
        public var unseen: UnseenPolicy?
        /// Numeric: the range seen in training (finite values only).
        public var min: Double?
        public var max: Double?
        /// Numeric: how far beyond the training range a value may go, as a fraction of the range:
        /// the allowed range is `[min - tolerance*(max-min), max + tolerance*(max-min)]`; nil = 0.
        public var tolerance: Double?

        public init(
            name: String, type: ValueType, nullable: Bool, categories: [String]? = nil, unseen: UnseenPolicy? = nil,
            min: Double? = nil, max: Double? = nil, tolerance: Double? = nil
        ) {
            self.name = name
            self.type = type
            self.nullable = nullable
            self.categories = categories
            self.unseen = unseen
            self.min = min
            self.max = max
            self.tolerance = tolerance
        }

        /// The numeric interval a value must fall in (±infinity where the rule sets no bound).
        public var allowedRange: ClosedRange<Double> {
            let span = (min != nil && max != nil) ? Swift.max(0, max! - min!) : 0
            let slack = (tolerance ?? 0) * span
            return (min.map { $0 - slack } ?? -.infinity)...(max.map { $0 + slack } ?? .infinity)
        }
    }
}
