import Foundation
@testable import NightjarCore

/// A batch of the given rows (every row the same width).
func textBatch(_ rows: [[String]], columns: Int? = nil) -> TextBatch {
    var b = TextBatch(columnCount: columns ?? rows.first?.count ?? 0)
    for row in rows {
        for field in row {
            b.bytes.append(contentsOf: field.utf8)
            b.endField()
        }
        b.endRow()
    }
    return b
}

/// A fixture CSV without quoted fields: its header and its rows as one batch.
func csvBatch(_ path: String) throws -> (header: [String], batch: TextBatch) {
    let text = try String(contentsOfFile: fixture(path), encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    let header = lines.removeFirst()
    return (header, textBatch(lines, columns: header.count))
}

/// The churn models' inputs, as the LightGBM model reads them (category names in training order).
let churnFeatures: [ModelFeature] = [
    ModelFeature(name: "age", kind: .numeric),
    ModelFeature(name: "income", kind: .numeric),
    ModelFeature(name: "tenure_months", kind: .numeric),
    ModelFeature(name: "balance", kind: .numeric),
    ModelFeature(name: "num_products", kind: .numeric),
    ModelFeature(name: "last_login_days", kind: .numeric),
    ModelFeature(name: "has_card", kind: .numeric),
    ModelFeature(name: "region", kind: .categorical(categories: ["east", "north", "south", "west"])),
    ModelFeature(name: "plan", kind: .categorical(categories: ["basic", "plus", "premium"])),
]

/// Encodes a whole batch for `features`.
func encoded(_ batch: TextBatch, header: [String], features: [ModelFeature]) throws -> FeatureMatrix {
    let encoder = try FeatureEncoder(features: features, header: header)
    var matrix = FeatureMatrix(rows: 0, features: features.count)
    try encoder.encode(batch, into: &matrix)
    return matrix
}

/// A matrix of the given rows.
func matrix(_ rows: [[Double]]) -> FeatureMatrix {
    var m = FeatureMatrix(rows: rows.count, features: rows.first?.count ?? 0)
    for (r, row) in rows.enumerated() { for (f, v) in row.enumerated() { m[r, f] = v } }
    return m
}

/// Rows `range` of `m`.
func rows(_ m: FeatureMatrix, _ range: Range<Int>) -> FeatureMatrix {
    var out = FeatureMatrix(rows: range.count, features: m.stride)
    out.values = Array(m.values[(range.lowerBound * m.stride)..<(range.upperBound * m.stride)])
    return out
}
