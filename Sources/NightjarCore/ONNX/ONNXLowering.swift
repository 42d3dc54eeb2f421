import Foundation

/// Walks an ONNX graph once, in its (topological) node order, and turns it into Nightjar's form.
/// Each node is understood symbolically: per-row tensors become lists of column expressions,
/// categorical logic is folded into tables over category codes, constants are folded. Anything
/// Nightjar cannot reproduce exactly is refused with the operator and node name.
struct ONNXLowering {
    let model: Onnx_ModelProto
    let path: String
    var values: [String: ONNXValue] = [:]
    var features: [ModelFeature] = []
    var inputTypes: [ONNXElementType] = []
    var inputs: [ONNXGraphSummary.Input] = []
    var steps: [String] = []
    var vocabulary: [String] = []
    var lowered: LoweredEstimator?
    /// Columns written by an `Imputer` whose replaced value is not NaN (a missing value passes through
    /// it), with the node and the value it replaces.
    var nanPassingImputers: [ObjectIdentifier: (symbol: NumericSymbol, node: String, replaced: Float)] = [:]

    /// The estimator found in the graph, with what Nightjar needs around it.
    struct LoweredEstimator {
        var estimator: Estimator
        var transform: ONNXOutputTransform
        var task: ModelTask
        var objective: String
        var features: [NumericSymbol]
    }

    init(model: Onnx_ModelProto, path: String) {
        self.model = model
        self.path = path
    }

    func unsupported(_ detail: String) -> ModelError { .unsupported(path: path, format: "ONNX", detail: detail) }
    func malformed(_ detail: String) -> ModelError { .malformed(path: path, format: "ONNX", detail: detail) }

    mutating func lower() throws(ModelError) -> ScoringModel {
        let graph = model.graph
        for opset in model.opsetImport where !["", "ai.onnx", "ai.onnx.ml"].contains(opset.domain) {
            throw unsupported("operator set '\(opset.domain)' (version \(opset.version)) is not supported; Nightjar reads the ai.onnx and ai.onnx.ml operators")
        }
        collectVocabulary()
        var initializerNames = Set<String>()
        for t in graph.initializer {
            do {
                values[t.name] = .constant(try ONNXTensorDecoder.decode(t))
            } catch {
                throw malformed(error.detail)
            }
            initializerNames.insert(t.name)
        }
        for input in graph.input where !initializerNames.contains(input.name) {
            try bindInput(input)
        }
        for node in graph.node {
            try lowerNode(node)
        }
        guard var lowered else {
            throw unsupported("the graph has no estimator Nightjar supports (TreeEnsembleClassifier, TreeEnsembleRegressor, LinearClassifier, LinearRegressor)")
        }
        var outputs: [ONNXGraphSummary.Output] = []
        var written: (name: String, chain: ONNXScoreChain)?
        let columns = ScoringModel.columns(for: lowered.task)
        for o in graph.output {
            let type = Self.typeName(o.type)
            switch values[o.name] {
            case .estimatorScores(let chain)?:
                if let written, written.chain != chain {
                    throw unsupported("graph outputs '\(written.name)' and '\(o.name)' both carry the estimator's scores, computed differently; Nightjar writes one of them")
                }
                written = (o.name, chain)
                let after = chain.operations.isEmpty ? "" : " (after \(chain.operations.count) element-wise node\(chain.operations.count == 1 ? "" : "s"))"
                outputs.append(.init(name: o.name, type: type, role: "written as \(columns)\(after)"))
            case .estimatorLabel?:
                outputs.append(.init(name: o.name, type: type, role: "predicted class (Nightjar writes `label` from the estimator's probabilities)"))
            default:
                throw unsupported("graph output '\(o.name)' does not come from the estimator; Nightjar writes the estimator's scores only")
            }
        }
        guard let written else {
            throw unsupported("no graph output carries the estimator's scores or probabilities")
        }
        lowered.transform = written.chain.applied(to: lowered.transform)

        var compiler = ONNXPlanCompiler(inputTypes: inputTypes)
        let outputsColumns = lowered.features.map { compiler.column($0) }
        let plan = FeaturePlan(inputCount: features.count, steps: compiler.steps, scratchColumns: compiler.next, outputs: outputsColumns)
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        let summary = ONNXGraphSummary(
            producer: producer.isEmpty ? "unknown" : producer,
            opsets: model.opsetImport.map { "\($0.domain.isEmpty ? "ai.onnx" : $0.domain) \($0.version)" },
            inputs: inputs, steps: steps, outputs: outputs)
        return ScoringModel(format: .onnx, objective: lowered.objective, task: lowered.task, features: features,
                            plan: plan, estimator: lowered.estimator, link: .onnx(lowered.transform),
                            libraryVersion: producer.isEmpty ? nil : producer, graph: summary)
    }

