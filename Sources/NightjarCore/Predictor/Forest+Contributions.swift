/// Exact per-feature contributions (SHAP values) of tree ensembles, as the training libraries
/// compute them with `pred_contribs` (XGBoost) and `pred_contrib` (LightGBM): path-dependent
/// TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2), each branch weighted by the cover the
/// training rows gave it (XGBoost's hessian sums, LightGBM's row counts), the row following its
/// own branch at each split exactly as scoring does (missing values, categorical sets, LightGBM's
/// missing types). One value per model feature plus the bias — the trees' expected values and the
/// base margin — per output group, in margin space: a row's contributions sum to its margin.
///
/// Arithmetic follows each library: LightGBM in double; XGBoost in float32, operation for operation
/// as its `TreeShap` (node means, path weights, per-tree sums added to the row's float32 totals),
/// because its float32 rounding is large next to small contributions of a model with large ones
/// (a regressor of values in the hundreds: 3e-5 from the exact values). XGBoost's own values then
/// miss its float32 margin by that rounding; Nightjar's bias absorbs it, so that a row's values
/// sum to the margin Nightjar wrote (the bias moves by far less than the 1e-5 the parity tests
/// allow). LightGBM's random forests: as LightGBM, the trees' sum (its raw score), not their average.
///
/// This is the reference implementation: a recursion per row and tree. Scoring runs `TreeShapPlan`
/// (exact, in double, linear in the tree size, over blocks of rows), except for XGBoost models
/// whose float32 rounding needs this one (`contributionsNeedFloat32`).
extension Forest {
    /// Whether the model file gave every node a cover, which exact contributions need (ONNX tree
    /// ensembles carry none).
    public var hasCovers: Bool { !cover.isEmpty }

    /// Whether XGBoost's own float32 rounding of this model's contributions can pass the 1e-5
    /// (relative to max(1, |value|)) that Nightjar's agree with it to, so that they must be
    /// computed as XGBoost computes them (the float32 recursion here) rather than exactly (the
    /// fast `TreeShapPlan`). That rounding grows with the leaf values, roughly as 2⁻²⁴ × the sum
    /// over trees of the largest |leaf| (the bound here). Measured against the exact values: below
    /// 1e-6 on the classifier fixtures and the 500-tree benchmark model (bounds 3e-7 to 5e-6), 3e-5
    /// on a regressor of values in the hundreds (bound 4e-4). Above a bound of 5e-5, float32.
    public var contributionsNeedFloat32: Bool {
        guard semantics == .xgboost else { return false }
        var total = 0.0
        for root in treeRoot {
            var largest = 0.0, stack = [Int(root)]
            while let n = stack.popLast() {
                if feature[n] < 0 { largest = Swift.max(largest, Swift.abs(value[n])) } else { stack += [Int(left[n]), Int(right[n])] }
            }
            total += largest
        }
        return total * 0x1p-24 > 5e-5
    }

    /// Contributions of `rows` rows (`stride` doubles apart, features in model order) into
    /// `contributions`: per row, per output group, `featureCount` values then the bias
    /// (`rows × outputGroups × (featureCount + 1)`, row-major).
    public func computeContributions(features: UnsafePointer<Double>, stride: Int, rows: Int, contributions: UnsafeMutablePointer<Double>) {
        precondition(hasCovers, "exact contributions need node covers")
        precondition(stride >= featureCount)
        switch semantics {
        case .xgboost: contributionsXGBoost(features: features, stride: stride, rows: rows, contributions: contributions)
        case .lightgbm: contributionsLightGBM(features: features, stride: stride, rows: rows, contributions: contributions)
        case .onnx: preconditionFailure("ONNX tree ensembles have no covers")
        }
    }

    /// Scratch for one row's recursion in `T`.
    struct ShapScratch<T: BinaryFloatingPoint> {
        var path: [PathElement<T>]
        var phi: [T]
        init(_ forest: Forest) {
            var depth = 0
            for root in forest.treeRoot { depth = Swift.max(depth, Forest.depth(forest, Int(root))) }
            path = [PathElement<T>](repeating: PathElement<T>(), count: (depth + 2) * (depth + 3) / 2)
            phi = [T](repeating: 0, count: forest.featureCount + 1)
        }
    }

