/// A tree ensemble in one flat, format-neutral layout: every tree of every format lowers into it,
/// and one set of predictor kernels evaluates it.
///
/// Nodes of all trees are stored together as a structure of arrays. A node whose `feature` is
/// negative is a leaf, and its value is in `value`.
public struct Forest: Sendable {
    /// Numeric comparison semantics of the library that trained the model.
    public enum Semantics: Sendable, Equatable {
        /// XGBoost: features and thresholds in float32, `x < t` goes left, leaf values summed in float32.
        case xgboost
        /// LightGBM: features and thresholds in double, `x <= t` goes left, sums in double.
        case lightgbm
        /// ONNX Runtime's tree ensembles: per-node comparisons (`compare` splits), NaN follows
        /// `missing_value_tracks_true`, leaves vote for several outputs, sums in float32 or double
        /// in ONNX Runtime's order (see `ONNXTreeAggregation`).
        case onnx(ONNXTreeAggregation)
    }

    /// Node flags.
    @usableFromInline static let flagDefaultLeft: UInt8 = 1
    @usableFromInline static let flagCategorical: UInt8 = 2
    @usableFromInline static let flagInSetLeft: UInt8 = 4
    @usableFromInline static let flagMissingZero: UInt8 = 8   // LightGBM missing type Zero
    @usableFromInline static let flagMissingNaN: UInt8 = 16   // NaN takes the default direction
    @usableFromInline static let flagMissingNone: UInt8 = 32  // LightGBM missing type None: NaN read as 0
    @usableFromInline static let flagLess: UInt8 = 64         // ONNX: `x < t` instead of `x <= t`
    @usableFromInline static let flagEqual: UInt8 = 128       // ONNX: `x == t`

    public internal(set) var semantics: Semantics
    /// Number of margins per row (1 for binary and regression, K for K-class models).
    public let outputGroups: Int
    /// Margin each group starts from before any tree is added.
    public let baseMargins: [Double]
    /// Divide the summed trees by the number of iterations (LightGBM random forests).
    public let averageOutput: Bool
    /// Number of feature columns the trees index into.
    public let featureCount: Int

    @usableFromInline let feature: [Int32]
    @usableFromInline let threshold: [Double]
    @usableFromInline let thresholdF: [Float]
    @usableFromInline let left: [Int32]
    @usableFromInline let right: [Int32]
    @usableFromInline let flags: [UInt8]
    @usableFromInline let catStart: [Int32]
    @usableFromInline let catWords: [Int32]
    @usableFromInline let value: [Double]
    @usableFromInline let valueF: [Float]
    @usableFromInline let catBits: [UInt32]
    @usableFromInline let treeRoot: [Int32]
    @usableFromInline let treeGroup: [Int32]
    /// Multi-output leaves (ONNX): node n's votes are `leafOutput/leafWeight[leafStart[n] ..< leafStart[n] + leafCount[n]]`.
    /// Empty when no leaf votes for more than its tree's group.
    @usableFromInline let leafStart: [Int32]
    @usableFromInline let leafCount: [Int32]
    @usableFromInline let leafOutput: [Int32]
    @usableFromInline let leafWeight: [Double]
    /// Each node's training cover (`TreeNode.cover`), for exact contributions; empty when a node has none.
    @usableFromInline let cover: [Double]
    /// The fast layout (`BinnedForest`), when the forest has one.
    @usableFromInline var binned: BinnedForest? = nil

    public var treeCount: Int { treeRoot.count }
    public var nodeCount: Int { feature.count }
    /// Number of boosting iterations (trees per group).
    public var iterations: Int { outputGroups == 0 ? 0 : treeRoot.count / outputGroups }

    /// Largest depth over all trees (root at depth 0).
    public var maxDepth: Int {
        var best = 0
        for root in treeRoot {
            var stack: [(Int32, Int)] = [(root, 0)]
            while let (n, d) = stack.popLast() {
                best = max(best, d)
                if feature[Int(n)] >= 0 {
                    stack.append((left[Int(n)], d + 1))
                    stack.append((right[Int(n)], d + 1))
                }
            }
        }
        return best
    }

