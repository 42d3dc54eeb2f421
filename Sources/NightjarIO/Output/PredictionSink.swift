import NightjarCore

/// The layout of the rows a run writes: identifying columns, then the prediction columns.
public struct OutputLayout: Sendable {
    /// Input columns copied to the output (the key), by name and position in the input batch.
    public var keyColumns: [(name: String, index: Int)]
    /// When there is no key: a 1-based `row` column numbering the input's data rows.
    public var rowNumberColumn: Bool { keyColumns.isEmpty }
    public var predictions: [OutputColumn]
    /// Predictions computed in float32 (XGBoost) are written with float32's shortest text.
    public var float32Values: Bool

    public init(keyColumns: [(name: String, index: Int)], predictions: [OutputColumn], float32Values: Bool) {
        self.keyColumns = keyColumns
        self.predictions = predictions
        self.float32Values = float32Values
    }

    public var columnNames: [String] {
        (rowNumberColumn ? ["row"] : keyColumns.map(\.name)) + predictions.map(\.name)
    }
}

/// One chunk of scored rows on its way to a sink.
public struct ScoredChunk {
    public var batch: TextBatch
    /// Row-major, `rows × layout.predictions.count`.
    public var values: [Double]
    /// 1-based number of the chunk's first data row in the input.
    public var firstRowNumber: Int64

    public init(batch: TextBatch, values: [Double], firstRowNumber: Int64) {
        self.batch = batch
        self.values = values
        self.firstRowNumber = firstRowNumber
    }
}

/// Where predictions go. A sink writes chunks and makes them visible all at once on `commit`;
/// `abort` leaves the destination as it was before `open`.
public protocol PredictionSink: AnyObject {
    func write(_ chunk: ScoredChunk) throws
    func commit() throws
    func abort()
    /// Human-readable destination, e.g. `out/churn.db (table churn_scores)`.
    var destination: String { get }
}
