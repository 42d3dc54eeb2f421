import Foundation
import Testing
@testable import NightjarCore

/// The fast contributions engine (`TreeShapPlan`) against the recursion it replaces (TreeSHAP's
/// Algorithm 2, computed in double), on random forests: repeated features along a path, every
/// missing type, categorical splits, NaN and values equal to thresholds, several output groups,
/// block boundaries, and trees deep enough for every lane width. The fixture models against the
/// libraries themselves are in ContributionParityTests.
@Suite struct TreeShapPlanTests {
    /// Random positive covers, each internal node's the sum of its children's (as the libraries
    /// write them).
    static func withCovers(_ tree: [TreeNode], _ rng: inout SplitMix) -> [TreeNode] {
        var nodes = tree
        func fill(_ i: Int) -> Double {
            if nodes[i].left < 0 {
                nodes[i].cover = Double(Int.random(in: 1...200, using: &rng))
            } else {
                nodes[i].cover = fill(nodes[i].left) + fill(nodes[i].right)
            }
            return nodes[i].cover!
        }
        _ = fill(0)
        return nodes
    }

    /// A path of `depth` splits on distinct features (each with a leaf on the other side): its
    /// leaf at the end has `depth` unique features, so the plan needs `depth / 2` points.
    static func caterpillar(depth: Int, features: Int, _ rng: inout SplitMix) -> [TreeNode] {
        var nodes: [TreeNode] = []
        for d in 0..<depth {
            let split = TreeNode.Split.numeric(feature: d % features, threshold: Double.random(in: -1...1, using: &rng),
                                               defaultLeft: Bool.random(using: &rng), missing: .nan)
            let me = nodes.count
            nodes.append(TreeNode(split: split, left: me + 1, right: me + 2))
            nodes.append(.leaf(Double.random(in: -1...1, using: &rng)))
            nodes[me] = Bool.random(using: &rng) ? TreeNode(split: split, left: me + 1, right: me + 2)
                : TreeNode(split: split, left: me + 2, right: me + 1)
        }
        nodes.append(.leaf(Double.random(in: -1...1, using: &rng)))
        return nodes
    }

    /// A complete tree of depth 6 whose k-th split (preorder) is on feature `k % features`.
    static func complete(features: Int, _ rng: inout SplitMix) -> [TreeNode] {
        var nodes: [TreeNode] = [], splits = 0
        func build(_ depth: Int) -> Int {
            let me = nodes.count
            nodes.append(.leaf(Double.random(in: -1...1, using: &rng)))
            guard depth < 6 else { return me }
            let split = TreeNode.Split.numeric(feature: splits % features, threshold: Double.random(in: -1...1, using: &rng),
                                               defaultLeft: Bool.random(using: &rng), missing: .nan)
            splits += 1
            let l = build(depth + 1), r = build(depth + 1)
            nodes[me] = TreeNode(split: split, left: l, right: r)
            return me
        }
        _ = build(0)
        return nodes
    }

