/// How an input column becomes a feature value.
public enum FeatureKind: Sendable, Equatable {
    /// Parsed as a number; an empty field (or NA/NaN/null) is missing.
    case numeric
    /// Recoded from its category name to the code used in training. `categories` holds the names
    /// in training order (code = index); nil when the model stores none, in which case the column
    /// must already hold integer codes.
    case categorical(categories: [String]?)
    /// A string read as its index in `vocabulary` (which may hold the empty string, for an empty field);
    /// any other value is `vocabulary.count`. ONNX string inputs: the vocabulary is every string the
    /// graph compares with, so the codes keep all the distinctions the graph makes.
    case text(vocabulary: [String])

    public var isCategorical: Bool {
        if case .categorical = self { return true }
        return false
    }
}

/// One input feature of a model, in the model's feature order.
public struct ModelFeature: Sendable, Equatable {
    public var name: String
    public var kind: FeatureKind

    public init(name: String, kind: FeatureKind) {
        self.name = name
        self.kind = kind
    }
}
