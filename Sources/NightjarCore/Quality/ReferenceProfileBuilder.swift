/// Accumulates the (small) training sample's encoded rows and predictions, then builds its
/// `ReferenceProfile`.
///
/// It keeps every numeric value so that the bin edges are exact quantiles of the sample: fine for
/// a sample of thousands to a few hundred thousand rows, not meant for whole scoring runs (those
/// use `ChunkStatistics`, which bins against the reference's edges and keeps no values).
public struct ReferenceProfileBuilder {
    public let features: [ModelFeature]
    public let bins: Int
    private var rows = 0
    /// Per feature: numeric non-missing values, or categorical code counts.
    private var values: [[Double]]
    private var codeCounts: [[Double: Int]]
    private var nulls: [Int]
    private var predictions: [Double] = []
    private var prediction: (column: Int, name: String)? = nil

    /// - Parameter bins: bins per numeric feature and for the prediction (at least 1); quantile
    ///   edges that coincide are merged, so a feature may get fewer.
    public init(features: [ModelFeature], bins: Int = 10) {
        precondition(bins >= 1, "ReferenceProfileBuilder: bins must be at least 1, got \(bins)")
        self.features = features
        self.bins = bins
        values = Array(repeating: [], count: features.count)
        codeCounts = Array(repeating: [:], count: features.count)
        nulls = Array(repeating: 0, count: features.count)
    }

    /// Adds encoded rows (model feature order; NaN = missing; categorical = code).
    public mutating func add(_ matrix: FeatureMatrix) {
        precondition(matrix.stride == features.count,
                     "ReferenceProfileBuilder.add: matrix has \(matrix.stride) features, the model \(features.count)")
        rows += matrix.rows
        for f in 0..<features.count {
            let categorical = features[f].kind != .numeric
            for r in 0..<matrix.rows {
                let v = matrix.values[r * matrix.stride + f]
                if v.isNaN {
                    nulls[f] += 1
                } else if categorical {
                    codeCounts[f][v, default: 0] += 1
                } else {
                    values[f].append(v)
                }
            }
        }
    }

    /// Adds the predictions of the rows added: `values` row-major with `stride` output columns per
    /// row; column `column` (named `name`) is profiled. NaN predictions are skipped.
    public mutating func addPredictions(_ values: [Double], stride: Int, column: Int, name: String) {
        precondition(column >= 0 && column < stride, "addPredictions: column \(column) outside stride \(stride)")
        if let p = prediction {
            precondition(p.column == column && p.name == name, "addPredictions: one prediction column per profile")
        }
        prediction = (column, name)
        var i = column
        while i < values.count {
            if !values[i].isNaN { predictions.append(values[i]) }
            i += stride
        }
    }

    public func build() -> ReferenceProfile {
        var out: [FeatureReference] = []
        for (f, feature) in features.enumerated() {
            switch feature.kind {
            case .numeric:
                out.append(Self.numeric(name: feature.name, values: values[f], nulls: nulls[f], bins: bins))
            case .categorical(let names?):
                out.append(Self.indexed(name: feature.name, names: names, counts: codeCounts[f], nulls: nulls[f]))
            case .text(let vocabulary):
                out.append(Self.indexed(name: feature.name, names: vocabulary, counts: codeCounts[f], nulls: nulls[f]))
            case .categorical(nil):
                // No names: the distinct codes seen become the categories ("0", "1", …).
                let codes = codeCounts[f].keys.sorted()
                let counts = codes.map { codeCounts[f][$0]! } + [0]
                out.append(FeatureReference(name: feature.name, kind: .categorical, count: counts.reduce(0, +), nulls: nulls[f],
                                            categories: codes.map(Self.codeName), codes: codes, counts: counts))
            }
        }
        var reference: PredictionReference? = nil
        if let p = prediction {
            let sorted = predictions.sorted()
            let edges = BinEdges.quantileEdges(sorted: sorted, bins: bins)
            let finite = sorted.filter(\.isFinite)
            reference = PredictionReference(column: p.name, columnIndex: p.column, edges: edges,
                                            counts: BinEdges.counts(sorted: sorted, edges: edges),
                                            mean: finite.isEmpty ? 0 : finite.reduce(0, +) / Double(finite.count))
        }
        return ReferenceProfile(rows: rows, features: out, prediction: reference)
    }

    private static func numeric(name: String, values: [Double], nulls: Int, bins: Int) -> FeatureReference {
        let sorted = values.sorted()
        let edges = BinEdges.quantileEdges(sorted: sorted, bins: bins)
        // Sum, min and max over finite values: ±inf would not survive JSON, and is not a training value.
        let finite = sorted.filter(\.isFinite)
        return FeatureReference(
            name: name, kind: .numeric, count: sorted.count, nulls: nulls,
            mean: finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count),
            min: finite.first, max: finite.last, edges: edges,
            counts: BinEdges.counts(sorted: sorted, edges: edges))
    }

    /// Code i is names[i]; any other code lands in the last bin.
    private static func indexed(name: String, names: [String], counts codeCounts: [Double: Int], nulls: Int) -> FeatureReference {
        var counts = [Int](repeating: 0, count: names.count + 1)
        for (code, n) in codeCounts {
            counts[BinEdges.categoryBin(code, categoryCount: names.count)] += n
        }
        return FeatureReference(name: name, kind: .categorical, count: counts.reduce(0, +), nulls: nulls,
                                categories: names, counts: counts)
    }

    /// "3" for 3.0; other values as Swift prints them.
    static func codeName(_ code: Double) -> String {
        if code == code.rounded(), abs(code) < 1e15 { return String(Int64(code)) }
        return "\(code)"
    }
}
