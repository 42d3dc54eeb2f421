/// Tree evaluation kernels. These run once per row per tree: no allocation, no ARC traffic,
/// no existentials — only unsafe buffer reads over the forest's flat arrays.
extension Forest {
    /// Rows evaluated together per tree, so that tree's nodes stay in cache across the block.
    @usableFromInline static let rowBlock = 64

    /// Computes the margins of `rows` rows of a row-major feature matrix (`stride` values per row,
    /// features in model order). `margins` receives `rows × outputGroups` values, row-major.
    /// Uses the fast layout (`BinnedForest`) when the forest has one.
    @inlinable
    public func computeMargins(
        features: UnsafePointer<Double>,
        stride: Int,
        rows: Int,
        margins: UnsafeMutablePointer<Double>
    ) {
        precondition(stride >= featureCount)
        if let binned {
            binnedMargins(binned, features: features, stride: stride, rows: rows, margins: margins)
        } else {
            computeReferenceMargins(features: features, stride: stride, rows: rows, margins: margins)
        }
    }

    /// The straightforward kernels, node by node over the flat arrays: the reference the fast
    /// layout is tested against, and the path for forests it does not cover.
    @inlinable
    public func computeReferenceMargins(
        features: UnsafePointer<Double>,
        stride: Int,
        rows: Int,
        margins: UnsafeMutablePointer<Double>
    ) {
        precondition(stride >= featureCount)
        switch semantics {
        case .xgboost: marginsXGBoost(features: features, stride: stride, rows: rows, margins: margins)
        case .lightgbm: marginsLightGBM(features: features, stride: stride, rows: rows, margins: margins)
        case .onnx(let aggregation):
            if aggregation.doubleSums {
                marginsONNX(Double.self, aggregation, features: features, stride: stride, rows: rows, margins: margins)
            } else {
                marginsONNX(Float.self, aggregation, features: features, stride: stride, rows: rows, margins: margins)
            }
        }
    }

    // MARK: XGBoost — float32 features and thresholds, `x < t`, float32 sums from the base margin.

