/// A linear model as ONNX Runtime evaluates `LinearClassifier`/`LinearRegressor`: float32 features,
/// coefficients and intercepts, one score per target: `intercept[k] + Σ x[i] · coefficient[k][i]`.
public struct LinearModel: Sendable, Equatable {
    /// Row-major `targets × featureCount`.
    public let coefficients: [Float]
    public let intercepts: [Float]
    public let featureCount: Int

    public var targets: Int { intercepts.count }

    public init(coefficients: [Float], intercepts: [Float], featureCount: Int) {
        precondition(coefficients.count == intercepts.count * featureCount)
        self.coefficients = coefficients
        self.intercepts = intercepts
        self.featureCount = featureCount
    }
}
