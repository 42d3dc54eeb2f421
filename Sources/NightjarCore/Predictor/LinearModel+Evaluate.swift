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
}