    @inlinable
    func marginsXGBoost(features: UnsafePointer<Double>, stride: Int, rows: Int, margins: UnsafeMutablePointer<Double>) {
        let groups = outputGroups
        let block = Forest.rowBlock
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: block * groups)
        defer { acc.deallocate() }
        feature.withUnsafeBufferPointer { feat in
        thresholdF.withUnsafeBufferPointer { thr in
        left.withUnsafeBufferPointer { lft in
        right.withUnsafeBufferPointer { rgt in
        flags.withUnsafeBufferPointer { flg in
        valueF.withUnsafeBufferPointer { val in
        catStart.withUnsafeBufferPointer { cst in
        catWords.withUnsafeBufferPointer { cwd in
        catBits.withUnsafeBufferPointer { bits in
        treeRoot.withUnsafeBufferPointer { roots in
        treeGroup.withUnsafeBufferPointer { tgroup in
            var start = 0
            while start < rows {
                let n = min(block, rows - start)
                for r in 0..<n {
                    for g in 0..<groups { acc[r * groups + g] = Float(baseMargins[g]) }
                }
                for t in 0..<roots.count {
                    let root = Int(roots[t])
                    let g = Int(tgroup[t])
                    for r in 0..<n {
                        let row = features + (start + r) * stride
                        var node = root
                        while true {
                            let f = Int(feat[node])
                            if f < 0 { break }
                            let fl = flg[node]
                            let x = Float(row[f])
                            if x.isNaN {
                                node = Int((fl & Forest.flagDefaultLeft) != 0 ? lft[node] : rgt[node])
                            } else if (fl & Forest.flagCategorical) == 0 {
                                node = Int(x < thr[node] ? lft[node] : rgt[node])
                            } else {
                                // XGBoost: a negative code is invalid (goes left); a category in the set goes right.
                                var inSet = false
                                if x >= 0 && x < 16_777_216 {
                                    let code = Int(x)
                                    let word = code >> 5
                                    if word < Int(cwd[node]) {
                                        inSet = (bits[Int(cst[node]) + word] >> UInt32(code & 31)) & 1 != 0
                                    }
                                }
                                node = Int(inSet == ((fl & Forest.flagInSetLeft) != 0) ? lft[node] : rgt[node])
                            }
                        }
                        acc[r * groups + g] += val[node]
                    }
                }
                for i in 0..<(n * groups) { margins[start * groups + i] = Double(acc[i]) }
                start += n
            }
        }}}}}}}}}}}
    }

    // MARK: LightGBM — double features and thresholds, `x <= t`, missing types, double sums.

    @inlinable
    func marginsLightGBM(features: UnsafePointer<Double>, stride: Int, rows: Int, margins: UnsafeMutablePointer<Double>) {
        let groups = outputGroups
        let block = Forest.rowBlock
        let acc = UnsafeMutablePointer<Double>.allocate(capacity: block * groups)
        defer { acc.deallocate() }
        let zeroThreshold = Double(Float(1e-35))  // LightGBM's kZeroThreshold is the float 1e-35f
        let divisor = averageOutput ? Double(Swift.max(iterations, 1)) : 1
        feature.withUnsafeBufferPointer { feat in
        threshold.withUnsafeBufferPointer { thr in
        left.withUnsafeBufferPointer { lft in
        right.withUnsafeBufferPointer { rgt in
        flags.withUnsafeBufferPointer { flg in
        value.withUnsafeBufferPointer { val in
        catStart.withUnsafeBufferPointer { cst in
        catWords.withUnsafeBufferPointer { cwd in
        catBits.withUnsafeBufferPointer { bits in
        treeRoot.withUnsafeBufferPointer { roots in
        treeGroup.withUnsafeBufferPointer { tgroup in
            var start = 0
            while start < rows {
                let n = min(block, rows - start)
                for i in 0..<(n * groups) { acc[i] = 0 }
                for t in 0..<roots.count {
                    let root = Int(roots[t])
                    let g = Int(tgroup[t])
                    for r in 0..<n {
                        let row = features + (start + r) * stride
                        var node = root
                        while true {
                            let f = Int(feat[node])
                            if f < 0 { break }
                            let fl = flg[node]
                            var x = row[f]
                            if (fl & Forest.flagCategorical) == 0 {
                                if x.isNaN && (fl & Forest.flagMissingNone) != 0 { x = 0 }
                                let isDefault = ((fl & Forest.flagMissingZero) != 0 && x >= -zeroThreshold && x <= zeroThreshold)
                                    || ((fl & Forest.flagMissingNaN) != 0 && x.isNaN)
                                if isDefault {
                                    node = Int((fl & Forest.flagDefaultLeft) != 0 ? lft[node] : rgt[node])
                                } else {
                                    node = Int(x <= thr[node] ? lft[node] : rgt[node])
                                }
                            } else if x.isNaN {
                                node = Int((fl & Forest.flagDefaultLeft) != 0 ? lft[node] : rgt[node])
                            } else {
                                // LightGBM truncates to int first; a negative code is never in the set.
                                var inSet = false
                                let truncated = x.rounded(.towardZero)
                                if truncated >= 0 && truncated < 2_147_483_648 {
                                    let code = Int(truncated)
                                    let word = code >> 5
                                    if word < Int(cwd[node]) {
                                        inSet = (bits[Int(cst[node]) + word] >> UInt32(code & 31)) & 1 != 0
                                    }
                                }
                                node = Int(inSet == ((fl & Forest.flagInSetLeft) != 0) ? lft[node] : rgt[node])
                            }
                        }
                        acc[r * groups + g] += val[node]
                    }
                }
                for r in 0..<n {
                    for g in 0..<groups {
                        margins[(start + r) * groups + g] = acc[r * groups + g] / divisor + baseMargins[g]
                    }
                }
                start += n
            }
        }}}}}}}}}}}
    }
}
