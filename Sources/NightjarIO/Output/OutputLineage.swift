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

    /// From a run's metadata columns (`logical_date`, `run_id`, `model_name`, …); missing ones empty.
    public init(metadata: [(name: String, value: String)]) {
        func value(_ name: String) -> String { metadata.first { $0.name == name }?.value ?? "" }
        self.init(logicalDate: value("logical_date"), runID: value("run_id"), modelName: value("model_name"),
                  modelVersion: value("model_version"), modelSHA256: value("model_sha256"))
    }

    /// The columns every output view shows after the keys and predictions, in order.
    public static let columns = ["logical_date", "run_id", "model_name", "model_version", "model_sha256"]

    var values: [String] { [logicalDate, runID, modelName, modelVersion, modelSHA256] }
}
