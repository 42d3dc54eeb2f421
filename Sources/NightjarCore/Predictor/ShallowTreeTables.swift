/// Exact contributions of shallow trees by table lookup, for `TreeShapPlan`.
///
/// A leaf's TreeSHAP terms depend on the row only through which of its path's conditions hold
/// (the flags `o_j` of `TreeShapPlan`'s formula: per feature on the path, whether all of its
/// conditions hold): a leaf has at most `2^d` cases for `d` features on its path, each a handful
/// of numbers that can be computed once per model (the observation behind FastTreeSHAP v2, Yang
/// 2022; the tabling of whole subtrees below is our own). Here a tree is cut into subtrees; a
/// subtree's table is indexed by one bit per feature split above its root (whether the row meets
/// all of that feature's conditions there) and one bit per split inside it (the row's direction),
/// at most `entryBits` bits, and its entry is the sum of every leaf's terms under those bits, as
/// one vector over the features the tree splits on. A row then costs, per tree, its directions
/// (vectorised over the block, as the walk computes them), an index per subtree, and one vector
/// addition per subtree: on a complete depth-6 tree, 16 additions instead of the walk's products,
/// sums and horizontal sums at 126 nodes. Entries are summed in double from each leaf's exact
/// terms, so the values agree with the walk's and the recursion's to rounding. A model on few
/// features serves deep trees too (LightGBM's leaf-wise trees on 9 features, 19 splits deep: the
/// splits above a subtree name at most 9 features).
///
/// A tree is served when every leaf lies in such a subtree, it splits on at most 16 features
/// (`SIMD16<Double>`; Swift 6.3 adds a `SIMD32<Double>` lane by lane, which made the 20 trees of
/// the benchmark XGBoost model that split on 17–28 features cost 35% of its time) and its tables
/// fit `treeByteLimit` (they stay in the cache while every block of rows reads them); all tables
/// together fit `totalByteLimit`. Other trees go through the walk.
///
/// Immutable after `init`; the arrays live in memory it owns (`deallocate()` frees them).
struct ShallowTreeTables {
    /// Bits of a subtree's index (features split above it, splits inside it): 128 entries.
    static let entryBits = 7
    static let treeByteLimit = 512 << 10
    static let totalByteLimit = 256 << 20
    static let mostLanes = 16

    /// Per tree: served by tables (else the walk).
    let served: UnsafeMutablePointer<Bool>
    /// Per tree: the lanes of its entries (4 to 16, a power of two ≥ the features it splits on).
    let lanes: UnsafeMutablePointer<Int>
    /// Per tree (`treeCount + 1` starts): the features its lanes stand for, in `features`.
    let featureStart: UnsafeMutablePointer<Int>
    let features: UnsafeMutablePointer<Int32>
    /// Per tree (`treeCount + 1` starts): its splits (preorder indices into the plan's nodes), in
    /// `splits`; a split's direction slot is its position in the tree's list.
    let splitStart: UnsafeMutablePointer<Int>
    let splits: UnsafeMutablePointer<Int32>
    /// Per tree (`treeCount + 1` starts): its subtrees, indices into the per-subtree arrays.
    let subtreeStart: UnsafeMutablePointer<Int>
    /// Per subtree (`subtrees + 1` starts): its index bits, bit 0 first, in the per-bit arrays.
    let bitStart: UnsafeMutablePointer<Int>
    /// Per index bit (`bits + 1` starts): the directions it is the AND of, in `slots` and `flips`:
    /// a bit is 1 when every one of its splits' direction (slot) XOR flip is 1 (a split inside
    /// the subtree: its direction; a feature above it: each of its conditions there held).
    let termStart: UnsafeMutablePointer<Int>
    let slots: UnsafeMutablePointer<Int32>
    let flips: UnsafeMutablePointer<UInt8>
    /// Per subtree: its first entry, in vectors of its tree's lanes from `tables`.
    let entryBase: UnsafeMutablePointer<UInt32>
    /// The entries (64-byte aligned; each tree's start a multiple of 32 doubles).
    let tables: UnsafeMutablePointer<Double>
    /// The served trees in layouts: trees of one output group on the same features
    /// (`order[layoutStart[g] ..< layoutStart[g + 1]]`), whose rows' entry sums add up lane by
    /// lane before they are added to the output's features once per layout.
    let order: UnsafeMutablePointer<Int>
    let layoutStart: UnsafeMutablePointer<Int>
    let layoutCount: Int
    /// The most splits and subtrees of a served tree (scratch sizes).
    let mostSplits: Int
    let mostSubtrees: Int
    /// Trees served, and the tables' size in bytes.
    let servedCount: Int
    let byteCount: Int

