/// The fast layout of a `Forest`: thresholds quantised to per-feature bins, 8-byte nodes, leaf
/// values apart, fixed-depth descents with several rows in flight.
///
/// **Exact by construction.** Every threshold a tree compares a feature with is one of that
/// feature's cut points `c_0 < c_1 < … < c_{k-1}` (the distinct thresholds of its splits, in the
/// library's comparison type). A row is mapped once to one bin per feature:
///
/// - XGBoost (`Float(x) < t`): `bin = #{ c ≤ x }`, and `x < c_j ⟺ bin ≤ j`;
/// - LightGBM (`x ≤ t` in double): `bin = #{ c < x }`, and `x ≤ c_j ⟺ bin ≤ j`.
///
/// so each split becomes one comparison of small integers that decides exactly as the library's
/// own comparison. NaN is the bin `0xFFFF`; a node where NaN goes left compares
/// `(bin + 1) mod 2^16 ≤ threshold + 1` instead: NaN wraps to 0 and goes left, every other bin
/// keeps its order. The shifted bins are computed once per block, as a second plane of bins
/// (`bins[(featureCount + f) * block + r]`), so a node just names the plane row it reads.
/// LightGBM's missing type None (NaN read as 0) is a fixed direction per node, so it is the same
/// mechanism.
///
/// Bins are stored feature-major within a block of rows (`bins[f * block + r]`), so the eight
/// rows walked together read through one base address (no spilled row pointers).
///
/// A node is one `UInt64`: left child (32 bits), bin row (16: `f`, or `featureCount + f` when NaN
/// goes left), threshold bin (16). The right child is `left + 1` (breadth-first). A leaf is its
/// own left child with threshold `0xFFFF`, so every row of a tree takes exactly the tree's depth
/// in steps with no exit test: the descent has no data-dependent branch, and eight rows are walked
/// at once to hide latency.
///
/// - ONNX (`x ≤ t` or `x < t` per node, in double): `bin = #{ c < x } + #{ c ≤ x }`, and
///   `x ≤ c_j ⟺ bin ≤ 2j + 1`, `x < c_j ⟺ bin ≤ 2j`; NaN follows `missing_value_tracks_true`.
///   Sums keep ONNX Runtime's order (tree runs per intra-op thread, see `ONNXTreeAggregation`);
///   leaves voting for several outputs are dense rows of votes.
///
/// - Categorical splits (XGBoost, LightGBM): each distinct predicate (feature, category set,
///   which side the set goes, where missing values go) gets a plane of its own after the two
///   planes of bins, holding 0 where the row goes left and 1 where it goes right, computed once
///   per block with the library's own rules (see `fillPredicates`). Its nodes compare that plane
///   with 0, so the descent is the same loop for every node. On the churn example (150 trees,
///   458 categorical nodes, 26 distinct predicates) this moved the model off the straightforward
///   kernel.
///
/// - LightGBM's missing type Zero: two planes per feature with the zero range moved to either end
///   (see `zeroFeature`).
///
/// - ONNX `BRANCH_EQ`/`BRANCH_NEQ`: a predicate plane per distinct (feature, value, NaN direction)
///   holding `x == value`, as categorical splits.
///
/// Forests with a leaf voting
/// twice for one output, more than `maxPredicates` distinct categorical predicates, or too many
/// cut points on one feature keep the straightforward kernels (`Forest+Evaluate.swift`,
/// `Forest+ONNX.swift`).
@usableFromInline
struct BinnedForest: Sendable {
    enum Binning: Sendable {
        /// bin = #{ c ≤ Float(x) } (XGBoost).
        case floatUpper
        /// bin = #{ c < x } (LightGBM).
        case doubleLower
        /// bin = #{ c < x } + #{ c ≤ x } (ONNX: `x ≤ c_j ⟺ bin ≤ 2j + 1`, `x < c_j ⟺ bin ≤ 2j`).
        case doubleTwice
    }

    let binning: Binning
    let featureCount: Int
    /// Cut points, searched in two levels with no data-dependent branch. Feature f's `n` cut
    /// points are cut into segments of `s = 1 << cutShift[f]` (the smallest power of two that
    /// makes at most 255 segments), stored from `cutBase[f]` and padded with NaN (never ≤ or < any
    /// value) to whole segments plus one. `fences[f * 256 + j]` is the last cut point of segment
    /// j (NaN past the last segment). A value's bin is (number of fences it passes) × s plus the
    /// cut points it passes within the next segment: eight steps over the fences (2 KB a feature
    /// of float64, in cache), then `cutShift[f]` steps within one segment.
    ///
    /// On the benchmark's random forest (2,470–9,154 cut points per feature) the one-level
    /// binary search it replaces took 31% of the scoring time (perf), mostly mispredicted branches
    /// and cache misses over 1.8 MB of cut points.
    let fencesF: [Float]
    let fencesD: [Double]
    let cutsF: [Float]
    let cutsD: [Double]
    let cutBase: [Int]
    let cutShift: [Int]
    let cutCount: [Int]
    /// The features with cut points (numeric splits): the others (only in categorical splits, or
    /// in none) are not binned, their planes never read (left zero).
    let binnedFeatures: [Int]
    let nodes: [UInt64]
    /// Leaf value of each packed node (0 for internal nodes), in float32 and in double.
    let leafF: [Float]
    let leafD: [Double]
    /// Node of the `Forest` each packed node comes from.
    let origin: [Int32]
    /// ONNX multi-output leaves: `outputGroups` votes per packed node (empty otherwise).
    let denseF: [Float]
    let denseD: [Double]
    /// ONNX leaves that all vote once for this one output (-1: none such): their votes are in
    /// `leafF`/`leafD`, and `denseF`/`denseD` are empty.
    let singleOutput: Int
    let depths: [Int]
    /// The top `heapLevels[t] = k` levels of tree t (at most `maxHeapLevels`) again, as a complete
    /// tree in heap order with the root in slot 2 and node h's children in slots 2h - 1 (left) and
    /// 2h (right), so that a step is `h = 2h - (bin < bound)` with `bound` = threshold bin + 1:
    /// no child index to load, and the index is updated in place (`add h, h; cmp; sbb h, 0`, see
    /// `heapStep`). Level j fills slots 2^j + 1 ... 2^(j+1). Tree t's node slots are
    /// `heapNodes[heapBase[t] + h]` (bin offset in the block `plane << blockShift`, 32 bits;
    /// bound, 16 bits; a leaf reached early has bound 0 and both children stand for itself), and
    /// the bottom slot h (2^k + 1 ... 2^(k+1)) stands for the packed node in the low 32 bits of
    /// `heapExit[heapBase[t] + h - 2^k - 1]`, with the height of its subtree in the high bits
    /// (the steps still needed: a group of rows walks the most any of them needs, not the tree's
    /// depth; on the benchmark's LightGBM model, 8,159 steps a row become about 6,000), whose leaf value is in `heapLeafF`/`heapLeafD` at
    /// the same index (read directly when the tree is no deeper than its top).
    let heapBase: [Int]
    let heapLevels: [Int]
    let heapNodes: [UInt64]
    let heapExit: [UInt64]
    let heapLeafF: [Float]
    let heapLeafD: [Double]
    /// Categorical predicates, one bin plane each (plane `2 * featureCount + p`): feature, the
    /// category bitset `predicateBits[predicateStart[p] ..< predicateStart[p + 1]]`, and flags
    /// (`Forest.flagInSetLeft`, `Forest.flagDefaultLeft`).
    let predicateFeature: [Int]
    let predicateStart: [Int]
    let predicateBits: [UInt32]
    let predicateFlags: [UInt8]
    /// ONNX `BRANCH_EQ` predicates (flag `Forest.flagEqual`): the value compared with.
    let predicateValue: [Double]
    /// Per predicate: its feature's column among `codedFeatures`, the features of the categorical
    /// (not `BRANCH_EQ`) predicates, whose category codes are read once per block.
    let predicateCodeColumn: [Int]
    let codedFeatures: [Int]

