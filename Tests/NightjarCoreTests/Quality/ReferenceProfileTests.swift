import Foundation
import Testing
@testable import NightjarCore

@Suite struct ReferenceProfileTests {
    @Test func quantileEdgesOfOneToHundred() {
        var builder = ReferenceProfileBuilder(features: [ModelFeature(name: "n", kind: .numeric)])
        builder.add(matrix((1...100).map { [Double($0)] } + [[.nan]]))
        let f = builder.build().features[0]
        // Lower quantile at k/10: sorted[ceil(k·100/10) − 1] = k·10; bins (−∞,10], (10,20], …, (90,∞).
        #expect(f.edges == [10, 20, 30, 40, 50, 60, 70, 80, 90])
        #expect(f.counts == [Int](repeating: 10, count: 10))
        #expect(f.count == 100 && f.nulls == 1)
        #expect(f.mean == 50.5 && f.min == 1 && f.max == 100)
        #expect(f.kind == .numeric && f.categories == nil)
    }

    @Test func repeatedValuesGiveFewerEdges() {
        var builder = ReferenceProfileBuilder(features: [ModelFeature(name: "flag", kind: .numeric)], bins: 10)
        builder.add(matrix([[Double]](repeating: [0], count: 60) + [[Double]](repeating: [1], count: 40)))
        let f = builder.build().features[0]
        // Quantiles 0 (×6) and 1 (×3): 0 once, 1 dropped as the maximum.
        #expect(f.edges == [0])
        #expect(f.counts == [60, 40])
        // Four bins of 1…10: edges at ranks ceil(k·10/4) = 3, 5, 8.
        #expect(BinEdges.quantileEdges(sorted: (1...10).map(Double.init), bins: 4) == [3, 5, 8])
    }

    @Test func categoricalCounts() {
        let features = [
            ModelFeature(name: "c", kind: .categorical(categories: ["a", "b", "c"])),
            ModelFeature(name: "t", kind: .text(vocabulary: ["x", "y"])),
            ModelFeature(name: "k", kind: .categorical(categories: nil)),
        ]
        var builder = ReferenceProfileBuilder(features: features)
        builder.add(matrix([[0, 0, 7], [0, 2, 3], [1, 2, 3], [.nan, 2, .nan], [5, 1, 7], [2.5, 0, 3]]))
        let p = builder.build()
        #expect(p.rows == 6)
        // a ×2, b ×1, c ×0, other (5 and 2.5) ×2; one missing.
        #expect(p.features[0].categories == ["a", "b", "c"] && p.features[0].counts == [2, 1, 0, 2])
        #expect(p.features[0].count == 5 && p.features[0].nulls == 1 && p.features[0].codes == nil)
        // Code 2 = vocabulary.count: the "other" bin.
        #expect(p.features[1].categories == ["x", "y"] && p.features[1].counts == [2, 1, 3])
        // No names: the codes seen, increasing.
        #expect(p.features[2].categories == ["3", "7"] && p.features[2].codes == [3, 7] && p.features[2].counts == [3, 2, 0])
        #expect(p.features[2].nulls == 1 && p.features[2].mean == nil)
    }

    @Test func predictionProfile() {
        var builder = ReferenceProfileBuilder(features: [ModelFeature(name: "n", kind: .numeric)], bins: 4)
        builder.add(matrix([[1], [2], [3], [4]]))
        // Two output columns per row; column 0 profiled.
        builder.addPredictions([0.1, 9, 0.2, 9, 0.3, 9, 0.6, 9], stride: 2, column: 0, name: "probability")
        let p = builder.build().prediction!
        #expect(p.column == "probability" && p.columnIndex == 0)
        #expect(p.edges == [0.1, 0.2, 0.3] && p.counts == [1, 1, 1, 1])
        #expect(abs(p.mean - 0.3) < 1e-12)
    }

    @Test func jsonRoundTrip() throws {
        let (header, train) = try csvBatch("churn/train_sample.csv")
        var builder = ReferenceProfileBuilder(features: churnFeatures)
        let m = try encoded(train, header: header, features: churnFeatures)
        builder.add(m)
        builder.addPredictions(m.values, stride: m.stride, column: 4, name: "prediction")  // any column will do
        var codes = ReferenceProfileBuilder(features: [ModelFeature(name: "k", kind: .categorical(categories: nil))])
        codes.add(matrix([[3], [1], [.nan]]))

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for profile in [builder.build(), codes.build()] {
            let data = try encoder.encode(profile)
            #expect(try JSONDecoder().decode(ReferenceProfile.self, from: data) == profile)
        }
        let text = String(decoding: try encoder.encode(builder.build()), as: UTF8.self)
        #expect(text.contains(#""column_index":4"#))
        #expect(text.contains(#""categories":["east","north","south","west"]"#))
        #expect(String(decoding: try encoder.encode(codes.build()), as: UTF8.self).contains(#""codes":[1,3]"#))
    }
}
