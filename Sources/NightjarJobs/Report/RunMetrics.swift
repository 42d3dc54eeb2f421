/// The numbers one finished run exports to Prometheus.
///
/// Plain values filled by the run executor, so the exporter does not depend on the run store.
public struct RunMetrics: Sendable, Equatable {
    public var job: String
    /// succeeded, failed or interrupted.
    public var status: String
    /// `YYYY-MM-DD`; exported as a value (`nightjar_run_logical_date_timestamp_seconds`), never as a label.
    public var logicalDate: String
    public var modelVersion: String
    /// The model's name (the registry name, or the model file's name without a registry).
    public var modelName: String = ""
    /// The Nightjar version that ran.
    public var nightjarVersion: String = ""
    /// Seconds the run was at work (its attempts' active time, a resumed run's downtime excluded).
    public var durationSeconds: Double
    /// Rows of this run per stage: "read", "scored", "written", "rejected". "written" counts the
    /// rows the run published: 0 for a run that failed before publishing its partition.
    public var rows: [String: Int]
    public var rejectedRows: Int
    public var featurePSI: [String: Double]
    public var predictionPSI: Double?
    /// `ok`, `warn` or `fail`: the worst drift of the run (nil: not measured, e.g. no reference
    /// statistics or the run failed before its drift was computed).
    public var driftStatus: String? = nil
    /// Unix seconds of the job's last successful run: this run when it succeeded, else the previous
    /// success from the run store, or nil when the job never succeeded.
    public var lastSuccessTimestamp: Double?
    /// Rows the job's last successful run published (same rule as `lastSuccessTimestamp`).
    public var lastSuccessRowsWritten: Int? = nil
    /// Unix seconds when this run ended.
    public var endTimestamp: Double
    /// Automatic rollbacks of the job's model alias so far (nil: the job names no alias).
    public var autoRollbacks: Int? = nil
    /// Per shadow challenger (as the job names it): share of flipped labels and prediction PSI against the champion.
    public var shadowFlipRate: [String: Double] = [:]
    public var shadowPredictionPSI: [String: Double] = [:]
    /// The job's latest evaluated date (`nightjar evaluate`): one record per model version and arm.
    public var evaluations: [EvaluationRecord] = []

    public init(
        job: String, status: String, logicalDate: String, modelVersion: String, durationSeconds: Double,
        rows: [String: Int] = [:], rejectedRows: Int = 0, featurePSI: [String: Double] = [:],
        predictionPSI: Double? = nil, lastSuccessTimestamp: Double? = nil, endTimestamp: Double
    ) {
        self.job = job
        self.status = status
        self.logicalDate = logicalDate
        self.modelVersion = modelVersion
        self.durationSeconds = durationSeconds
        self.rows = rows
        self.rejectedRows = rejectedRows
        self.featurePSI = featurePSI
        self.predictionPSI = predictionPSI
        self.lastSuccessTimestamp = lastSuccessTimestamp
        self.endTimestamp = endTimestamp
    }
}
