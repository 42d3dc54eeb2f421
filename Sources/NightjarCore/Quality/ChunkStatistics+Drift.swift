extension ChunkStatistics {
    /// Per-feature drift against `reference` (the one these statistics were binned with), and the
    /// PSI of the predictions when both sides profiled them.
    public func drift(against reference: ReferenceProfile) -> (features: [FeatureDrift], predictionPSI: Double?) {
        precondition(reference.features.count == features.count,
                     "ChunkStatistics.drift: \(features.count) features, the reference \(reference.features.count)")
        var out: [FeatureDrift] = []
        out.reserveCapacity(features.count)
        for (ref, stats) in zip(reference.features, features) {
            let rows = stats.count + stats.nulls
            let numeric = ref.kind == .numeric
            out.append(FeatureDrift(
                name: ref.name, rows: rows,
                nullRate: rows == 0 ? 0 : Double(stats.nulls) / Double(rows),
                mean: numeric && stats.count > 0 ? stats.sum / Double(stats.count) : nil,
                min: numeric ? stats.min : nil, max: numeric ? stats.max : nil,
                psi: PSI.value(expected: ref.counts, expectedMissing: ref.nulls, actual: stats.counts, actualMissing: stats.nulls)))
        }
        var predictionPSI: Double? = nil
        if let expected = reference.prediction?.counts, let actual = prediction {
            predictionPSI = PSI.value(expected: expected, actual: actual)
        }
        return (out, predictionPSI)
    }
}
