/// Binding a model's inputs to CSV columns, and choosing ONNX Runtime's summation order.
extension ScoringModel {
    /// Binds input columns to `names`, in order. ONNX: names the columns of multi-column tensor inputs
    /// (in input order); without names, refuses a graph that has such an input. XGBoost and LightGBM:
    /// renames the model's features (implicit `f0…` or `Column_0…` for a model trained on a bare
    /// matrix, or any others), one name per feature; without names, the model's own names are used.
    public func bindingFeatures(_ names: [String]?) throws(FeatureBindingError) -> ScoringModel {
        if let names, let twice = Self.firstDuplicate(names) {
            throw FeatureBindingError("--features names '\(twice)' twice; each CSV column fills one feature")
        }
        guard let graph else {
            guard let names, !names.isEmpty else { return self }
            guard names.count == features.count else {
                let own = features.prefix(4).map(\.name).joined(separator: ", ") + (features.count > 4 ? ", …" : "")
                throw FeatureBindingError("--features names \(names.count) column\(names.count == 1 ? "" : "s"), but this \(format.displayName) model has \(features.count) feature\(features.count == 1 ? "" : "s") (\(own)); name one CSV column per feature, in the model's order")
            }
            var copy = self
            for i in copy.features.indices { copy.features[i].name = names[i] }
            return copy
        }
        let tensors = graph.tensorInputs
        let needed = tensors.reduce(0) { $0 + $1.columns }
        guard let names, !names.isEmpty else {
            if let first = tensors.first {
                throw FeatureBindingError("ONNX input '\(first.name)' is one tensor of \(first.columns) columns; name the CSV columns that fill it, in order, with --features a,b,… (\(needed) names)")
            }
            return self
        }
        guard !tensors.isEmpty else {
            throw FeatureBindingError("--features is only for a graph whose input is one tensor of several columns; this graph takes one input per column (\(graph.inputs.map(\.name).joined(separator: ", ")))")
        }
        guard names.count == needed else {
            let which = tensors.map { "'\($0.name)' (\($0.columns))" }.joined(separator: ", ")
            throw FeatureBindingError("--features names \(names.count) columns, but input \(which) takes \(needed)")
        }
        var copy = self
        var k = 0
        for input in tensors {
            for j in 0..<input.columns {
                copy.features[input.firstFeature + j].name = names[k]
                k += 1
            }
        }
        return copy
    }

    private static func firstDuplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }

    /// Reproduces ONNX Runtime's float32 tree sums as it computes them with `threads` intra-op threads.
    public func reproducingONNXRuntime(threads: Int) -> ScoringModel {
        guard case .forest(var forest) = estimator, case .onnx(var aggregation) = forest.semantics else { return self }
        aggregation.runtimeThreads = Swift.max(1, threads)
        forest.semantics = .onnx(aggregation)
        var copy = self
        copy.estimator = .forest(forest)
        return copy
    }

    /// The ONNX Runtime thread count whose summation order is reproduced, for ONNX tree models.
    public var onnxRuntimeThreads: Int? {
        if case .onnx(let a)? = forest?.semantics { return a.runtimeThreads }
        return nil
    }
}

/// The input columns cannot be bound as asked.
public struct FeatureBindingError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