    /// Tables for the trees of `forest` that qualify, from the plan's preorder arrays (`origin`:
    /// the forest's node; `left`/`right`: children as preorder indices, -1 at a leaf; `zero`: the
    /// cover ratio of the edge into each node). `enabled: false` serves no tree.
    init(forest: Forest, origin: [Int32], left: [Int32], right: [Int32], zero: [Double], treeNodeStart: [Int],
         enabled: Bool = true) {
        let treeCount = forest.treeCount
        var served = [Bool](repeating: false, count: treeCount), lanes = [Int](repeating: 4, count: treeCount)
        var featureStart = [0], features: [Int32] = [], splitStart = [0], splits: [Int32] = []
        var subtreeStart = [0], bitStart = [0], termStart = [0], slots: [Int32] = [], flips: [UInt8] = []
        var entryBase: [UInt32] = []
        // Per served tree: (tree, its shape, where its tables start), filled in below.
        var plans: [(tree: Int, shape: Shape, tableStart: Int)] = []
        var total = 0
        for t in 0..<treeCount {
            let a = treeNodeStart[t], count = treeNodeStart[t + 1] - a
            let feature = { (i: Int) in forest.feature[Int(origin[a + i])] }
            let shape = enabled ? Self.shape(left: left, right: right, start: a, count: count, feature: feature) : nil
            var roots: [Int] = []
            var treeFeatures: [Int32] = []
            var bytes = 0
            if let shape {
                roots = shape.roots
                for i in 0..<count where left[a + i] >= 0 && !treeFeatures.contains(feature(i)) { treeFeatures.append(feature(i)) }
                // In the model's order: trees on the same features share a lane layout.
                treeFeatures.sort()
                var width = 4
                while width < treeFeatures.count { width *= 2 }
                lanes[t] = width
                bytes = roots.reduce(0) { $0 + (1 << shape.bits[$1]) } * width * 8
                served[t] = treeFeatures.count <= Self.mostLanes && bytes <= Self.treeByteLimit && total + bytes <= Self.totalByteLimit
            }
            if let shape, served[t] {
                features += treeFeatures
                for i in 0..<count where left[a + i] >= 0 { splits.append(Int32(a + i)) }
                plans.append((t, shape, total / 8))
                total += (bytes + 255) / 256 * 256
            } else {
                roots = []
            }
            featureStart.append(features.count)
            splitStart.append(splits.count)
            subtreeStart.append(subtreeStart.last! + roots.count)
        }
        let tables = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(total, 8), alignment: 64)
            .bindMemory(to: Double.self, capacity: Swift.max(total / 8, 1))
        tables.initialize(repeating: 0, count: total / 8)
        let pointsByCount = (1...(Self.entryBits + 1) / 2).map { TreeShapPlan.gaussLegendre($0) }
        for (t, shape, tableStart) in plans {
            let a = treeNodeStart[t], count = treeNodeStart[t + 1] - a
            let feature = { (i: Int) in forest.feature[Int(origin[a + i])] }
            let width = lanes[t]
            var slot = [Int](repeating: -1, count: count)
            for (k, node) in splits[splitStart[t]..<splitStart[t + 1]].enumerated() { slot[Int(node) - a] = k }
            var lane: [Int32: Int] = [:]
            for (k, f) in features[featureStart[t]..<featureStart[t + 1]].enumerated() { lane[f] = k }
            var at = tableStart
            for root in shape.roots {
                // The index bits: one per feature split above the root (in the order met from
                // the tree's root: all of its conditions there hold; its edges' cover ratios
                // multiplied), then one per split inside the subtree in preorder.
                var above: [(parent: Int, child: Int)] = []
                var child = root
                while shape.parent[child] >= 0 { above.append((shape.parent[child], child)); child = shape.parent[child] }
                var terms: [[(slot: Int, flip: UInt8)]] = [], prefix: [(lane: Int, zero: Double)] = []
                var bitOfFeature: [Int32: Int] = [:]
                for (parent, child) in above.reversed() {
                    let f = feature(parent), wantsLeft = Int(left[a + parent]) == a + child
                    let bit: Int
                    if let known = bitOfFeature[f] {
                        bit = known
                    } else {
                        bit = terms.count
                        bitOfFeature[f] = bit
                        terms.append([])
                        prefix.append((lane[f]!, 1))
                    }
                    terms[bit].append((slot[parent], wantsLeft ? 0 : 1))
                    prefix[bit].zero *= zero[a + child]
                }
                let size = 2 * shape.inner[root] + 1
                var bitOf = [Int: Int]()
                for node in root..<(root + size) where left[a + node] >= 0 {
                    bitOf[node] = terms.count
                    terms.append([(slot[node], 0)])
                }
                for term in terms {
                    for (s, flip) in term { slots.append(Int32(s)); flips.append(flip) }
                    termStart.append(slots.count)
                }
                bitStart.append(termStart.count - 1)
                entryBase.append(UInt32(at / width))
                let entries = 1 << terms.count
                for leaf in (root..<(root + size)) where left[a + leaf] < 0 {
                    // The leaf's edges: the features above the root as one edge each (its bit,
                    // holding at 1), then its path inside the subtree, edge by edge: the split's
                    // bit, the direction that follows the edge (1: left), the feature's lane, the
                    // cover ratio.
                    var edges: [(bit: Int, wantsLeft: Int, lane: Int, zero: Double)] =
                        prefix.enumerated().map { ($0.offset, 1, $0.element.lane, $0.element.zero) }
                    var child = leaf
                    while child != root {
                        let parent = shape.parent[child]
                        edges.append((bitOf[parent]!, Int(left[a + parent]) == a + child ? 1 : 0, lane[feature(parent)]!, zero[a + child]))
                        child = parent
                    }
                    let value = forest.value[Int(origin[a + leaf])]
                    let terms = Self.leafTerms(value: value, edges: edges.map { ($0.lane, $0.zero) }, width: width,
                                               quadrature: pointsByCount)
                    for index in 0..<entries {
                        var pattern = 0
                        for (k, e) in edges.enumerated() where (index >> e.bit) & 1 == e.wantsLeft { pattern |= 1 << k }
                        let entry = tables + at + index * width, term = pattern * width
                        for k in 0..<width { entry[k] += terms[term + k] }
                    }
                }
                at += entries * width
            }
        }
        self.served = TreeShapPlan.copy(served)
        self.lanes = TreeShapPlan.copy(lanes)
        self.featureStart = TreeShapPlan.copy(featureStart)
        self.features = TreeShapPlan.copy(features)
        self.splitStart = TreeShapPlan.copy(splitStart)
        self.splits = TreeShapPlan.copy(splits)
        self.subtreeStart = TreeShapPlan.copy(subtreeStart)
        self.bitStart = TreeShapPlan.copy(bitStart)
        self.termStart = TreeShapPlan.copy(termStart)
        self.slots = TreeShapPlan.copy(slots)
        self.flips = TreeShapPlan.copy(flips)
        self.entryBase = TreeShapPlan.copy(entryBase)
        self.tables = tables
        var layouts: [[Int]] = [], layoutOf: [[Int32]: Int] = [:]
        for t in 0..<treeCount where served[t] {
            let key = [forest.treeGroup[t]] + Array(features[featureStart[t]..<featureStart[t + 1]])
            if let g = layoutOf[key] {
                layouts[g].append(t)
            } else {
                layoutOf[key] = layouts.count
                layouts.append([t])
            }
        }
        order = TreeShapPlan.copy(layouts.flatMap { $0 })
        layoutStart = TreeShapPlan.copy(layouts.reduce(into: [0]) { $0.append($0.last! + $1.count) })
        layoutCount = layouts.count
        mostSplits = (0..<treeCount).map { splitStart[$0 + 1] - splitStart[$0] }.max() ?? 0
        mostSubtrees = (0..<treeCount).map { subtreeStart[$0 + 1] - subtreeStart[$0] }.max() ?? 0
        servedCount = served.filter { $0 }.count
        byteCount = total
    }

    /// A tree's parents, inner-split counts and index bits (features split above the node plus
    /// splits inside it) per node (local preorder indices), and its subtree roots: the highest
    /// nodes whose index fits `entryBits` (nil when a leaf lies under none, or the tree is a
    /// single leaf).
    typealias Shape = (parent: [Int], inner: [Int], bits: [Int], roots: [Int])

    static func shape(left: [Int32], right: [Int32], start a: Int, count: Int, feature: (Int) -> Int32) -> Shape? {
        guard count > 1 else { return nil }
        var parent = [Int](repeating: -1, count: count)
        for i in 0..<count where left[a + i] >= 0 {
            for c in [Int(left[a + i]) - a, Int(right[a + i]) - a] { parent[c] = i }
        }
        var inner = [Int](repeating: 0, count: count)
        for i in Swift.stride(from: count - 1, through: 0, by: -1) where left[a + i] >= 0 {
            inner[i] = 1 + inner[Int(left[a + i]) - a] + inner[Int(right[a + i]) - a]
        }
        var bits = [Int](repeating: 0, count: count), roots: [Int] = [], stack = [0]
        while let i = stack.popLast() {
            var above: Set<Int32> = []
            var p = parent[i]
            while p >= 0 { above.insert(feature(p)); p = parent[p] }
            bits[i] = above.count + inner[i]
            if bits[i] <= entryBits { roots.append(i); continue }
            if left[a + i] < 0 { return nil }
            stack.append(Int(right[a + i]) - a)
            stack.append(Int(left[a + i]) - a)
        }
        return (parent, inner, bits, roots)
    }

    /// One leaf's terms for every pattern of its path's edges (bit `k` of the pattern: edge `k`'s
    /// condition holds), each `width` lanes: the feature of lane `j` gets
    /// `v · (o_j − z_j) · ∫₀¹ Π_{k≠j} (z_k + (o_k − z_k)·t) dt` over the path's unique features
    /// (`o_j`: all of the feature's edges hold; `z_j`: the product of their cover ratios), the
    /// integral exact by Gauss–Legendre on ⌈d/2⌉ points (`quadrature[q − 1]`).
    static func leafTerms(value: Double, edges: [(lane: Int, zero: Double)], width: Int,
                          quadrature: [([Double], [Double])]) -> [Double] {
        var unique: [Int] = [], zero: [Double] = [], member: [Int] = []
        for e in edges {
            if let u = unique.firstIndex(of: e.lane) {
                zero[u] *= e.zero
                member.append(u)
            } else {
                member.append(unique.count)
                unique.append(e.lane)
                zero.append(e.zero)
            }
        }
        let d = unique.count
        let (points, weights) = quadrature[Swift.max(1, (d + 1) / 2) - 1]
        var terms = [Double](repeating: 0, count: (1 << edges.count) * width)
        var one = [Double](repeating: 0, count: d), factor = [Double](repeating: 0, count: d)
        var integral = [Double](repeating: 0, count: d), suffix = [Double](repeating: 0, count: d + 1)
        for pattern in 0..<(1 << edges.count) {
            for u in 0..<d { one[u] = 1; integral[u] = 0 }
            for (k, u) in member.enumerated() where (pattern >> k) & 1 == 0 { one[u] = 0 }
            for q in 0..<points.count {
                // The product of every factor but j's: the product before j times the one after.
                for k in 0..<d { factor[k] = zero[k] + (one[k] - zero[k]) * points[q] }
                suffix[d] = 1
                for k in Swift.stride(from: d - 1, through: 0, by: -1) { suffix[k] = suffix[k + 1] * factor[k] }
                var prefix = weights[q]
                for j in 0..<d {
                    integral[j] += prefix * suffix[j + 1]
                    prefix *= factor[j]
                }
            }
            for j in 0..<d { terms[pattern * width + unique[j]] = value * (one[j] - zero[j]) * integral[j] }
        }
        return terms
    }

    func deallocate() {
        served.deallocate(); lanes.deallocate(); featureStart.deallocate(); features.deallocate()
        splitStart.deallocate(); splits.deallocate(); subtreeStart.deallocate(); bitStart.deallocate()
        termStart.deallocate(); slots.deallocate(); flips.deallocate(); entryBase.deallocate()
        UnsafeMutableRawPointer(tables).deallocate(); order.deallocate(); layoutStart.deallocate()
    }
}
