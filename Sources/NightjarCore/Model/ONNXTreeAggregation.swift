/// How ONNX Runtime adds up the votes of a `TreeEnsembleClassifier`/`TreeEnsembleRegressor`.
///
/// Sums are kept in the type of the tree weights: float32, or double when the file carries
/// `*_as_tensor` doubles. For batches of more than 50 rows ONNX Runtime splits the trees into as many
/// contiguous runs as it has intra-op threads, sums each run from zero and then adds the run sums in
/// order, so float32 results depend on its thread count; `runtimeThreads` says which order to reproduce.
public struct ONNXTreeAggregation: Sendable, Equatable {
    public enum Function: String, Sendable, Equatable {
        case sum = "SUM"
        case average = "AVERAGE"
    }

    public var function: Function
    /// Weights and sums in double rather than float32.
    public var doubleSums: Bool
    /// More than one output (classifiers, multi-target regressors): ONNX Runtime's multi-output path.
    public var multiOutput: Bool
    /// The ONNX Runtime intra-op thread count whose summation order is reproduced (1: file order).
    public var runtimeThreads: Int

    public init(function: Function, doubleSums: Bool, multiOutput: Bool, runtimeThreads: Int = 1) {
        self.function = function
        self.doubleSums = doubleSums
        self.multiOutput = multiOutput
        self.runtimeThreads = runtimeThreads
    }

    /// Number of contiguous tree runs ONNX Runtime sums separately for a large batch.
    @inlinable
    public func partitions(trees: Int) -> Int {
        guard runtimeThreads > 1 else { return 1 }
        if multiOutput { return trees >= runtimeThreads ? runtimeThreads : 1 }
        return trees > runtimeThreads ? runtimeThreads : 1
    }

    /// Trees `start ..< end` of run `index` out of `count` (ONNX Runtime's `PartitionWork`).
    @inlinable
    public static func run(_ index: Int, of count: Int, trees: Int) -> Range<Int> {
        let per = trees / count
        let extra = trees % count
        if index < extra {
            let start = (per + 1) * index
            return start..<(start + per + 1)
        }
        let start = per * index + extra
        return start..<(start + per)
    }
}
