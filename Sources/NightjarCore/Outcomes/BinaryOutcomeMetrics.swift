/// Outcome metrics of a binary model: its probabilities of the positive class against the real
/// labels (0 or 1). Every metric is defined as scikit-learn defines it, and the tests check each
/// against scikit-learn (fixtures/outcomes/sklearn_metrics.py) to 1e-9.
///
/// Cost: one sort of the rows (for the AUC) and a few linear passes, O(n log n).
public struct BinaryOutcomeMetrics: Sendable, Equatable {
    /// Rows measured, and how many of them have label 1.
    public var rows: Int, positives: Int
    /// ROC AUC: the probability that a random positive scores above a random negative, ties
    /// counted ½ (Mann–Whitney U / (positives · negatives), the same as the trapezoidal area of
    /// `sklearn.metrics.roc_auc_score`). nil when only one class is present.
    public var auc: Double?
    /// Mean log loss, natural log: −[y log p + (1 − y) log(1 − p)], with p (for a label 1) and
    /// 1 − p (for a label 0) clipped to [eps, 1 − eps], eps = `Double.ulpOfOne`, as
    /// `sklearn.metrics.log_loss` (≥ 1.5, and the default `eps="auto"` of 1.2–1.4).
    public var logLoss: Double
    /// Brier score: the mean of (p − y)², as `sklearn.metrics.brier_score_loss`.
    public var brier: Double
    /// Expected calibration error over the 10 bins of `calibration`: Σ over non-empty bins of
    /// rows/n · |observedRate − meanPredicted|.
    public var ece: Double
    /// Share of rows where (p ≥ threshold) equals the label.
    public var accuracy: Double
    /// Positives among the rows with p ≥ threshold; nil when no row has p ≥ threshold
    /// (`precision_score` would say 0 with an "ill-defined" warning).
    public var precision: Double?
    /// Rows with p ≥ threshold among the positives; nil when there are no positives.
    public var recall: Double?
    /// A row is predicted positive when its probability is ≥ `threshold`.
    public var threshold: Double
    /// Reliability diagram, always 10 bins; see `CalibrationBin` for the edges.
    public var calibration: [CalibrationBin]

    /// Measures `probabilities` against `labels`.
    ///
    /// Preconditions: same count, count > 0, every label 0 or 1, every probability in [0, 1]
    /// (so no NaN; scikit-learn refuses probabilities outside [0, 1] too). The caller filters rows
    /// without a label or a score.
    public init(labels: [Double], probabilities: [Double], threshold: Double) {
        let n = labels.count
        precondition(n > 0, "BinaryOutcomeMetrics: no rows")
        precondition(probabilities.count == n,
                     "BinaryOutcomeMetrics: \(n) labels, \(probabilities.count) probabilities")

        let interior = Array(OutcomeMath.calibrationEdges[1..<OutcomeMath.calibrationBins])
        var binRows = [Int](repeating: 0, count: OutcomeMath.calibrationBins)
        var binSum = [Double](repeating: 0, count: OutcomeMath.calibrationBins)
        var binPositives = [Int](repeating: 0, count: OutcomeMath.calibrationBins)
        var positives = 0, truePositives = 0, predictedPositives = 0, correct = 0
        var logLossSum = 0.0, brierSum = 0.0

        interior.withUnsafeBufferPointer { edges in
            for i in 0..<n {
                let y = labels[i], p = probabilities[i]
                precondition(y == 0 || y == 1, "BinaryOutcomeMetrics: label \(y) at row \(i) is not 0 or 1")
                precondition(p >= 0 && p <= 1, "BinaryOutcomeMetrics: probability \(p) at row \(i) is not in [0, 1]")
                let positive = y == 1
                let predicted = p >= threshold
                if positive { positives += 1 }
                if predicted { predictedPositives += 1 }
                if positive && predicted { truePositives += 1 }
                if positive == predicted { correct += 1 }
                logLossSum += OutcomeMath.binaryLogLoss(label: y, probability: p)
                let d = p - y
                brierSum += d * d
                let b = OutcomeMath.calibrationBin(p, interior: edges)
                binRows[b] += 1
                binSum[b] += p
                if positive { binPositives[b] += 1 }
            }
        }

        var bins: [CalibrationBin] = []
        var ece = 0.0
        for b in 0..<OutcomeMath.calibrationBins {
            let count = binRows[b]
            var bin = CalibrationBin(lower: OutcomeMath.calibrationEdges[b], upper: OutcomeMath.calibrationEdges[b + 1],
                                     rows: count, meanPredicted: nil, observedRate: nil)
            if count > 0 {
                let meanPredicted = binSum[b] / Double(count)
                let observed = Double(binPositives[b]) / Double(count)
                bin.meanPredicted = meanPredicted
                bin.observedRate = observed
                ece += Double(count) / Double(n) * abs(observed - meanPredicted)
            }
            bins.append(bin)
        }

        let ranking = ROCRanking(count: n, components: false,
                                 isPositive: { labels[$0] == 1 }, score: { probabilities[$0] })
        self.rows = n
        self.positives = positives
        self.auc = ranking.auc
        self.logLoss = logLossSum / Double(n)
        self.brier = brierSum / Double(n)
        self.ece = ece
        self.accuracy = Double(correct) / Double(n)
        self.precision = predictedPositives > 0 ? Double(truePositives) / Double(predictedPositives) : nil
        self.recall = positives > 0 ? Double(truePositives) / Double(positives) : nil
        self.threshold = threshold
        self.calibration = bins
    }
}
