/// The model proper, after any preprocessing: a tree ensemble or a linear model.
public enum Estimator: Sendable {
    case forest(Forest)
    case linear(LinearModel)

    /// Scores (margins) per row.
    public var outputCount: Int {
        switch self {
        case .forest(let f): return f.outputGroups
        case .linear(let l): return l.targets
        }
    }

    /// Feature columns the estimator reads.
    public var featureCount: Int {
        switch self {
        case .forest(let f): return f.featureCount
        case .linear(let l): return l.featureCount
        }
    }

    /// Computes `rows × outputCount` scores, row-major, from a row-major feature matrix.
    @inlinable
    public func computeScores(features: UnsafePointer<Double>, stride: Int, rows: Int, scores: UnsafeMutablePointer<Double>) {
        switch self {
        case .forest(let f): f.computeMargins(features: features, stride: stride, rows: rows, margins: scores)
        case .linear(let l): l.computeScores(features: features, stride: stride, rows: rows, scores: scores)
        }
    }
}
