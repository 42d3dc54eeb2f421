#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a challenger's predictions compare with the champion's on the same rows, accumulated chunk
/// by chunk and mergeable (chunks are committed one by one; a resumed run merges what the stored
/// chunks hold). Means, variances and the covariance are kept centred (Welford, merged with Chan's
/// formulas), so the correlation stays accurate over millions of rows of close values.
public struct ShadowComparison: Codable, Sendable, Equatable {
    public var rows: Int = 0
    public var sumAbsoluteDifference: Double = 0
    public var maxAbsoluteDifference: Double = 0
    public var meanChampion: Double = 0
    public var meanChallenger: Double = 0
    /// Σ (x − x̄)², Σ (y − ȳ)², Σ (x − x̄)(y − ȳ).
    public var m2Champion: Double = 0
    public var m2Challenger: Double = 0
    public var coMoment: Double = 0
    /// Rows whose label differs at the threshold (x ≥ t vs y ≥ t), or whose label column differs.
    public var flips: Int = 0
    /// Counts of each side's predictions in `edges`' bins (bin i: edges[i-1] < v ≤ edges[i]).
    public var championBins: [Int]
    public var challengerBins: [Int]
    public var edges: [Double]
    public var championSeconds: Double = 0
    public var challengerSeconds: Double = 0

    public init(edges: [Double]) {
        self.edges = edges
        championBins = [Int](repeating: 0, count: edges.count + 1)
        challengerBins = championBins
    }

    /// Deciles of [0, 1]: the bins for probabilities when no training reference gives others.
    public static let probabilityEdges: [Double] = (1...9).map { Double($0) / 10 }

    @inlinable
    static func bin(_ v: Double, _ edges: [Double]) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if v <= edges[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Adds rows: `champion[i]` and `challenger[i]` are the two predictions of row i (NaN rows are
    /// skipped); `labels`, when given, are the two labels (a flip when they differ); otherwise a flip
    /// is a different side of `threshold` (nil: no flips counted, e.g. for regressions).
    public mutating func add(champion: [Double], challenger: [Double], championLabels: [Double]? = nil,
                             challengerLabels: [Double]? = nil, threshold: Double?) {
        precondition(champion.count == challenger.count)
        for i in champion.indices {
            let x = champion[i], y = challenger[i]
            guard !x.isNaN, !y.isNaN else { continue }
            rows += 1
            let d = abs(x - y)
            sumAbsoluteDifference += d
            if d > maxAbsoluteDifference { maxAbsoluteDifference = d }
            let n = Double(rows)
            let dx = x - meanChampion
            meanChampion += dx / n
            let dy = y - meanChallenger
            meanChallenger += dy / n
            m2Champion += dx * (x - meanChampion)
            m2Challenger += dy * (y - meanChallenger)
            coMoment += dx * (y - meanChallenger)
            if let a = championLabels, let b = challengerLabels {
                if a[i] != b[i] { flips += 1 }
            } else if let t = threshold, (x >= t) != (y >= t) {
                flips += 1
            }
            championBins[ShadowComparison.bin(x, edges)] += 1
            challengerBins[ShadowComparison.bin(y, edges)] += 1
        }
    }

    public mutating func merge(_ o: ShadowComparison) {
        guard o.rows > 0 else {
            championSeconds += o.championSeconds
            challengerSeconds += o.challengerSeconds
            return
        }
        precondition(o.edges == edges, "ShadowComparison.merge: different bins")
        let n1 = Double(rows), n2 = Double(o.rows), n = n1 + n2
        let dx = o.meanChampion - meanChampion, dy = o.meanChallenger - meanChallenger
        m2Champion += o.m2Champion + dx * dx * n1 * n2 / n
        m2Challenger += o.m2Challenger + dy * dy * n1 * n2 / n
        coMoment += o.coMoment + dx * dy * n1 * n2 / n
        meanChampion += dx * n2 / n
        meanChallenger += dy * n2 / n
        rows += o.rows
        sumAbsoluteDifference += o.sumAbsoluteDifference
        maxAbsoluteDifference = max(maxAbsoluteDifference, o.maxAbsoluteDifference)
        flips += o.flips
        for i in championBins.indices {
            championBins[i] += o.championBins[i]
            challengerBins[i] += o.challengerBins[i]
        }
        championSeconds += o.championSeconds
        challengerSeconds += o.challengerSeconds
    }

    public var meanAbsoluteDifference: Double { rows > 0 ? sumAbsoluteDifference / Double(rows) : 0 }
    /// Pearson correlation; nil when either side is constant.
    public var correlation: Double? {
        guard rows > 1, m2Champion > 0, m2Challenger > 0 else { return nil }
        return coMoment / (m2Champion * m2Challenger).squareRoot()
    }
    public var flipRate: Double { rows > 0 ? Double(flips) / Double(rows) : 0 }
    /// PSI of the challenger's predictions against the champion's.
    public var predictionPSI: Double { PSI.value(expected: championBins, actual: challengerBins) }
}
