import Testing
@testable import NightjarCore

/// The fast layout (`BinnedForest`) against the straightforward kernels, bit for bit, on random
/// forests and random rows with NaN, ±0, infinities and values equal to thresholds.
@Suite struct BinnedForestTests {
    /// A random tree over `features` features whose thresholds come from `pool` (so features share
    /// cut points across trees, as real models do), of depth at most `maxDepth`.
    static func randomTree(_ rng: inout SplitMix, features: Int, pool: [[Double]], maxDepth: Int,
                           missing: [MissingType], onnx: Bool = false, votes: Int = 0, equal: Bool = true,
                           categorical: Set<Int> = []) -> [TreeNode] {
        var nodes: [TreeNode] = []
        func build(_ depth: Int) -> Int {
            let index = nodes.count
            nodes.append(.leaf(0))
            if depth == maxDepth || (depth > 0 && Int.random(in: 0..<4, using: &rng) == 0) {
                if votes > 0 {
                    // Each output at most once, in random order, some left out.
                    let outputs = (0..<votes).shuffled(using: &rng).prefix(Int.random(in: 1...votes, using: &rng))
                    nodes[index] = TreeNode(split: .leafWeights(outputs: Array(outputs),
                                                                weights: outputs.map { _ in Double.random(in: -1...1, using: &rng) }))
                } else {
                    nodes[index] = .leaf(Double.random(in: -1...1, using: &rng))
                }
                return index
            }
            let f = Int.random(in: 0..<features, using: &rng)
            let t = pool[f].randomElement(using: &rng)!
            let split = categorical.contains(f)
                // Category sets over codes 0..<40 (one or two words, sometimes a trailing zero word).
                ? TreeNode.Split.categorical(feature: f,
                                             bitset: (0..<Int.random(in: 1...3, using: &rng)).map { w in
                                                 w == 2 ? 0 : UInt32.random(in: 0...UInt32.max, using: &rng) & (w == 1 ? 0xFF : ~0) },
                                             inSetGoesLeft: Bool.random(using: &rng), missingGoesLeft: Bool.random(using: &rng))
                : onnx
                ? TreeNode.Split.compare(feature: f, threshold: t,
                                         op: [.less, .lessOrEqual, .lessOrEqual, equal ? .equal : .less].randomElement(using: &rng)!,
                                         nanGoesLeft: Bool.random(using: &rng))
                : TreeNode.Split.numeric(feature: f, threshold: t, defaultLeft: Bool.random(using: &rng),
                                         missing: missing.randomElement(using: &rng)!)
            let l = build(depth + 1)
            let r = build(depth + 1)
            nodes[index] = TreeNode(split: split, left: l, right: r)
            return index
        }
        _ = build(0)
        return nodes
    }

    /// A category code, or what a categorical column may hold besides: NaN, negatives, fractions,
    /// codes beyond every set, values too large for an integer code.
    static func randomCategory(_ rng: inout SplitMix) -> Double {
        switch Int.random(in: 0..<12, using: &rng) {
        case 0: return .nan
        case 1: return [-1, -0.5, -0.0, 0.5, 2.7, 39.999, 64, 1e7, 16_777_216, 3e9, .infinity, -.infinity].randomElement(using: &rng)!
        default: return Double(Int.random(in: 0..<40, using: &rng))
        }
    }

