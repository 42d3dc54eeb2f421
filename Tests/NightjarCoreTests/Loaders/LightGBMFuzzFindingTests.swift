import Foundation
import Testing
@testable import NightjarCore

/// Inputs the coverage-guided fuzzer (fuzz/) found to crash the LightGBM text loader, kept in
/// fixtures/fuzz/, and the loader's other counts and indices taken from the file that could trap
/// the same way: each must be refused with one clear line, never a trap.
@Suite struct LightGBMFuzzFindingTests {
    /// A mutated multiclass model whose first tree says num_leaves=1000000000002 over a line of
    /// 15 values: the loader reserved room for 10^12 doubles (8 TB) before counting them.
    @Test func aHugeLeafCountIsRefused() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("fuzz/lightgbm-num-leaves-huge.txt")))
        let error = #expect(throws: ModelError.self) { try ModelLoader.load(data: data, path: "found.txt") }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("found.txt: malformed LightGBM text model: line ") && text.contains("'leaf_value' has ")
                && text.contains(", expected 1000000000002") && !text.contains("\n"), "\(text)")
        #expect(text.utf8.count < 400, "\(text)")
    }

    /// A small valid model with one categorical and one numeric split; the tests below damage one line.
    static let model = """
        tree
        version=v4
        num_class=1
        num_tree_per_iteration=1
        label_index=0
        max_feature_idx=1
        objective=binary sigmoid:1
        feature_names=a b
        feature_infos=[0:1] 0:1:2

        Tree=0
        num_leaves=3
        num_cat=1
        split_feature=1 0
        threshold=0 0.5
        decision_type=1 2
        left_child=-1 -2
        right_child=1 -3
        leaf_value=0.1 0.2 0.30000000000000004
        cat_boundaries=0 1
        cat_threshold=5
        is_linear=0
        shrinkage=1


        end of trees

        pandas_categorical:null

        """

    static func refusal(_ from: String, _ to: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        #expect(model.contains(from), "the model has no \(from)", sourceLocation: sourceLocation)
        let text = model.replacingOccurrences(of: from, with: to)
        do {
            let m = try ModelLoader.load(data: Data(text.utf8), path: "bad.txt")
            Issue.record("\(to) was accepted: \(m.summary)", sourceLocation: sourceLocation)
            return ""
        } catch {
            let d = "\(error)"
            #expect(d.hasPrefix("bad.txt: malformed LightGBM text model: line ") && !d.contains("\n"), "\(d)", sourceLocation: sourceLocation)
            return d
        }
    }

    @Test func theUndamagedModelLoadsAndScores() throws {
        let m = try ModelLoader.load(data: Data(Self.model.utf8), path: "good.txt")
        #expect(m.features.map(\.name) == ["a", "b"])
        #expect(m.features[1].kind == .categorical(categories: nil))
        #expect(m.forest?.treeCount == 1)
    }

    /// The leaf count drives an allocation: a value past what the line holds is refused by count.
    @Test func leafCountsBeyondTheLineAreRefused() {
        for leaves in ["4", "1000000000000", "9223372036854775807"] {
            let text = Self.refusal("num_leaves=3", "num_leaves=\(leaves)")
            #expect(text.contains("'leaf_value' has 3 values, expected \(leaves)"), "\(leaves): \(text)")
        }
    }

    /// max_feature_idx + 1 overflowed at Int.max; a negative one is no model either.
    @Test func aFeatureIndexOutOfRangeIsRefused() {
        for idx in ["9223372036854775807", "-1", "-9223372036854775808", "2147483647"] {
            let text = Self.refusal("max_feature_idx=1", "max_feature_idx=\(idx)")
            #expect(text.contains("max_feature_idx=\(idx), expected 0 to 2147483646"), "\(idx): \(text)")
        }
    }

    /// num_cat + 1 overflowed at Int.max; more categorical splits than splits is damage.
    @Test func aCategoricalCountOutOfRangeIsRefused() {
        for n in ["9223372036854775807", "3", "-1"] {
            let text = Self.refusal("num_cat=1", "num_cat=\(n)")
            #expect(text.contains("num_cat=\(n), but the tree has 2 splits"), "\(n): \(text)")
        }
    }

    /// A child of Int.min overflowed internalCount + ~c; any child outside the tree is named.
    @Test func aChildOutsideTheTreeIsRefused() {
        for (from, to, key) in [("left_child=-1 -2", "left_child=-9223372036854775808 -2", "left_child"),
                                ("right_child=1 -3", "right_child=1 -4", "right_child"),
                                ("right_child=1 -3", "right_child=2 -3", "right_child")] {
            let text = Self.refusal(from, to)
            #expect(text.contains("'\(key)' holds ") && text.contains("outside -3 to 1"), "\(to): \(text)")
        }
    }

    /// A categorical split's threshold indexes cat_boundaries: Int(_:) of NaN, inf or 1e300 trapped.
    @Test func aCategoricalThresholdThatIsNoIndexIsRefused() {
        for t in ["nan", "inf", "-inf", "1e300", "0.5", "9.2233720368547758e18"] {
            let text = Self.refusal("threshold=0 0.5", "threshold=\(t) 0.5")
            #expect(text.contains("categorical split 0 has threshold ") && text.contains("not an index into cat_boundaries"),
                    "\(t): \(text)")
        }
        let outside = Self.refusal("threshold=0 0.5", "threshold=1 0.5")
        #expect(outside.contains("categorical split 0 points outside cat_boundaries"), "\(outside)")
    }

    /// A negative cat_boundaries entry sliced cat_threshold from a negative index: a trap.
    @Test func aNegativeCategoryBoundaryIsRefused() {
        let text = Self.refusal("cat_boundaries=0 1", "cat_boundaries=-1 1")
        #expect(text.contains("categorical split 0 points outside cat_boundaries"), "\(text)")
    }

    /// Values quoted from the file are escaped and cut, so the error stays one short line.
    @Test func aQuotedValueStaysOneShortLine() {
        let long = String(repeating: "x", count: 100_000)
        let text = Self.refusal("leaf_value=0.1 ", "leaf_value=\(long)\r1 ")
        #expect(text.contains("'leaf_value' holds 'xxx") && text.contains("(100002 bytes)") && text.utf8.count < 400, "\(text.prefix(500))")
    }
}