    /// Features split with LightGBM's missing type Zero, two planes each after the predicates'
    /// (plane `2 * featureCount + predicates + 2 k` and `+ 1` for `zeroFeature[k]`): with the zero
    /// range (|x| ≤ 1e-35, and NaN, read as 0) moved to the bottom (0, other bins + 1) or to the top
    /// (0xFFFE, other bins as they are), so a node whose default is left (right) compares the first
    /// (second) with its threshold bin + 1 (as it is).
    let zeroFeature: [Int]

    /// Bin planes per block: the bins, the NaN-shifted bins, one per categorical predicate, two per
    /// missing-type-Zero feature.
    var planes: Int { 2 * featureCount + predicateFeature.count + 2 * zeroFeature.count }

    static let nanBin: UInt16 = 0xFFFF
    /// Distinct categorical predicates a forest may have and keep this layout: each costs one pass
    /// over a block's rows and 512 bytes of the block's bins.
    static let maxPredicates = 1024

    /// Rows binned and evaluated together: their bins (`rows × features` UInt16) and sums stay
    /// in L1 while each tree is walked for all of them.
    static let block = 1 << blockShift
    static var blockShift: Int { 8 }
    /// Levels of a tree walked in heap order (`heapNodes`): 2^levels slots of 8 + 4 + 8 bytes.
    static let maxHeapLevels = 8

