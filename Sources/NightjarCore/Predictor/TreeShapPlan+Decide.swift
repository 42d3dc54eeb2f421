/// How the rows of a block go at a split, as the scoring kernels decide (missing values,
/// categorical sets, LightGBM's missing types): 1 where a row goes left, 0 where it goes right.
/// A protocol, not a stored helper: the walk's recursive `visit` passes itself by reference, where
/// a stored struct of these fields was copied (memcpy) at every call, 4% of the benchmark XGBoost
/// model's time.
protocol SplitDirections {
    var nodes: TreeShapPlan.Nodes { get }
    var forest: Forest { get }
    var xgboost: Bool { get }
    var block: TreeShapPlan.Block { get }
}

extension TreeShapPlan {
    /// The shallow trees' split directions over a block.
    struct Decider: SplitDirections {
        let nodes: TreeShapPlan.Nodes
        let forest: Forest
        let xgboost: Bool
        let block: Block
    }
}

extension SplitDirections {
    /// Whether each row of the block goes left at node `i`, as the scoring kernels decide, in
    /// lanes of `D` (the walk: 32 bits; the tables: bytes).
    func decide<D: FixedWidthInteger & UnsignedInteger>(_ i: Int, into goesLeft: UnsafeMutablePointer<D>) {
        let fl = nodes.flags[i], f = Int(nodes.splitFeature[i]), n = block.rows
        let defaultLeft: D = (fl & Forest.flagDefaultLeft) != 0 ? 1 : 0
        if (fl & Forest.flagCategorical) != 0 {
            decideCategorical(i, defaultLeft: defaultLeft, into: goesLeft)
            return
        }
        if xgboost {
            // Float32 as XGBoost; NaN (false either way) takes the default.
            let column = block.columnsF + f &* block.columnStride
            let t = nodes.thresholdF[i]
            // One comparison: `!(x >= t)` is `x < t` or NaN.
            if defaultLeft == 1 {
                for r in 0..<n { goesLeft[r] = column[r] >= t ? 0 : 1 }
            } else {
                for r in 0..<n { goesLeft[r] = column[r] < t ? 1 : 0 }
            }
            return
        }
        let column = block.columns + f &* block.columnStride
        let t = nodes.threshold[i]
        let missingNone = (fl & Forest.flagMissingNone) != 0, missingZero = (fl & Forest.flagMissingZero) != 0
        if !missingNone && !missingZero {
            // Missing type NaN: NaN takes the default; without it NaN goes right (`v <= t`
            // false), as LightGBM's NumericalDecision.
            // One comparison: `!(v > t)` is `v <= t` or NaN.
            if (fl & Forest.flagMissingNaN) != 0 && defaultLeft == 1 {
                for r in 0..<n { goesLeft[r] = column[r] > t ? 0 : 1 }
            } else {
                for r in 0..<n { goesLeft[r] = column[r] <= t ? 1 : 0 }
            }
            return
        }
        let missingNaN = (fl & Forest.flagMissingNaN) != 0
        let zeroThreshold = Double(Float(1e-35))
        for r in 0..<n {
            var v = column[r]
            if v.isNaN && missingNone { v = 0 }
            let isDefault = (missingZero && v >= -zeroThreshold && v <= zeroThreshold) || (missingNaN && v.isNaN)
            goesLeft[r] = isDefault ? defaultLeft : (v <= t ? 1 : 0)
        }
    }

    /// A categorical split over the block, as `Forest.goesLeft` decides it: a missing value
    /// takes the default; a category code in the node's set goes the set's way; anything else
    /// the other way. The codes were read once per call (`Forest.categoryCode`); a set
    /// of at most 64 codes is one 64-bit mask, so the loop has no branch and is vectorised.
    func decideCategorical<D: FixedWidthInteger & UnsignedInteger>(_ i: Int, defaultLeft: D, into goesLeft: UnsafeMutablePointer<D>) {
        let node = Int(nodes.origin[i]), n = block.rows
        let words = Int(forest.catWords[node]), start = Int(forest.catStart[node])
        let inSetLeft: D = (nodes.flags[i] & Forest.flagInSetLeft) != 0 ? 1 : 0
        let codes = block.codes + Int(block.codeColumn[Int(nodes.splitFeature[i])]) &* block.columnStride
        forest.catBits.withUnsafeBufferPointer { all in
            let bits = (all.baseAddress ?? UnsafePointer(bitPattern: 8)!) + start
            Forest.categorySides(codes: codes, rows: n, bits: bits, words: words, inSet: inSetLeft, missing: defaultLeft,
                                 into: goesLeft)
        }
    }
}
