/// What Nightjar understood of an ONNX graph: its inputs and how they bind to CSV columns, the
/// preprocessing and model steps in order, and its outputs. Kept with the model for `inspect` and
/// for binding a multi-column tensor input to named columns.
public struct ONNXGraphSummary: Sendable, Equatable {
    public struct Input: Sendable, Equatable {
        public var name: String
        /// `float`, `double`, `int64` or `string`.
        public var type: String
        /// Columns the input takes per row (1 for one CSV column).
        public var columns: Int
        /// Index of its first column in the model's features.
        public var firstFeature: Int
    }

    public struct Output: Sendable, Equatable {
        public var name: String
        public var type: String
        /// What Nightjar writes for it.
        public var role: String
    }

    public var producer: String
    public var opsets: [String]
    public var inputs: [Input]
    /// One line per understood step, in graph order ("Imputer 'Imputer': 7 columns, NaN → median").
    public var steps: [String]
    public var outputs: [Output]
    /// Inputs that take several columns and need an ordered `--features` list.
    public var tensorInputs: [Input] { inputs.filter { $0.columns > 1 } }
}
