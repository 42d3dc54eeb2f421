/// How one feature of a chunk or run compares with the training sample.
public struct FeatureDrift: Codable, Sendable, Equatable {
    public var name: String
    /// Rows seen (missing or not).
    public var rows: Int
    /// Missing values / rows; 0 for no rows.
    public var nullRate: Double
    /// Numeric features: over the finite non-missing values; nil for categorical features or none.
    public var mean: Double?
    public var min: Double?
    public var max: Double?
    /// Against the reference's bins, missing values as one more bin (`PSI`).
    public var psi: Double

    public init(name: String, rows: Int, nullRate: Double, mean: Double?, min: Double?, max: Double?, psi: Double) {
        self.name = name
        self.rows = rows
        self.nullRate = nullRate
        self.mean = mean
        self.min = min
        self.max = max
        self.psi = psi
    }

    enum CodingKeys: String, CodingKey {
        case name, rows, nullRate = "null_rate", mean, min, max, psi
    }
}