    /// Every string the graph names, so that string inputs keep all the distinctions the graph makes.
    mutating func collectVocabulary() {
        var set: Set<String> = [""]
        for node in model.graph.node {
            for a in node.attribute {
                if !a.s.isEmpty { set.insert(String(decoding: a.s, as: UTF8.self)) }
                for s in a.strings { set.insert(String(decoding: s, as: UTF8.self)) }
                if a.hasT { for s in a.t.stringData { set.insert(String(decoding: s, as: UTF8.self)) } }
            }
        }
        for t in model.graph.initializer where t.dataType == 8 {
            for s in t.stringData { set.insert(String(decoding: s, as: UTF8.self)) }
        }
        vocabulary = set.sorted()
    }

    mutating func bindInput(_ input: Onnx_ValueInfoProto) throws(ModelError) {
        guard input.type.tensorType.hasElemType, let type = ONNXElementType(onnx: input.type.tensorType.elemType) else {
            throw unsupported("input '\(input.name)' is not a tensor of float, double, int64 or string")
        }
        let dims = input.type.tensorType.shape.dim
        var columns = 1
        if dims.count == 2 {
            guard case .dimValue(let k)? = dims[1].value, k > 0 else {
                throw unsupported("input '\(input.name)' has no fixed number of columns (shape [N, ?])")
            }
            columns = Int(k)
        } else if dims.count > 2 {
            throw unsupported("input '\(input.name)' has \(dims.count) dimensions; Nightjar binds 2-D inputs [rows, columns]")
        }
        let first = features.count
        var cols: [ONNXColumn] = []
        for j in 0..<columns {
            let name = columns == 1 ? input.name : "\(input.name)[\(j)]"
            let index = features.count
            if type == .string {
                features.append(ModelFeature(name: name, kind: .text(vocabulary: vocabulary)))
                let domain = CategoryDomain(.text(input: index), size: vocabulary.count + 1)
                cols.append(.string(StringSymbol(domain: domain, values: vocabulary.map { .known($0) } + [.other])))
            } else {
                features.append(ModelFeature(name: name, kind: .numeric))
                cols.append(.numeric(NumericSymbol(.input(index), type: type)))
            }
            inputTypes.append(type)
        }
        inputs.append(.init(name: input.name, type: type.description, columns: columns, firstFeature: first))
        values[input.name] = .rows(cols)
    }

    static func typeName(_ t: Onnx_TypeProto) -> String {
        switch t.value {
        case .tensorType(let tensor)?:
            let elem = ONNXElementType(onnx: tensor.elemType)?.description ?? "type \(tensor.elemType)"
            let shape = tensor.shape.dim.map { d -> String in
                if case .dimValue(let v)? = d.value { return String(v) }
                return "N"
            }
            return "tensor(\(elem))[\(shape.joined(separator: ", "))]"
        case .sequenceType?: return "sequence of maps (ZipMap)"
        case .mapType?: return "map"
        case nil: return "unknown"
        }
    }

    // MARK: Reading node inputs

    func value(_ name: String, of r: ONNXNodeReader) throws(ModelError) -> ONNXValue {
        guard let v = values[name] else { throw r.malformed("input '\(name)' is not produced by any earlier node") }
        return v
    }

    func input(_ i: Int, of r: ONNXNodeReader) throws(ModelError) -> ONNXValue {
        guard i < r.node.input.count, !r.node.input[i].isEmpty else { throw r.malformed("input \(i) is missing") }
        return try value(r.node.input[i], of: r)
    }

