import Foundation  // cos, for the quadrature points (built once per model)

/// Exact path-dependent TreeSHAP at scoring speed: the same values as the per-row recursion of
/// `Forest+Contributions.swift` (Lundberg et al.'s Algorithm 2, which XGBoost and LightGBM run),
/// computed with a different, linear-time formula over blocks of rows.
///
/// The formula. For a leaf `l` of value `v` whose path has the unique features `P` (repeated
/// splits on one feature merged), each feature `j ∈ P` has a cover fraction `z_j` (the product of
/// the training cover ratios of its edges: row-independent) and a flag `o_j` (1 when the row
/// satisfies all of the path's conditions on `j`). TreeSHAP's Shapley weights
/// `|S|!(d−|S|−1)!/d!` are the Beta integrals `∫₀¹ t^|S| (1−t)^(d−|S|−1) dt`, so the leaf gives `j`
///
///     v · (o_j − z_j) · ∫₀¹ Π_{k∈P, k≠j} g_k(t) dt,      g_k(t) = o_k·t + z_k·(1 − t),
///
/// a polynomial of degree `d − 1` under the integral, exact with Gauss–Legendre quadrature on
/// `⌈d/2⌉` points. Writing `G_l(t) = v·Π_k g_k(t)` and `h(o, z)(t) = (o − z)/g(t)`, the leaf gives
/// `Σ_q w_q · G_l(t_q) · h(o_j, z_j)(t_q)`. Summed over a tree, every edge `e` (into node `c`, on
/// feature `j`) collects `Σ_q w_q · S_c(t_q) · [h_e(t_q) − h_prev(t_q)]`, where `S_c` is the sum of
/// `G_l` over the leaves under `c` and `prev` is the previous edge on `j` along the path (none:
/// `h = 0`); along each leaf's path these differences telescope to its own `h(o_j, z_j)`. So a tree
/// costs one pass down (products `G` at the quadrature points) and one pass up (sums `S` and the
/// edge terms): O(nodes × points) per row, instead of the recursion's O(leaves × depth²).
/// Linear TreeShap (Yu et al., NeurIPS 2022) reaches the same bound with polynomial arithmetic;
/// this is our own derivation of it in point values.
///
/// What makes it fast: given its edge, `o` only selects one of three cases (the feature's earlier
/// condition failed; it held and this one fails; both hold), so every ratio `g_e/g_prev` and every
/// weighted difference `w_q·(h_e − h_prev)` is a table computed once per model; a row only picks
/// its case. Trees are taken one at a time and, within a tree, blocks of 64 rows, so the tree's
/// tables stay in the cache while every block walks it; the points sit in SIMD lanes (2 to 64, per
/// tree), and a split whose children are both leaves is one table pick per row for the two.
///
/// Arithmetic: double throughout. LightGBM computes in double; the values agree to rounding.
/// XGBoost computes in float32 (see `Forest.computeContributions`): the values here are the exact
/// ones its float32 values approximate, and the bias is XGBoost's own (its float32 sum of the
/// trees' means, then the base); `Forest.contributionsNeedFloat32` says when XGBoost's rounding is
/// large enough that the float32 recursion must be used to agree with it.
///
/// Immutable after `init`; its tables live in memory it owns (freed in `deinit`).
public final class TreeShapPlan: @unchecked Sendable {
    let forest: Forest
    let featureCount: Int
    let groups: Int
    /// Rows computed together (the shallow trees' tables read a block as four `SIMD16<UInt8>`).
    static let block = 64
    /// Rows the walk computes together.
    static let walkBlock = 128

