/// Missing values a linear estimator cannot score. A float input reads an empty field as NaN; an
/// `Imputer` whose replaced value is a number (−0.0, 0, …) leaves that NaN as it is, and a linear
/// model turns it into NaN outputs. ONNX Runtime computes the same NaN, which Nightjar would write as
/// NULL probabilities: such a graph is refused when it is loaded instead (scikit-learn itself refuses
/// NaN input to an imputer whose `missing_values` is a number).
extension ONNXLowering {
    /// Refuses the linear estimator `r` when a missing value can reach one of its `features` through
    /// an `Imputer` that does not replace NaN.
    func refuseMissingValuesReaching(_ r: ONNXNodeReader, features: [NumericSymbol]) throws(ModelError) {
        guard !nanPassingImputers.isEmpty else { return }
        var canBeNaN: [ObjectIdentifier: Bool] = [:]
        var visited = Set<ObjectIdentifier>()
        for feature in features {
            guard let found = imputer(passingNaNInto: feature, &canBeNaN, &visited) else { continue }
            let (node, replaced) = found
            let value = replaced == 0 ? (replaced.sign == .minus ? "-0.0" : "0.0") : String(describing: replaced)
            throw unsupported("\(node) replaces \(value), not NaN: a missing value (an empty field) passes through it unchanged, and \(r.label) then computes NaN for that row — ONNX Runtime does the same, which Nightjar would write as NULL predictions. Nightjar refuses the model rather than write NULLs; export the imputer with missing_values=NaN (scikit-learn's default)")
        }
    }

    /// The imputer (node label, replaced value) through which a NaN can reach `s`, if any.
    private func imputer(passingNaNInto s: NumericSymbol, _ canBeNaN: inout [ObjectIdentifier: Bool],
                         _ visited: inout Set<ObjectIdentifier>) -> (String, Float)? {
        guard visited.insert(ObjectIdentifier(s)).inserted, mayBeNaN(s, &canBeNaN) else { return nil }
        if let entry = nanPassingImputers[ObjectIdentifier(s)], entry.symbol === s { return (entry.node, entry.replaced) }
        switch s.kind {
        case .map(let source, _):
            return imputer(passingNaNInto: source, &canBeNaN, &visited)
        case .multi(let node, _):
            for source in node.sources {
                if let found = imputer(passingNaNInto: source, &canBeNaN, &visited) { return found }
            }
            return nil
        case .input, .constant, .table:
            return nil
        }
    }

    /// Whether `s` can be NaN for some row: a float or double input read from an empty field, carried
    /// through operations that keep a NaN.
    private func mayBeNaN(_ s: NumericSymbol, _ memo: inout [ObjectIdentifier: Bool]) -> Bool {
        if let known = memo[ObjectIdentifier(s)] { return known }
        let result: Bool
        switch s.kind {
        case .input:
            result = s.type == .float || s.type == .double
        case .constant(let v):
            result = v.isNaN
        case .table(_, let values):
            result = values.contains { $0.isNaN }
        case let .map(source, operation):
            switch operation {
            case let .impute(replaced, value) where replaced.isNaN:
                result = value.isNaN && mayBeNaN(source, &memo)
            case .toInt64, .toBool, .binarize, .equal:
                result = false
            default:
                result = mayBeNaN(source, &memo)
            }
        case .multi(let node, _):
            result = node.sources.contains { mayBeNaN($0, &memo) }
        }
        memo[ObjectIdentifier(s)] = result
        return result
    }
}
