/// Binding an ONNX graph's inputs to CSV columns, and choosing ONNX Runtime's summation order.
extension ScoringModel {
    /// Names the columns of multi-column tensor inputs (in input order) with `names`; without names,
    /// refuses a graph that has such an input. Other models accept no names.
    public func bindingFeatures(_ names: [String]?) throws(FeatureBindingError) -> ScoringModel {
        guard let graph else {
            if let names, !names.isEmpty { throw FeatureBindingError("--features applies to ONNX models whose input is one tensor of several columns; this \(format.displayName) model names its features itself") }
            return self
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
