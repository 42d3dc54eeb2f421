import Testing
@testable import NightjarCore

/// Split semantics of each library on hand-built one-split trees.
@Suite struct ForestTests {
    /// One split on feature 0 with leaves left = 1, right = 2.
    func margin(_ semantics: Forest.Semantics, _ split: TreeNode.Split, _ x: Double) throws -> Double {
        let forest = try Forest(semantics: semantics,
                                trees: [[TreeNode(split: split, left: 1, right: 2), .leaf(1), .leaf(2)]],
                                groups: [0], outputGroups: 1, baseMargins: [0], averageOutput: false, featureCount: 1)
        var out = [0.0]
        [x].withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { forest.computeMargins(features: f.baseAddress!, stride: 1, rows: 1, margins: $0.baseAddress!) }
        }
        return out[0]
    }

    @Test func xgboostComparesLessThanInFloat32() throws {
        let split = TreeNode.Split.numeric(feature: 0, threshold: Double(Float(0.1)), defaultLeft: false, missing: .nan)
        #expect(try margin(.xgboost, split, 0.05) == 1)
        #expect(try margin(.xgboost, split, Double(Float(0.1))) == 2)  // equal goes right
        // 0.1 as a double is above float(0.1)'s double value, but equal to it in float32: goes right.
        #expect(try margin(.xgboost, split, 0.1) == 2)
        // Just below the threshold in double, but rounds to it in float32: right.
        #expect(try margin(.xgboost, split, Double(Float(0.1)) - 1e-12) == 2)
        #expect(try margin(.xgboost, split, .nan) == 2)
        let defaultLeft = TreeNode.Split.numeric(feature: 0, threshold: 0.5, defaultLeft: true, missing: .nan)
        #expect(try margin(.xgboost, defaultLeft, .nan) == 1)
    }

    @Test func lightgbmComparesLessOrEqualInDouble() throws {
        let split = TreeNode.Split.numeric(feature: 0, threshold: 0.1, defaultLeft: false, missing: .nan)
        #expect(try margin(.lightgbm, split, 0.1) == 1)  // equal goes left
        #expect(try margin(.lightgbm, split, 0.1.nextUp) == 2)
        #expect(try margin(.lightgbm, split, .nan) == 2)
    }

    @Test func lightgbmMissingTypes() throws {
        // None: NaN is read as 0 and compared.
        let none = TreeNode.Split.numeric(feature: 0, threshold: -1, defaultLeft: true, missing: .none)
        #expect(try margin(.lightgbm, none, .nan) == 2)  // 0 > -1: right, default ignored
        // Zero: 0, tiny values and NaN take the default direction.
        let zero = TreeNode.Split.numeric(feature: 0, threshold: -1, defaultLeft: true, missing: .zero)
        #expect(try margin(.lightgbm, zero, 0) == 1)
        #expect(try margin(.lightgbm, zero, 1e-36) == 1)
        #expect(try margin(.lightgbm, zero, .nan) == 1)
        #expect(try margin(.lightgbm, zero, 1e-30) == 2)
        // NaN: only NaN takes the default; 0 compares.
        let nan = TreeNode.Split.numeric(feature: 0, threshold: -1, defaultLeft: true, missing: .nan)
        #expect(try margin(.lightgbm, nan, .nan) == 1)
        #expect(try margin(.lightgbm, nan, 0) == 2)
    }

    @Test func xgboostCategoryInSetGoesRight() throws {
        // Set {1, 33}; NaN follows default_left.
        let split = TreeNode.Split.categorical(feature: 0, bitset: [1 << 1, 1 << 1], inSetGoesLeft: false, missingGoesLeft: true)
        #expect(try margin(.xgboost, split, 1) == 2)
        #expect(try margin(.xgboost, split, 33) == 2)
        #expect(try margin(.xgboost, split, 0) == 1)
        #expect(try margin(.xgboost, split, 100) == 1)  // past the bitset: not in the set
        #expect(try margin(.xgboost, split, -1) == 1)   // invalid category: left
        #expect(try margin(.xgboost, split, .nan) == 1)
    }

    @Test func lightgbmCategoryInSetGoesLeft() throws {
        let split = TreeNode.Split.categorical(feature: 0, bitset: [0b101], inSetGoesLeft: true, missingGoesLeft: false)
        #expect(try margin(.lightgbm, split, 0) == 1)
        #expect(try margin(.lightgbm, split, 2) == 1)
        #expect(try margin(.lightgbm, split, 1) == 2)
        #expect(try margin(.lightgbm, split, 64) == 2)
        #expect(try margin(.lightgbm, split, -3) == 2)
        #expect(try margin(.lightgbm, split, .nan) == 2)
        #expect(try margin(.lightgbm, split, -0.5) == 1)  // truncated to category 0, as LightGBM's int cast
    }

    @Test func averageOutputAndGroups() throws {
        let forest = try Forest(semantics: .lightgbm, trees: [[.leaf(1)], [.leaf(10)], [.leaf(3)], [.leaf(30)]],
                                groups: [0, 1, 0, 1], outputGroups: 2, baseMargins: [0, 0], averageOutput: true, featureCount: 1)
        var out = [0.0, 0.0]
        [0.0].withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { forest.computeMargins(features: f.baseAddress!, stride: 1, rows: 1, margins: $0.baseAddress!) }
        }
        #expect(out == [2, 20])
    }

    @Test func malformedTreesAreRefused() {
        #expect(throws: ForestError.self) {
            try Forest(semantics: .xgboost, trees: [[TreeNode(split: .numeric(feature: 0, threshold: 0, defaultLeft: true, missing: .nan), left: 1, right: 5), .leaf(0)]],
                       groups: [0], outputGroups: 1, baseMargins: [0], averageOutput: false, featureCount: 1)
        }
        #expect(throws: ForestError.self) {
            try Forest(semantics: .xgboost, trees: [[TreeNode(split: .numeric(feature: 3, threshold: 0, defaultLeft: true, missing: .nan), left: 1, right: 2), .leaf(0), .leaf(1)]],
                       groups: [0], outputGroups: 1, baseMargins: [0], averageOutput: false, featureCount: 1)
        }
    }
}