    static func randomValue(_ rng: inout SplitMix, pool: [Double]) -> Double {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return .nan
        case 1: return pool.randomElement(using: &rng)!  // exactly a threshold
        case 2: return Double(Float(pool.randomElement(using: &rng)!)).nextUp  // float32-equal, double-above
        case 3: return [0.0, -0.0, .infinity, -.infinity, 1e-36, -1e-36].randomElement(using: &rng)!
        default: return Double.random(in: -3...3, using: &rng)
        }
    }

    func check(_ semantics: Forest.Semantics, groups: Int, missing: [MissingType], average: Bool, seed: UInt64,
               votes: Int = 0, cuts: Int = 12, categorical: Set<Int> = [], everyCut: Bool = false) throws -> Forest {
        var onnx = false
        if case .onnx = semantics { onnx = true }
        var rng = SplitMix(state: seed)
        let features = 7
        // Per-feature pools with near-duplicates: thresholds that are equal in float32 but not in double.
        let pool: [[Double]] = (0..<features).map { _ in
            var p = (0..<cuts).map { _ in Double.random(in: -2...2, using: &rng) }
            p.append(Double(Float(p[0])).nextUp)
            p.append(0)
            return p
        }
        let treeCount = (cuts > 200 ? 200 : 40) * groups
        var trees = (0..<treeCount).map { _ in
            Self.randomTree(&rng, features: features, pool: pool, maxDepth: Int.random(in: 0...12, using: &rng), missing: missing,
                            onnx: onnx, votes: votes, equal: cuts <= 200, categorical: categorical)
        }
        if everyCut {
            // One stump per threshold, so that every feature has exactly the pool's cut points.
            for f in 0..<features {
                for t in pool[f] {
                    let split = onnx ? TreeNode.Split.compare(feature: f, threshold: t, op: .lessOrEqual, nanGoesLeft: true)
                        : TreeNode.Split.numeric(feature: f, threshold: t, defaultLeft: true, missing: .nan)
                    trees.append([TreeNode(split: split, left: 1, right: 2), .leaf(Double.random(in: -1...1, using: &rng)),
                                  .leaf(Double.random(in: -1...1, using: &rng))])
                }
            }
            while trees.count % groups != 0 { trees.append([.leaf(0)]) }
        }
        let forest = try Forest(semantics: semantics, trees: trees, groups: (0..<trees.count).map { onnx ? 0 : $0 % groups },
                                outputGroups: groups, baseMargins: (0..<groups).map { Double($0) * 0.25 - 0.3 },
                                averageOutput: average, featureCount: features)
        #expect(forest.binned != nil)
        if !categorical.isEmpty { #expect((forest.binned?.planes ?? 0) > 2 * features) }
        // Up to 255 cut points per feature: one level of fences; more: segments searched in a second level.
        if let binned = forest.binned {
            for f in 0..<features { #expect((binned.cutShift[f] > 0) == (binned.cutCount[f] > 255)) }
        }
        // Row counts that exercise full blocks, eight-row groups and the remainder.
        for rows in [1, 7, 8, 9, 10, 18, 300] {
            let stride = features + 2
            let x = (0..<(rows * stride)).map { i in
                categorical.contains(i % stride) ? Self.randomCategory(&rng) : Self.randomValue(&rng, pool: pool[i % stride % features])
            }
            var fast = [Double](repeating: 0, count: rows * groups)
            var reference = [Double](repeating: 1, count: rows * groups)
            x.withUnsafeBufferPointer { f in
                fast.withUnsafeMutableBufferPointer {
                    forest.computeMargins(features: f.baseAddress!, stride: stride, rows: rows, margins: $0.baseAddress!)
                }
                reference.withUnsafeMutableBufferPointer {
                    forest.computeReferenceMargins(features: f.baseAddress!, stride: stride, rows: rows, margins: $0.baseAddress!)
                }
            }
            for i in 0..<fast.count where fast[i].bitPattern != reference[i].bitPattern {
                Issue.record("row \(i / groups) group \(i % groups): fast \(fast[i]) reference \(reference[i]) (\(rows) rows)")
                return forest
            }
        }
        return forest
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func xgboostMatchesReference(seed: UInt64) throws {
        _ = try check(.xgboost, groups: 1, missing: [.nan], average: false, seed: seed)
        _ = try check(.xgboost, groups: 3, missing: [.nan], average: false, seed: seed &+ 100)
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func lightgbmMatchesReference(seed: UInt64) throws {
        _ = try check(.lightgbm, groups: 1, missing: [.nan, .none], average: false, seed: seed)
        _ = try check(.lightgbm, groups: 3, missing: [.nan, .none], average: false, seed: seed &+ 100)
        _ = try check(.lightgbm, groups: 1, missing: [.none], average: true, seed: seed &+ 200)
        // Missing type Zero (|x| ≤ 1e-35 and NaN take the default direction), mixed with the others.
        let zero = try check(.lightgbm, groups: 1, missing: [.zero, .nan, .none], average: false, seed: seed &+ 700)
        #expect(zero.binned?.zeroFeature.isEmpty == false)
        _ = try check(.lightgbm, groups: 2, missing: [.zero], average: false, seed: seed &+ 800, cuts: 400)
        _ = try check(.lightgbm, groups: 1, missing: [.zero, .nan], average: false, seed: seed &+ 900, categorical: [3])
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func onnxMatchesReference(seed: UInt64) throws {
        for threads in [1, 2, 3] {
            for doubleSums in [false, true] {
                let sum = ONNXTreeAggregation(function: .sum, doubleSums: doubleSums, multiOutput: false, runtimeThreads: threads)
                _ = try check(.onnx(sum), groups: 1, missing: [.nan], average: false, seed: seed &+ UInt64(threads))
                let multi = ONNXTreeAggregation(function: .average, doubleSums: doubleSums, multiOutput: true, runtimeThreads: threads)
                _ = try check(.onnx(multi), groups: 3, missing: [.nan], average: false, seed: seed &+ 10 &+ UInt64(threads), votes: 3)
                // One output voted by every leaf (binary random forests): the votes are summed like leaf values.
                _ = try check(.onnx(multi), groups: 1, missing: [.nan], average: false, seed: seed &+ 20 &+ UInt64(threads), votes: 1)
            }
        }
    }

    /// Categorical splits: one predicate plane per distinct (feature, set, directions), numeric
    /// splits on the other features, both libraries' rules for NaN, negatives and fractions.
    @Test(arguments: [1 as UInt64, 2, 3])
    func categoricalSplitsMatchReference(seed: UInt64) throws {
        _ = try check(.xgboost, groups: 1, missing: [.nan], average: false, seed: seed &+ 300, categorical: [2, 5])
        _ = try check(.xgboost, groups: 3, missing: [.nan], average: false, seed: seed &+ 400, categorical: [0])
        _ = try check(.lightgbm, groups: 1, missing: [.nan, .none], average: false, seed: seed &+ 500, categorical: [2, 5])
        _ = try check(.lightgbm, groups: 2, missing: [.nan], average: true, seed: seed &+ 600, categorical: [6])
    }

    /// Too many distinct categorical predicates keep the straightforward kernel (still correct).
    @Test func tooManyPredicatesKeepTheReferenceKernel() throws {
        let trees: [[TreeNode]] = (0...BinnedForest.maxPredicates).map { i in
            [TreeNode(split: .categorical(feature: 0, bitset: [UInt32(i + 1), 1], inSetGoesLeft: true, missingGoesLeft: false),
                      left: 1, right: 2), .leaf(1), .leaf(2)]
        }
        let forest = try Forest(semantics: .xgboost, trees: trees, groups: trees.map { _ in 0 },
                                outputGroups: 1, baseMargins: [0], averageOutput: false, featureCount: 1)
        #expect(forest.binned == nil)
        // With one fewer, the layout holds them (one plane each).
        let fewer = try Forest(semantics: .xgboost, trees: Array(trees.dropLast()), groups: trees.dropLast().map { _ in 0 },
                               outputGroups: 1, baseMargins: [0], averageOutput: false, featureCount: 1)
        #expect(fewer.binned?.planes == 2 + BinnedForest.maxPredicates)
    }

    /// Features with more than 255 cut points take the two-level search; 253 + 2 = 255 is the
    /// most one level holds, 254 + 2 = 256 the fewest that need two (the last fence must be read).
    @Test(arguments: [253, 254, 255, 1000])
    func cutPointCountsAtTheLevelBoundaries(cuts: Int) throws {
        // XGBoost compares in float32, where the pool's near-duplicate collapses: one cut point fewer.
        let xgb = try check(.xgboost, groups: 1, missing: [.nan], average: false, seed: UInt64(cuts), cuts: cuts + 1, everyCut: true)
        #expect(xgb.binned?.cutCount.max() == cuts + 2)
        let lgb = try check(.lightgbm, groups: 1, missing: [.nan, .none], average: false, seed: UInt64(cuts) &+ 1, cuts: cuts, everyCut: true)
        #expect(lgb.binned?.cutCount.max() == cuts + 2)
        let onnx = try check(.onnx(ONNXTreeAggregation(function: .sum, doubleSums: false, multiOutput: false, runtimeThreads: 1)),
                             groups: 1, missing: [.nan], average: false, seed: UInt64(cuts) &+ 2, cuts: cuts, everyCut: true)
        #expect(onnx.binned?.cutCount.max() == cuts + 2)
    }

    /// Features with more than 255 cut points take the two-level search.
    @Test func manyCutPointsMatchReference() throws {
        _ = try check(.xgboost, groups: 1, missing: [.nan], average: false, seed: 7, cuts: 400)
        _ = try check(.lightgbm, groups: 1, missing: [.nan, .none], average: false, seed: 8, cuts: 400)
        _ = try check(.onnx(ONNXTreeAggregation(function: .sum, doubleSums: false, multiOutput: false, runtimeThreads: 2)),
                  groups: 1, missing: [.nan], average: false, seed: 9, cuts: 400)
    }

    @Test func forestsOutsideTheLayoutKeepTheReferenceKernels() throws {
        // A leaf voting twice for one output: the dense votes cannot hold it.
        let twice = TreeNode(split: .leafWeights(outputs: [0, 0], weights: [1, 2]))
        let split = TreeNode(split: .compare(feature: 0, threshold: 1, op: .equal, nanGoesLeft: true), left: 1, right: 2)
        let onnx = try Forest(semantics: .onnx(ONNXTreeAggregation(function: .sum, doubleSums: false, multiOutput: true)),
                              trees: [[split, twice, TreeNode(split: .leafWeights(outputs: [1], weights: [3]))]], groups: [0],
                              outputGroups: 2, baseMargins: [0, 0], averageOutput: false, featureCount: 1)
        #expect(onnx.binned == nil)

    }
}
