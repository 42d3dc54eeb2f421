/// The training-sample distribution of one prediction column, binned like a numeric feature.
public struct PredictionReference: Codable, Sendable, Equatable {
    /// The output column profiled: "probability", "prediction", "label", …
    public var column: String
    /// Its index in the predictor's output columns (the stride position in the scored values).
    public var columnIndex: Int
    /// Interior cut points, as for a numeric feature.
    public var edges: [Double]
    public var counts: [Int]
    public var mean: Double

    public init(column: String, columnIndex: Int, edges: [Double], counts: [Int], mean: Double) {
        self.column = column
        self.columnIndex = columnIndex
        self.edges = edges
        self.counts = counts
        self.mean = mean
    }

    enum CodingKeys: String, CodingKey {
        case column, columnIndex = "column_index", edges, counts, mean
    }
}
