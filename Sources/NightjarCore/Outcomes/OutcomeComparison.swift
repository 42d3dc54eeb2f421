/// Whether one model (b) measures better or worse than another (a) on outcomes, beyond noise:
/// differences b − a with 95% confidence intervals (`DifferenceInterval`).
///
/// Two designs:
/// - paired: both models scored the same rows (a shadow or a champion/challenger replay), so each
///   row's outcome is shared and the two estimates are correlated;
/// - unpaired: each model scored its own rows (two arms of an A/B split), independent samples.
///
/// AUC differences use DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or
/// more correlated receiver operating characteristic curves: a nonparametric approach",
/// Biometrics 44(3), with the O(n log n) computation of the structural components of Sun & Xu
/// (2014). Loss differences (log loss, Brier = mean squared error, …) compare means of per-row
/// losses, made by `logLosses` and `squaredErrors`.
public enum OutcomeComparison {
    /// DeLong et al. (1988): AUC(b) − AUC(a) on the same rows (paired: covariance from the
    /// structural components). nil when one class is absent.
    ///
    /// With V10 and V01 the structural components of each score (see `ROCRanking`), m positives
    /// and n negatives: Var(AUC) = S10/m + S01/n and Cov(AUCa, AUCb) = S10ab/m + S01ab/n, the S
    /// being sample (co)variances with divisors m − 1 and n − 1; the standard error of the
    /// difference is √(Var a + Var b − 2 Cov). Also nil when a class has a single row (its sample
    /// variance is undefined). Preconditions: same count; labels 0 or 1; scores not NaN.
    public static func aucDifference(labels: [Double], a: [Double], b: [Double]) -> DifferenceInterval? {
        precondition(a.count == labels.count && b.count == labels.count,
                     "OutcomeComparison.aucDifference: \(labels.count) labels, \(a.count) and \(b.count) scores")
        checkBinary(labels)
        let ra = ranking(labels, a), rb = ranking(labels, b)
        guard let aucA = ra.auc, let aucB = rb.auc,
              let va = ra.delongVariance, let vb = rb.delongVariance,
              let cov = ROCRanking.delongCovariance(ra, rb) else { return nil }
        return DifferenceInterval(estimate: aucB - aucA, standardError: Swift.max(va + vb - 2 * cov, 0).squareRoot())
    }

    /// Independent samples (two A/B arms): variance = DeLong variance of each AUC, summed.
    ///
    /// AUC(b) − AUC(a), standard error √(Var a + Var b) with each Var = S10/m + S01/n as in the
    /// paired form. nil when a class is absent, or has a single row, in either arm.
    /// Preconditions: each arm's labels and scores have the same count; labels 0 or 1; no NaN.
    public static func aucDifference(labelsA: [Double], a: [Double], labelsB: [Double], b: [Double]) -> DifferenceInterval? {
        precondition(a.count == labelsA.count && b.count == labelsB.count,
                     "OutcomeComparison.aucDifference: \(labelsA.count) labels and \(a.count) scores in a, \(labelsB.count) and \(b.count) in b")
        checkBinary(labelsA)
        checkBinary(labelsB)
        let ra = ranking(labelsA, a), rb = ranking(labelsB, b)
        guard let aucA = ra.auc, let aucB = rb.auc,
              let va = ra.delongVariance, let vb = rb.delongVariance else { return nil }
        return DifferenceInterval(estimate: aucB - aucA, standardError: (va + vb).squareRoot())
    }

    /// Mean of per-row losses, b − a: paired (same rows: mean of the differences, its standard
    /// error) or unpaired (Welch: difference of means, sqrt(varA/nA + varB/nB)). nil with fewer
    /// than 2 rows.
    ///
    /// Paired: dᵢ = bᵢ − aᵢ, estimate mean(d), standard error sd(d)/√n with the sample standard
    /// deviation (divisor n − 1). Precondition: same count.
    public static func meanDifference(paired a: [Double], _ b: [Double]) -> DifferenceInterval? {
        precondition(a.count == b.count, "OutcomeComparison.meanDifference(paired:): \(a.count) and \(b.count) rows")
        let n = a.count
        guard n >= 2 else { return nil }
        var sum = 0.0
        for i in 0..<n { sum += b[i] - a[i] }
        let mean = sum / Double(n)
        var ss = 0.0
        for i in 0..<n {
            let e = (b[i] - a[i]) - mean
            ss += e * e
        }
        let variance = ss / Double(n - 1)
        return DifferenceInterval(estimate: mean, standardError: (variance / Double(n)).squareRoot())
    }