    /// Builds the layout, or nil when the forest needs the straightforward kernels.
    init?(_ forest: Forest) {
        let binning: Binning
        switch forest.semantics {
        case .xgboost: binning = .floatUpper
        case .lightgbm: binning = .doubleLower
        case .onnx: binning = .doubleTwice
        }
        let featureCount = forest.featureCount
        guard featureCount > 0, 4 * featureCount + Self.maxPredicates < 0xFFFF, forest.nodeCount < Int(Int32.max) else { return nil }
        // Distinct thresholds per feature, in the comparison type.
        var perF = [[Float]](repeating: [], count: featureCount)
        var perD = [[Double]](repeating: [], count: featureCount)
        struct PredicateKey: Hashable { var feature: Int; var bits: [UInt32]; var flags: UInt8; var equal: UInt64 = 0 }
        var predicateOf: [PredicateKey: Int] = [:]
        var predicateIndex = [Int32](repeating: -1, count: forest.nodeCount)
        var predicateFeature: [Int] = [], predicateStart = [0], predicateBits: [UInt32] = [], predicateFlags: [UInt8] = []
        var predicateValue: [Double] = []
        var zeroFeature: [Int] = [], zeroIndex = [Int](repeating: -1, count: featureCount)
        /// Gives node `n` the plane of `key`, a new one if needed; false past `maxPredicates`.
        func intern(_ key: PredicateKey, node n: Int, value: Double) -> Bool {
            if let p = predicateOf[key] {
                predicateIndex[n] = Int32(p)
                return true
            }
            guard predicateFeature.count < Self.maxPredicates else { return false }
            predicateOf[key] = predicateFeature.count
            predicateIndex[n] = Int32(predicateFeature.count)
            predicateFeature.append(key.feature)
            predicateBits.append(contentsOf: key.bits)
            predicateStart.append(predicateBits.count)
            predicateFlags.append(key.flags)
            predicateValue.append(value)
            return true
        }
        for n in 0..<forest.nodeCount {
            let f = Int(forest.feature[n])
            guard f >= 0 else { continue }
            let fl = forest.flags[n]
            if (fl & Forest.flagCategorical) != 0 {
                guard binning != .doubleTwice else { return nil }  // ONNX has no categorical splits
                let start = Int(forest.catStart[n])
                var bits = Array(forest.catBits[start..<(start + Int(forest.catWords[n]))])
                while bits.last == 0 { bits.removeLast() }  // the same set, so the same predicate
                let key = PredicateKey(feature: f, bits: bits, flags: fl & (Forest.flagInSetLeft | Forest.flagDefaultLeft))
                guard intern(key, node: n, value: 0) else { return nil }
                continue
            }
            if binning == .doubleLower && (fl & Forest.flagMissingZero) != 0 && zeroIndex[f] < 0 {
                zeroIndex[f] = zeroFeature.count
                zeroFeature.append(f)
            }
            if binning == .doubleTwice && (fl & Forest.flagEqual) != 0 {
                // ONNX BRANCH_EQ (and NEQ, its children swapped): `x == t`, a predicate plane too.
                guard !forest.threshold[n].isNaN else { return nil }
                let key = PredicateKey(feature: f, bits: [], flags: fl & (Forest.flagEqual | Forest.flagDefaultLeft),
                                       equal: forest.threshold[n].bitPattern)
                guard intern(key, node: n, value: forest.threshold[n]) else { return nil }
                continue
            }
            if forest.threshold[n].isNaN { return nil }
            switch binning {
            case .floatUpper: perF[f].append(forest.thresholdF[n])
            case .doubleLower, .doubleTwice: perD[f].append(forest.threshold[n])
            }
        }
        var cutStart = [0]
        var cutsF: [Float] = []
        var cutsD: [Double] = []
        for f in 0..<featureCount {
            let count: Int
            switch binning {
            case .floatUpper:
                let sorted = Self.distinct(perF[f])
                cutsF.append(contentsOf: sorted)
                count = sorted.count
            case .doubleLower, .doubleTwice:
                let sorted = Self.distinct(perD[f])
                cutsD.append(contentsOf: sorted)
                count = sorted.count
            }
            // Bins 0...count (0...2 count), plus one for the NaN shift, must stay below the NaN bin.
            guard (binning == .doubleTwice ? 2 * count : count) + 2 < Int(Self.nanBin) else { return nil }
            cutStart.append(cutStart[f] + count)
        }

        // Breadth-first packing, children adjacent.
        let total = forest.nodeCount
        var nodes = [UInt64](repeating: 0, count: total)
        var leafF = [Float](repeating: 0, count: total)
        var leafD = [Double](repeating: 0, count: total)
        var origin = [Int32](repeating: 0, count: total)
        var roots: [Int] = []
        var depths: [Int] = []
        var next = 0
        var queue: [(orig: Int, packed: Int, depth: Int)] = []
        for root in forest.treeRoot {
            let r = next
            next += 1
            roots.append(r)
            var depth = 0
            queue.removeAll(keepingCapacity: true)
            queue.append((Int(root), r, 0))
            var head = 0
            while head < queue.count {
                let (o, p, d) = queue[head]
                head += 1
                depth = Swift.max(depth, d)
                origin[p] = Int32(o)
                let f = Int(forest.feature[o])
                if f < 0 {
                    nodes[p] = UInt64(UInt32(p)) | (UInt64(0xFFFF) << 48)
                    leafF[p] = forest.valueF[o]
                    leafD[p] = forest.value[o]
                    continue
                }
                let fl = forest.flags[o]
                let left = next
                if predicateIndex[o] >= 0 {
                    // The predicate's plane holds 0 (left) or 1 (right): compare with 0.
                    next += 2
                    nodes[p] = UInt64(UInt32(left)) | (UInt64(UInt16(2 * featureCount + Int(predicateIndex[o]))) << 32)
                    queue.append((Int(forest.left[o]), left, d + 1))
                    queue.append((Int(forest.right[o]), left + 1, d + 1))
                    continue
                }
                let lo = cutStart[f], hi = cutStart[f + 1]
                if binning == .doubleLower && (fl & Forest.flagMissingZero) != 0 {
                    let j = Self.index(of: forest.threshold[o], in: cutsD, lo, hi) - lo
                    let defaultLeft = (fl & Forest.flagDefaultLeft) != 0
                    let plane = 2 * featureCount + predicateFeature.count + 2 * zeroIndex[f] + (defaultLeft ? 0 : 1)
                    next += 2
                    nodes[p] = UInt64(UInt32(left)) | (UInt64(UInt16(plane)) << 32) | (UInt64(UInt16(j + (defaultLeft ? 1 : 0))) << 48)
                    queue.append((Int(forest.left[o]), left, d + 1))
                    queue.append((Int(forest.right[o]), left + 1, d + 1))
                    continue
                }
                let j: Int
                let nanLeft: Bool
                switch binning {
                case .floatUpper:
                    j = Self.index(of: forest.thresholdF[o], in: cutsF, lo, hi) - lo
                    nanLeft = (fl & Forest.flagDefaultLeft) != 0
                case .doubleLower:
                    j = Self.index(of: forest.threshold[o], in: cutsD, lo, hi) - lo
                    if (fl & Forest.flagMissingNaN) != 0 {
                        nanLeft = (fl & Forest.flagDefaultLeft) != 0
                    } else if (fl & Forest.flagMissingNone) != 0 {
                        nanLeft = 0 <= forest.threshold[o]  // missing type None: NaN is read as 0
                    } else {
                        nanLeft = false  // NaN <= t is false
                    }
                case .doubleTwice:
                    let c = Self.index(of: forest.threshold[o], in: cutsD, lo, hi) - lo
                    j = (fl & Forest.flagLess) != 0 ? 2 * c : 2 * c + 1
                    nanLeft = (fl & Forest.flagDefaultLeft) != 0
                }
                let shift = nanLeft ? 1 : 0
                next += 2
                nodes[p] = UInt64(UInt32(left)) | (UInt64(UInt16(f + shift * featureCount)) << 32)
                    | (UInt64(UInt16(j + shift)) << 48)
                queue.append((Int(forest.left[o]), left, d + 1))
                queue.append((Int(forest.right[o]), left + 1, d + 1))
            }
            depths.append(depth)
        }
        guard next == total else { return nil }
        // ONNX leaves voting for several outputs: dense rows of votes per packed node, when every
        // leaf votes at most once per output (adding the +0.0 of a missing vote leaves a sum
        // unchanged bit for bit: a sum started at +0.0 is never -0.0).
        var denseF: [Float] = [], denseD: [Double] = []
        var singleOutput = -1
        if !forest.leafStart.isEmpty {
            let groups = forest.outputGroups
            // Every leaf voting once, for the same output (binary classifiers' forests): the votes
            // are leaf values, summed into that output (the others stay +0.0, as in the reference).
            var uniform = -2
            for p in 0..<total where forest.feature[Int(origin[p])] < 0 {
                let o = Int(origin[p])
                let g = forest.leafCount[o] == 1 ? Int(forest.leafOutput[Int(forest.leafStart[o])]) : -1
                if uniform == -2 { uniform = g } else if uniform != g { uniform = -1 }
                if uniform == -1 { break }
            }
            if uniform >= 0 {
                singleOutput = uniform
                for p in 0..<total where forest.feature[Int(origin[p])] < 0 {
                    let w = forest.leafWeight[Int(forest.leafStart[Int(origin[p])])]
                    leafF[p] = Float(w)
                    leafD[p] = w
                }
            } else {
                denseF = [Float](repeating: 0, count: total * groups)
                denseD = [Double](repeating: 0, count: total * groups)
                var seen = [Bool](repeating: false, count: groups)
                for p in 0..<total where forest.feature[Int(origin[p])] < 0 {
                    let o = Int(origin[p])
                    let s = Int(forest.leafStart[o])
                    for w in s..<(s + Int(forest.leafCount[o])) {
                        let g = Int(forest.leafOutput[w])
                        guard !seen[g] else { return nil }
                        seen[g] = true
                        denseF[p * groups + g] = Float(forest.leafWeight[w])
                        denseD[p * groups + g] = forest.leafWeight[w]
                    }
                    for w in s..<(s + Int(forest.leafCount[o])) { seen[Int(forest.leafOutput[w])] = false }
                }
            }
        }
        self.singleOutput = singleOutput
        self.denseF = denseF
        self.denseD = denseD
        self.binning = binning
        self.featureCount = featureCount
        var fencesF: [Float] = [], fencesD: [Double] = [], paddedF: [Float] = [], paddedD: [Double] = []
        var cutBase: [Int] = [], cutShift: [Int] = [], cutCount: [Int] = []
        let float = binning == .floatUpper
        if float { fencesF = [Float](repeating: .nan, count: featureCount * 256) } else { fencesD = [Double](repeating: .nan, count: featureCount * 256) }
        for f in 0..<featureCount {
            let lo = cutStart[f], n = cutStart[f + 1] - lo
            var shift = 0
            while (n + (1 << shift) - 1) >> shift > 255 { shift += 1 }
            guard shift <= 9 else { return nil }  // `segment` has nine steps (n < 2^16 needs at most nine)
            let size = 1 << shift
            let segments = (n + size - 1) >> shift
            cutBase.append(float ? paddedF.count : paddedD.count)
            cutShift.append(shift)
            cutCount.append(n)
            for j in 0..<segments {
                let last = lo + Swift.min((j + 1) * size, n) - 1
                if float { fencesF[f * 256 + j] = cutsF[last] } else { fencesD[f * 256 + j] = cutsD[last] }
            }
            let padding = (segments + 1) * size - n
            if float {
                paddedF.append(contentsOf: cutsF[lo..<(lo + n)])
                paddedF.append(contentsOf: repeatElement(Float.nan, count: padding))
            } else {
                paddedD.append(contentsOf: cutsD[lo..<(lo + n)])
                paddedD.append(contentsOf: repeatElement(Double.nan, count: padding))
            }
        }
        self.fencesF = fencesF
        self.fencesD = fencesD
        self.cutsF = paddedF
        self.cutsD = paddedD
        self.cutBase = cutBase
        self.cutShift = cutShift
        self.cutCount = cutCount
        self.binnedFeatures = (0..<cutCount.count).filter { cutCount[$0] > 0 }
        self.nodes = nodes
        self.leafF = leafF
        self.leafD = leafD
        self.origin = origin
        self.depths = depths
        // The heap-ordered tops of the trees: tree t's slots from `heapBase[t]`, 2^k + 1 of them
        // in each array (nodes: 0 and 1 unused; exits and leaf values: the bottom's 2^k, then a
        // 0 so that the next tree's bottom starts at its own base). Sized first and written
        // through pointers: appended slot by slot, with a uniqueness check per write, building the
        // layout of the 500-tree XGBoost benchmark model took 88 M instructions, now 72 M (callgrind).
        var heapBase: [Int] = [], heapLevels: [Int] = []
        heapBase.reserveCapacity(roots.count); heapLevels.reserveCapacity(roots.count)
        var heapSlots = 0
        for depth in depths { heapSlots += (1 << Swift.min(depth, Self.maxHeapLevels)) + 1 }
        var heapNodes = [UInt64](repeating: 0, count: heapSlots), heapExit = [UInt64](repeating: 0, count: heapSlots)
        var heapLeafF = [Float](repeating: 0, count: heapSlots), heapLeafD = [Double](repeating: 0, count: heapSlots)
        // Height of each packed node's subtree (0 for a leaf); children come after their parent.
        var height = [UInt64](repeating: 0, count: total)
        for n in stride(from: total - 1, through: 0, by: -1) {
            let left = Int(UInt32(truncatingIfNeeded: nodes[n]))
            if left != n { height[n] = 1 + Swift.max(height[left], height[left + 1]) }
        }
        // The packed node each slot stands for; every slot read is written first for the tree at
        // hand, so one array serves all trees.
        var packedAt = [Int](repeating: 0, count: 2 << Self.maxHeapLevels + 1)
        heapNodes.withUnsafeMutableBufferPointer { heapNodes in
        heapExit.withUnsafeMutableBufferPointer { heapExit in
        heapLeafF.withUnsafeMutableBufferPointer { heapLeafF in
        heapLeafD.withUnsafeMutableBufferPointer { heapLeafD in
            var base = 0
            for t in 0..<roots.count {
                let k = Swift.min(depths[t], Self.maxHeapLevels)
                let size = 1 << k
                heapBase.append(base)
                heapLevels.append(k)
                // Slots 2 ... size hold the top's nodes (level j: 2^j + 1 ... 2^(j+1)); slots
                // size + 1 ... 2 size its bottom.
                packedAt[2] = roots[t]
                for h in 2..<(size + 1) {
                    let n = packedAt[h]
                    let word = nodes[n]
                    let left = Int(UInt32(truncatingIfNeeded: word))
                    let plane = UInt64((word >> 32) & 0xFFFF)
                    // A real threshold bin is at most 0xFFFD; a leaf's 0xFFFF makes a bound of 0 (it
                    // goes right, to itself).
                    let bound = UInt64(UInt16(truncatingIfNeeded: (word >> 48) &+ 1))
                    heapNodes[base + h] = (plane << UInt64(Self.blockShift)) | (bound << 32)
                    packedAt[2 * h - 1] = left
                    packedAt[2 * h] = left == n ? n : left + 1
                }
                for h in (size + 1)...(2 * size) {
                    let n = packedAt[h]
                    heapExit[base + h - size - 1] = UInt64(n) | (height[n] << 32)
                    heapLeafF[base + h - size - 1] = leafF[n]
                    heapLeafD[base + h - size - 1] = leafD[n]
                }
                base += size + 1
            }
        }}}}
        self.heapBase = heapBase
        self.heapLevels = heapLevels
        self.heapNodes = heapNodes
        self.heapExit = heapExit
        self.heapLeafF = heapLeafF
        self.heapLeafD = heapLeafD
        self.predicateFeature = predicateFeature
        self.predicateStart = predicateStart
        self.predicateBits = predicateBits
        self.predicateFlags = predicateFlags
        self.predicateValue = predicateValue
        var codedFeatures: [Int] = [], predicateCodeColumn: [Int] = []
        for (p, f) in predicateFeature.enumerated() {
            guard (predicateFlags[p] & Forest.flagEqual) == 0 else { predicateCodeColumn.append(-1); continue }
            if let column = codedFeatures.firstIndex(of: f) {
                predicateCodeColumn.append(column)
            } else {
                predicateCodeColumn.append(codedFeatures.count)
                codedFeatures.append(f)
            }
        }
        self.predicateCodeColumn = predicateCodeColumn
        self.codedFeatures = codedFeatures
        self.zeroFeature = zeroFeature
        guard planes < 0xFFFF else { return nil }
    }

