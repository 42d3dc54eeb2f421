internal import CNightjarShims

/// The linear kernel: float32 dot products, no allocation per row.
extension LinearModel {
    /// Scores `rows` rows (`stride` values per row, features in model order) into `scores`
    /// (`rows × targets`, row-major).
    @inlinable
    public func computeScores(features: UnsafePointer<Double>, stride: Int, rows: Int, scores: UnsafeMutablePointer<Double>) {
        let k = targets
        let width = featureCount
        coefficients.withUnsafeBufferPointer { w in
            intercepts.withUnsafeBufferPointer { b in
                // Four rows at a time: four independent sums in flight, each added in feature order
                // (the same float32 result as one row at a time).
                var r = 0
                while r + 4 <= rows {
                    let r0 = features + r * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride
                    for t in 0..<k {
                        let wt = w.baseAddress! + t * width
                        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                        for i in 0..<width {
                            let c = wt[i]
                            s0 += Float(r0[i]) * c
                            s1 += Float(r1[i]) * c
                            s2 += Float(r2[i]) * c
                            s3 += Float(r3[i]) * c
                        }
                        scores[r * k + t] = Double(s0 + b[t])
                        scores[(r + 1) * k + t] = Double(s1 + b[t])
                        scores[(r + 2) * k + t] = Double(s2 + b[t])
                        scores[(r + 3) * k + t] = Double(s3 + b[t])
                    }
                    r += 4
                }
                while r < rows {
                    let row = features + r * stride
                    for t in 0..<k {
                        let wt = w.baseAddress! + t * width
                        var s: Float = 0
                        for i in 0..<width { s += Float(row[i]) * wt[i] }
                        scores[r * k + t] = Double(s + b[t])
                    }
                    r += 1
                }
            }
        }
    }

    /// Scores `rows` rows read straight from the encoded inputs (`stride` values per row): feature f
    /// is input column `columns[f]` in float32, NaN replaced by `imputed[f]` (NaN: kept). See
    /// `ImputedLinearModel`, which `Predictor` prepares once instead of at each call.
    public func computeScores(inputs: UnsafePointer<Double>, stride: Int, rows: Int,
                              columns: UnsafePointer<Int>, imputed: UnsafePointer<Float>,
                              scores: UnsafeMutablePointer<Double>) {
        ImputedLinearModel(model: self, columns: Array(UnsafeBufferPointer(start: columns, count: featureCount)),
                           imputed: Array(UnsafeBufferPointer(start: imputed, count: featureCount)))
            .computeScores(inputs: inputs, stride: stride, rows: rows, scores: scores)
    }
}

/// A linear model behind a plan that only imputes, scored straight from the encoded inputs: feature
/// f is input column `columns[f]` in float32, NaN replaced by `imputed[f]` (NaN: kept). The same
/// float32 operations in the same order as the plan's steps followed by
/// `LinearModel.computeScores(features:…)`, so the same bits, without the intermediate feature
/// matrix: on the benchmark's imputer + logistic regression, the plan's column passes and the matrix
/// it wrote were 80% of the scoring instructions (callgrind). `Predictor` prepares one per model.
///
/// One or two targets are summed eight rows at a time, four rows to a SIMD vector, rows across the
/// lanes; each lane adds its row's products in feature order, in float32, unfused, from +0, so every
/// score has the bits of the row-at-a-time loop, which scores the rows left over (and models with
/// more targets). A `LinearModel.negatedPair` (skl2onnx's binary LogisticRegression) sums target 1
/// only and writes score 0 as `0 - score 1`, the bits its own sum would have (NaN aside: which of
/// two NaNs a sum keeps follows the compiler's operand order, as it already differed between the
/// previous kernel's four-row and single-row loops).
///
/// Per feature and four rows: four loads (`movsd`/`movhpd`), two `cvtpd2ps`, the imputation as a
/// compare and a select (no branch: 2% of the benchmark's values are missing, and the previous
/// kernel's per-value branch mispredicted on them), then one multiply and one add per target summed;
/// the replacements and weights are broadcast to vectors here, once.
///
/// Reading eight rows a column at a time, the hardware prefetchers fall behind when the matrix is
/// not in cache, so the block 16 rows ahead is hinted into the cache while a block is summed, one
/// line per feature between the loads. Kernel alone on the benchmark's 200,000 × 28 matrix (best of
/// 30, noisy 2-core machine): the previous kernel 30–35M rows/s; eight rows without hints 41–50M;
/// with the hints as a burst before each block 45–61M (unrolled four times, 10–20% slower again);
/// spread through the feature loop 65–84M; sixteen rows in flight (fewer instructions, more lines
/// open at once) streamed worst, 31–39M. On rows in cache: 86M (the previous kernel 49M).
///
/// Benchmark (imputer + skl2onnx LogisticRegression, 28 features, a `negatedPair`), instructions a
/// row for the whole of `Predictor.score` (callgrind): 328 → 217; this kernel 257 → 153 (the
/// hints cost about 9 of them); `nightjar bench --threads 1`: 21M → 45–50M rows/s.
public struct ImputedLinearModel: Sendable {
    public let model: LinearModel
    public let columns: [Int]
    public let imputed: [Float]
    /// Four lanes each, `featureCount` vectors per part: the replacements, the weights of the first
    /// target summed (target 1 for a negated pair) and, when two are summed, those of target 1.
    let lanes: [SIMD4<Float>]
    /// Targets summed per row: 1 (one target, or a negated pair: target 1) or 2; 0 for models with more.
    let summed: Int
    /// The columns read, `lo...hi`.
    let lo: Int, hi: Int