    /// LightGBM's arithmetic (double), which is also the exact computation for any forest.
    func contributionsLightGBM(features: UnsafePointer<Double>, stride: Int, rows: Int, contributions: UnsafeMutablePointer<Double>) {
        let width = featureCount + 1, groups = outputGroups
        contributions.initialize(repeating: 0, count: rows * groups * width)
        let means: [Double] = subtreeMeans()
        var scratch = ShapScratch<Double>(self)
        scratch.path.withUnsafeMutableBufferPointer { path in
        scratch.phi.withUnsafeMutableBufferPointer { phi in
            for r in 0..<rows {
                let row = features + r * stride
                let out = contributions + r * groups * width
                for t in 0..<treeRoot.count {
                    let root = Int(treeRoot[t])
                    for i in 0..<width { phi[i] = 0 }
                    phi[featureCount] = means[root]
                    if feature[root] >= 0 {
                        shap(row, phi.baseAddress!, node: root, depth: 0, path: path.baseAddress!, zero: 1, one: 1, parentFeature: -1)
                    }
                    let o = out + Int(treeGroup[t]) * width
                    for i in 0..<width { o[i] += phi[i] }
                }
                for g in 0..<groups { out[g * width + featureCount] += baseMargins[g] }
            }
        }}
    }

    func contributionsXGBoost(features: UnsafePointer<Double>, stride: Int, rows: Int, contributions: UnsafeMutablePointer<Double>) {
        let width = featureCount + 1, groups = outputGroups
        let means: [Float] = subtreeMeans()
        var scratch = ShapScratch<Float>(self)
        var totals = [Float](repeating: 0, count: groups * width)
        var margins = [Float](repeating: 0, count: groups)
        scratch.path.withUnsafeMutableBufferPointer { path in
        scratch.phi.withUnsafeMutableBufferPointer { phi in
            for r in 0..<rows {
                let row = features + r * stride
                for i in 0..<totals.count { totals[i] = 0 }
                for g in 0..<groups { margins[g] = Float(baseMargins[g]) }
                for t in 0..<treeRoot.count {
                    let root = Int(treeRoot[t])
                    let g = Int(treeGroup[t])
                    for i in 0..<width { phi[i] = 0 }
                    phi[featureCount] = means[root]
                    if feature[root] >= 0 {
                        shap(row, phi.baseAddress!, node: root, depth: 0, path: path.baseAddress!, zero: 1, one: 1, parentFeature: -1)
                    }
                    for i in 0..<width { totals[g * width + i] += phi[i] }
                    // The row's margin as scoring sums it (float32, tree by tree from the base).
                    var n = root
                    while feature[n] >= 0 { n = goesLeft(n, row) ? Int(left[n]) : Int(right[n]) }
                    margins[g] += valueF[n]
                }
                let out = contributions + r * groups * width
                for g in 0..<groups {
                    var sum = 0.0
                    for i in 0..<featureCount {
                        out[g * width + i] = Double(totals[g * width + i])
                        sum += out[g * width + i]
                    }
                    // XGBoost's bias is base + the trees' means in float32; the rounding of its
                    // margin goes to the bias, so the row's values sum to the margin scoring gave.
                    out[g * width + featureCount] = Double(margins[g]) - sum
                }
            }
        }}
    }

    /// One element of TreeSHAP's path of unique features.
    struct PathElement<T: BinaryFloatingPoint> {
        var feature = -1
        var zero: T = 0
        var one: T = 0
        var weight: T = 0
    }

    /// The cover-weighted mean leaf value under every node, in `T` (XGBoost: float32, as its
    /// `FillNodeMeanValues`).
    func subtreeMeans<T: BinaryFloatingPoint>() -> [T] {
        var means = [T](repeating: 0, count: nodeCount)
        func fill(_ n: Int) -> T {
            if feature[n] < 0 { means[n] = T(value[n]); return means[n] }
            let l = Int(left[n]), r = Int(right[n])
            let lv = fill(l), rv = fill(r)
            let total = cover[n] > 0 ? T(cover[n]) : T(cover[l]) + T(cover[r])
            means[n] = total > 0 ? (lv * T(cover[l]) + rv * T(cover[r])) / total : 0
            return means[n]
        }
        for root in treeRoot { _ = fill(Int(root)) }
        return means
    }

    static func depth(_ f: Forest, _ n: Int) -> Int {
        f.feature[n] < 0 ? 0 : 1 + Swift.max(depth(f, Int(f.left[n])), depth(f, Int(f.right[n])))
    }

