extension TreeShapPlan {
    /// One shallow tree over one block, by its tables (see `ShallowTreeTables`): the rows'
    /// directions at every split, each subtree's entry index per row (vectorised over the block),
    /// then per row the sum of its entries, one vector of the tree's lanes, added to the output's
    /// features.
    func lookUp<V: SIMD>(_: V.Type, tree t: Int, _ block: Block, _ out: UnsafeMutablePointer<Double>,
                         _ directions: UnsafeMutablePointer<UInt32>, _ indices: UnsafeMutablePointer<UInt32>)
        where V.Scalar == Double {
        let b = Self.block, n = block.rows, tables = shallow
        let decider = Decider(nodes: nodes, forest: forest, xgboost: forest.semantics == .xgboost, block: block)
        let firstSplit = tables.splitStart[t], splitCount = tables.splitStart[t + 1] - firstSplit
        for k in 0..<splitCount { decider.decide(Int(tables.splits[firstSplit + k]), into: directions + k &* b) }
        let first = tables.subtreeStart[t], subtrees = tables.subtreeStart[t + 1] - first
        for s in 0..<subtrees {
            let index = indices + s &* b, base = tables.entryBase[first + s]
            for r in 0..<n { index[r] = base }
            let firstBit = tables.bitStart[first + s], bitCount = tables.bitStart[first + s + 1] - firstBit
            for k in 0..<bitCount {
                let goesLeft = directions + Int(tables.bits[firstBit + k]) &* b, shift = UInt32(k)
                for r in 0..<n { index[r] &+= goesLeft[r] &<< shift }
            }
        }
        let entries = UnsafeRawPointer(tables.tables).assumingMemoryBound(to: V.self)
        let firstFeature = tables.featureStart[t], featureCount = tables.featureStart[t + 1] - firstFeature
        let features = tables.features + firstFeature, rowWidth = block.rowWidth
        for r in 0..<n {
            var sum = V()
            for s in 0..<subtrees { sum += entries[Int(indices[s &* b &+ r])] }
            let row = out + r &* rowWidth
            for k in 0..<featureCount { row[Int(features[k])] += sum[k] }
        }
    }
}
