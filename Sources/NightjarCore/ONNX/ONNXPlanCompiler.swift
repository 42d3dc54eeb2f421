/// Compiles column expressions into `FeaturePlan` steps, computing each shared expression once.
struct ONNXPlanCompiler {
    let inputTypes: [ONNXElementType]
    var steps: [FeaturePlan.Step] = []
    var next = 0
    private var columns: [ObjectIdentifier: Int] = [:]
    private var codes: [ObjectIdentifier: Int] = [:]
    private var multis: [ObjectIdentifier: [Int]] = [:]

    init(inputTypes: [ONNXElementType]) {
        self.inputTypes = inputTypes
    }

    private mutating func fresh() -> Int {
        defer { next += 1 }
        return next
    }

    mutating func column(_ s: NumericSymbol) -> Int {
        if let c = columns[ObjectIdentifier(s)] { return c }
        let result: Int
        switch s.kind {
        case .input(let i):
            result = fresh()
            steps.append(.load(input: i, float: inputTypes[i] == .float, into: result))
        case .constant(let v):
            result = fresh()
            steps.append(.constant(v, into: result))
        case let .table(domain, values):
            let source = code(domain)
            result = fresh()
            steps.append(.lookup(from: source, table: values, into: result))
        case let .map(source, operation):
            let from = column(source)
            result = fresh()
            steps.append(.map(from: from, operation: operation, float: source.type.isFloat, into: result))
        case let .multi(node, index):
            result = multi(node)[index]
        }
        columns[ObjectIdentifier(s)] = result
        return result
    }

    mutating func code(_ d: CategoryDomain) -> Int {
        if let c = codes[ObjectIdentifier(d)] { return c }
        let result: Int
        switch d.source {
        case .text(let input):
            result = fresh()
            steps.append(.code(input: input, into: result))
        case let .integer(source, keys):
            let from = column(source)
            result = fresh()
            steps.append(.integerCode(from: from, keys: keys, into: result))
        }
        codes[ObjectIdentifier(d)] = result
        return result
    }

    mutating func multi(_ node: MultiColumnNode) -> [Int] {
        if let c = multis[ObjectIdentifier(node)] { return c }
        let from = node.sources.map { column($0) }
        let into = (0..<node.outputs).map { _ in fresh() }
        switch node.operation {
        case .normalize(let n): steps.append(.normalize(from: from, norm: n, into: into))
        case let .linear(weights, bias): steps.append(.linear(from: from, weights: weights, bias: bias, into: into))
        }
        multis[ObjectIdentifier(node)] = into
        return into
    }
}
