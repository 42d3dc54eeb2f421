/// Where a set of output rows comes from: the logical date, the run and the model that scored
/// them. Stored once per (output, run, model) — `nightjar_lineage` in SQLite, `nightjar.lineage`
/// in PostgreSQL — and joined back to every row by the output's view.
public struct OutputLineage: Sendable, Equatable {
    public var logicalDate: String
    public var runID: String
    public var modelName: String
    public var modelVersion: String
    public var modelSHA256: String

    public init(logicalDate: String, runID: String, modelName: String, modelVersion: String, modelSHA256: String) {
        self.logicalDate = logicalDate
        self.runID = runID
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.modelSHA256 = modelSHA256
    }

    /// The columns every output view shows after the keys and predictions, in order.
    public static let columns = ["logical_date", "run_id", "model_name", "model_version", "model_sha256"]

    var values: [String] { [logicalDate, runID, modelName, modelVersion, modelSHA256] }

    /// The lineage columns with their values, for outputs that write them on every row (CSV).
    public var columnValues: [(name: String, value: String)] { Array(zip(OutputLineage.columns, values)) }
}
