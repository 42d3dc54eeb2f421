/// What a graph has done to the estimator's score (probability or prediction) tensor so far: a
/// `Normalizer`, then element-wise nodes by constants, and the tensor's element type (float32 as the
/// estimator writes it, double after a `Cast` to double). Each tensor name derived from the scores
/// carries its own chain; the one a graph output carries becomes the model's output transform.
struct ONNXScoreChain: Equatable {
    var normalization: ONNXOutputTransform.Normalization?
    var operations: [ONNXOutputTransform.OutputOperation] = []
    var type: ONNXElementType = .float

    /// The estimator's own tensor: nothing applied yet.
    static let estimator = ONNXScoreChain(normalization: nil)

    /// Nothing but the estimator's output (a `Normalizer` may still follow).
    var isUntouched: Bool { normalization == nil && operations.isEmpty && type == .float }

    /// Installs the chain into the estimator's output transform.
    func applied(to transform: ONNXOutputTransform) -> ONNXOutputTransform {
        var t = transform
        t.normalization = normalization
        t.outputOperations = operations
        t.doubleOutputs = type == .double
        return t
    }
}
