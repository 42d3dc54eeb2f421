/// Mergeable statistics of a chunk (or a whole run) against a reference profile. Stored as JSON
/// with each committed chunk; a run's statistics are the merge of its chunks', so a resumed run
/// reports the same drift as one that never stopped.
///
/// Values are binned with the reference's edges and category codes, which a value made by
/// `init(reference:)` carries along (they are not encoded: every chunk would repeat them).
/// A value decoded from JSON can be merged, compared and measured for drift, but adds rows only
/// after it was merged into one made by `init(reference:)` (or merged one into).
public struct ChunkStatistics: Codable, Sendable, Equatable {
    public var rows: Int
    /// Same order as `reference.features`.
    public var features: [FeatureStatistics]
    /// Counts in the reference prediction bins; nil when the reference has no prediction profile.
    public var prediction: [Int]?
    /// Sum of the finite predictions counted in `prediction`.
    public var predictionSum: Double

    /// How values are binned: taken from the reference, not encoded.
    private var layout: Layout? = nil

    struct Layout: Sendable {
        enum Kind: Sendable { case numeric, indexed, coded }
        var kinds: [Kind]
        /// Numeric: the edges; coded categorical: the codes; indexed categorical: empty.
        var cuts: [[Double]]
        var categoryCounts: [Int]
        var predictionColumn: Int?
        var predictionEdges: [Double]
    }

    /// All zero, binned like `reference`.
    public init(reference: ReferenceProfile) {
        rows = 0
        predictionSum = 0
        features = reference.features.map { FeatureStatistics(counts: [Int](repeating: 0, count: $0.counts.count)) }
        prediction = reference.prediction.map { [Int](repeating: 0, count: $0.counts.count) }
        var layout = Layout(kinds: [], cuts: [], categoryCounts: [], predictionColumn: reference.prediction?.columnIndex,
                            predictionEdges: reference.prediction?.edges ?? [])
        for f in reference.features {
            switch f.kind {
            case .numeric:
                layout.kinds.append(.numeric)
                layout.cuts.append(f.edges ?? [])
                layout.categoryCounts.append(0)
            case .categorical:
                layout.kinds.append(f.codes == nil ? .indexed : .coded)
                layout.cuts.append(f.codes ?? [])
                layout.categoryCounts.append(f.categories?.count ?? Swift.max(0, f.counts.count - 1))
            }
        }
        self.layout = layout
    }

    enum CodingKeys: String, CodingKey {
        case rows, features, prediction, predictionSum = "prediction_sum"
    }

    /// Statistics compare equal when their numbers do, however they were made.
    public static func == (a: ChunkStatistics, b: ChunkStatistics) -> Bool {
        a.rows == b.rows && a.features == b.features && a.prediction == b.prediction && a.predictionSum == b.predictionSum
    }

    /// Adds the rows of an encoded chunk and their predictions.
    ///
    /// - Parameters:
    ///   - matrix: encoded rows in model feature order (NaN = missing; categorical = code).
    ///   - predictions: the predictor's values, row-major, `stride` output columns per row (at least
    ///     `matrix.rows * stride` values; extra capacity is ignored). Column
    ///     `reference.prediction.columnIndex` is binned; NaN predictions are skipped. Ignored (may be
    ///     empty) when the reference has no prediction profile.
    public mutating func add(_ matrix: FeatureMatrix, predictions: [Double], stride: Int) {
        guard let layout else {
            preconditionFailure("ChunkStatistics.add: statistics decoded from JSON carry no reference bins; start from init(reference:) and merge")
        }
        precondition(matrix.stride == features.count,
                     "ChunkStatistics.add: matrix has \(matrix.stride) features, the reference \(features.count)")
        let n = matrix.rows
        let width = matrix.stride
        rows += n
        matrix.values.withUnsafeBufferPointer { m in
            for f in 0..<width {
                var counts: [Int] = []
                swap(&counts, &features[f].counts)  // unique: no copy on write
                var count = 0, nulls = 0, sum = 0.0, lo = Double.infinity, hi = -Double.infinity
                let kind = layout.kinds[f]
                let categoryCount = layout.categoryCounts[f]
                counts.withUnsafeMutableBufferPointer { c in
                    layout.cuts[f].withUnsafeBufferPointer { cuts in
                        var i = f
                        for _ in 0..<n {
                            let v = m[i]
                            i &+= width
                            if v.isNaN { nulls &+= 1; continue }
                            count &+= 1
                            switch kind {
                            case .numeric:
                                c[BinEdges.bin(v, cuts)] &+= 1
                                if v.isFinite {
                                    sum += v
                                    lo = Swift.min(lo, v)
                                    hi = Swift.max(hi, v)
                                }
                            case .indexed:
                                c[BinEdges.categoryBin(v, categoryCount: categoryCount)] &+= 1
                            case .coded:
                                c[BinEdges.categoryBin(v, codes: cuts)] &+= 1
                            }
                        }
                    }
                }
                swap(&counts, &features[f].counts)
                features[f].count += count
                features[f].nulls += nulls
                if kind == .numeric {
                    features[f].sum += sum
                    if lo <= hi {
                        features[f].min = Swift.min(features[f].min ?? lo, lo)
                        features[f].max = Swift.max(features[f].max ?? hi, hi)
                    }
                }
            }
        }
        guard let column = layout.predictionColumn, var binned = prediction else { return }
        precondition(column < stride && predictions.count >= n * stride,
                     "ChunkStatistics.add: \(predictions.count) predictions for \(n) rows × \(stride) columns (prediction column \(column))")
        prediction = nil  // unique: no copy on write
        var sum = 0.0
        binned.withUnsafeMutableBufferPointer { c in
            predictions.withUnsafeBufferPointer { p in
                layout.predictionEdges.withUnsafeBufferPointer { edges in
                    var i = column
                    for _ in 0..<n {
                        let v = p[i]
                        i &+= stride
                        if v.isNaN { continue }
                        c[BinEdges.bin(v, edges)] &+= 1
                        if v.isFinite { sum += v }
                    }
                }
            }
        }
        prediction = binned
        predictionSum += sum
    }

    /// Adds `other` (statistics against the same reference): run totals from chunk statistics.
    public mutating func merge(_ other: ChunkStatistics) {
        precondition(features.count == other.features.count,
                     "ChunkStatistics.merge: \(features.count) features and \(other.features.count): not the same reference")
        rows += other.rows
        for f in features.indices { features[f].merge(other.features[f]) }
        switch (prediction, other.prediction) {
        case (var mine?, let theirs?):
            precondition(mine.count == theirs.count, "ChunkStatistics.merge: prediction bins differ: not the same reference")
            for i in mine.indices { mine[i] += theirs[i] }
            prediction = mine
        case (nil, let theirs?):
            prediction = theirs
        default:
            break
        }
        predictionSum += other.predictionSum
        if layout == nil { layout = other.layout }
    }
}
