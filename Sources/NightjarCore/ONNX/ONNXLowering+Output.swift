/// The nodes after the estimator: what the graph does to its label and to its score (probability or
/// prediction) tensor. Element-wise nodes by constants and casts become the output transform's
/// operations (`ONNXScoreChain`); anything else there is refused.
extension ONNXLowering {
    mutating func lowerAfterEstimator(_ r: ONNXNodeReader, _ inputs: [ONNXValue]) throws(ModelError) {
        let op = r.node.opType
        guard inputs.count == 1, r.node.input.count >= 1 else {
            throw r.unsupported("combines the estimator's output with other values, which Nightjar does not support")
        }
        let v = inputs[0]
        let arithmetic = ["Add", "Sub", "Mul", "Div"].contains(op) && (r.node.domain.isEmpty || r.node.domain == "ai.onnx")
        switch (op, v) {
        case ("Identity", _):
            try r.checkAttributes([])
            setOutput(r, v)
        case ("ZipMap", .estimatorScores(let chain)):
            try r.checkAttributes(["classlabels_int64s", "classlabels_strings"])
            guard chain.type == .float else { throw r.unsupported("reads a double tensor; ZipMap takes float probabilities") }
            setOutput(r, v)
            step(r, "probabilities as a map per row (written as columns)")
        case ("Cast", .estimatorScores(var chain)):
            try r.checkAttributes(["to", "saturate"])
            let to = r.int("to", default: 0)
            switch to {
            case 1:
                if chain.type == .double {
                    chain.operations.append(.init(columns: Array(repeating: .toFloat, count: outputCount), float: false))
                    step(r, "the estimator's output rounded to float32")
                }
                chain.type = .float
            case 11:
                if chain.type == .float { step(r, "the estimator's output as double from here") }
                chain.type = .double
            default:
                throw r.unsupported("casts the estimator's output to type \(to); Nightjar supports Cast to float (1) or double (11) there")
            }
            setOutput(r, .estimatorScores(chain))
        case ("Cast", .estimatorLabel), ("LabelEncoder", .estimatorLabel), ("Reshape", .estimatorLabel):
            setOutput(r, v)
        case (_, .estimatorScores(let chain)) where arithmetic:
            try lowerArithmeticAfterEstimator(r, chain)
        case (_, .estimatorLabel) where arithmetic:
            throw r.unsupported("is applied to the estimator's label; Nightjar writes the label the estimator predicts and refuses arithmetic on it")
        case ("Normalizer", .estimatorScores(let chain)):
            try r.checkAttributes(["norm"])
            guard chain.isUntouched else {
                throw r.unsupported("normalises the estimator's output after other nodes changed it; Nightjar supports a Normalizer right after the estimator")
            }
            let norm = r.string("norm", default: "MAX")
            guard let n = ONNXOutputTransform.Normalization(rawValue: norm) else { throw r.unsupported("norm '\(norm)' is not supported") }
            setOutput(r, .estimatorScores(ONNXScoreChain(normalization: n)))
            step(r, "\(norm) normalisation of the probabilities")
        default:
            throw r.unsupported("is applied to the estimator's output; Nightjar supports Identity, Cast to float or double, Add/Sub/Mul/Div by a constant, ZipMap and Normalizer there")
        }
    }

    /// Number of columns of the estimator's probability (or prediction) tensor.
    var outputCount: Int { lowered?.transform.outputCount ?? 1 }

    /// `Add`/`Sub`/`Mul`/`Div` between the estimator's output and a constant: a scalar, or one value per
    /// output column (shape [K] or [1, K]), of the tensor's type; computed in that type, as ONNX Runtime does.
    mutating func lowerArithmeticAfterEstimator(_ r: ONNXNodeReader, _ chain: ONNXScoreChain) throws(ModelError) {
        try r.checkAttributes([])
        guard r.node.input.count == 2 else { throw r.malformed("takes two inputs, has \(r.node.input.count)") }
        let scoresFirst: Bool
        if case .estimatorScores? = values[r.node.input[0]] { scoresFirst = true } else { scoresFirst = false }
        let other = try input(scoresFirst ? 1 : 0, of: r)
        guard case .constant(let c) = other else {
            throw r.unsupported("combines the estimator's output with a per-row value; Nightjar supports a constant there")
        }
        guard c.type == chain.type else {
            throw r.unsupported("combines the estimator's \(chain.type) output with a \(c.type) constant (ONNX requires one type)")
        }
        let count = outputCount
        let last = c.dims.last ?? 1
        guard c.dims.count <= 2, c.dims.dropLast().allSatisfy({ $0 == 1 }), c.numbers.count == last,
              last == 1 || last == count else {
            throw r.unsupported("a constant of shape \(c.dims) does not broadcast over the estimator's \(count) output column\(count == 1 ? "" : "s") (a scalar, [\(count)] or [1, \(count)])")
        }
        let k = last == 1 ? Array(repeating: c.numbers[0], count: count) : c.numbers
        let op = r.node.opType
        let operations = k.map { value -> FeaturePlan.Operation in
            switch op {
            case "Add": return .add(value)
            case "Sub": return scoresFirst ? .subtract(value) : .subtractFrom(value)
            case "Mul": return .multiply(value)
            default: return scoresFirst ? .divide(value) : .divideInto(value)
            }
        }
        var next = chain
        next.operations.append(.init(columns: operations, float: chain.type == .float))
        setOutput(r, .estimatorScores(next))
        let shown = k.prefix(4).map { String(describing: chain.type == .float ? Double(Float($0)) : $0) }
        let operand = last == 1 ? shown[0] : "[\(shown.joined(separator: ", "))\(count > 4 ? ", …" : "")]"
        let what: String
        switch op {
        case "Add": what = "+ \(operand)"
        case "Sub": what = scoresFirst ? "− \(operand)" : "\(operand) − x"
        case "Mul": what = "× \(operand)"
        default: what = scoresFirst ? "÷ \(operand)" : "\(operand) ÷ x"
        }
        step(r, "\(what) on the estimator's output (\(chain.type == .float ? "float32" : "double"))")
    }
}
