/// The numbers one finished run exports to Prometheus.
///
/// Plain values filled by the run executor, so the exporter does not depend on the run store.
public struct RunMetrics: Sendable, Equatable {
    public var job: String
    /// succeeded, failed or interrupted.
    public var status: String
    public var logicalDate: String
    public var modelVersion: String
    public var durationSeconds: Double
    /// Rows of this run per stage: "read", "scored", "written", "rejected".
    public var rows: [String: Int]
    public var rejectedRows: Int
    public var featurePSI: [String: Double]
    public var predictionPSI: Double?
    /// Unix seconds of the job's last successful run: this run when it succeeded, else the previous
    /// success from the run store, or nil when the job never succeeded.
    public var lastSuccessTimestamp: Double?
    /// Unix seconds when this run ended.
    public var endTimestamp: Double
    /// Automatic rollbacks of the job's model alias so far (nil: the job names no alias).
    public var autoRollbacks: Int? = nil
    /// Per shadow challenger (as the job names it): share of flipped labels and prediction PSI against the champion.
    public var shadowFlipRate: [String: Double] = [:]
    public var shadowPredictionPSI: [String: Double] = [:]

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