    /// Checks the plan with its shallow trees' tables and without (every tree walked); returns
    /// how many trees the tables served, and how many trees have a split.
    @discardableResult
    func check(_ semantics: Forest.Semantics, groups: Int, features: Int, maxDepth: Int, trees treeCount: Int,
               categorical: Set<Int> = [], caterpillars: [Int] = [], completeOver: [Int] = [], tolerance: Double = 1e-11,
               seed: UInt64) throws -> (served: Int, split: Int) {
        var rng = SplitMix(state: seed)
        let pool: [[Double]] = (0..<features).map { _ in
            var p = (0..<12).map { _ in Double.random(in: -2...2, using: &rng) }
            p.append(0)
            return p
        }
        var trees = (0..<treeCount).map { _ in
            Self.withCovers(BinnedForestTests.randomTree(&rng, features: features, pool: pool,
                                                          maxDepth: Int.random(in: 0...maxDepth, using: &rng),
                                                          missing: [.none, .zero, .nan], categorical: categorical), &rng)
        }
        for depth in caterpillars { trees.append(Self.withCovers(Self.caterpillar(depth: depth, features: features, &rng), &rng)) }
        for n in completeOver { trees.append(Self.withCovers(Self.complete(features: n, &rng), &rng)) }
        while trees.count % groups != 0 { trees.append(Self.withCovers([.leaf(0.5)], &rng)) }
        let forest = try Forest(semantics: semantics, trees: trees, groups: (0..<trees.count).map { $0 % groups },
                                outputGroups: groups, baseMargins: (0..<groups).map { Double($0) * 0.25 - 0.3 },
                                averageOutput: false, featureCount: features)
        let tabled = try #require(TreeShapPlan(forest))
        let walked = try #require(TreeShapPlan(forest, shallowTables: false))
        #expect(walked.shallow.servedCount == 0)
        let width = features + 1
        for plan in [tabled, walked] {
        for rows in [1, TreeShapPlan.block - 1, TreeShapPlan.block, TreeShapPlan.block + 1, 300] {
            let stride = features + 1
            let x = (0..<(rows * stride)).map { i in
                categorical.contains(i % stride) ? BinnedForestTests.randomCategory(&rng)
                    : BinnedForestTests.randomValue(&rng, pool: pool[i % stride % features])
            }
            var fast = [Double](repeating: .nan, count: rows * groups * width)
            var reference = [Double](repeating: .nan, count: rows * groups * width)
            x.withUnsafeBufferPointer { x in
                fast.withUnsafeMutableBufferPointer {
                    plan.computeContributions(features: x.baseAddress!, stride: stride, rows: rows, contributions: $0.baseAddress!)
                }
                reference.withUnsafeMutableBufferPointer {
                    forest.contributionsLightGBM(features: x.baseAddress!, stride: stride, rows: rows, contributions: $0.baseAddress!)
                }
            }
            var worst = 0.0, worstBias = 0.0
            for r in 0..<rows {
                for g in 0..<groups {
                    for i in 0..<width {
                        let a = fast[(r * groups + g) * width + i], b = reference[(r * groups + g) * width + i]
                        let d = abs(a - b) / max(1, abs(b))
                        if i == features { worstBias = max(worstBias, d) } else { worst = max(worst, d) }
                        #expect(a.isFinite)
                    }
                }
            }
            #expect(worst <= tolerance, "\(semantics) \(rows) rows, \(plan.shallow.servedCount) trees tabled: features \(worst)")
            // Efficiency: a row's values sum to its margin (the trees' leaves, in double, plus the base).
            if semantics == .lightgbm {
                for r in 0..<rows {
                    for g in 0..<groups {
                        var margin = forest.baseMargins[g]
                        for t in 0..<forest.treeCount where Int(forest.treeGroup[t]) == g {
                            var n = Int(forest.treeRoot[t])
                            while forest.feature[n] >= 0 {
                                n = forest.goesLeft(n, x.withUnsafeBufferPointer { $0.baseAddress! } + r * stride) ? Int(forest.left[n]) : Int(forest.right[n])
                            }
                            margin += forest.value[n]
                        }
                        let sum = (0..<width).reduce(0.0) { $0 + fast[(r * groups + g) * width + $1] }
                        #expect(abs(sum - margin) <= 1e-9 * max(1, abs(margin)), "row \(r): \(sum) vs \(margin)")
                    }
                }
            }
            // XGBoost's bias is its float32 sum of the trees' means (as XGBoost); LightGBM's in double.
            #expect(worstBias <= (semantics == .xgboost ? 1e-5 : 1e-12), "\(semantics) \(rows) rows: bias \(worstBias)")
        }
        }
        return (tabled.shallow.servedCount, trees.filter { $0.count > 1 }.count)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func lightgbmForestsMatchTheRecursion(_ seed: UInt64) throws {
        try check(.lightgbm, groups: 1, features: 7, maxDepth: 12, trees: 40, seed: seed)
    }

    @Test(arguments: [UInt64(4), 5])
    func xgboostForestsMatchTheRecursion(_ seed: UInt64) throws {
        try check(.xgboost, groups: 1, features: 7, maxDepth: 12, trees: 40, seed: seed)
    }

    @Test func multiClassAndCategoricalMatchTheRecursion() throws {
        try check(.lightgbm, groups: 3, features: 7, maxDepth: 10, trees: 30, categorical: [2, 5], seed: 6)
        try check(.xgboost, groups: 3, features: 7, maxDepth: 10, trees: 30, categorical: [1], seed: 7)
    }

    /// Trees of depth ≤ 7 (every leaf within 128 entries) on at most 16 features are all tabled,
    /// and deeper ones on few features; others are walked, in the same forest.
    @Test func shallowTreesAreTabled() throws {
        for (semantics, groups, categorical, seed) in [(Forest.Semantics.lightgbm, 1, Set<Int>(), UInt64(21)),
                                                      (.xgboost, 1, [], 22), (.lightgbm, 3, [1, 4], 23), (.xgboost, 2, [3], 24)] {
            let (served, split) = try check(semantics, groups: groups, features: 9, maxDepth: 7, trees: 60,
                                            categorical: categorical, seed: seed)
            #expect(served == split && split >= 40, "\(semantics): \(served) of \(split) trees with a split tabled")
        }
        // Complete depth-6 trees on 16 features (lanes of 16) are tabled, on 17 walked.
        #expect(try check(.lightgbm, groups: 1, features: 40, maxDepth: 0, trees: 1, completeOver: [16, 4, 17], seed: 25).served == 2)
        // A leaf with 8 features split above it fits no subtree of ≤ 7 index bits: walked.
        #expect(try check(.xgboost, groups: 1, features: 8, maxDepth: 0, trees: 1, caterpillars: [9, 7], seed: 26).served == 1)
        // Deep trees on few features: the bits count features above a subtree, not splits.
        #expect(try check(.lightgbm, groups: 1, features: 3, maxDepth: 0, trees: 1, caterpillars: [12, 20], seed: 27).served == 2)
        let (served, split) = try check(.xgboost, groups: 2, features: 4, maxDepth: 12, trees: 40, categorical: [2], seed: 28)
        #expect(served == split && split >= 30, "\(served) of \(split) trees with a split tabled")
    }

    /// Paths with up to 63 unique features: lane widths 2 to 32.
    @Test func deepPathsUseWiderLanes() throws {
        try check(.lightgbm, groups: 1, features: 70, maxDepth: 6, trees: 5, caterpillars: [1, 3, 7, 15, 31], seed: 8)
        try check(.lightgbm, groups: 1, features: 70, maxDepth: 6, trees: 2, caterpillars: [63], tolerance: 1e-8, seed: 11)
        try check(.xgboost, groups: 2, features: 40, maxDepth: 16, trees: 6, caterpillars: [20, 40], seed: 9)
    }

    /// 126 unique features on a path (64 lanes): the recursion and the plan part ways there (by up
    /// to the values' own size; which one loses its digits is not settled here), so only what
    /// must hold is checked: the plan's values sum to the margin.
    @Test func the64LanePathsSumToTheMargin() throws {
        try check(.lightgbm, groups: 1, features: 130, maxDepth: 4, trees: 2, caterpillars: [126], tolerance: .infinity, seed: 12)
    }

    /// Deeper than 128 unique features: no plan (the recursion serves such a model).
    @Test func tooDeepHasNoPlan() throws {
        var rng = SplitMix(state: 10)
        let forest = try Forest(semantics: .lightgbm, trees: [Self.withCovers(Self.caterpillar(depth: 140, features: 140, &rng), &rng)],
                                groups: [0], outputGroups: 1, baseMargins: [0], averageOutput: false, featureCount: 140)
        #expect(TreeShapPlan(forest) == nil)
    }

    /// Gauss–Legendre on [0, 1] with q points integrates t^k exactly up to k = 2q − 1.
    @Test func quadratureIsExactToItsDegree() {
        for q in 1...40 {
            let (t, w) = TreeShapPlan.gaussLegendre(q)
            for k in 0...(2 * q - 1) {
                var sum = 0.0
                for i in 0..<q { sum += w[i] * pow(t[i], Double(k)) }
                #expect(abs(sum - 1 / Double(k + 1)) <= 1e-13, "q \(q), t^\(k): \(sum)")
            }
        }
    }
}
