extension TreeShapPlan {
    /// Contributions of `rows` rows (`stride` doubles apart, features in model order) into
    /// `contributions`, laid out as `Forest.computeContributions` lays them out: per row, per
    /// output group, `featureCount` values then the bias.
    public func computeContributions(features: UnsafePointer<Double>, stride: Int, rows: Int,
                                     contributions: UnsafeMutablePointer<Double>) {
        precondition(stride >= featureCount)
        let width = featureCount + 1
        contributions.initialize(repeating: 0, count: rows * groups * width)
        guard rows > 0 else { return }
        let b = Self.block, wb = Self.walkBlock, levels = maxDepth + 2
        // Products and sums per level and row, in the widest tree's lanes (aligned for SIMD).
        let slots = levels * wb * widest * 8
        let products = UnsafeMutableRawPointer.allocate(byteCount: slots, alignment: 64)
        let sums = UnsafeMutableRawPointer.allocate(byteCount: slots, alignment: 64)
        // The terms of a group's splits per feature and row, in vectors of its lanes. Zero between
        // groups: the walk adds to them, and the sums of their lanes reset them.
        let accumulatorBytes = Swift.max(1, mostSlots) * wb * widest * 8
        let accumulators = UnsafeMutableRawPointer.allocate(byteCount: accumulatorBytes, alignment: 64)
        accumulators.initializeMemory(as: UInt8.self, repeating: 0, count: accumulatorBytes)
        let byteCount = maxTreeNodes * wb + wb
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: byteCount)
        // Directions as 32-bit lanes: the tests vectorise as compares, float32 (XGBoost) or double,
        // and 32-bit results halve what 64-bit ones stored and narrowed to the cases' bytes.
        let decisions = UnsafeMutablePointer<UInt32>.allocate(capacity: levels * wb)
        // The rows' features column by column: a node's test reads its feature for a block at once.
        let columns = UnsafeMutablePointer<Double>.allocate(capacity: featureCount * rows)
        // XGBoost compares in float32: its columns rounded once here, not at every node.
        let xgboost = forest.semantics == .xgboost
        let columnsF = UnsafeMutablePointer<Float>.allocate(capacity: xgboost ? featureCount * rows : 0)
        // Category codes of the features with categorical splits, read once for every node.
        let codes = UnsafeMutablePointer<UInt32>.allocate(capacity: Swift.max(1, categoricalFeatures * rows))
        // Shallow trees: every split's directions, then each subtree's table index, per row.
        // Vectors of a block's 64 bytes (zero: rows past a block's end are read, not used).
        let directions = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, shallow.mostSplits) * b, alignment: 64)
            .bindMemory(to: UInt8.self, capacity: Swift.max(1, shallow.mostSplits) * b)
        directions.initialize(repeating: 0, count: Swift.max(1, shallow.mostSplits) * b)
        let indices = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, shallow.mostSubtrees) * b, alignment: 64)
            .bindMemory(to: UInt8.self, capacity: Swift.max(1, shallow.mostSubtrees) * b)
        defer {
            products.deallocate(); sums.deallocate(); accumulators.deallocate(); bytes.deallocate(); columns.deallocate(); decisions.deallocate()
            columnsF.deallocate(); directions.deallocate(); indices.deallocate(); codes.deallocate()
        }
        // Zero: the cases of a tree's nodes are written before they are read; the block after
        // them stays zero (the case of no earlier edge: every earlier condition held).
        bytes.initialize(repeating: 0, count: byteCount)
        for r in 0..<rows {
            for f in 0..<featureCount { columns[f * rows + r] = features[r * stride + f] }
        }
        if xgboost {
            for i in 0..<featureCount * rows { columnsF[i] = Float(columns[i]) }
        }
        for f in 0..<featureCount where codeColumn[f] >= 0 {
            let into = codes + Int(codeColumn[f]) * rows, column = columns + f * rows
            for r in 0..<rows { into[r] = Forest.categoryCode(column[r], xgboost: xgboost) }
        }
        func block(_ start: Int, _ n: Int) -> Block {
            Block(rows: n, columns: columns + start, columnsF: columnsF + (xgboost ? start : 0),
                  codes: codes + start, codeColumn: codeColumn, columnStride: rows,
                  output: contributions + start * groups * width, rowWidth: groups * width)
        }
        // Shallow trees layout by layout, tree by tree, and within a tree block by block: the
        // tree's tables stay in the cache while every block of rows reads them.
        let layoutSums = UnsafeMutableRawPointer.allocate(byteCount: shallow.layoutCount > 0 ? rows * ShallowTreeTables.mostLanes * 8 : 8,
                                                          alignment: 64)
        layoutSums.initializeMemory(as: UInt8.self, repeating: 0, count: shallow.layoutCount > 0 ? rows * ShallowTreeTables.mostLanes * 8 : 8)
        defer { layoutSums.deallocate() }
        for g in 0..<shallow.layoutCount {
            switch shallow.lanes[shallow.order[shallow.layoutStart[g]]] {
            case 4: lookUp(SIMD4<Double>.self, layout: g, rows: rows, block, layoutSums, directions, indices)
            case 8: lookUp(SIMD8<Double>.self, layout: g, rows: rows, block, layoutSums, directions, indices)
            default: lookUp(SIMD16<Double>.self, layout: g, rows: rows, block, layoutSums, directions, indices)
            }
        }
        // The others group by group, and within a group block by block.
        let scratch = Scratch(products: products, sums: sums, accumulators: accumulators, bytes: bytes, decisions: decisions,
                              levels: levels)
        for g in 0..<groupCount {
            let first = groupTrees[groupStart[g]]
            var start = 0
            while start < rows {
                let n = Swift.min(wb, rows - start), block = block(start, n)
                let out = block.output + Int(forest.treeGroup[first]) * width
                switch treeLanes[first] {
                case 2: walk(SIMD2<Double>.self, group: g, block, out, scratch)
                case 4: walk(SIMD4<Double>.self, group: g, block, out, scratch)
                case 8: walk(SIMD8<Double>.self, group: g, block, out, scratch)
                case 16: walk(SIMD16<Double>.self, group: g, block, out, scratch)
                case 32: walk(Lanes32.self, group: g, block, out, scratch)
                default: walk(Lanes64.self, group: g, block, out, scratch)
                }
                start += n
            }
        }
        for r in 0..<rows {
            for g in 0..<groups { contributions[(r * groups + g) * width + featureCount] = bias[g] }
        }
    }

    /// The rows of one block.
    struct Block {
        let rows: Int
        /// The block's first row in the column of feature 0; features `columnStride` apart.
        let columns: UnsafePointer<Double>
        /// XGBoost: the same columns in float32 (empty otherwise).
        let columnsF: UnsafePointer<Float>
        /// The category codes of the features with categorical splits (`Forest.categoryCode`),
        /// the block's first row of the first such feature; per feature, its column among them
        /// (-1: none), the columns `columnStride` apart.
        let codes: UnsafePointer<UInt32>
        let codeColumn: UnsafePointer<Int32>
        let columnStride: Int
        let output: UnsafeMutablePointer<Double>
        let rowWidth: Int
    }

    /// The walk's per-call scratch.
    struct Scratch {
        let products: UnsafeMutableRawPointer
        let sums: UnsafeMutableRawPointer
        let accumulators: UnsafeMutableRawPointer
        let bytes: UnsafeMutablePointer<UInt8>
        let decisions: UnsafeMutablePointer<UInt32>
        let levels: Int
    }

    /// One group's trees over one block, in vectors of their lanes.
    func walk<V: PairwiseSum>(_: V.Type, group g: Int, _ block: Block, _ out: UnsafeMutablePointer<Double>, _ scratch: Scratch) {
        let b = Self.walkBlock, n = block.rows, levels = scratch.levels
        let firstSlot = groupSlotStart[g], slots = groupSlotStart[g + 1] - firstSlot
        let terms = scratch.accumulators.bindMemory(to: V.self, capacity: Swift.max(1, slots) * b)
        let products = scratch.products.bindMemory(to: V.self, capacity: levels * b)
        let sums = scratch.sums.bindMemory(to: V.self, capacity: levels * b)
        for k in groupStart[g]..<groupStart[g + 1] {
            let t = groupTrees[k]
            let walk = Walk<V>(
                nodes: nodes, forest: forest, xgboost: forest.semantics == .xgboost, block: block, terms: terms,
                products: products, sums: sums, decisions: scratch.decisions, cases: scratch.bytes,
                treeStart: treeNodeStart[t], noEarlierEdge: scratch.bytes + maxTreeNodes * b)
            for r in 0..<n { products[r] = V(repeating: 1) }
            // The root's sums are not needed (its mean is in the bias): they go to the last level.
            walk.visit(treeNodeStart[t], level: 0, into: sums + (levels - 1) * b)
        }
        // Each feature's terms: one sum of lanes per row; the accumulators back to zero.
        let zero = V(repeating: 0)
        for s in 0..<slots {
            let column = out + Int(slotFeature[firstSlot + s]), from = terms + s * b, rowWidth = block.rowWidth
            for r in 0..<n {
                column[r &* rowWidth] += from[r].pairwiseSum()
                from[r] = zero
            }
        }
    }

    /// One block's walk through one tree; pointers into the plan and into per-call scratch.
    struct Walk<V: PairwiseSum>: SplitDirections {
        let nodes: TreeShapPlan.Nodes
        let forest: Forest
        let xgboost: Bool
        let block: Block
        /// Per split feature of the tree (`Nodes.slot`) and row: the sum of its edges' terms, in
        /// vectors (lanes summed after the tree).
        let terms: UnsafeMutablePointer<V>
        /// Per level and row: the products at the points of the level's node.
        let products: UnsafeMutablePointer<V>
        /// Per level and row: the sums of the right child's leaves (the left child's go straight
        /// to its parent's destination).
        let sums: UnsafeMutablePointer<V>
        /// Per level and row: the row goes left at the level's node.
        let decisions: UnsafeMutablePointer<UInt32>
        /// Per node of the tree and row: the case of the edge into the node (0: this and every
        /// earlier condition on its feature along the path hold, TreeSHAP's "one" fraction; 1: the
        /// earlier held, this fails; 2: an earlier one failed).
        let cases: UnsafeMutablePointer<UInt8>
        let treeStart: Int
        /// A block's worth of case 0: the "earlier edge" of a feature's first edge on a path.
        let noEarlierEdge: UnsafeMutablePointer<UInt8>

        /// The cases of the edge into node `c` over the block (`flip`: 0 for a left child, 1 for a
        /// right one), from the row's direction and the case of the previous edge on its feature.
        /// A loop of byte operations, without the table lookups, so that it is vectorised.
        @inline(__always)
        func setCases(_ c: Int, flip: UInt8, _ goesLeft: UnsafeMutablePointer<UInt32>) -> UnsafeMutablePointer<UInt8> {
            let n = block.rows
            let before = earlierCases(c), mine = cases(of: c)
            for r in 0..<n {
                let holds = UInt8(truncatingIfNeeded: goesLeft[r]) ^ flip
                mine[r] = before[r] == 0 ? 1 &- holds : 2
            }
            return mine
        }

        /// The cases of the edge into node `c`, per row of the block.
        @inline(__always)
        func cases(of c: Int) -> UnsafeMutablePointer<UInt8> { cases + (c &- treeStart) &* TreeShapPlan.walkBlock }

        /// The cases of the previous edge on the feature of the edge into `c` (none: case 0).
        @inline(__always)
        func earlierCases(_ c: Int) -> UnsafeMutablePointer<UInt8> {
            let prev = Int(nodes.previous[c])
            return prev >= 0 ? cases(of: prev) : noEarlierEdge
        }

        /// Vectors of the tree's lanes starting `start` doubles into the tables.
        @inline(__always)
        func vectors(_ start: Int) -> UnsafePointer<V> {
            UnsafeRawPointer(nodes.tables + start).assumingMemoryBound(to: V.self)
        }

        /// Node `i` (preorder index) at `level`, its products already in the level's slot: writes
        /// the sums of its leaves to `into` and adds its edges' terms to the output.
        func visit(_ i: Int, level k: Int, into sum: UnsafeMutablePointer<V>) {
            let b = TreeShapPlan.walkBlock, n = block.rows
            let here = products + k &* b
            let l = Int(nodes.left[i])
            if l < 0 {
                let v = nodes.leafValue[i]
                for r in 0..<n { sum[r] = here[r] * v }
                return
            }
            let goesLeft = decisions + k &* b
            decide(i, into: goesLeft)
            let pair = nodes.pairStart[i]
            if pair >= 0 {
                // Both children leaves (only a tree's root: below it, a pair is its parent's side).
                let table = vectors(pair), combinations = pairCombinations(i, goesLeft)
                let into = accumulator(i)
                for r in 0..<n {
                    let combination = Int(combinations[r])
                    sum[r] = here[r] * table[combination]
                    into[r] = into[r].plusProduct(here[r], table[4 &+ combination])
                }
                return
            }
            let next = products + (k &+ 1) &* b, rightSums = sums + (k &+ 1) &* b
            let rc = Int(nodes.right[i])
            // The children's edges are both on this node's feature: their terms are added to its
            // accumulator together (after both subtrees).
            // A child that is a pair is computed in the same loop (its products never stored);
            // its combinations are prepared on the way, in the next level's decisions.
            let leftCases = setCases(l, flip: 0, goesLeft)
            let left = side(l, leftCases, here: here, next: next, level: k, sums: sum)
            let rightCases = setCases(rc, flip: 1, goesLeft)
            let right = side(rc, rightCases, here: here, next: next, level: k, sums: rightSums)
            let sides = Sides(terms: accumulator(i), here: here, sum: sum, left: left, right: right)
            switch (left.kind, right.kind) {
            case (.leaf, .pair): sides.add(rows: n, .leaf, .pair)
            case (.leaf, _): sides.add(rows: n, .leaf, .inner)
            case (.pair, .leaf): sides.add(rows: n, .pair, .leaf)
            case (.pair, .pair): sides.add(rows: n, .pair, .pair)
            case (.pair, _): sides.add(rows: n, .pair, .inner)
            case (_, .leaf): sides.add(rows: n, .inner, .leaf)
            case (_, .pair): sides.add(rows: n, .inner, .pair)
            default: sides.add(rows: n, .inner, .inner)
            }
        }

        /// Split `i`'s accumulator: its feature's terms, per row of the block.
        @inline(__always)
        func accumulator(_ i: Int) -> UnsafeMutablePointer<V> { terms + Int(nodes.slot[i]) &* TreeShapPlan.walkBlock }

        /// The combinations of pair node `i` over the block (its direction `h` and its feature's
        /// earlier conditions `e`, `h | e << 1`), in its left leaf's cases (free: a leaf has no
        /// edge below it that reads them), in a vectorised byte loop.
        @inline(__always)
        func pairCombinations(_ i: Int, _ goesLeft: UnsafeMutablePointer<UInt32>) -> UnsafeMutablePointer<UInt8> {
            let l = Int(nodes.left[i])
            let before = earlierCases(l), combinations = cases(of: l)
            for r in 0..<block.rows { combinations[r] = UInt8(truncatingIfNeeded: goesLeft[r]) | (before[r] == 0 ? 2 : 0) }
            return combinations
        }

        /// Child `c` of a node at level `k`, its cases set: a leaf is read as it is; a pair's
        /// combinations are prepared; an inner node gets its products (the parent's times the
        /// vector of the row's case) and its subtree is walked, its sums into `sums`.
        @inline(__always)
        func side(_ c: Int, _ mine: UnsafeMutablePointer<UInt8>, here: UnsafeMutablePointer<V>, next: UnsafeMutablePointer<V>,
                  level k: Int, sums: UnsafeMutablePointer<V>) -> Side<V> {
            let table = vectors(nodes.tableStart[c])
            if nodes.left[c] < 0 {
                return Side(kind: .leaf, table: table, cases: mine, sums: sums, pairTable: table, combinations: mine,
                            pairTerms: terms)
            }
            let pair = nodes.pairStart[c]
            if pair >= 0 {
                let goesLeft = decisions + (k &+ 1) &* TreeShapPlan.walkBlock
                decide(c, into: goesLeft)
                return Side(kind: .pair, table: table, cases: mine, sums: sums, pairTable: vectors(pair),
                            combinations: pairCombinations(c, goesLeft), pairTerms: accumulator(c))
            }
            for r in 0..<block.rows { next[r] = here[r] * table[Int(mine[r])] }
            visit(c, level: k &+ 1, into: sums)
            return Side(kind: .inner, table: table, cases: mine, sums: sums, pairTable: table, combinations: mine,
                        pairTerms: terms)
        }
    }

    /// What a split's child is to the loop over its two edges.
    enum SideKind { case leaf, pair, inner }

    /// One child of a split over a block: its six vectors and the rows' cases of its edge; a pair
    /// (both its children leaves): its eight vectors, the rows' combinations and the accumulator
    /// of its feature; an inner node: its sums, already computed.
    struct Side<V: PairwiseSum> {
        let kind: SideKind
        let table: UnsafePointer<V>
        let cases: UnsafeMutablePointer<UInt8>
        let sums: UnsafeMutablePointer<V>
        let pairTable: UnsafePointer<V>
        let combinations: UnsafeMutablePointer<UInt8>
        let pairTerms: UnsafeMutablePointer<V>

        /// Row `r`'s sums of the child's leaves, and its edge's term as a product of two vectors
        /// (`here`: the row's products at the split). A pair also adds its own edges' terms to its
        /// feature's accumulator (which may be its parent's: read the parent's after this).
        @inline(__always)
        func sumsAndTerm(_ r: Int, here: V, _ kind: SideKind) -> (sums: V, term: V, weights: V) {
            let c = Int(cases[r])
            switch kind {
            case .leaf:
                return (here * table[c], here, table[3 &+ c])
            case .pair:
                let p = here * table[c], combination = Int(combinations[r])
                pairTerms[r] = pairTerms[r].plusProduct(p, pairTable[4 &+ combination])
                let s = p * pairTable[combination]
                return (s, s, table[3 &+ c])
            case .inner:
                let s = sums[r]
                return (s, s, table[3 &+ c])
            }
        }
    }

    /// A split's two edges over a block, after its inner children's subtrees: each child's term
    /// (`Side.sumsAndTerm`) added to the split's accumulator; the children's sums into the node's.
    /// The terms stay vectors (their lanes are summed once per feature after the tree), which also
    /// keeps the products at full vector width: LLVM narrows a product whose lanes are summed here
    /// into half-width operations, twice as many instructions.
    struct Sides<V: PairwiseSum> {
        let terms: UnsafeMutablePointer<V>
        let here: UnsafeMutablePointer<V>
        /// The node's sums (the left subtree's already there when the left child is inner).
        let sum: UnsafeMutablePointer<V>
        let left: Side<V>
        let right: Side<V>

        @inline(__always)
        func add(rows n: Int, _ leftKind: SideKind, _ rightKind: SideKind) {
            for r in 0..<n {
                let h = here[r]
                let l = left.sumsAndTerm(r, here: h, leftKind), rt = right.sumsAndTerm(r, here: h, rightKind)
                terms[r] = terms[r].plusProduct(l.term, l.weights).plusProduct(rt.term, rt.weights)
                sum[r] = l.sums + rt.sums
            }
        }
    }
}
