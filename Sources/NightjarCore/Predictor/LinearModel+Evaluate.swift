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
                for r in 0..<rows {
                    let row = features + r * stride
                    for t in 0..<k {
                        let wt = w.baseAddress! + t * width
                        var s: Float = 0
                        for i in 0..<width { s += Float(row[i]) * wt[i] }
                        scores[r * k + t] = Double(s + b[t])
                    }
                }
            }
        }
    }
}