    private static func distinct<T: BinaryFloatingPoint>(_ values: [T]) -> [T] {
        var out: [T] = []
        for v in values.sorted() where out.last != v { out.append(v) }
        return out
    }

    private static func index<T: BinaryFloatingPoint>(of v: T, in cuts: [T], _ lo: Int, _ hi: Int) -> Int {
        var a = lo, b = hi
        while a < b {
            let m = (a + b) / 2
            if cuts[m] < v { a = m + 1 } else { b = m }
        }
        precondition(a < hi && cuts[a] == v, "threshold missing from its feature's cut points")
        return a
    }

    // MARK: Binning

    /// The cut-point arrays for the binning loop, as plain pointers.
    @usableFromInline
    struct CutPointers {
        var fencesF: UnsafePointer<Float>, fencesD: UnsafePointer<Double>
        var cutsF: UnsafePointer<Float>, cutsD: UnsafePointer<Double>
        var base: UnsafePointer<Int>, shift: UnsafePointer<Int>, count: UnsafePointer<Int>
    }

    /// Calls `body` with pointers to the cut-point arrays (an unused float or double array may be
    /// empty: its pointer is never read).
    @inline(__always)
    func withCutPointers<R>(_ body: (CutPointers) -> R) -> R {
        fencesF.withUnsafeBufferPointer { a in
        fencesD.withUnsafeBufferPointer { b in
        cutsF.withUnsafeBufferPointer { c in
        cutsD.withUnsafeBufferPointer { d in
        cutBase.withUnsafeBufferPointer { e in
        cutShift.withUnsafeBufferPointer { g in
        cutCount.withUnsafeBufferPointer { h in
            body(CutPointers(fencesF: a.baseAddress ?? UnsafePointer(bitPattern: 8)!, fencesD: b.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                             cutsF: c.baseAddress ?? UnsafePointer(bitPattern: 8)!, cutsD: d.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                             base: e.baseAddress ?? UnsafePointer(bitPattern: 8)!, shift: g.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                             count: h.baseAddress ?? UnsafePointer(bitPattern: 8)!))
        }}}}}}}
    }

    /// The second level: `start` plus the cut points of the segment at `c + start` (`1 << shift`
    /// of them) that pass (`c ≤ x`, or `c < x`). Unrolled steps of constant size, each a
    /// conditional move: written as a loop, the compiler turned the step into a branch, which
    /// mispredicted on every other row (20% of the random forest's scoring time, perf).
    @inline(__always)
    static func segment<T: BinaryFloatingPoint>(_ c: UnsafePointer<T>, _ x: T, _ shift: Int, _ start: Int, inclusive: Bool) -> Int {
        @inline(__always) func pass(_ v: T) -> Bool { inclusive ? v <= x : v < x }
        var i = start
        if shift >= 9 { i &+= pass(c[i &+ 255]) ? 256 : 0 }
        if shift >= 8 { i &+= pass(c[i &+ 127]) ? 128 : 0 }
        if shift >= 7 { i &+= pass(c[i &+ 63]) ? 64 : 0 }
        if shift >= 6 { i &+= pass(c[i &+ 31]) ? 32 : 0 }
        if shift >= 5 { i &+= pass(c[i &+ 15]) ? 16 : 0 }
        if shift >= 4 { i &+= pass(c[i &+ 7]) ? 8 : 0 }
        if shift >= 3 { i &+= pass(c[i &+ 3]) ? 4 : 0 }
        if shift >= 2 { i &+= pass(c[i &+ 1]) ? 2 : 0 }
        i &+= pass(c[i]) ? 1 : 0
        return i
    }