    let treeCount: Int
    /// Per tree: its first node in preorder (`treeNodeStart[t] ..< treeNodeStart[t + 1]`).
    let treeNodeStart: UnsafeMutablePointer<Int>
    /// Per tree: the lanes its points are computed in (a power of two ≥ its points, ≥ 2).
    let treeLanes: UnsafeMutablePointer<Int>
    /// Per output group: the bias, the trees' cover-weighted means plus the base margin, summed
    /// as the library sums them (row-independent). XGBoost: in float32, tree by tree, then the
    /// base margin (its `ShapValues`); LightGBM: in double.
    let bias: [Double]
    /// Per node, in preorder within its tree, everything the block walk reads.
    let nodes: Nodes
    /// Trees deeper than this (in unique features on a path: 2 × 64) use the recursion.
    static let maxLanes = 64
    /// The deepest path (edges), and the most lanes of any tree.
    let maxDepth: Int
    let widest: Int
    /// Nodes of the largest tree.
    let maxTreeNodes: Int
    /// The walked trees in groups of up to `groupSize` of one output group and one lane count
    /// (`groupTrees[groupStart[g] ..< groupStart[g + 1]]`), and per group its split features in
    /// order of first use (`slotFeature[groupSlotStart[g] ..< groupSlotStart[g + 1]]`): a block of
    /// rows walks every tree of a group, adding each split's terms to its feature's accumulator
    /// (one vector per row), and the lanes are summed once per feature and row after the group.
    /// The most features any group has.
    let groupTrees: UnsafeMutablePointer<Int>
    let groupStart: UnsafeMutablePointer<Int>
    let groupCount: Int
    let slotFeature: UnsafeMutablePointer<Int32>
    let groupSlotStart: UnsafeMutablePointer<Int>
    let mostSlots: Int
    /// Trees per group: their tables (about 120 kB each for 127 leaves in 8 lanes) stay in the
    /// level-2 cache while a block walks them; four divide the sums of lanes by four.
    static let groupSize = 4
    /// The trees computed by table lookup instead of the walk (shallow ones).
    let shallow: ShallowTreeTables
    /// Per feature: its column among the features with categorical splits (-1: none), whose
    /// category codes are read once per call; how many there are.
    let codeColumn: UnsafeMutablePointer<Int32>
    let categoricalFeatures: Int

