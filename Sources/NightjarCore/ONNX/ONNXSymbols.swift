/// The symbolic values the ONNX lowering works with. Every per-row tensor is a list of columns; a
/// column is an expression over the encoded inputs. Expressions are classes so that a column used
/// twice is computed once (the plan compiler memoises them by identity).

/// Element types Nightjar follows through a graph.
enum ONNXElementType: Equatable, CustomStringConvertible {
    case float, double, int64, bool, string

    init?(onnx code: Int32) {
        switch code {
        case 1: self = .float
        case 11: self = .double
        case 6, 7: self = .int64
        case 9: self = .bool
        case 8: self = .string
        default: return nil
        }
    }

    var description: String {
        switch self {
        case .float: return "float"
        case .double: return "double"
        case .int64: return "int64"
        case .bool: return "bool"
        case .string: return "string"
        }
    }

    /// Arithmetic on this type is done in float32.
    var isFloat: Bool { self == .float }
}

/// A categorical source: a string input (codes from the encoder) or integer categories of a numeric column.
final class CategoryDomain {
    enum Source {
        case text(input: Int)
        case integer(NumericSymbol, keys: [Int64])
    }
    let source: Source
    /// Number of codes, the last one standing for every value outside the known ones.
    let size: Int

    init(_ source: Source, size: Int) {
        self.source = source
        self.size = size
    }
}

/// Several output columns computed together from several input columns.
final class MultiColumnNode {
    enum Operation {
        case normalize(ONNXOutputTransform.Normalization)
        case linear(weights: [Float], bias: [Float])
    }
    let operation: Operation
    let sources: [NumericSymbol]
    let outputs: Int

    init(_ operation: Operation, sources: [NumericSymbol], outputs: Int) {
        self.operation = operation
        self.sources = sources
        self.outputs = outputs
    }
}

/// A numeric column.
final class NumericSymbol {
    indirect enum Kind {
        case input(Int)
        case constant(Double)
        /// A function of a category code: `values[code]`.
        case table(CategoryDomain, [Double])
        case map(NumericSymbol, FeaturePlan.Operation)
        case multi(MultiColumnNode, Int)
    }
    let kind: Kind
    let type: ONNXElementType

    init(_ kind: Kind, type: ONNXElementType) {
        self.kind = kind
        self.type = type
    }

    /// Applies an elementwise operation, folding it into constants and tables.
    func mapped(_ op: FeaturePlan.Operation, to type: ONNXElementType? = nil) -> NumericSymbol {
        let float = self.type.isFloat
        let result = type ?? self.type
        switch kind {
        case .constant(let v): return NumericSymbol(.constant(op.apply(v, float: float)), type: result)
        case let .table(domain, values): return NumericSymbol(.table(domain, values.map { op.apply($0, float: float) }), type: result)
        default: return NumericSymbol(.map(self, op), type: result)
        }
    }

    func retyped(_ type: ONNXElementType) -> NumericSymbol {
        NumericSymbol(kind, type: type)
    }
}

/// A string value as far as the graph can tell: one it names, or any other.
enum StringValue: Hashable {
    case known(String)
    case other
}

/// A string column: a function of a category domain, or a constant (`domain` nil, one value).
struct StringSymbol {
    let domain: CategoryDomain?
    let values: [StringValue]
}

/// A column of a per-row tensor.
enum ONNXColumn {
    case numeric(NumericSymbol)
    case string(StringSymbol)
}

/// A constant tensor (initializer, `Constant` node or folded value).
struct ONNXConstant {
    var dims: [Int]
    var type: ONNXElementType
    var numbers: [Double]
    var strings: [String]

    var count: Int { type == .string ? strings.count : numbers.count }
}

/// What the lowering knows about each tensor name.
enum ONNXValue {
    /// A per-row tensor (N × columns).
    case rows([ONNXColumn])
    case constant(ONNXConstant)
    /// The estimator's label output (Nightjar computes its own label).
    case estimatorLabel
    /// The estimator's score or probability tensor, with what the graph applied to it since.
    case estimatorScores(ONNXScoreChain)
}
