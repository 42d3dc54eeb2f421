/// One feature's statistics over a chunk or a run, binned like its `FeatureReference`.
///
/// `count` is the number of non-missing values, `nulls` the missing ones. `sum`, `min` and `max`
/// cover the finite values (categorical features: sum 0, no min or max); infinities are still
/// counted and binned. Everything merges by addition (and min/max), so chunk statistics add up to
/// run statistics whatever the chunking: counts exactly, sums up to floating-point rounding.
public struct FeatureStatistics: Codable, Sendable, Equatable {
    public var count: Int
    public var nulls: Int
    public var sum: Double
    public var min: Double?
    public var max: Double?
    /// In the reference's bins (same length as `FeatureReference.counts`).
    public var counts: [Int]

    public init(count: Int = 0, nulls: Int = 0, sum: Double = 0, min: Double? = nil, max: Double? = nil, counts: [Int]) {
        self.count = count
        self.nulls = nulls
        self.sum = sum
        self.min = min
        self.max = max
        self.counts = counts
    }

    /// Adds `other`'s values (the same feature, binned against the same reference).
    public mutating func merge(_ other: FeatureStatistics) {
        precondition(counts.count == other.counts.count,
                     "FeatureStatistics.merge: \(counts.count) bins and \(other.counts.count): not the same reference")
        count += other.count
        nulls += other.nulls
        sum += other.sum
        min = Self.combine(min, other.min, Swift.min)
        max = Self.combine(max, other.max, Swift.max)
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    static func combine(_ a: Double?, _ b: Double?, _ pick: (Double, Double) -> Double) -> Double? {
        switch (a, b) {
        case let (a?, b?): return pick(a, b)
        case let (a?, nil): return a
        case let (nil, b): return b
        }
    }
}