    /// Unpaired (Welch): estimate mean(b) − mean(a), standard error √(varA/nA + varB/nB) with
    /// sample variances (divisor n − 1); the normal quantile, not Student's t (the arms are meant
    /// to be large). nil when either side has fewer than 2 rows.
    public static func meanDifference(unpaired a: [Double], _ b: [Double]) -> DifferenceInterval? {
        guard a.count >= 2, b.count >= 2 else { return nil }
        let (ma, va) = meanAndVariance(a), (mb, vb) = meanAndVariance(b)
        return DifferenceInterval(estimate: mb - ma, standardError: (va / Double(a.count) + vb / Double(b.count)).squareRoot())
    }

    /// Per-row binary log losses, clipped as in `BinaryOutcomeMetrics` (their mean is its
    /// `logLoss`): −log(clip(p)) for a label 1, −log(clip(1 − p)) for a label 0.
    /// Preconditions: same count; labels 0 or 1.
    public static func logLosses(labels: [Double], probabilities: [Double]) -> [Double] {
        precondition(labels.count == probabilities.count,
                     "OutcomeComparison.logLosses: \(labels.count) labels, \(probabilities.count) probabilities")
        checkBinary(labels)
        var out: [Double] = []
        out.reserveCapacity(labels.count)
        for i in 0..<labels.count {
            out.append(OutcomeMath.binaryLogLoss(label: labels[i], probability: probabilities[i]))
        }
        return out
    }

    /// Per-row squared errors (y − ŷ)² (for binary probabilities: the Brier score's terms).
    /// Precondition: same count.
    public static func squaredErrors(labels: [Double], predictions: [Double]) -> [Double] {
        precondition(labels.count == predictions.count,
                     "OutcomeComparison.squaredErrors: \(labels.count) labels, \(predictions.count) predictions")
        var out: [Double] = []
        out.reserveCapacity(labels.count)
        for i in 0..<labels.count {
            let d = labels[i] - predictions[i]
            out.append(d * d)
        }
        return out
    }

    /// Per-row multi-class log losses, as in `MulticlassOutcomeMetrics` (no renormalisation):
    /// −log(clip(p[label])). `probabilities` row-major, `labels.count × classes`.
    /// Preconditions: that count; labels in 0..<classes.
    public static func logLosses(labels: [Int], probabilities: [Double], classes: Int) -> [Double] {
        precondition(classes >= 1 && probabilities.count == labels.count * classes,
                     "OutcomeComparison.logLosses: \(labels.count) labels × \(classes) classes, \(probabilities.count) probabilities")
        var out: [Double] = []
        out.reserveCapacity(labels.count)
        for i in 0..<labels.count {
            let y = labels[i]
            precondition(y >= 0 && y < classes, "OutcomeComparison.logLosses: label \(y) at row \(i) is not in 0..<\(classes)")
            out.append(OutcomeMath.clippedNegativeLog(probabilities[i * classes + y]))
        }
        return out
    }

    // MARK: - Helpers

    private static func ranking(_ labels: [Double], _ scores: [Double]) -> ROCRanking {
        ROCRanking(count: labels.count, components: true, isPositive: { labels[$0] == 1 }, score: {
            let s = scores[$0]
            precondition(!s.isNaN, "OutcomeComparison.aucDifference: NaN score at row \($0)")
            return s
        })
    }

    private static func checkBinary(_ labels: [Double]) {
        for (i, y) in labels.enumerated() {
            precondition(y == 0 || y == 1, "OutcomeComparison: label \(y) at row \(i) is not 0 or 1")
        }
    }

    private static func meanAndVariance(_ x: [Double]) -> (mean: Double, variance: Double) {
        var sum = 0.0
        for v in x { sum += v }
        let mean = sum / Double(x.count)
        var ss = 0.0
        for v in x {
            let e = v - mean
            ss += e * e
        }
        return (mean, ss / Double(x.count - 1))
    }
}
