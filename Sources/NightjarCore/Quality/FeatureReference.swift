/// The training distribution of one feature.
///
/// `count` is the number of non-missing values (like SQL's COUNT(column)); `nulls` the missing
/// ones. Missing values are not in `counts`: PSI gives them a bin of their own when either side has any.
public struct FeatureReference: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case numeric, categorical }

    public var name: String
    public var kind: Kind
    public var count: Int
    public var nulls: Int
    /// Numeric: over the finite non-missing values; nil when there are none.
    public var mean: Double?
    public var min: Double?
    public var max: Double?
    /// Numeric: interior cut points, increasing (see `BinEdges.quantileEdges`). Bin i holds the
    /// values v with `edges[i-1] < v <= edges[i]`; the first and last bins are open-ended.
    public var edges: [Double]?
    /// Categorical: the names of the codes. Code i is category i, unless `codes` is set.
    public var categories: [String]?
    /// Categorical features of a model that stores no category names: the codes seen in the sample,
    /// increasing, `categories[i]` naming `codes[i]`. Nil when the code is the index.
    public var codes: [Double]?
    /// Numeric: `edges.count + 1` bins. Categorical: `categories.count + 1`, the last for any other
    /// code (an unseen value, or the "other" code of a text feature).
    public var counts: [Int]

    public init(
        name: String, kind: Kind, count: Int, nulls: Int, mean: Double? = nil, min: Double? = nil, max: Double? = nil,
        edges: [Double]? = nil, categories: [String]? = nil, codes: [Double]? = nil, counts: [Int]
    ) {
        self.name = name
        self.kind = kind
        self.count = count
        self.nulls = nulls
        self.mean = mean
        self.min = min
        self.max = max
        self.edges = edges
        self.categories = categories
        self.codes = codes
        self.counts = counts
    }
}