    /// Writes the bins of `rows ≤ block` rows (`stride` doubles apart) to `bins`, feature-major:
    /// feature f of row r at `bins[f * block + r]`, so the rows walked together share one base address.
    ///
    /// Each step of both levels is `i += c[i + h - 1] <= x ? h : 0`, which counts the entries of
    /// an ascending, NaN-padded run of `2h` that pass (at most `2h - 1`: a segment whose last
    /// cut point passes is already counted by its fence).
    @inline(__always)
    func bin(features: UnsafePointer<Double>, stride: Int, rows: Int, bins: UnsafeMutablePointer<UInt16>, cuts: CutPointers) {
        binnedFeatures.withUnsafeBufferPointer { binned in
        switch binning {
        case .floatUpper:
            for r in 0..<rows {
                let row = features + r &* stride
                let out = bins + r
                for f in binned {
                    let x = Float(row[f])
                    let t = cuts.fencesF + (f &<< 8)
                    var j = 0
                    j &+= t[j &+ 127] <= x ? 128 : 0
                    j &+= t[j &+ 63] <= x ? 64 : 0
                    j &+= t[j &+ 31] <= x ? 32 : 0
                    j &+= t[j &+ 15] <= x ? 16 : 0
                    j &+= t[j &+ 7] <= x ? 8 : 0
                    j &+= t[j &+ 3] <= x ? 4 : 0
                    j &+= t[j &+ 1] <= x ? 2 : 0
                    j &+= t[j] <= x ? 1 : 0
                    let shift = cuts.shift[f]
                    var i = j &<< shift
                    if shift > 0 {
                        i = Swift.min(Self.segment(cuts.cutsF + cuts.base[f], x, shift, i, inclusive: true), cuts.count[f])
                    }
                    out[f &<< Self.blockShift] = x.isNaN ? Self.nanBin : UInt16(truncatingIfNeeded: i)
                }
            }
        case .doubleLower, .doubleTwice:
            let twice = binning == .doubleTwice
            for r in 0..<rows {
                let row = features + r &* stride
                let out = bins + r
                for f in binned {
                    let x = row[f]
                    let t = cuts.fencesD + (f &<< 8)
                    var j = 0
                    j &+= t[j &+ 127] < x ? 128 : 0
                    j &+= t[j &+ 63] < x ? 64 : 0
                    j &+= t[j &+ 31] < x ? 32 : 0
                    j &+= t[j &+ 15] < x ? 16 : 0
                    j &+= t[j &+ 7] < x ? 8 : 0
                    j &+= t[j &+ 3] < x ? 4 : 0
                    j &+= t[j &+ 1] < x ? 2 : 0
                    j &+= t[j] < x ? 1 : 0
                    let shift = cuts.shift[f]
                    var i = j &<< shift
                    let c = cuts.cutsD + cuts.base[f]
                    if shift > 0 {
                        i = Swift.min(Self.segment(c, x, shift, i, inclusive: false), cuts.count[f])
                    }
                    // i ≤ count, and the padding after the cut points makes c[i] readable (NaN).
                    if twice { i = 2 &* i &+ (c[i] == x ? 1 : 0) }
                    out[f &<< Self.blockShift] = x.isNaN ? Self.nanBin : UInt16(truncatingIfNeeded: i)
                }
            }
        }
        }
    }

    // MARK: Descent

    /// One step down from node `n` for the row whose bins start at `row` (feature-major block).
    ///
    /// The three fields are read with three narrow loads rather than one load and shifts/masks,
    /// and the NaN shift is already in the bin plane: 6 instructions a step instead of 13 (objdump
    /// of the release build); instructions a row (callgrind) XGBoost 500 × depth 8 59,700 → 38,900,
    /// LightGBM 500 × 127 leaves 116,000 → 73,400, RandomForest 100 × depth 12 26,600 → 20,200.
    @inline(__always)
    static func step(_ nodes: UnsafeRawPointer, _ n: Int, _ row: UnsafePointer<UInt16>, _ i: Int) -> Int {
        let at = n &<< 3
        let plane = nodes.load(fromByteOffset: at &+ 4, as: UInt16.self)
        let threshold = nodes.load(fromByteOffset: at &+ 6, as: UInt16.self)
        let b = row[(Int(plane) &<< blockShift) &+ i]
        let right = b <= threshold ? 0 : 1
        let left = nodes.load(fromByteOffset: at, as: UInt32.self)
        return Int(left) &+ right
    }

    /// Fills the second bin plane (NaN-left nodes): `(bin + 1) mod 2^16`, so NaN becomes 0.
    @inline(__always)
    static func shiftedPlane(_ bins: UnsafeMutablePointer<UInt16>, features fc: Int) {
        let count = fc &<< blockShift
        let shifted = bins + count
        for i in 0..<count { shifted[i] = bins[i] &+ 1 }
    }

