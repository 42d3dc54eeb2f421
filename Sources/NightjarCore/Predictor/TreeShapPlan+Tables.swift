extension TreeShapPlan {
    /// One shallow tree over one block, by its tables (see `ShallowTreeTables`): the rows'
    /// directions at every split, each subtree's entry index per row (vectorised over the block),
    /// then per row the sum of its entries, one vector of the tree's lanes, added to the output's
    /// features.
    func lookUp<V: SIMD>(_: V.Type, tree t: Int, _ block: Block, _ out: UnsafeMutablePointer<Double>,
                         _ directions: UnsafeMutablePointer<UInt8>, _ indices: UnsafeMutablePointer<UInt8>)
        where V.Scalar == Double {
        let b = Self.block, n = block.rows, tables = shallow
        let decider = Decider(nodes: nodes, forest: forest, xgboost: forest.semantics == .xgboost, block: block)
        let firstSplit = tables.splitStart[t], splitCount = tables.splitStart[t + 1] - firstSplit
        for k in 0..<splitCount { decider.decide(Int(tables.splits[firstSplit + k]), into: directions + k &* b) }
        // Indices in bytes, a block's 64 at once (rows past the block's end are computed and not
        // read), Horner's way: the highest bit first, doubling between bits. A direction is 0 or 1
        // and a doubled index even, so `&+` stands for `|`, which Swift 6.3 applies to a
        // SIMD64<UInt8> byte by byte (measured: 23k rows/s against 410k with `&+`).
        let first = tables.subtreeStart[t], subtrees = tables.subtreeStart[t + 1] - first
        let goesLeft = UnsafeRawPointer(directions).assumingMemoryBound(to: SIMD64<UInt8>.self)
        let index = UnsafeMutableRawPointer(indices).assumingMemoryBound(to: SIMD64<UInt8>.self)
        for s in 0..<subtrees {
            let firstBit = tables.bitStart[first + s], bitCount = tables.bitStart[first + s + 1] - firstBit
            var bits = SIMD64<UInt8>()
            for k in Swift.stride(from: bitCount - 1, through: 0, by: -1) {
                bits = bits &+ bits &+ goesLeft[Int(tables.bits[firstBit + k])]
            }
            index[s] = bits
        }
        let entries = UnsafeRawPointer(tables.tables).assumingMemoryBound(to: V.self)
        let bases = tables.entryBase + first
        let firstFeature = tables.featureStart[t], featureCount = tables.featureStart[t + 1] - firstFeature
        let features = tables.features + firstFeature, rowWidth = block.rowWidth
        for r in 0..<n {
            var sum = V()
            for s in 0..<subtrees { sum += entries[Int(bases[s]) &+ Int(indices[s &* b &+ r])] }
            let row = out + r &* rowWidth
            for k in 0..<featureCount { row[Int(features[k])] += sum[k] }
        }
    }
}
