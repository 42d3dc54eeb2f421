/// A difference between two models' metric (b − a) with a 95% confidence interval.
///
/// The interval is the normal one: estimate ± z · standardError with z = 1.959963984540054 (the
/// 0.975 quantile of the standard normal). `significant` is true when 0 lies outside
/// [lower, upper]; with a standard error of 0 the interval is the single point `estimate`, so two
/// identical models (estimate 0) are not significantly different.
public struct DifferenceInterval: Sendable, Equatable {
    /// b − a, its standard error, and the interval's bounds.
    public var estimate: Double, standardError: Double, lower: Double, upper: Double
    /// Confidence level of the interval: 0.95.
    public var level: Double
    /// Whether 0 is outside [lower, upper].
    public var significant: Bool

    /// The 95% interval estimate ± z · standardError.
    public init(estimate: Double, standardError: Double) {
        self.estimate = estimate
        self.standardError = standardError
        self.lower = estimate - OutcomeMath.z95 * standardError
        self.upper = estimate + OutcomeMath.z95 * standardError
        self.level = 0.95
        self.significant = !(lower <= 0 && 0 <= upper)
    }
}
