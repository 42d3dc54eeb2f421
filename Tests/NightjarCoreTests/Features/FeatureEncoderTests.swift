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