    /// Builds a forest from per-tree node lists. Trees are evaluated in the given order;
    /// `groups[i]` is the output group tree i adds to.
    /// - Throws: `ForestError` when a tree is not a well-formed binary tree.
    public init(
        semantics: Semantics,
        trees: [[TreeNode]],
        groups: [Int],
        outputGroups: Int,
        baseMargins: [Double],
        averageOutput: Bool,
        featureCount: Int
    ) throws(ForestError) {
        precondition(trees.count == groups.count)
        guard baseMargins.count == outputGroups else {
            throw ForestError(tree: -1, detail: "\(baseMargins.count) base margins for \(outputGroups) output groups")
        }
        self.semantics = semantics
        self.outputGroups = outputGroups
        self.baseMargins = baseMargins
        self.averageOutput = averageOutput
        self.featureCount = featureCount

        var feature: [Int32] = [], threshold: [Double] = [], left: [Int32] = [], right: [Int32] = []
        var flags: [UInt8] = [], catStart: [Int32] = [], catWords: [Int32] = [], value: [Double] = []
        var catBits: [UInt32] = [], treeRoot: [Int32] = [], treeGroup: [Int32] = []
        var leafStart: [Int32] = [], leafCount: [Int32] = [], leafOutput: [Int32] = [], leafWeight: [Double] = []
        var cover: [Double] = []
        let multiLeaves = trees.contains { $0.contains { if case .leafWeights = $0.split { return true }; return false } }
        let total = trees.reduce(0) { $0 + $1.count }
        feature.reserveCapacity(total); threshold.reserveCapacity(total); left.reserveCapacity(total)
        right.reserveCapacity(total); flags.reserveCapacity(total); value.reserveCapacity(total)
        catStart.reserveCapacity(total); catWords.reserveCapacity(total)

        for (t, nodes) in trees.enumerated() {
            guard !nodes.isEmpty else { throw ForestError(tree: t, detail: "tree has no nodes") }
            let g = groups[t]
            guard g >= 0 && g < outputGroups else {
                throw ForestError(tree: t, detail: "tree belongs to output group \(g), but the model has \(outputGroups)")
            }
            try Forest.checkShape(nodes, tree: t, featureCount: featureCount)
            let base = Int32(feature.count)
            treeRoot.append(base)
            treeGroup.append(Int32(g))
            for node in nodes {
                cover.append(node.cover ?? .nan)
                if multiLeaves {
                    if case let .leafWeights(outputs, weights) = node.split {
                        for o in outputs where o < 0 || o >= outputGroups {
                            throw ForestError(tree: t, detail: "a leaf votes for output \(o), but the model has \(outputGroups)")
                        }
                        leafStart.append(Int32(leafOutput.count)); leafCount.append(Int32(outputs.count))
                        leafOutput.append(contentsOf: outputs.map { Int32($0) }); leafWeight.append(contentsOf: weights)
                    } else if case .leaf(let v) = node.split {
                        leafStart.append(Int32(leafOutput.count)); leafCount.append(1)
                        leafOutput.append(Int32(g)); leafWeight.append(v)
                    } else {
                        leafStart.append(0); leafCount.append(0)
                    }
                }
                switch node.split {
                case .leaf(let v):
                    feature.append(-1); threshold.append(0); left.append(-1); right.append(-1)
                    flags.append(0); catStart.append(0); catWords.append(0); value.append(v)
                case .leafWeights(_, let weights):
                    feature.append(-1); threshold.append(0); left.append(-1); right.append(-1)
                    flags.append(0); catStart.append(0); catWords.append(0); value.append(weights.first ?? 0)
                case let .compare(f, t, op, nanGoesLeft):
                    feature.append(Int32(f)); threshold.append(t)
                    left.append(base + Int32(node.left)); right.append(base + Int32(node.right))
                    var fl: UInt8 = nanGoesLeft ? Forest.flagDefaultLeft : 0
                    switch op {
                    case .lessOrEqual: break
                    case .less: fl |= Forest.flagLess
                    case .equal: fl |= Forest.flagEqual
                    }
                    flags.append(fl); catStart.append(0); catWords.append(0); value.append(0)
                case let .numeric(f, t, defaultLeft, missing):
                    feature.append(Int32(f)); threshold.append(t)
                    left.append(base + Int32(node.left)); right.append(base + Int32(node.right))
                    var fl: UInt8 = defaultLeft ? Forest.flagDefaultLeft : 0
                    switch missing {
                    case .none: fl |= Forest.flagMissingNone
                    case .zero: fl |= Forest.flagMissingZero | Forest.flagMissingNone
                    case .nan: fl |= Forest.flagMissingNaN
                    }
                    flags.append(fl); catStart.append(0); catWords.append(0); value.append(0)
                case let .categorical(f, bitset, inSetGoesLeft, missingGoesLeft):
                    feature.append(Int32(f)); threshold.append(0)
                    left.append(base + Int32(node.left)); right.append(base + Int32(node.right))
                    var fl = Forest.flagCategorical
                    if inSetGoesLeft { fl |= Forest.flagInSetLeft }
                    if missingGoesLeft { fl |= Forest.flagDefaultLeft }
                    flags.append(fl)
                    catStart.append(Int32(catBits.count)); catWords.append(Int32(bitset.count))
                    catBits.append(contentsOf: bitset)
                    value.append(0)
                }
            }
        }
        self.feature = feature
        self.threshold = threshold
        self.thresholdF = threshold.map { Float($0) }
        self.left = left
        self.right = right
        self.flags = flags
        self.catStart = catStart
        self.catWords = catWords
        self.value = value
        self.valueF = value.map { Float($0) }
        self.catBits = catBits
        self.treeRoot = treeRoot
        self.treeGroup = treeGroup
        self.leafStart = leafStart
        self.leafCount = leafCount
        self.leafOutput = leafOutput
        self.leafWeight = leafWeight
        // Covers only when every node has one (a leaf of a one-leaf tree needs none: it has no split).
        self.cover = cover.allSatisfy { !$0.isNaN } ? cover : []
        self.binned = BinnedForest(self)
    }

    /// Every node reachable once from the root, children in range, leaves without children.
    private static func checkShape(_ nodes: [TreeNode], tree: Int, featureCount: Int) throws(ForestError) {
        var seen = [Bool](repeating: false, count: nodes.count)
        var stack = [0]
        while let n = stack.popLast() {
            guard n >= 0 && n < nodes.count else {
                throw ForestError(tree: tree, detail: "child index \(n) is outside the tree's \(nodes.count) nodes")
            }
            guard !seen[n] else { throw ForestError(tree: tree, detail: "node \(n) is reached twice (not a tree)") }
            seen[n] = true
            let node = nodes[n]
            switch node.split {
            case .leaf, .leafWeights: continue
            case let .numeric(f, _, _, _), let .categorical(f, _, _, _), let .compare(f, _, _, _):
                guard f >= 0 && f < featureCount else {
                    throw ForestError(tree: tree, detail: "node \(n) splits on feature \(f), but the model has \(featureCount) features")
                }
                stack.append(node.left)
                stack.append(node.right)
            }
        }
    }
}

/// A tree that cannot be evaluated as given.
public struct ForestError: Error, CustomStringConvertible, Sendable {
    public var tree: Int
    public var detail: String
    public var description: String { tree >= 0 ? "tree \(tree): \(detail)" : detail }
}