    public init(model: LinearModel, columns: [Int], imputed: [Float]) {
        precondition(columns.count == model.featureCount && imputed.count == model.featureCount)
        self.model = model
        self.columns = columns
        self.imputed = imputed
        let width = model.featureCount, k = model.targets
        summed = width == 0 ? 0 : k == 1 || (k == 2 && model.negatedPair) ? 1 : k == 2 ? 2 : 0
        let first = k == 2 && model.negatedPair ? 1 : 0
        var lanes = imputed.map { SIMD4<Float>(repeating: $0) }
        if summed >= 1 { lanes += (0..<width).map { SIMD4<Float>(repeating: model.coefficients[first * width + $0]) } }
        if summed == 2 { lanes += (0..<width).map { SIMD4<Float>(repeating: model.coefficients[width + $0]) } }
        self.lanes = lanes
        lo = columns.min() ?? 0
        hi = columns.max() ?? 0
    }

    /// Scores `rows` rows (`stride` values per row) into `scores` (`rows × targets`, row-major).
    public func computeScores(inputs: UnsafePointer<Double>, stride: Int, rows: Int, scores: UnsafeMutablePointer<Double>) {
        let k = model.targets
        let width = model.featureCount
        guard k > 0 else { return }
        guard width > 0 else {
            for r in 0..<rows { for t in 0..<k { scores[r &* k &+ t] = Double(0 + model.intercepts[t]) } }
            return
        }
        columns.withUnsafeBufferPointer { c in
            imputed.withUnsafeBufferPointer { m in
                model.coefficients.withUnsafeBufferPointer { w in
                    model.intercepts.withUnsafeBufferPointer { b in
                        let columns = c.baseAddress!, imputed = m.baseAddress!, w = w.baseAddress!, b = b.baseAddress!
                        var r = 0
                        if summed > 0 {
                            r = lanes.withUnsafeBufferPointer { l in
                                sumBlocks(inputs: inputs, stride: stride, rows: rows, columns: columns, lanes: l.baseAddress!,
                                          b: b, scores: scores)
                            }
                        }
                        while r < rows {
                            let row = inputs + r &* stride
                            for t in 0..<k {
                                let wt = w + t &* width
                                var s: Float = 0
                                for i in 0..<width {
                                    let x = Float(row[columns[i]])
                                    s += (x.isNaN ? imputed[i] : x) * wt[i]
                                }
                                scores[r &* k &+ t] = Double(s + b[t])
                            }
                            r &+= 1
                        }
                    }
                }
            }
        }
    }