    /// Whether a row goes to the left child of split node `n`, as the scoring kernels decide.
    func goesLeft(_ n: Int, _ row: UnsafePointer<Double>) -> Bool {
        let fl = flags[n]
        let x = row[Int(feature[n])]
        switch semantics {
        case .xgboost:
            let xf = Float(x)
            if xf.isNaN { return (fl & Forest.flagDefaultLeft) != 0 }
            if (fl & Forest.flagCategorical) == 0 { return xf < thresholdF[n] }
            var inSet = false
            if xf >= 0 && xf < 16_777_216 {
                let code = Int(xf), word = code >> 5
                if word < Int(catWords[n]) { inSet = (catBits[Int(catStart[n]) + word] >> UInt32(code & 31)) & 1 != 0 }
            }
            return inSet == ((fl & Forest.flagInSetLeft) != 0)
        case .lightgbm:
            var v = x
            if (fl & Forest.flagCategorical) == 0 {
                if v.isNaN && (fl & Forest.flagMissingNone) != 0 { v = 0 }
                let zeroThreshold = Double(Float(1e-35))
                let isDefault = ((fl & Forest.flagMissingZero) != 0 && v >= -zeroThreshold && v <= zeroThreshold)
                    || ((fl & Forest.flagMissingNaN) != 0 && v.isNaN)
                return isDefault ? (fl & Forest.flagDefaultLeft) != 0 : v <= threshold[n]
            }
            if v.isNaN { return (fl & Forest.flagDefaultLeft) != 0 }
            var inSet = false
            let truncated = v.rounded(.towardZero)
            if truncated >= 0 && truncated < 2_147_483_648 {
                let code = Int(truncated), word = code >> 5
                if word < Int(catWords[n]) { inSet = (catBits[Int(catStart[n]) + word] >> UInt32(code & 31)) & 1 != 0 }
            }
            return inSet == ((fl & Forest.flagInSetLeft) != 0)
        case .onnx:
            preconditionFailure("ONNX tree ensembles have no covers")
        }
    }

    /// TreeSHAP's recursion: `path[0 ... depth]` is this node's copy of the path of unique features.
    func shap<T: BinaryFloatingPoint>(_ row: UnsafePointer<Double>, _ phi: UnsafeMutablePointer<T>, node: Int, depth: Int,
                                      path parent: UnsafeMutablePointer<PathElement<T>>, zero: T, one: T, parentFeature: Int) {
        let path = parent + depth + 1
        path.update(from: parent, count: depth + 1)
        Forest.extend(path, depth, zero, one, parentFeature)
        var depth = depth
        if feature[node] < 0 {
            let v = T(value[node])
            if depth >= 1 {
                for i in 1...depth {
                    let w = Forest.unwoundSum(path, depth, i)
                    phi[path[i].feature] += w * (path[i].one - path[i].zero) * v
                }
            }
            return
        }
        let split = Int(feature[node])
        let hot = goesLeft(node, row) ? Int(left[node]) : Int(right[node])
        let cold = hot == Int(left[node]) ? Int(right[node]) : Int(left[node])
        let w = cover[node] > 0 ? T(cover[node]) : T(cover[hot]) + T(cover[cold])
        let hotZero = w > 0 ? T(cover[hot]) / w : 0, coldZero = w > 0 ? T(cover[cold]) / w : 0
        var incomingZero: T = 1, incomingOne: T = 1
        // A feature split on before: undo that split, to redo it here.
        var k = 0
        while k <= depth && path[k].feature != split { k += 1 }
        if k <= depth {
            incomingZero = path[k].zero
            incomingOne = path[k].one
            Forest.unwind(path, depth, k)
            depth -= 1
        }
        shap(row, phi, node: hot, depth: depth + 1, path: path, zero: hotZero * incomingZero, one: incomingOne, parentFeature: split)
        shap(row, phi, node: cold, depth: depth + 1, path: path, zero: coldZero * incomingZero, one: 0, parentFeature: split)
    }

    static func extend<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<PathElement<T>>, _ depth: Int, _ zero: T, _ one: T, _ feature: Int) {
        p[depth] = PathElement(feature: feature, zero: zero, one: one, weight: depth == 0 ? 1 : 0)
        var i = depth - 1
        let d = T(depth + 1)
        while i >= 0 {
            p[i + 1].weight += one * p[i].weight * T(i + 1) / d
            p[i].weight = zero * p[i].weight * T(depth - i) / d
            i -= 1
        }
    }

    static func unwind<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<PathElement<T>>, _ depth: Int, _ index: Int) {
        let one = p[index].one, zero = p[index].zero
        var next = p[depth].weight
        let d = T(depth + 1)
        var i = depth - 1
        while i >= 0 {
            if one != 0 {
                let tmp = p[i].weight
                p[i].weight = next * d / (T(i + 1) * one)
                next = tmp - p[i].weight * zero * T(depth - i) / d
            } else {
                p[i].weight = p[i].weight * d / (zero * T(depth - i))
            }
            i -= 1
        }
        for j in index..<depth {
            p[j].feature = p[j + 1].feature
            p[j].zero = p[j + 1].zero
            p[j].one = p[j + 1].one
        }
    }

    static func unwoundSum<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<PathElement<T>>, _ depth: Int, _ index: Int) -> T {
        let one = p[index].one, zero = p[index].zero
        var next = p[depth].weight
        var total: T = 0
        let d = T(depth + 1)
        var i = depth - 1
        while i >= 0 {
            if one != 0 {
                let tmp = next * d / (T(i + 1) * one)
                total += tmp
                next = p[i].weight - tmp * zero * (T(depth - i) / d)
            } else {
                total += (p[i].weight / zero) / (T(depth - i) / d)
            }
            i -= 1
        }
        return total
    }
}