    /// Fills the categorical predicates' planes for `rows ≤ block` rows (`stride` doubles apart):
    /// 0 where the row goes left, 1 where it goes right, by the same rules as the straightforward
    /// kernels (`Forest+Evaluate.swift`):
    /// - XGBoost: the value in float32; NaN takes the default direction; a code outside
    ///   `0 ..< 2^24` is in no set; otherwise `Int(x)` (truncated) is looked up;
    /// - LightGBM: NaN takes the default direction; the value is truncated toward zero, and a code
    ///   outside `0 ..< 2^31` is in no set.
    @inline(__always)
    func fillPredicates(features: UnsafePointer<Double>, stride: Int, rows: Int, bins: UnsafeMutablePointer<UInt16>) {
        let count = predicateFeature.count
        guard count > 0 else { return }
        let xgboost = binning == .floatUpper
        predicateFeature.withUnsafeBufferPointer { featureB in
        predicateStart.withUnsafeBufferPointer { startB in
        predicateBits.withUnsafeBufferPointer { bitsB in
        predicateFlags.withUnsafeBufferPointer { flagsB in
        predicateValue.withUnsafeBufferPointer { valueB in
        predicateCodeColumn.withUnsafeBufferPointer { codeColumnB in
        // The category codes of every feature with categorical predicates, read once per block.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Swift.max(1, codedFeatures.count * rows)) { codeBuffer in
            let codes = codeBuffer.baseAddress!
            for (k, f) in codedFeatures.enumerated() {
                let column = features + f, into = codes + k &* rows
                for r in 0..<rows { into[r] = Forest.categoryCode(column[r &* stride], xgboost: xgboost) }
            }
            for p in 0..<count {
                let column = features + featureB[p]
                let bits = bitsB.baseAddress.map { $0 + startB[p] } ?? UnsafePointer(bitPattern: 8)!
                let words = startB[p &+ 1] &- startB[p]
                let fl = flagsB[p]
                let inSetRight: UInt16 = (fl & Forest.flagInSetLeft) != 0 ? 0 : 1
                let missing: UInt16 = (fl & Forest.flagDefaultLeft) != 0 ? 0 : 1
                let out = bins + ((2 &* featureCount &+ p) &<< Self.blockShift)
                if (fl & Forest.flagEqual) != 0 {
                    let t = valueB[p]
                    for r in 0..<rows {
                        let x = column[r &* stride]
                        out[r] = x.isNaN ? missing : (x == t ? 0 : 1)
                    }
                    continue
                }
                Forest.categorySides(codes: codes + codeColumnB[p] &* rows, rows: rows, bits: bits, words: words,
                                     inSet: inSetRight, missing: missing, into: out)
            }
        }
        }}}}}}
    }

    /// Fills every plane of a block of `rows ≤ block` rows: bins, NaN-shifted bins, predicates,
    /// missing-type-Zero planes.
    @inline(__always)
    func fillPlanes(features: UnsafePointer<Double>, stride: Int, rows: Int, bins: UnsafeMutablePointer<UInt16>, cuts: CutPointers) {
        bin(features: features, stride: stride, rows: rows, bins: bins, cuts: cuts)
        Self.shiftedPlane(bins, features: featureCount)
        fillPredicates(features: features, stride: stride, rows: rows, bins: bins)
        fillZeroPlanes(features: features, stride: stride, rows: rows, bins: bins)
    }

    /// Fills the missing-type-Zero planes of `rows ≤ block` rows from their bins (plane f) and values.
    @inline(__always)
    func fillZeroPlanes(features: UnsafePointer<Double>, stride: Int, rows: Int, bins: UnsafeMutablePointer<UInt16>) {
        guard !zeroFeature.isEmpty else { return }
        let zeroThreshold = Double(Float(1e-35))  // LightGBM's kZeroThreshold is the float 1e-35f
        let first = 2 &* featureCount &+ predicateFeature.count
        for (k, f) in zeroFeature.enumerated() {
            let column = features + f
            let bin = bins + (f &<< Self.blockShift)
            let low = bins + ((first &+ 2 &* k) &<< Self.blockShift)
            let high = low + Self.block
            for r in 0..<rows {
                let x = column[r &* stride]
                let zero = x.isNaN || (x >= -zeroThreshold && x <= zeroThreshold)
                let b = bin[r]
                low[r] = zero ? 0 : b &+ 1
                high[r] = zero ? 0xFFFE : b
            }
        }
    }

    /// One step down from heap slot `h` (see `heapNodes`): to `2h - 1` when the bin is below the
    /// bound, else to `2h`. Six instructions, the index updated in place and no child index
    /// loaded. Written as `(b - bound) >> 31` in 32 bits: the forms `2h + (t < b)` and a
    /// subtract-with-borrow compiled to a spilled `setb` and to a mispredicting branch (objdump).
    @inline(__always)
    static func heapStep(_ heap: UnsafeRawPointer, _ h: Int, _ row: UnsafePointer<UInt16>, _ i: Int) -> Int {
        let at = h &<< 3
        let offset = heap.load(fromByteOffset: at, as: UInt32.self)
        let bound = heap.load(fromByteOffset: at &+ 4, as: UInt32.self)
        let b = UInt32(row[Int(offset) &+ i])
        return (h &<< 1) &- Int((b &- bound) &>> 31)
    }

    /// The first three levels of a heap-ordered top (slots 2 ... 8), walked for eight rows at
    /// once: every node of a level is compared for all eight rows (their bins are adjacent in the
    /// block), and each row keeps the comparison of the node it is at. Seven vector comparisons
    /// and selects replace 24 dependent scalar steps.
    @usableFromInline
    struct TopThree {
        let o2: Int, o3: Int, o4: Int, o5: Int, o6: Int, o7: Int, o8: Int
        let b2: SIMD8<UInt16>, b3: SIMD8<UInt16>, b4: SIMD8<UInt16>, b5: SIMD8<UInt16>
        let b6: SIMD8<UInt16>, b7: SIMD8<UInt16>, b8: SIMD8<UInt16>

        @inline(__always)
        init(_ top: UnsafeRawPointer) {
            @inline(__always) func offset(_ h: Int) -> Int { Int(top.load(fromByteOffset: h &<< 3, as: UInt32.self)) &<< 1 }
            @inline(__always) func bound(_ h: Int) -> SIMD8<UInt16> {
                SIMD8(repeating: top.load(fromByteOffset: (h &<< 3) &+ 4, as: UInt16.self))
            }
            o2 = offset(2); o3 = offset(3); o4 = offset(4); o5 = offset(5); o6 = offset(6); o7 = offset(7); o8 = offset(8)
            b2 = bound(2); b3 = bound(3); b4 = bound(4); b5 = bound(5); b6 = bound(6); b7 = bound(7); b8 = bound(8)
        }

        /// The slots (9 ... 16) the eight rows at `p` reach after three levels.
        @inline(__always)
        func walk(_ p: UnsafeRawPointer) -> SIMD8<UInt16> {
            let zero = SIMD8<UInt16>(repeating: 0), one = SIMD8<UInt16>(repeating: 1)
            @inline(__always) func left(_ o: Int, _ b: SIMD8<UInt16>) -> SIMD8<UInt16> {
                zero.replacing(with: one, where: p.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt16>.self) .< b)
            }
            // Comparisons with vectors, not scalars: `.== 3` compiled to a loop over the lanes.
            let s3 = SIMD8<UInt16>(repeating: 3), s5 = SIMD8<UInt16>(repeating: 5)
            let s6 = SIMD8<UInt16>(repeating: 6), s7 = SIMD8<UInt16>(repeating: 7)
            let l1 = SIMD8<UInt16>(repeating: 4) &- left(o2, b2)
            let c1 = left(o4, b4).replacing(with: left(o3, b3), where: l1 .== s3)
            let l2 = l1 &+ l1 &- c1
            let c2 = left(o8, b8).replacing(with: left(o5, b5), where: l2 .== s5)
                .replacing(with: left(o6, b6), where: l2 .== s6).replacing(with: left(o7, b7), where: l2 .== s7)
            return l2 &+ l2 &- c2
        }
    }

    /// The packed node of a `heapExit` word.
    @inline(__always)
    static func low(_ x: UInt64) -> Int { Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: x)) }

    typealias Eight = (Int, Int, Int, Int, Int, Int, Int, Int)

    /// The packed leaves eight rows at the bottom slots `h` of a tree's top reach: from the packed
    /// nodes the slots stand for, as many steps as the deepest of the eight still needs (the
    /// subtree heights are the high bits of the exit words, so the largest word has the largest).
    @inline(__always)
    static func below(_ nodes: UnsafeRawPointer, _ exit: UnsafePointer<UInt64>, _ size: Int, _ p: UnsafePointer<UInt16>,
                      _ h: Eight) -> Eight {
        let x0 = exit[h.0 &- size], x1 = exit[h.1 &- size], x2 = exit[h.2 &- size], x3 = exit[h.3 &- size]
        let x4 = exit[h.4 &- size], x5 = exit[h.5 &- size], x6 = exit[h.6 &- size], x7 = exit[h.7 &- size]
        var n0 = low(x0), n1 = low(x1), n2 = low(x2), n3 = low(x3), n4 = low(x4), n5 = low(x5), n6 = low(x6), n7 = low(x7)
        var d = Int(truncatingIfNeeded: Swift.max(Swift.max(Swift.max(x0, x1), Swift.max(x2, x3)),
                                                  Swift.max(Swift.max(x4, x5), Swift.max(x6, x7))) &>> 32)
        while d > 0 {
            n0 = step(nodes, n0, p, 0); n1 = step(nodes, n1, p, 1)
            n2 = step(nodes, n2, p, 2); n3 = step(nodes, n3, p, 3)
            n4 = step(nodes, n4, p, 4); n5 = step(nodes, n5, p, 5)
            n6 = step(nodes, n6, p, 6); n7 = step(nodes, n7, p, 7)
            d &-= 1
        }
        return (n0, n1, n2, n3, n4, n5, n6, n7)
    }

    /// `below` for one row at bottom slot `h`.
    @inline(__always)
    static func below(_ nodes: UnsafeRawPointer, _ exit: UnsafePointer<UInt64>, _ size: Int, _ p: UnsafePointer<UInt16>,
                      _ h: Int) -> Int {
        let x = exit[h &- size]
        var n = low(x)
        var d = Int(truncatingIfNeeded: x &>> 32)
        while d > 0 { n = step(nodes, n, p, 0); d &-= 1 }
        return n
    }

    /// The heap-ordered tops of the trees, as plain pointers.
    @usableFromInline
    struct HeapPointers {
        var nodes: UnsafeRawPointer
        var exit: UnsafePointer<UInt64>
        var base: UnsafePointer<Int>
        var levels: UnsafePointer<Int>
    }

    @inline(__always)
    func withHeapPointers<R>(_ body: (HeapPointers) -> R) -> R {
        heapNodes.withUnsafeBytes { n in
        heapExit.withUnsafeBufferPointer { e in
        heapBase.withUnsafeBufferPointer { b in
        heapLevels.withUnsafeBufferPointer { l in
            body(HeapPointers(nodes: n.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, exit: e.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                              base: b.baseAddress ?? UnsafePointer(bitPattern: 8)!, levels: l.baseAddress ?? UnsafePointer(bitPattern: 8)!))
        }}}}
    }

    /// Writes the packed leaf each of `rows` binned rows reaches in tree `t` to `leaves`.
    @inline(__always)
    static func descend(
        nodes: UnsafeRawPointer, heap: HeapPointers, tree t: Int,
        bins: UnsafePointer<UInt16>, rows: Int, leaves: UnsafeMutablePointer<Int>
    ) {
        let base = heap.base[t], levels = heap.levels[t], size = (1 &<< levels) &+ 1
        let top = heap.nodes + base &<< 3
        let exit = heap.exit + base
        var r = 0
        while r &+ 8 <= rows {
            let p = bins + r
            var h0 = 2, h1 = 2, h2 = 2, h3 = 2, h4 = 2, h5 = 2, h6 = 2, h7 = 2
            // Every slot of level j is at most 2^(j+1): no counter to keep in a register.
            while h0 < size {
                h0 = heapStep(top, h0, p, 0); h1 = heapStep(top, h1, p, 1)
                h2 = heapStep(top, h2, p, 2); h3 = heapStep(top, h3, p, 3)
                h4 = heapStep(top, h4, p, 4); h5 = heapStep(top, h5, p, 5)
                h6 = heapStep(top, h6, p, 6); h7 = heapStep(top, h7, p, 7)
            }
            let n = below(nodes, exit, size, p, (h0, h1, h2, h3, h4, h5, h6, h7))
            let l = leaves + r
            l[0] = n.0; l[1] = n.1; l[2] = n.2; l[3] = n.3; l[4] = n.4; l[5] = n.5; l[6] = n.6; l[7] = n.7
            r &+= 8
        }
        while r < rows {
            let p = bins + r
            var h = 2
            while h < size { h = heapStep(top, h, p, 0) }
            leaves[r] = below(nodes, exit, size, p, h)
            r &+= 1
        }
    }

    /// Adds tree `t`'s leaf value to `acc[r * accStride]` for each of `rows` binned rows: the
    /// heap-ordered top (`heapStep`), then the rest of the depth from the packed node it stands
    /// for (`step`; a leaf is its own child). `heapLeaf` holds the bottom slots' leaf values, read
    /// directly when the tree is no deeper than its top.
    @inline(__always)
    static func addTree<T: BinaryFloatingPoint>(
        nodes: UnsafeRawPointer, leaf: UnsafePointer<T>, heap: HeapPointers, heapLeaf: UnsafePointer<T>,
        tree t: Int, depth: Int, bins: UnsafePointer<UInt16>, rows: Int, starts: UnsafeMutablePointer<UInt16>,
        acc: UnsafeMutablePointer<T>, accStride: Int
    ) {
        let base = heap.base[t], levels = heap.levels[t], size = (1 &<< levels) &+ 1, rest = depth &- levels
        let top = heap.nodes + base &<< 3
        let exit = heap.exit + base
        let bottom = heapLeaf + base
        var r = 0
        // The first three levels for every eight rows with vector comparisons (`TopThree`); the
        // slots reached are in `starts[0 ..< q]`.
        var q = 0
        if levels >= 3 {
            let t3 = TopThree(top)
            while q &+ 8 <= rows {
                UnsafeMutableRawPointer(starts + q).storeBytes(of: t3.walk(UnsafeRawPointer(bins + q)), as: SIMD8<UInt16>.self)
                q &+= 8
            }
        }
        if rest == 0 {
            // The rest with ten rows in flight: a step's latency (two dependent loads) bounds
            // that loop, and ten indices still fit in registers. Blocks of 256 rows: 24 groups of
            // ten here, then two of eight in the loop below.
            while q &- r >= 18 || q &- r == 10 {
                let p = bins + r, s = starts + r
                var h0 = Int(s[0]), h1 = Int(s[1]), h2 = Int(s[2]), h3 = Int(s[3]), h4 = Int(s[4])
                var h5 = Int(s[5]), h6 = Int(s[6]), h7 = Int(s[7]), h8 = Int(s[8]), h9 = Int(s[9])
                while h0 < size {
                    h0 = heapStep(top, h0, p, 0); h1 = heapStep(top, h1, p, 1)
                    h2 = heapStep(top, h2, p, 2); h3 = heapStep(top, h3, p, 3)
                    h4 = heapStep(top, h4, p, 4); h5 = heapStep(top, h5, p, 5)
                    h6 = heapStep(top, h6, p, 6); h7 = heapStep(top, h7, p, 7)
                    h8 = heapStep(top, h8, p, 8); h9 = heapStep(top, h9, p, 9)
                }
                let a = acc + r &* accStride
                a[0] += bottom[h0 &- size]; a[accStride] += bottom[h1 &- size]
                a[2 &* accStride] += bottom[h2 &- size]; a[3 &* accStride] += bottom[h3 &- size]
                a[4 &* accStride] += bottom[h4 &- size]; a[5 &* accStride] += bottom[h5 &- size]
                a[6 &* accStride] += bottom[h6 &- size]; a[7 &* accStride] += bottom[h7 &- size]
                a[8 &* accStride] += bottom[h8 &- size]; a[9 &* accStride] += bottom[h9 &- size]
                r &+= 10
            }
        }
        while r &+ 8 <= rows {
            let p = bins + r
            var h0 = 2, h1 = 2, h2 = 2, h3 = 2, h4 = 2, h5 = 2, h6 = 2, h7 = 2
            if r &+ 8 <= q {
                let s = starts + r
                h0 = Int(s[0]); h1 = Int(s[1]); h2 = Int(s[2]); h3 = Int(s[3])
                h4 = Int(s[4]); h5 = Int(s[5]); h6 = Int(s[6]); h7 = Int(s[7])
            }
            // Every slot of level j is at most 2^(j+1): no counter to keep in a register.
            while h0 < size {
                h0 = heapStep(top, h0, p, 0); h1 = heapStep(top, h1, p, 1)
                h2 = heapStep(top, h2, p, 2); h3 = heapStep(top, h3, p, 3)
                h4 = heapStep(top, h4, p, 4); h5 = heapStep(top, h5, p, 5)
                h6 = heapStep(top, h6, p, 6); h7 = heapStep(top, h7, p, 7)
            }
            let a = acc + r &* accStride
            if rest == 0 {
                a[0] += bottom[h0 &- size]; a[accStride] += bottom[h1 &- size]
                a[2 &* accStride] += bottom[h2 &- size]; a[3 &* accStride] += bottom[h3 &- size]
                a[4 &* accStride] += bottom[h4 &- size]; a[5 &* accStride] += bottom[h5 &- size]
                a[6 &* accStride] += bottom[h6 &- size]; a[7 &* accStride] += bottom[h7 &- size]
            } else {
                let n = below(nodes, exit, size, p, (h0, h1, h2, h3, h4, h5, h6, h7))
                a[0] += leaf[n.0]; a[accStride] += leaf[n.1]
                a[2 &* accStride] += leaf[n.2]; a[3 &* accStride] += leaf[n.3]
                a[4 &* accStride] += leaf[n.4]; a[5 &* accStride] += leaf[n.5]
                a[6 &* accStride] += leaf[n.6]; a[7 &* accStride] += leaf[n.7]
            }
            r &+= 8
        }
        while r < rows {
            let p = bins + r
            var h = 2
            while h < size { h = heapStep(top, h, p, 0) }
            if rest == 0 {
                acc[r &* accStride] += bottom[h &- size]
            } else {
                acc[r &* accStride] += leaf[below(nodes, exit, size, p, h)]
            }
            r &+= 1
        }
    }
}

