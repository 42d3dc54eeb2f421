extension TreeShapPlan {
    /// How the rows of a block go at a split, as the scoring kernels decide (missing values,
    /// categorical sets, LightGBM's missing types): 1 where a row goes left, 0 where it goes right.
    struct Decider {
        let nodes: TreeShapPlan.Nodes
        let forest: Forest
        let xgboost: Bool
        let block: Block

        /// Whether each row of the block goes left at node `i`, as the scoring kernels decide.
        func decide(_ i: Int, into goesLeft: UnsafeMutablePointer<UInt32>) {
            let fl = nodes.flags[i], f = Int(nodes.splitFeature[i]), n = block.rows
            let defaultLeft: UInt32 = (fl & Forest.flagDefaultLeft) != 0 ? 1 : 0
            if (fl & Forest.flagCategorical) != 0 {
                decideCategorical(i, defaultLeft: defaultLeft, into: goesLeft)
                return
            }
            if xgboost {
                // Float32 as XGBoost; NaN (false either way) takes the default.
                let column = block.columnsF + f &* block.columnStride
                let t = nodes.thresholdF[i]
                for r in 0..<n {
                    let x = column[r]
                    goesLeft[r] = (x < t ? 1 : 0) | (x.isNaN ? defaultLeft : 0)
                }
                return
            }
            let column = block.columns + f &* block.columnStride
            let t = nodes.threshold[i]
            let missingNone = (fl & Forest.flagMissingNone) != 0, missingZero = (fl & Forest.flagMissingZero) != 0
            if !missingNone && !missingZero {
                // Missing type NaN: NaN takes the default; without it NaN goes right (`v <= t`
                // false), as LightGBM's NumericalDecision.
                let nanDefault: UInt32 = (fl & Forest.flagMissingNaN) != 0 ? defaultLeft : 0
                for r in 0..<n {
                    let v = column[r]
                    goesLeft[r] = (v <= t ? 1 : 0) | (v.isNaN ? nanDefault : 0)
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
        /// takes the default; a category code (XGBoost: the float32 value; LightGBM: truncated) in
        /// the node's set goes the set's way; anything else the other way.
        func decideCategorical(_ i: Int, defaultLeft: UInt32, into goesLeft: UnsafeMutablePointer<UInt32>) {
            let node = Int(nodes.origin[i]), n = block.rows
            let words = Int(forest.catWords[node]), start = Int(forest.catStart[node])
            let inSetLeft: UInt32 = (nodes.flags[i] & Forest.flagInSetLeft) != 0 ? 1 : 0
            let f = Int(nodes.splitFeature[i])
            forest.catBits.withUnsafeBufferPointer { all in
                let bits = all.baseAddress! + start
                if xgboost {
                    let column = block.columnsF + f &* block.columnStride
                    for r in 0..<n {
                        let x = column[r]
                        if x.isNaN { goesLeft[r] = defaultLeft; continue }
                        var inSet: UInt32 = 0
                        if x >= 0 && x < 16_777_216 {
                            let code = Int(x), word = code &>> 5
                            if word < words { inSet = (bits[word] &>> UInt32(code & 31)) & 1 }
                        }
                        goesLeft[r] = 1 &- (inSet ^ inSetLeft)
                    }
                    return
                }
                let column = block.columns + f &* block.columnStride
                for r in 0..<n {
                    let v = column[r]
                    if v.isNaN { goesLeft[r] = defaultLeft; continue }
                    var inSet: UInt32 = 0
                    let truncated = v.rounded(.towardZero)
                    if truncated >= 0 && truncated < 2_147_483_648 {
                        let code = Int(truncated), word = code &>> 5
                        if word < words { inSet = (bits[word] &>> UInt32(code & 31)) & 1 }
                    }
                    goesLeft[r] = 1 &- (inSet ^ inSetLeft)
                }
            }
        }
    }
}