    func optionalConstant(_ i: Int, of r: ONNXNodeReader) throws(ModelError) -> ONNXConstant? {
        guard i < r.node.input.count, !r.node.input[i].isEmpty else { return nil }
        guard case .constant(let c) = try value(r.node.input[i], of: r) else {
            throw r.unsupported("input \(i) ('\(r.node.input[i])') must be a constant")
        }
        return c
    }

    /// A constant's values as whole numbers (shapes, indices): a fraction, NaN or a value past Int
    /// is refused (a Double converted with Int(_:) would trap).
    func integers(_ c: ONNXConstant, of r: ONNXNodeReader, _ what: String) throws(ModelError) -> [Int] {
        guard c.type != .string else { throw r.unsupported("\(what) must be numbers, not strings") }
        return try c.numbers.map { (v: Double) throws(ModelError) -> Int in
            guard let i = Int(exactly: v) else { throw r.malformed("\(what): \(v) is not a whole number within ±2^63") }
            return i
        }
    }

    func rows(_ i: Int, of r: ONNXNodeReader) throws(ModelError) -> [ONNXColumn] {
        switch try input(i, of: r) {
        case .rows(let columns): return columns
        case .constant: throw r.unsupported("input \(i) is a constant where Nightjar expects a per-row tensor")
        case .estimatorLabel, .estimatorScores: throw r.unsupported("operates on the estimator's output, which Nightjar does not support")
        }
    }

    func numericRows(_ i: Int, of r: ONNXNodeReader) throws(ModelError) -> [NumericSymbol] {
        try rows(i, of: r).map { (c: ONNXColumn) throws(ModelError) -> NumericSymbol in
            guard case .numeric(let s) = c else { throw r.unsupported("expects numbers, but its input holds strings") }
            return s
        }
    }

    mutating func setOutput(_ r: ONNXNodeReader, _ v: ONNXValue, index: Int = 0) {
        if index < r.node.output.count, !r.node.output[index].isEmpty { values[r.node.output[index]] = v }
    }

    mutating func step(_ r: ONNXNodeReader, _ detail: String) {
        steps.append("\(r.node.opType) '\(r.node.name)': \(detail)")
    }

    // MARK: Dispatch

    mutating func lowerNode(_ node: Onnx_NodeProto) throws(ModelError) {
        let r = ONNXNodeReader(node, path: path)
        let domain = node.domain == "ai.onnx" ? "" : node.domain
        // Nodes reading the estimator's outputs.
        let estimatorInputs = node.input.compactMap { name -> ONNXValue? in
            switch values[name] {
            case .estimatorLabel?, .estimatorScores?: return values[name]
            default: return nil
            }
        }
        if !estimatorInputs.isEmpty {
            try lowerAfterEstimator(r, estimatorInputs)
            return
        }
        switch (domain, node.opType) {
        case ("ai.onnx.ml", "TreeEnsembleClassifier"), ("ai.onnx.ml", "TreeEnsembleRegressor"),
             ("ai.onnx.ml", "LinearClassifier"), ("ai.onnx.ml", "LinearRegressor"):
            guard lowered == nil else {
                throw r.unsupported("the graph has a second estimator; Nightjar scores graphs with one (no voting or stacking)")
            }
            let features = try numericRows(0, of: r)
            let result: LoweredEstimator
            switch node.opType {
            case "TreeEnsembleClassifier", "TreeEnsembleRegressor": result = try lowerTreeEnsemble(r, features: features)
            default:
                try refuseMissingValuesReaching(r, features: features)
                result = try lowerLinear(r, features: features)
            }
            lowered = result
            setOutput(r, node.opType.hasSuffix("Classifier") ? .estimatorLabel : .estimatorScores(.estimator), index: 0)
            if node.opType.hasSuffix("Classifier") { setOutput(r, .estimatorScores(.estimator), index: 1) }
        case ("", _), ("ai.onnx.ml", _):
            try lowerTransform(r, domain: domain)
        default:
            throw r.unsupported("operator domain '\(node.domain)' is not supported")
        }
    }
}

extension ScoringModel {
    /// The output columns a task writes, as text.
    static func columns(for task: ModelTask) -> String {
        switch task {
        case .binary: return "probability (class 1), label"
        case .multiclass(let k): return "probability_0 … probability_\(k - 1), label"
        case .multiclassLabel: return "label"
        case .regression: return "prediction"
        }
    }
}
