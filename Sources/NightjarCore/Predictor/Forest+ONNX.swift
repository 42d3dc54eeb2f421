/// The ONNX Runtime tree kernel: per-node comparisons, NaN direction per node, multi-output leaves,
/// sums in float32 or double in ONNX Runtime's order. Same rules as the other kernels: unsafe
/// buffer reads only, no allocation per row.
extension Forest {
    @inlinable
    func marginsONNX<T: BinaryFloatingPoint>(
        _: T.Type, _ aggregation: ONNXTreeAggregation,
        features: UnsafePointer<Double>, stride: Int, rows: Int, margins: UnsafeMutablePointer<Double>
    ) {
        let groups = outputGroups
        let trees = treeRoot.count
        let parts = aggregation.partitions(trees: trees)
        let block = Forest.rowBlock
        let partStride = block * groups
        let acc = UnsafeMutablePointer<T>.allocate(capacity: parts * partStride)
        defer { acc.deallocate() }
        let average = aggregation.function == .average
        let multi = !leafStart.isEmpty
        let testMask = Forest.flagLess | Forest.flagEqual
        feature.withUnsafeBufferPointer { feat in
        threshold.withUnsafeBufferPointer { thr in
        left.withUnsafeBufferPointer { lft in
        right.withUnsafeBufferPointer { rgt in
        flags.withUnsafeBufferPointer { flg in
        value.withUnsafeBufferPointer { val in
        leafStart.withUnsafeBufferPointer { lstart in
        leafCount.withUnsafeBufferPointer { lcount in
        leafOutput.withUnsafeBufferPointer { lout in
        leafWeight.withUnsafeBufferPointer { lweight in
        treeRoot.withUnsafeBufferPointer { roots in
        treeGroup.withUnsafeBufferPointer { tgroup in
            var start = 0
            while start < rows {
                let n = Swift.min(block, rows - start)
                acc.update(repeating: 0, count: parts * partStride)
                for p in 0..<parts {
                    let a = acc + p * partStride
                    for t in ONNXTreeAggregation.run(p, of: parts, trees: trees) {
                        let root = Int(roots[t])
                        let g = Int(tgroup[t])
                        for r in 0..<n {
                            let row = features + (start + r) * stride
                            var node = root
                            while true {
                                let f = Int(feat[node])
                                if f < 0 { break }
                                let fl = flg[node]
                                let x = row[f]
                                let goLeft: Bool
                                if x.isNaN {
                                    goLeft = (fl & Forest.flagDefaultLeft) != 0
                                } else if (fl & testMask) == 0 {
                                    goLeft = x <= thr[node]
                                } else if (fl & Forest.flagLess) != 0 {
                                    goLeft = x < thr[node]
                                } else {
                                    goLeft = x == thr[node]
                                }
                                node = Int(goLeft ? lft[node] : rgt[node])
                            }
                            if multi {
                                let s = Int(lstart[node])
                                for w in s..<(s + Int(lcount[node])) {
                                    a[r * groups + Int(lout[w])] += T(lweight[w])
                                }
                            } else {
                                a[r * groups + g] += T(val[node])
                            }
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
        }}}}}}}}}}}}
    }
}
