extension TreeShapPlan {
    /// One shallow tree over one block, by its tables (see `ShallowTreeTables`): the rows'
    /// directions at every split, each subtree's entry index per row (vectorised over the block),
    /// then per row the sum of its entries, one vector of the tree's lanes, added to the row's
    /// vector in `sums` (its layout's; `lookUp(_:layout:…)` adds them to the output's features).
    func lookUp<V: SIMD>(_: V.Type, tree t: Int, _ block: Block, _ sums: UnsafeMutablePointer<V>,
                         _ directions: UnsafeMutablePointer<UInt8>, _ indices: UnsafeMutablePointer<UInt8>)
        where V.Scalar == Double {
        let b = Self.block, n = block.rows, tables = shallow
        let decider = Decider(nodes: nodes, forest: forest, xgboost: forest.semantics == .xgboost, block: block)
        let firstSplit = tables.splitStart[t], splitCount = tables.splitStart[t + 1] - firstSplit
        for k in 0..<splitCount { decider.decide(Int(tables.splits[firstSplit + k]), into: directions + k &* b) }
        // Indices in bytes, a block's 64 as four 16-byte vectors (rows past the block's end are
        // computed and not read), Horner's way: the highest bit first, doubling between bits.
        // (Not SIMD64<UInt8>: Swift 6.3 applies `&`, `|` and `^` to it byte by byte.)
        let first = tables.subtreeStart[t], subtrees = tables.subtreeStart[t + 1] - first
        let goesLeft = UnsafeRawPointer(directions).assumingMemoryBound(to: SIMD16<UInt8>.self)
        let index = UnsafeMutableRawPointer(indices).assumingMemoryBound(to: SIMD16<UInt8>.self)
        let one = SIMD16<UInt8>(repeating: 1)
        for s in 0..<subtrees {
            var i0 = SIMD16<UInt8>(), i1 = i0, i2 = i0, i3 = i0
            for bit in Swift.stride(from: tables.bitStart[first + s + 1] - 1, through: tables.bitStart[first + s], by: -1) {
                var b0 = one, b1 = one, b2 = one, b3 = one
                for k in tables.termStart[bit]..<tables.termStart[bit + 1] {
                    let d = goesLeft + Int(tables.slots[k]) &* 4, flip = SIMD16<UInt8>(repeating: tables.flips[k])
                    b0 &= d[0] ^ flip; b1 &= d[1] ^ flip; b2 &= d[2] ^ flip; b3 &= d[3] ^ flip
                }
                i0 = i0 &+ i0 | b0; i1 = i1 &+ i1 | b1; i2 = i2 &+ i2 | b2; i3 = i3 &+ i3 | b3
            }
            let into = index + s &* 4
            into[0] = i0; into[1] = i1; into[2] = i2; into[3] = i3
        }
        let entries = UnsafeRawPointer(tables.tables).assumingMemoryBound(to: V.self)
        let bases = tables.entryBase + first
        for r in 0..<n {
            var sum = sums[r]
            for s in 0..<subtrees { sum += entries[Int(bases[s]) &+ Int(indices[s &* b &+ r])] }
            sums[r] = sum
        }
    }

    /// One layout's trees over all rows (`ShallowTreeTables.order`), tree by tree and within a
    /// tree block by block (`block(start, rows)`), their entries summed per row in `scratch`
    /// (zero, and left zero), then added to the output's features.
    func lookUp<V: SIMD>(_: V.Type, layout g: Int, rows: Int, _ block: (Int, Int) -> Block, _ scratch: UnsafeMutableRawPointer,
                         _ directions: UnsafeMutablePointer<UInt8>, _ indices: UnsafeMutablePointer<UInt8>)
        where V.Scalar == Double {
        let tables = shallow, b = Self.block
        let sums = scratch.bindMemory(to: V.self, capacity: rows)
        for k in tables.layoutStart[g]..<tables.layoutStart[g + 1] {
            let t = tables.order[k]
            var start = 0
            while start < rows {
                let n = Swift.min(b, rows - start)
                lookUp(V.self, tree: t, block(start, n), sums + start, directions, indices)
                start += n
            }
        }
        let t = tables.order[tables.layoutStart[g]], first = block(0, rows)
        let out = first.output + Int(forest.treeGroup[t]) * (featureCount + 1), rowWidth = first.rowWidth
        let firstFeature = tables.featureStart[t], laneCount = tables.featureStart[t + 1] - firstFeature
        let features = tables.features + firstFeature
        for r in 0..<rows {
            let sum = sums[r], row = out + r &* rowWidth
            for k in 0..<laneCount { row[Int(features[k])] += sum[k] }
            sums[r] = V()
        }
    }
}
