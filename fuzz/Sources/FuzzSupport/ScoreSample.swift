import NightjarCore

/// Scores a few rows with a model the loader accepted, through the same encoder and predictor a
/// run uses: a malformed-but-accepted model that crashes here is a finding like a loader crash.
public enum ScoreSample {
    /// Field values tried for every feature: numbers, missing, extremes, junk that is refused.
    static let numericRows: [String] = ["0", "1", "-1.5", "", "1e308", "-1e308", "nan", "3.4e38", "0.5"]

    public static func run(_ model: ScoringModel) {
        let header = model.features.map(\.name)
        // A header naming a column twice is refused by the CSV reader; a model naming a feature twice
        // still gets scored (the encoder reads the first column of that name).
        let encoder: FeatureEncoder
        do { encoder = try FeatureEncoder(features: model.features, header: header) } catch { return }
        var batch = TextBatch(columnCount: header.count)
        var rows = numericRows.map { value in model.features.map { _ in value } }
        // A row of each feature's first and last category names (or its vocabulary), and one unseen.
        for pick in 0..<3 {
            rows.append(model.features.map { feature -> String in
                switch feature.kind {
                case .numeric: return pick == 0 ? "2" : "-2"
                case .categorical(let categories?): return pick == 2 ? "never seen" : (pick == 0 ? categories.first : categories.last) ?? ""
                case .categorical(nil): return pick == 0 ? "0" : (pick == 1 ? "7" : "-1")
                case .text(let vocabulary): return pick == 2 ? "never seen" : (pick == 0 ? vocabulary.first : vocabulary.last) ?? ""
                }
            })
        }
        for row in rows {
            batch.removeAll()
            for field in row {
                batch.bytes.append(contentsOf: Array(field.utf8))
                batch.endField()
            }
            batch.endRow()
            var matrix = FeatureMatrix(rows: 0, features: header.count)
            do { try encoder.encode(batch, into: &matrix) } catch { continue }
            for margin in [false, true] {
                var out: [Double] = []
                Predictor(model: model, includeMargin: margin, threads: 1).score(matrix, into: &out)
            }
        }
    }
}
