#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Population stability index: how far a distribution (`actual`) moved from another (`expected`),
/// both given as counts in the same bins.
///
/// PSI = Σ (a_i − e_i) · ln(a_i / e_i) over the bins' proportions. A proportion that is exactly 0
/// is replaced by `epsilon` (1e-4, one row in ten thousand) so that a bin empty on one side gives a
/// large but finite term instead of infinity; the other proportions are left as they are. A bin
/// empty on both sides contributes 0. Common reading: below 0.1 stable, 0.1–0.25 a moderate shift,
/// above 0.25 a significant one.
public enum PSI {
    /// What a zero proportion becomes.
    public static let epsilon = 1e-4

    /// PSI of two count vectors of the same length. 0 when either side has no values at all (there
    /// is nothing to compare; the row count says so).
    public static func value(expected: [Int], actual: [Int]) -> Double {
        precondition(expected.count == actual.count, "PSI.value: \(expected.count) expected bins, \(actual.count) actual")
        let te = expected.reduce(0, +), ta = actual.reduce(0, +)
        guard te > 0, ta > 0 else { return 0 }
        var psi = 0.0
        for i in expected.indices {
            var e = Double(expected[i]) / Double(te)
            var a = Double(actual[i]) / Double(ta)
            if e == 0 { e = epsilon }
            if a == 0 { a = epsilon }
            psi += (a - e) * log(a / e)
        }
        return psi
    }

    /// PSI with missing values: their share is one more bin when either side has any, so a column
    /// that starts arriving empty drifts even if its non-missing values do not.
    public static func value(expected: [Int], expectedMissing: Int, actual: [Int], actualMissing: Int) -> Double {
        if expectedMissing == 0 && actualMissing == 0 { return value(expected: expected, actual: actual) }
        return value(expected: expected + [expectedMissing], actual: actual + [actualMissing])
    }
}
