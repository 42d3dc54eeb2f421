/// Outcome metrics of a multi-class model: a row of class probabilities per row against the real
/// class (an integer in 0..<classes). Defined as scikit-learn defines them; the tests check each
/// against scikit-learn (fixtures/outcomes/sklearn_metrics.py) to 1e-9.
///
/// Rows are not renormalised. scikit-learn 1.2–1.4 divided each (clipped) row by its sum before
/// the log loss; since 1.5 (checked in 1.9.1, `_validate_multiclass_probabilistic_prediction`) it
/// only warns when a row does not sum to 1 and uses the clipped probabilities as they are. This
/// type does the same as ≥ 1.5: a model whose rows sum to 0.9 is charged for it. Rows that sum to
/// 1 (to rounding) give the same log loss under either convention.
public struct MulticlassOutcomeMetrics: Sendable, Equatable {
    /// Rows measured, number of classes, and rows of each class (`classCounts[k]`: label k).
    public var rows: Int, classes: Int, classCounts: [Int]
    /// Mean log loss, natural log: −log p(true class), p clipped to [eps, 1 − eps] with
    /// eps = `Double.ulpOfOne`, as `sklearn.metrics.log_loss` (≥ 1.5: no renormalisation).
    public var logLoss: Double
    /// Share of rows whose predicted class, the argmax of the row (the first of equal maxima, as
    /// `numpy.argmax`), is the label.
    public var accuracy: Double
    /// One-vs-rest ROC AUC of each class (its column against "label is k"), unweighted mean, as
    /// `roc_auc_score(multi_class="ovr", average="macro")`. nil when a class is absent from the
    /// labels (its AUC is undefined; scikit-learn raises).
    public var macroAUC: Double?

    /// Measures `probabilities`, row-major (`rows × classes`), against `labels`.
    ///
    /// Preconditions: classes ≥ 2, at least one row, `probabilities.count == labels.count · classes`,
    /// every label in 0..<classes, every probability in [0, 1] (no NaN).
    /// Cost: one sort per class, O(classes · n log n).
    public init(labels: [Int], probabilities: [Double], classes: Int) {
        let n = labels.count
        precondition(classes >= 2, "MulticlassOutcomeMetrics: \(classes) classes, need 2 or more")
        precondition(n > 0, "MulticlassOutcomeMetrics: no rows")
        precondition(probabilities.count == n * classes,
                     "MulticlassOutcomeMetrics: \(n) labels × \(classes) classes, \(probabilities.count) probabilities")
        var counts = [Int](repeating: 0, count: classes)
        var correct = 0
        var logLossSum = 0.0
        for i in 0..<n {
            let y = labels[i]
            precondition(y >= 0 && y < classes, "MulticlassOutcomeMetrics: label \(y) at row \(i) is not in 0..<\(classes)")
            counts[y] += 1
            let row = i * classes
            var best = 0
            var bestValue = probabilities[row]
            for k in 0..<classes {
                let p = probabilities[row + k]
                precondition(p >= 0 && p <= 1, "MulticlassOutcomeMetrics: probability \(p) at row \(i) is not in [0, 1]")
                if p > bestValue { best = k; bestValue = p }
            }
            if best == y { correct += 1 }
            logLossSum += OutcomeMath.clippedNegativeLog(probabilities[row + y])
        }

        var macroAUC: Double? = nil
        if counts.allSatisfy({ $0 > 0 }) {
            var sum = 0.0
            for k in 0..<classes {
                let ranking = ROCRanking(count: n, components: false,
                                         isPositive: { labels[$0] == k }, score: { probabilities[$0 * classes + k] })
                sum += ranking.auc!
            }
            macroAUC = sum / Double(classes)
        }

        self.rows = n
        self.classes = classes
        self.classCounts = counts
        self.logLoss = logLossSum / Double(n)
        self.accuracy = Double(correct) / Double(n)
        self.macroAUC = macroAUC
    }
}