extension Forest {
    /// The fast kernels over `binned`; same results, bit for bit, as the straightforward ones.
    @usableFromInline
    func binnedMargins(_ binned: BinnedForest, features: UnsafePointer<Double>, stride: Int, rows: Int,
                       margins: UnsafeMutablePointer<Double>) {
        let groups = outputGroups
        let block = BinnedForest.block
        // The planes: the bins, the bins + 1 that NaN-left nodes read, one per categorical
        // predicate. Initialised once, so that the planes of a partial block read defined values.
        // One more block after the planes: the slots rows reach after the first three levels.
        let bins = UnsafeMutablePointer<UInt16>.allocate(capacity: (binned.planes + 1) * block)
        bins.initialize(repeating: 0, count: (binned.planes + 1) * block)
        let starts = bins + binned.planes * block
        defer { bins.deallocate() }
        binned.nodes.withUnsafeBufferPointer { nodesB in
        binned.withCutPointers { cuts in
        binned.withHeapPointers { heap in
        binned.depths.withUnsafeBufferPointer { depths in
        treeGroup.withUnsafeBufferPointer { tgroup in
            let nodes = UnsafeRawPointer(nodesB.baseAddress!)
            let trees = depths.count
            switch binned.binning {
            case .floatUpper:
                // XGBoost: float32 sums, from the base margin, trees in order.
                let acc = UnsafeMutablePointer<Float>.allocate(capacity: block * groups)
                defer { acc.deallocate() }
                binned.leafF.withUnsafeBufferPointer { leafB in
                binned.heapLeafF.withUnsafeBufferPointer { heapLeafB in
                    let leaf = leafB.baseAddress!, heapLeaf = heapLeafB.baseAddress!
                    var start = 0
                    while start < rows {
                        let n = Swift.min(block, rows - start)
                        binned.fillPlanes(features: features + start * stride, stride: stride, rows: n, bins: bins, cuts: cuts)
                        for r in 0..<n {
                            for g in 0..<groups { acc[r * groups + g] = Float(baseMargins[g]) }
                        }
                        for t in 0..<trees {
                            BinnedForest.addTree(nodes: nodes, leaf: leaf, heap: heap, heapLeaf: heapLeaf, tree: t, depth: depths[t],
                                                 bins: bins, rows: n, starts: starts,
                                                 acc: acc + Int(tgroup[t]), accStride: groups)
                        }
                        for i in 0..<(n * groups) { margins[start * groups + i] = Double(acc[i]) }
                        start += n
                    }
                }}
            case .doubleLower:
                // LightGBM: double sums from 0, then averaged (random forests) and the base added.
                let acc = UnsafeMutablePointer<Double>.allocate(capacity: block * groups)
                defer { acc.deallocate() }
                let divisor = averageOutput ? Double(Swift.max(iterations, 1)) : 1
                binned.leafD.withUnsafeBufferPointer { leafB in
                binned.heapLeafD.withUnsafeBufferPointer { heapLeafB in
                    let leaf = leafB.baseAddress!, heapLeaf = heapLeafB.baseAddress!
                    var start = 0
                    while start < rows {
                        let n = Swift.min(block, rows - start)
                        binned.fillPlanes(features: features + start * stride, stride: stride, rows: n, bins: bins, cuts: cuts)
                        acc.update(repeating: 0, count: n * groups)
                        for t in 0..<trees {
                            BinnedForest.addTree(nodes: nodes, leaf: leaf, heap: heap, heapLeaf: heapLeaf, tree: t, depth: depths[t],
                                                 bins: bins, rows: n, starts: starts,
                                                 acc: acc + Int(tgroup[t]), accStride: groups)
                        }
                        for r in 0..<n {
                            for g in 0..<groups {
                                margins[(start + r) * groups + g] = acc[r * groups + g] / divisor + baseMargins[g]
                            }
                        }
                        start += n
                    }
                }}
            case .doubleTwice:
                guard case .onnx(let aggregation) = semantics else { preconditionFailure("ONNX layout without ONNX semantics") }
                if aggregation.doubleSums {
                    binnedONNX(Double.self, aggregation, binned, leaf: binned.leafD, heapLeaf: binned.heapLeafD, dense: binned.denseD, nodes: nodes, heap: heap, depths: depths,
                               cuts: cuts, bins: bins,
                               features: features, stride: stride, rows: rows, margins: margins)
                } else {
                    binnedONNX(Float.self, aggregation, binned, leaf: binned.leafF, heapLeaf: binned.heapLeafF, dense: binned.denseF, nodes: nodes, heap: heap, depths: depths,
                               cuts: cuts, bins: bins,
                               features: features, stride: stride, rows: rows, margins: margins)
                }
            }
        }}}}}
    }