    /// Nil when a tree has more than 128 unique features on one path (the recursion serves it).
    /// `shallowTables: false` walks every tree (the tests compare both ways).
    public init?(_ forest: Forest, shallowTables: Bool = true) {
        precondition(forest.hasCovers, "exact contributions need node covers")
        self.forest = forest
        featureCount = forest.featureCount
        groups = forest.outputGroups
        treeCount = forest.treeCount
        bias = forest.semantics == .xgboost ? Self.bias(forest, Float.self) : Self.bias(forest, Double.self)

        // Preorder of every tree, with the path bookkeeping.
        var origin: [Int32] = [], leftChild: [Int32] = [], rightChild: [Int32] = []
        var edgeFeature: [Int32] = [], previous: [Int32] = [], zero: [Double] = [], combinedZero: [Double] = []
        var previousZero: [Double] = [], parentOf: [Int] = []
        var treeNodeStart: [Int] = [], treePoints: [Int] = []
        var maxDepth = 0
        for t in 0..<forest.treeCount {
            let root = Int(forest.treeRoot[t])
            treeNodeStart.append(origin.count)
            var mostUnique = 0
            // (node, parent preorder index, edge feature, previous edge, zero fraction, depth, unique)
            var stack: [(Int, Int, Int32, Int32, Double, Int, Int)] = [(root, -1, -1, -1, 1, 0, 0)]
            while let (n, parent, feat, prev, z, depth, unique) = stack.popLast() {
                let me = origin.count
                origin.append(Int32(n))
                leftChild.append(-1)
                rightChild.append(-1)
                edgeFeature.append(feat)
                previous.append(prev)
                zero.append(z)
                let pz = prev >= 0 ? combinedZero[Int(prev)] : 1
                previousZero.append(pz)
                combinedZero.append(pz * z)
                parentOf.append(parent)
                if parent >= 0 {
                    if leftChild[parent] < 0 { leftChild[parent] = Int32(me) } else { rightChild[parent] = Int32(me) }
                }
                maxDepth = Swift.max(maxDepth, depth)
                let f = forest.feature[n]
                if f < 0 {
                    mostUnique = Swift.max(mostUnique, unique)
                    continue
                }
                let l = Int(forest.left[n]), r = Int(forest.right[n])
                let w = forest.cover[n] > 0 ? forest.cover[n] : forest.cover[l] + forest.cover[r]
                // The previous edge on `f` along this path: walk up the parents' previous links.
                var p = me, found: Int32 = -1
                while p >= 0 {
                    if edgeFeature[p] == f { found = Int32(p); break }
                    p = parentOf[p]
                }
                let nextUnique = found >= 0 ? unique : unique + 1
                // Right pushed first: the left child comes next in preorder.
                stack.append((r, me, f, found, w > 0 ? forest.cover[r] / w : 0, depth + 1, nextUnique))
                stack.append((l, me, f, found, w > 0 ? forest.cover[l] / w : 0, depth + 1, nextUnique))
            }
            treePoints.append(Swift.max(1, (mostUnique + 1) / 2))
        }
        treeNodeStart.append(origin.count)
        let nodeTotal = origin.count
        self.maxDepth = maxDepth

        // Tables at each tree's points.
        let treeLanes = treePoints.map { q in
            var lanes = 2
            while lanes < q { lanes *= 2 }
            return lanes
        }
        widest = treeLanes.max() ?? 2
        if widest > Self.maxLanes { return nil }
        var tableStart = [Int](repeating: 0, count: nodeTotal)
        var pairStart = [Int](repeating: -1, count: nodeTotal)
        var total = 0
        for t in 0..<forest.treeCount {
            for i in treeNodeStart[t]..<treeNodeStart[t + 1] {
                tableStart[i] = total
                total += 6 * treeLanes[t]
                if leftChild[i] >= 0 && leftChild[Int(leftChild[i])] < 0 && leftChild[Int(rightChild[i])] < 0 {
                    pairStart[i] = total
                    total += 8 * treeLanes[t]
                }
            }
        }
        let tables = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(total, 1) * 8, alignment: 64)
        let table = tables.bindMemory(to: Double.self, capacity: Swift.max(total, 1))
        for t in 0..<forest.treeCount {
            let q = treePoints[t], lanes = treeLanes[t]
            let (points, weights) = Self.gaussLegendre(q)
            for i in treeNodeStart[t]..<treeNodeStart[t + 1] {
                let at = tableStart[i]
                for k in 0..<lanes {
                    for c in 0..<3 { table[at + c * lanes + k] = 1; table[at + (3 + c) * lanes + k] = 0 }
                }
                if i == treeNodeStart[t] { continue }  // the root: no incoming edge
                let zc = combinedZero[i], zp = previousZero[i], ze = zero[i]
                for k in 0..<q {
                    let x = points[k], w = weights[k]
                    func g1(_ z: Double) -> Double { x + z * (1 - x) }
                    func h1(_ z: Double) -> Double { (1 - z) / g1(z) }
                    let h0 = -1 / (1 - x)
                    table[at + k] = g1(zc) / g1(zp)
                    table[at + lanes + k] = zc * (1 - x) / g1(zp)
                    table[at + 2 * lanes + k] = ze
                    table[at + 3 * lanes + k] = w * (h1(zc) - h1(zp))
                    table[at + 4 * lanes + k] = w * (h0 - h1(zp))
                }
                if leftChild[i] < 0 {
                    let v = forest.value[Int(origin[i])]
                    for k in 0..<lanes {
                        for c in 0..<3 {
                            table[at + c * lanes + k] *= v
                            table[at + (3 + c) * lanes + k] *= table[at + c * lanes + k]
                        }
                    }
                }
            }
        }
        // A split whose children are both leaves, per combination of the row's direction `h` and
        // the split feature's earlier conditions `e` (combination h | e << 1): its leaves' sums
        // (vector combination) and their terms (vector 4 + combination; one feature, one dot).
        for t in 0..<forest.treeCount {
            let lanes = treeLanes[t]
            for i in treeNodeStart[t]..<treeNodeStart[t + 1] where pairStart[i] >= 0 {
                let l = tableStart[Int(leftChild[i])], r = tableStart[Int(rightChild[i])], at = pairStart[i]
                for combination in 0..<4 {
                    let h = combination & 1, e = combination >> 1
                    let kindLeft = e == 1 ? 1 - h : 2, kindRight = e == 1 ? h : 2
                    for k in 0..<lanes {
                        table[at + combination * lanes + k] = table[l + kindLeft * lanes + k] + table[r + kindRight * lanes + k]
                        table[at + (4 + combination) * lanes + k] = table[l + (3 + kindLeft) * lanes + k]
                            + table[r + (3 + kindRight) * lanes + k]
                    }
                }
            }
        }
        let shallow = ShallowTreeTables(forest: forest, origin: origin, left: leftChild, right: rightChild, zero: zero,
                                        treeNodeStart: treeNodeStart, enabled: shallowTables)
        self.shallow = shallow
        // The walked trees' groups, and per split its feature's accumulator among its group's.
        var groups: [[Int]] = [], open: [Int: Int] = [:]
        for t in 0..<forest.treeCount where !shallow.served[t] {
            let key = Int(forest.treeGroup[t]) &* 256 &+ treeLanes[t]
            if let g = open[key], groups[g].count < Self.groupSize {
                groups[g].append(t)
            } else {
                open[key] = groups.count
                groups.append([t])
            }
        }
        var splitSlot = [Int32](repeating: -1, count: nodeTotal), slotFeature: [Int32] = [], groupSlotStart: [Int] = []
        var mostSlots = 0
        for group in groups {
            groupSlotStart.append(slotFeature.count)
            var slotOf: [Int32: Int32] = [:]
            for t in group {
                for i in treeNodeStart[t]..<treeNodeStart[t + 1] where leftChild[i] >= 0 {
                    let f = forest.feature[Int(origin[i])]
                    if let s = slotOf[f] {
                        splitSlot[i] = s
                    } else {
                        splitSlot[i] = Int32(slotOf.count)
                        slotOf[f] = splitSlot[i]
                        slotFeature.append(f)
                    }
                }
            }
            mostSlots = Swift.max(mostSlots, slotOf.count)
        }
        groupSlotStart.append(slotFeature.count)
        groupTrees = Self.copy(groups.flatMap { $0 })
        groupStart = Self.copy(groups.reduce(into: [0]) { $0.append($0.last! + $1.count) })
        groupCount = groups.count
        self.slotFeature = Self.copy(slotFeature)
        self.groupSlotStart = Self.copy(groupSlotStart)
        self.mostSlots = mostSlots
        nodes = Nodes(
            origin: Self.copy(origin), left: Self.copy(leftChild), right: Self.copy(rightChild), previous: Self.copy(previous),
            slot: Self.copy(splitSlot),
            tableStart: Self.copy(tableStart), pairStart: Self.copy(pairStart), tables: table,
            splitFeature: Self.copy(origin.map { forest.feature[Int($0)] }), threshold: Self.copy(origin.map { forest.threshold[Int($0)] }),
            thresholdF: Self.copy(origin.map { forest.thresholdF[Int($0)] }), flags: Self.copy(origin.map { forest.flags[Int($0)] }),
            leafValue: Self.copy(origin.map { forest.value[Int($0)] }))
        self.treeLanes = Self.copy(treeLanes)
        self.treeNodeStart = Self.copy(treeNodeStart)
        maxTreeNodes = (0..<forest.treeCount).map { treeNodeStart[$0 + 1] - treeNodeStart[$0] }.max() ?? 1
        var codeColumn = [Int32](repeating: -1, count: forest.featureCount), categorical = 0
        for n in 0..<forest.feature.count where forest.feature[n] >= 0 && (forest.flags[n] & Forest.flagCategorical) != 0 {
            let f = Int(forest.feature[n])
            if codeColumn[f] < 0 { codeColumn[f] = Int32(categorical); categorical += 1 }
        }
        self.codeColumn = Self.copy(codeColumn)
        categoricalFeatures = categorical
    }

    /// The per-node arrays, in preorder within each tree (a trivial struct of pointers: the walk
    /// copies it, and reads them without reference counting).
    struct Nodes {
        /// The forest's node; the children (preorder indices, -1 for a leaf); the preorder index
        /// of the previous edge on the incoming edge's feature along the path (-1: none).
        let origin: UnsafeMutablePointer<Int32>
        let left: UnsafeMutablePointer<Int32>
        let right: UnsafeMutablePointer<Int32>
        let previous: UnsafeMutablePointer<Int32>
        /// A split's accumulator: its feature's index among its group's split features (-1: a leaf).
        let slot: UnsafeMutablePointer<Int32>
        /// Where the node's tables start in `tables`, in doubles; for a split whose children are
        /// both leaves, where its pair vectors start (-1: none).
        let tableStart: UnsafeMutablePointer<Int>
        let pairStart: UnsafeMutablePointer<Int>
        /// Per node with an incoming edge, six vectors of its tree's lanes (from `tables +
        /// tableStart[i]`, in doubles): for each case `c` (0: the feature's earlier conditions on the
        /// path and this one hold; 1: the earlier hold, this fails; 2: an earlier one failed), vector
        /// `c` multiplies the parent's products at the points and vector `3 + c` (the quadrature
        /// weights folded in) weighs the node's sums. A leaf's vectors are multiplied by its value,
        /// and its weights by its ratios too: its sums are then `products × vector c`, its term
        /// `products · vector 3 + c`. Lanes past the points: ratio 1 (the leaf value), weight 0.
        /// A split whose children are both leaves has eight more at `pairStart[i]`: per combination
        /// of the row's direction and the earlier conditions, the two leaves' sums, then their terms.
        let tables: UnsafeMutablePointer<Double>
        /// Copied from the forest: the split (feature, thresholds, flags; categorical splits go
        /// through `Forest.goesLeft`) or the leaf's value.
        let splitFeature: UnsafeMutablePointer<Int32>
        let threshold: UnsafeMutablePointer<Double>
        let thresholdF: UnsafeMutablePointer<Float>
        let flags: UnsafeMutablePointer<UInt8>
        let leafValue: UnsafeMutablePointer<Double>

        func deallocate() {
            for p in [origin, slot, left, right, previous, splitFeature] { p.deallocate() }
            tableStart.deallocate(); pairStart.deallocate(); UnsafeMutableRawPointer(tables).deallocate()
            threshold.deallocate(); thresholdF.deallocate(); flags.deallocate(); leafValue.deallocate()
        }
    }

    deinit {
        nodes.deallocate()
        treeNodeStart.deallocate(); treeLanes.deallocate(); slotFeature.deallocate(); groupSlotStart.deallocate()
        groupTrees.deallocate(); groupStart.deallocate()
        shallow.deallocate(); codeColumn.deallocate()
    }

    /// The trees' cover-weighted means summed per group in `T`, tree by tree, then the base margin.
    static func bias<T: BinaryFloatingPoint>(_ forest: Forest, _: T.Type) -> [Double] {
        let means: [T] = forest.subtreeMeans()
        var sums = [T](repeating: 0, count: forest.outputGroups)
        for t in 0..<forest.treeCount { sums[Int(forest.treeGroup[t])] += means[Int(forest.treeRoot[t])] }
        return (0..<forest.outputGroups).map { Double(sums[$0] + T(forest.baseMargins[$0])) }
    }

    static func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(a.count, 1))
        a.withUnsafeBufferPointer { if let base = $0.baseAddress { p.initialize(from: base, count: a.count) } }
        return p
    }

    /// Gauss–Legendre points and weights on [0, 1]: exact for polynomials of degree `2q − 1`.
    static func gaussLegendre(_ q: Int) -> ([Double], [Double]) {
        var points = [Double](repeating: 0, count: q), weights = [Double](repeating: 0, count: q)
        for i in 0..<q {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(q) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                // p1 = P_q(x), p0 = P_{q−1}(x) by the three-term recurrence.
                var p0 = 1.0, p1 = x
                for k in Swift.stride(from: 2, through: q, by: 1) {
                    let pk = (Double(2 * k - 1) * x * p1 - Double(k - 1) * p0) / Double(k)
                    p0 = p1; p1 = pk
                }
                derivative = Double(q) * (x * p1 - p0) / (x * x - 1)
                let dx = p1 / derivative
                x -= dx
                if abs(dx) < 1e-16 { break }
            }
            points[i] = (1 - x) / 2
            weights[i] = 1 / ((1 - x * x) * derivative * derivative)
        }
        return (points, weights)
    }
}
