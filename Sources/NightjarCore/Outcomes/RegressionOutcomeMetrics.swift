/// Outcome metrics of a regression model: predictions against real values. Defined as
/// scikit-learn defines them; the tests check each against scikit-learn to 1e-9.
public struct RegressionOutcomeMetrics: Sendable, Equatable {
    /// Rows measured.
    public var rows: Int
    /// Root mean squared error √(mean (y − ŷ)²) (`sqrt(mean_squared_error)`), mean absolute error
    /// mean |y − ŷ| (`mean_absolute_error`).
    public var rmse: Double, mae: Double
    /// Coefficient of determination 1 − Σ(y − ŷ)² / Σ(y − ȳ)², as `r2_score`. nil when all labels
    /// are equal (the denominator is 0; `r2_score` would answer 1 or 0 by convention, or, when
    /// rounding in ȳ leaves a tiny non-zero denominator, a meaningless huge number).
    public var r2: Double?
    /// Mean of the labels, ȳ.
    public var meanLabel: Double

    /// Measures `predictions` against `labels`. Preconditions: same count, count > 0.
    public init(labels: [Double], predictions: [Double]) {
        let n = labels.count
        precondition(n > 0, "RegressionOutcomeMetrics: no rows")
        precondition(predictions.count == n, "RegressionOutcomeMetrics: \(n) labels, \(predictions.count) predictions")
        var squared = 0.0, absolute = 0.0, labelSum = 0.0
        var constant = true
        let first = labels[0]
        for i in 0..<n {
            let y = labels[i]
            let d = y - predictions[i]
            squared += d * d
            absolute += abs(d)
            labelSum += y
            if y != first { constant = false }
        }
        let mean = labelSum / Double(n)
        var r2: Double? = nil
        if !constant {
            var total = 0.0
            for y in labels {
                let d = y - mean
                total += d * d
            }
            r2 = 1 - squared / total
        }
        self.rows = n
        self.rmse = (squared / Double(n)).squareRoot()
        self.mae = absolute / Double(n)
        self.r2 = r2
        self.meanLabel = mean
    }
}
