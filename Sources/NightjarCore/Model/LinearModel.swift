/// A linear model as ONNX Runtime evaluates `LinearClassifier`/`LinearRegressor`: float32 features,
/// coefficients and intercepts, one score per target: `intercept[k] + Σ x[i] · coefficient[k][i]`.
public struct LinearModel: Sendable, Equatable {
    /// Row-major `targets × featureCount`.
    public let coefficients: [Float]
    public let intercepts: [Float]
    public let featureCount: Int
    /// Two targets whose coefficients and intercepts are, bit for bit, each other's negation, none
    /// NaN: skl2onnx writes a binary `LogisticRegression` as `[-w, w]`, `[-b, b]`. Then score 0 is
    /// exactly `0 - score 1`: negation is exact and round-to-nearest symmetric, so every step of the
    /// first sum is the negation of the same step of the second; an exact zero is +0 in both (a
    /// float32 sum started at +0 never becomes -0), which `0 - s` keeps; a NaN stays a NaN
    /// (`ImputedLinearModel` sums one target for such a pair).
    public let negatedPair: Bool

    public var targets: Int { intercepts.count }

    public init(coefficients: [Float], intercepts: [Float], featureCount: Int) {
        precondition(coefficients.count == intercepts.count * featureCount)
        self.coefficients = coefficients
        self.intercepts = intercepts
        self.featureCount = featureCount
        self.negatedPair = Self.isNegatedPair(coefficients: coefficients, intercepts: intercepts, featureCount: featureCount)
    }

    static func isNegatedPair(coefficients: [Float], intercepts: [Float], featureCount: Int) -> Bool {
        guard intercepts.count == 2 else { return false }
        func negated(_ a: Float, _ b: Float) -> Bool { !a.isNaN && (-a).bitPattern == b.bitPattern }
        guard negated(intercepts[0], intercepts[1]) else { return false }
        for i in 0..<featureCount where !negated(coefficients[i], coefficients[featureCount + i]) { return false }
        return true
    }
}
