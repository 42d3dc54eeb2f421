/// Statistics of the training sample, stored in the bundle as `reference.json`: what each chunk's
/// statistics are compared with to measure drift (PSI), and what the run report shows beside them.
public struct ReferenceProfile: Codable, Sendable, Equatable {
    /// Rows of the training sample profiled.
    public var rows: Int
    /// One entry per model feature, in the model's feature order (the encoder's matrix columns).
    public var features: [FeatureReference]
    /// The distribution of one output column over the sample; nil when predictions were not profiled.
    public var prediction: PredictionReference?
    /// A linear model's estimator features (after the preprocessing, as the model scores them):
    /// their means over the sample, what its contributions are measured from
    /// (`LinearContributions`). Nil for other models, and in bundles made before they were recorded.
    public var linearMeans: [Double]?

    public init(rows: Int, features: [FeatureReference], prediction: PredictionReference? = nil) {
        self.rows = rows
        self.features = features
        self.prediction = prediction
    }
}
