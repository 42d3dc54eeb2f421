/// One binary problem (which rows are positive, and their scores) ranked once by score: the ROC
/// AUC and, on request, DeLong's structural components.
///
/// Definitions: with ψ(x, y) = 1 when x > y, ½ when x = y, 0 otherwise, for positive scores xᵢ
/// (m of them) and negative scores yⱼ (n of them):
/// - AUC = (1/mn) Σᵢ Σⱼ ψ(xᵢ, yⱼ), the Mann–Whitney statistic with ties counted ½ (the same as
///   the trapezoidal area under the ROC curve, scikit-learn's `roc_auc_score`);
/// - V10ᵢ = (1/n) Σⱼ ψ(xᵢ, yⱼ) for each positive, V01ⱼ = (1/m) Σᵢ ψ(xᵢ, yⱼ) for each negative
///   (DeLong, DeLong & Clarke-Pearson 1988); their means are both the AUC.
///
/// Cost: one sort of the n + m rows, then one pass over runs of tied scores (Sun & Xu 2014), so
/// O(N log N), never the O(mn) pairwise kernel.
struct ROCRanking {
    var positives: Int
    var negatives: Int
    /// 2 · Σᵢ Σⱼ ψ(xᵢ, yⱼ), exact in integers.
    var twiceU: Int
    /// V10 of each positive, in row order (empty unless asked for).
    var v10: [Double]
    /// V01 of each negative, in row order (empty unless asked for).
    var v01: [Double]

    /// The AUC; nil when one class is absent.
    var auc: Double? {
        guard positives > 0, negatives > 0 else { return nil }
        return Double(twiceU) / (2.0 * Double(positives) * Double(negatives))
    }

    /// Ranks `count` rows: row i is positive when `isPositive(i)`, with score `score(i)` (not NaN).
    init(count: Int, components: Bool, isPositive: (Int) -> Bool, score: (Int) -> Double) {
        // (score, row) sorted by score; the sign of `row` marks a positive (row ≥ 0) or a negative
        // (−row − 1), so the sort moves one 16-byte value and the label needs no lookup afterwards.
        var entries: [(score: Double, row: Int)] = []
        entries.reserveCapacity(count)
        var m = 0
        for i in 0..<count {
            let positive = isPositive(i)
            if positive { m += 1 }
            entries.append((score(i), positive ? i : -i - 1))
        }
        let n = count - m
        entries.sort { $0.score < $1.score }
        positives = m
        negatives = n
        v10 = []
        v01 = []

        // Index of each row within its class, for the components in row order.
        var slot: [Int] = []
        if components {
            slot = [Int](repeating: 0, count: count)
            var p = 0, q = 0
            for i in 0..<count {
                if isPositive(i) { slot[i] = p; p += 1 } else { slot[i] = q; q += 1 }
            }
            v10 = [Double](repeating: 0, count: m)
            v01 = [Double](repeating: 0, count: n)
        }

        var twice = 0
        var negativesBelow = 0, positivesBelow = 0
        var start = 0
        while start < count {
            let s = entries[start].score
            var end = start
            var g1 = 0, g0 = 0
            while end < count, entries[end].score == s {
                if entries[end].row >= 0 { g1 += 1 } else { g0 += 1 }
                end += 1
            }
            // Each positive of the run beats the negatives below and ties with the g0 in the run.
            twice += g1 * (2 * negativesBelow + g0)
            if components {
                let positivesAbove = m - positivesBelow - g1
                let vPositive = n > 0 ? (Double(negativesBelow) + 0.5 * Double(g0)) / Double(n) : 0
                let vNegative = m > 0 ? (Double(positivesAbove) + 0.5 * Double(g1)) / Double(m) : 0
                for k in start..<end {
                    let r = entries[k].row
                    if r >= 0 { v10[slot[r]] = vPositive } else { v01[slot[-r - 1]] = vNegative }
                }
            }
            negativesBelow += g0
            positivesBelow += g1
            start = end
        }
        twiceU = twice
    }

    /// The DeLong variance of the AUC: S10/m + S01/n, where S10 and S01 are the sample variances
    /// (divisor m − 1, n − 1) of V10 and V01. Needs components and at least 2 rows of each class.
    var delongVariance: Double? {
        guard positives >= 2, negatives >= 2, v10.count == positives else { return nil }
        return Self.covariance(v10, v10) / Double(positives) + Self.covariance(v01, v01) / Double(negatives)
    }

    /// DeLong's covariance of the AUCs of two scores of the same rows (same labels):
    /// cov(V10ᵃ, V10ᵇ)/m + cov(V01ᵃ, V01ᵇ)/n, sample covariances with divisor m − 1, n − 1.
    static func delongCovariance(_ a: ROCRanking, _ b: ROCRanking) -> Double? {
        guard a.positives == b.positives, a.negatives == b.negatives,
              a.positives >= 2, a.negatives >= 2,
              a.v10.count == a.positives, b.v10.count == b.positives else { return nil }
        return covariance(a.v10, b.v10) / Double(a.positives) + covariance(a.v01, b.v01) / Double(a.negatives)
    }

    /// Sample covariance (divisor count − 1), two passes.
    static func covariance(_ x: [Double], _ y: [Double]) -> Double {
        let k = x.count
        precondition(k == y.count && k >= 2)
        var sx = 0.0, sy = 0.0
        for i in 0..<k { sx += x[i]; sy += y[i] }
        let mx = sx / Double(k), my = sy / Double(k)
        var s = 0.0
        for i in 0..<k { s += (x[i] - mx) * (y[i] - my) }
        return s / Double(k - 1)
    }
}
