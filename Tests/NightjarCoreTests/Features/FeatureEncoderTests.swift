import Testing
@testable import NightjarCore

@Suite struct FeatureEncoderTests {
    func batch(_ rows: [[String]]) -> TextBatch {
        var b = TextBatch(columnCount: rows.first?.count ?? 0)
        for row in rows {
            for field in row {
                b.bytes.append(contentsOf: field.utf8)
                b.endField()
            }
            b.endRow()
        }
        return b
    }

    let features = [
        ModelFeature(name: "x", kind: .numeric),
        ModelFeature(name: "color", kind: .categorical(categories: ["red", "green", "blue"])),
    ]

    @Test func matchesColumnsByNameAndRecodesInTrainingOrder() throws {
        let encoder = try FeatureEncoder(features: features, header: ["id", "color", "x", "extra"])
        var matrix = FeatureMatrix(rows: 0, features: 2)
        try encoder.encode(batch([["a", "blue", "1.5", "z"], ["b", "red", "", "z"], ["c", "purple", "NaN", "z"], ["d", "", "-2", "z"]]), into: &matrix)
        #expect(matrix[0, 0] == 1.5 && matrix[0, 1] == 2)
        #expect(matrix[1, 0].isNaN && matrix[1, 1] == 0)
        #expect(matrix[2, 0].isNaN && matrix[2, 1].isNaN)  // unseen category: missing
        #expect(matrix[3, 0] == -2 && matrix[3, 1].isNaN)   // empty category: missing
    }

    @Test func missingColumnsAreNamed() {
        #expect { try FeatureEncoder(features: features, header: ["id", "y"]) } throws: { error in
            let text = "\(error)"
            return text.contains("'x'") && text.contains("'color'") && text.contains("id, y")
        }
    }

    @Test func nonNumericValueNamesRowAndColumn() throws {
        let encoder = try FeatureEncoder(features: features, header: ["x", "color"])
        var matrix = FeatureMatrix(rows: 0, features: 2)
        #expect { try encoder.encode(batch([["1", "red"], ["abc", "red"]]), into: &matrix) } throws: { error in
            guard let e = error as? EncodingError else { return false }
            return e.row == 1 && e.column == "x" && e.value == "abc" && e.reason == .notANumber
        }
    }

    /// Numeric features are read row by row in input-column order: each value must still land at
    /// its model feature's index, and the error names the first bad row, leftmost column there.
    @Test func numericFeaturesInAnotherOrderThanTheInput() throws {
        let model = (0..<5).map { ModelFeature(name: "n\($0)", kind: .numeric) }
        let header = ["n3", "id", "n0", "n4", "n2", "n1"]
        let encoder = try FeatureEncoder(features: model, header: header)
        var matrix = FeatureMatrix(rows: 0, features: 5)
        let rows = (0..<300).map { r in ["\(r).3", "k", "\(r).0", "\(r).4", "\(r).2", "\(r).1"] }
        try encoder.encode(batch(rows), into: &matrix)
        for r in [0, 7, 255, 256, 299] {
            for f in 0..<5 { #expect(matrix[r, f] == Double("\(r).\(f)")!, "row \(r) feature \(f)") }
        }
        var bad = rows
        bad[270][4] = "oops2"
        bad[270][3] = "oops4"
        bad[280][0] = "oops3"
        #expect { try encoder.encode(batch(bad), into: &matrix) } throws: { error in
            guard let e = error as? EncodingError else { return false }
            return e.row == 270 && e.column == "n4" && e.value == "oops4"
        }
    }

    @Test func numericCategoriesAndCodes() throws {
        let numeric = [ModelFeature(name: "k", kind: .categorical(categories: ["10", "3", "7"]))]
        let encoder = try FeatureEncoder(features: numeric, header: ["k"])
        var matrix = FeatureMatrix(rows: 0, features: 1)
        try encoder.encode(batch([["3"], ["7.0"], ["11"]]), into: &matrix)
        #expect(matrix[0, 0] == 1 && matrix[1, 0] == 2 && matrix[2, 0].isNaN)

        let codes = [ModelFeature(name: "k", kind: .categorical(categories: nil))]
        let codeEncoder = try FeatureEncoder(features: codes, header: ["k"])
        try codeEncoder.encode(batch([["2"]]), into: &matrix)
        #expect(matrix[0, 0] == 2)
        #expect { try codeEncoder.encode(batch([["red"]]), into: &matrix) } throws: { error in
            (error as? EncodingError)?.reason == .noCategoryNames
        }
    }
}
