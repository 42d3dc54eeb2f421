#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shared conventions of the outcome metrics: the log-loss clip, the 95 % normal quantile and the
/// uniform calibration bins, each chosen to give scikit-learn's numbers.
enum OutcomeMath {
    /// Probabilities are clipped to `[eps, 1 − eps]` before the log, with eps the float64 machine
    /// epsilon (2.220446049250313e-16), as scikit-learn ≥ 1.5 (`np.finfo(float64).eps`; 1.2–1.4:
    /// the default `eps="auto"`, the same value).
    static let eps: Double = Double.ulpOfOne

    /// The 0.975 quantile of the standard normal distribution (two-sided 95 %).
    static let z95: Double = 1.959963984540054

    /// Number of calibration bins.
    static let calibrationBins = 10

    /// The 11 edges of `np.linspace(0, 1, 11)`, bit for bit: numpy computes `i * (1/10) + 0` and sets
    /// the last to 1 exactly, so the interior edges are `Double(i) * 0.1` (0.30000000000000004,
    /// 0.6000000000000001, 0.7000000000000001, …), not the decimal literals.
    static let calibrationEdges: [Double] = {
        var edges = (0..<calibrationBins).map { Double($0) * (1.0 / Double(calibrationBins)) + 0.0 }
        edges.append(1.0)
        return edges
    }()

    /// `-log(clip(q))`: the loss of a row whose true outcome was given probability `q`.
    @inline(__always)
    static func clippedNegativeLog(_ q: Double) -> Double {
        -log(Swift.min(Swift.max(q, eps), 1 - eps))
    }

    /// The binary log loss of one row, as scikit-learn ≥ 1.5: the row becomes `[1 − p, p]`, both
    /// clipped, and the loss is `−log` of the entry of the true class. So a label 0 costs
    /// `−log(clip(1 − p))` (1 − p computed first, then clipped), a label 1 `−log(clip(p))`.
    @inline(__always)
    static func binaryLogLoss(label: Double, probability p: Double) -> Double {
        label == 1 ? clippedNegativeLog(p) : clippedNegativeLog(1 - p)
    }

    /// The calibration bin of `p`: `np.searchsorted(edges[1:-1], p)` (side "left"), the number of
    /// interior edges strictly below `p`. A probability exactly on an edge goes to the lower bin.
    @inline(__always)
    static func calibrationBin(_ p: Double, interior: UnsafeBufferPointer<Double>) -> Int {
        var b = 0
        for e in interior { b &+= e < p ? 1 : 0 }
        return b
    }
}
