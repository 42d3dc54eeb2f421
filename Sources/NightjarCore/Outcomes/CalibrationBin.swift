/// One bin of a reliability diagram (calibration curve) of a binary model.
///
/// The bins are those of scikit-learn's `calibration_curve(strategy="uniform", n_bins=10)`: edges
/// `np.linspace(0, 1, 11)` bit for bit (0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5,
/// 0.6000000000000001, 0.7000000000000001, 0.8, 0.9, 1), and a probability p goes to bin
/// `np.searchsorted(edges[1:-1], p)`: the number of interior edges strictly below p. So a bin holds
/// `lower < p <= upper` (the first also p = 0), and a probability exactly on an edge belongs to the
/// lower bin.
public struct CalibrationBin: Sendable, Equatable {
    /// Bin edges, as described above.
    public var lower: Double, upper: Double
    /// Rows whose probability falls in the bin.
    public var rows: Int
    /// Mean predicted probability of the bin's rows; nil when the bin is empty.
    public var meanPredicted: Double?
    /// Fraction of positives among the bin's rows; nil when the bin is empty.
    public var observedRate: Double?

    public init(lower: Double, upper: Double, rows: Int, meanPredicted: Double?, observedRate: Double?) {
        self.lower = lower
        self.upper = upper
        self.rows = rows
        self.meanPredicted = meanPredicted
        self.observedRate = observedRate
    }
}