    /// Scores the leading blocks of eight rows and returns the number of rows scored.
    private func sumBlocks(inputs: UnsafePointer<Double>, stride: Int, rows: Int, columns: UnsafePointer<Int>,
                           lanes: UnsafePointer<SIMD4<Float>>, b: UnsafePointer<Float>,
                           scores: UnsafeMutablePointer<Double>) -> Int {
        typealias V = SIMD4<Float>
        typealias D = SIMD2<Double>
        let width = model.featureCount
        let fill = lanes, u = lanes + width, v = u + width
        // The block `ahead` rows in front is hinted into the cache (`nightjar_prefetch`) while this
        // one is summed: one cache line per feature, between the loads, then the block's remaining
        // lines. Only when the columns read span most of a row (else the hardware alone fetches the
        // few values read from each wide row): then the hints point at the block itself (in cache).
        let dense = 2 &* (hi &- lo &+ 1) >= stride
        let ahead = 16
        let step: UInt = dense ? 64 : 0
        /// The first line to hint for the block at row `r`: that of column `lo` of row `r + ahead`.
        /// Past the last row to score the lines are the next task's rows, or no one's: a hint never faults.
        @inline(__always) func firstLine(_ r: Int) -> UInt {
            dense ? (UInt(bitPattern: inputs) &+ UInt((r &+ ahead) &* stride &+ lo) &* 8) & ~63 : UInt(bitPattern: inputs + r &* stride)
        }
        /// Hints the lines from `line` to the end of column `hi` of row `r + ahead + 7`.
        @inline(__always) func hintRest(from line: UInt, _ r: Int) {
            guard dense else { return }
            let end = UInt(bitPattern: inputs) &+ UInt((r &+ ahead &+ 7) &* stride &+ hi &+ 1) &* 8
            var line = line
            while line < end {
                nightjar_prefetch(UnsafeRawPointer(bitPattern: line))
                line &+= 64
            }
        }
        let four = 4 &* stride
        /// Four rows (`stride` apart from `p`) of one input column, in float32, NaN replaced by `m`.
        @inline(__always) func load(_ p: UnsafePointer<Double>, _ m: V) -> V {
            let lo = D(p[0], p[stride]), hi = D(p[2 &* stride], p[3 &* stride])
            let x = V(lowHalf: SIMD2<Float>(lo), highHalf: SIMD2<Float>(hi))
            return x.replacing(with: m, where: x .!= x)
        }
        /// Four rows' scores as doubles: `a` alone, or `(a[j], c[j])` pairs.
        @inline(__always) func store(_ a: V, _ out: UnsafeMutablePointer<Double>) {
            let o = UnsafeMutableRawPointer(out)
            o.storeBytes(of: D(a.lowHalf), as: D.self)
            o.storeBytes(of: D(a.highHalf), toByteOffset: 16, as: D.self)
        }
        @inline(__always) func store(_ a: V, _ c: V, _ out: UnsafeMutablePointer<Double>) {
            let o = UnsafeMutableRawPointer(out)
            let al = D(a.lowHalf), ah = D(a.highHalf), cl = D(c.lowHalf), ch = D(c.highHalf)
            o.storeBytes(of: D(al[0], cl[0]), as: D.self)
            o.storeBytes(of: D(al[1], cl[1]), toByteOffset: 16, as: D.self)
            o.storeBytes(of: D(ah[0], ch[0]), toByteOffset: 32, as: D.self)
            o.storeBytes(of: D(ah[1], ch[1]), toByteOffset: 48, as: D.self)
        }
        let pair = model.targets == 2
        var r = 0
        if summed == 1 {
            let bias = V(repeating: b[pair ? 1 : 0])
            while r &+ 8 <= rows {
                let base = inputs + r &* stride
                var a0 = V(), a1 = V()
                var line = firstLine(r)
                for i in 0..<width {
                    nightjar_prefetch(UnsafeRawPointer(bitPattern: line))
                    line &+= step
                    let p = base + columns[i], m = fill[i], wi = u[i]
                    a0 += load(p, m) * wi
                    a1 += load(p + four, m) * wi
                }
                hintRest(from: line, r)
                let t0 = a0 + bias, t1 = a1 + bias
                if pair {
                    store(V() - t0, t0, scores + r &* 2)
                    store(V() - t1, t1, scores + (r &* 2 &+ 8))
                } else {
                    store(t0, scores + r)
                    store(t1, scores + (r &+ 4))
                }
                r &+= 8
            }
        } else {
            let bias0 = V(repeating: b[0]), bias1 = V(repeating: b[1])
            while r &+ 8 <= rows {
                let base = inputs + r &* stride
                var a0 = V(), a1 = V(), c0 = V(), c1 = V()
                var line = firstLine(r)
                for i in 0..<width {
                    nightjar_prefetch(UnsafeRawPointer(bitPattern: line))
                    line &+= step
                    let p = base + columns[i], m = fill[i], wi = u[i], vi = v[i]
                    let x0 = load(p, m), x1 = load(p + four, m)
                    a0 += x0 * wi; c0 += x0 * vi
                    a1 += x1 * wi; c1 += x1 * vi
                }
                hintRest(from: line, r)
                store(a0 + bias0, c0 + bias1, scores + r &* 2)
                store(a1 + bias0, c1 + bias1, scores + (r &* 2 &+ 8))
                r &+= 8
            }
        }
        return r
    }
}
