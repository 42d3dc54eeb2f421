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
    /// is input column `columns[f]` in float32, NaN replaced by `imputed[f]` (NaN: kept). The same
    /// float32 operations in the same order as the plan's steps followed by `computeScores`, so the
    /// same bits, without the intermediate feature matrix: on the benchmark's imputer + logistic
    /// regression, the plan's column passes and the matrix it wrote were 80% of the scoring
    /// instructions (callgrind).
    @inlinable
    public func computeScores(inputs: UnsafePointer<Double>, stride: Int, rows: Int,
                              columns: UnsafePointer<Int>, imputed: UnsafePointer<Float>,
                              scores: UnsafeMutablePointer<Double>) {
        let k = targets
        let width = featureCount
        coefficients.withUnsafeBufferPointer { w in
            intercepts.withUnsafeBufferPointer { b in
                let w = w.baseAddress!, b = b.baseAddress!
                @inline(__always) func value(_ row: UnsafePointer<Double>, _ i: Int) -> Float {
                    let x = Float(row[columns[i]])
                    return x.isNaN ? imputed[i] : x
                }
                var r = 0
                if k == 2 {
                    // Binary classifiers: both targets from one read of each value, four rows in flight.
                    let w0 = w, w1 = w + width
                    while r &+ 4 <= rows {
                        let r0 = inputs + r &* stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride
                        var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
                        var c0: Float = 0, c1: Float = 0, c2: Float = 0, c3: Float = 0
                        for i in 0..<width {
                            let u = w0[i], v = w1[i]
                            let x0 = value(r0, i), x1 = value(r1, i), x2 = value(r2, i), x3 = value(r3, i)
                            a0 += x0 * u; c0 += x0 * v
                            a1 += x1 * u; c1 += x1 * v
                            a2 += x2 * u; c2 += x2 * v
                            a3 += x3 * u; c3 += x3 * v
                        }
                        let s = scores + r &* 2
                        s[0] = Double(a0 + b[0]); s[1] = Double(c0 + b[1])
                        s[2] = Double(a1 + b[0]); s[3] = Double(c1 + b[1])
                        s[4] = Double(a2 + b[0]); s[5] = Double(c2 + b[1])
                        s[6] = Double(a3 + b[0]); s[7] = Double(c3 + b[1])
                        r &+= 4
                    }
                }
                while r < rows {
                    let row = inputs + r &* stride
                    for t in 0..<k {
                        let wt = w + t &* width
                        var s: Float = 0
                        for i in 0..<width { s += value(row, i) * wt[i] }
                        scores[r &* k &+ t] = Double(s + b[t])
                    }
                    r &+= 1
                }
            }
        }
    }
}
