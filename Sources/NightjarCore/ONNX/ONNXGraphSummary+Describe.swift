extension ONNXGraphSummary {
    /// The `inspect` lines for an ONNX graph: inputs, steps, estimator and outputs.
    func describe(estimator: Estimator) -> [String] {
        var lines: [String] = []
        lines.append("producer:    \(producer) (opsets: \(opsets.joined(separator: ", ")))")
        lines.append("inputs:      \(inputs.count)")
        let width = max(4, inputs.map(\.name.count).max() ?? 4)
        for input in inputs {
            let name = input.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let binding = input.columns == 1
                ? "one CSV column, matched by name"
                : "\(input.columns) columns: bind with --features (an ordered list of \(input.columns) CSV columns)"
            let missing = input.type == "string" ? "; an empty field is the empty string" : input.type == "int64" ? "" : "; an empty field is NaN"
            lines.append("  \(name)  tensor(\(input.type))  \(binding)\(missing)")
        }
        lines.append("steps:       \(steps.count)")
        for (i, s) in steps.enumerated() { lines.append("  \(String(i + 1).leftPad(3)). \(s)") }
        lines.append("flow:        \(flow)")
        switch estimator {
        case .forest(let f):
            lines.append("trees:       \(f.treeCount) trees, \(f.nodeCount) nodes, max depth \(f.maxDepth), \(f.featureCount) features")
            if case .onnx(let a) = f.semantics {
                lines.append("sums:        \(a.doubleSums ? "double" : "float32"), in ONNX Runtime's order for \(a.runtimeThreads) intra-op thread\(a.runtimeThreads == 1 ? "" : "s")")
            }
        case .linear(let l):
            lines.append("linear:      \(l.targets) target\(l.targets == 1 ? "" : "s") × \(l.featureCount) features (float32)")
        }
        lines.append("outputs:     \(outputs.count)")
        for o in outputs { lines.append("  \(o.name)  \(o.type)  \(o.role)") }
        return lines
    }

    /// "Imputer → Scaler → OneHotEncoder → Concat → TreeEnsembleClassifier", without repeats in a row.
    var flow: String {
        var ops: [String] = []
        for s in steps {
            let op = String(s.prefix { $0 != " " })
            if ops.last != op && !ops.contains(op) || (op.hasPrefix("TreeEnsemble") || op.hasPrefix("Linear")) { ops.append(op) }
        }
        return ops.joined(separator: " → ")
    }
}
