/// A block of rows as a row-major matrix of feature values in model feature order.
/// Missing values are NaN; categorical features hold their category code.
public struct FeatureMatrix: Sendable {
    public private(set) var rows: Int
    public let stride: Int
    public var values: [Double]

    public init(rows: Int, features: Int) {
        self.rows = rows
        self.stride = features
        self.values = [Double](repeating: .nan, count: rows * features)
    }

    /// Resizes for `rows` rows, reusing storage; values are left unspecified.
    public mutating func reset(rows: Int) {
        self.rows = rows
        let needed = rows * stride
        if values.count < needed {
            values.append(contentsOf: repeatElement(.nan, count: needed - values.count))
        } else if values.count > needed {
            values.removeLast(values.count - needed)
        }
    }

    public subscript(row: Int, feature: Int) -> Double {
        get { values[row * stride + feature] }
        set { values[row * stride + feature] = newValue }
    }
}