    /// ONNX Runtime's aggregation (see `marginsONNX`) over the fast layout.
    @inline(__always)
    func binnedONNX<T: BinaryFloatingPoint>(
        _: T.Type, _ aggregation: ONNXTreeAggregation, _ binned: BinnedForest, leaf leafValues: [T], heapLeaf heapLeafValues: [T],
        dense denseValues: [T], nodes: UnsafeRawPointer, heap: BinnedForest.HeapPointers, depths: UnsafeBufferPointer<Int>,
        cuts: BinnedForest.CutPointers, bins: UnsafeMutablePointer<UInt16>,
        features: UnsafePointer<Double>, stride: Int, rows: Int, margins: UnsafeMutablePointer<Double>
    ) {
        let groups = outputGroups
        let trees = depths.count
        let starts = bins + binned.planes * BinnedForest.block
        let parts = aggregation.partitions(trees: trees)
        let block = BinnedForest.block
        let partStride = block * groups
        let acc = UnsafeMutablePointer<T>.allocate(capacity: parts * partStride)
        let leaves = UnsafeMutablePointer<Int>.allocate(capacity: block)
        defer { acc.deallocate(); leaves.deallocate() }
        let average = aggregation.function == .average
        let multi = !leafStart.isEmpty
        let singleOutput = binned.singleOutput
        leafValues.withUnsafeBufferPointer { leafB in
        heapLeafValues.withUnsafeBufferPointer { heapLeafB in
        denseValues.withUnsafeBufferPointer { denseB in
        treeGroup.withUnsafeBufferPointer { tgroup in
            let leaf = leafB.baseAddress!, heapLeaf = heapLeafB.baseAddress!
            let dense = denseB.baseAddress
            var start = 0
            while start < rows {
                let n = Swift.min(block, rows - start)
                binned.fillPlanes(features: features + start * stride, stride: stride, rows: n, bins: bins, cuts: cuts)
                acc.update(repeating: 0, count: parts * partStride)
                for p in 0..<parts {
                    let a = acc + p * partStride
                    for t in ONNXTreeAggregation.run(p, of: parts, trees: trees) {
                        if singleOutput >= 0 {
                            // One vote per leaf, all for one output: summed like leaf values
                            // (random forest classifiers: the loop over the dense votes below was
                            // 19% of the scoring time, perf).
                            BinnedForest.addTree(nodes: nodes, leaf: leaf, heap: heap, heapLeaf: heapLeaf, tree: t, depth: depths[t],
                                                 bins: bins, rows: n, starts: starts,
                                                 acc: a + singleOutput, accStride: groups)
                        } else if multi, let dense {
                            BinnedForest.descend(nodes: nodes, heap: heap, tree: t, bins: bins,
                                                 rows: n, leaves: leaves)
                            for r in 0..<n {
                                let votes = dense + leaves[r] &* groups
                                let ar = a + r &* groups
                                for g in 0..<groups { ar[g] += votes[g] }
                            }
                        } else {
                            BinnedForest.addTree(nodes: nodes, leaf: leaf, heap: heap, heapLeaf: heapLeaf, tree: t, depth: depths[t],
                                                 bins: bins, rows: n, starts: starts,
                                                 acc: a + Int(tgroup[t]), accStride: groups)
                        }
                    }
                }
                for r in 0..<n {
                    for g in 0..<groups {
                        var s = acc[r * groups + g]
                        for p in 1..<Swift.max(parts, 1) { s += acc[p * partStride + r * groups + g] }
                        if average { s /= T(trees) }
                        margins[(start + r) * groups + g] = Double(s)
                    }
                }
                start += n
            }
        }}}}
    }
}
