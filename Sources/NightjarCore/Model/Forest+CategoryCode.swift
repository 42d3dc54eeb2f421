extension Forest {
    /// A row's value of a feature with categorical splits as the library reads it: NaN is
    /// `missingCode`; XGBoost truncates its float32 value, LightGBM the double, and a value
    /// outside the codes (negative, XGBoost ≥ 2²⁴, LightGBM ≥ 2³¹) is `invalidCode`, in no set.
    @inline(__always)
    static func categoryCode(_ v: Double, xgboost: Bool) -> UInt32 {
        if v.isNaN { return missingCode }
        if xgboost {
            let x = Float(v)
            return x >= 0 && x < 16_777_216 ? UInt32(x) : invalidCode
        }
        let truncated = v.rounded(.towardZero)
        return truncated >= 0 && truncated < 2_147_483_648 ? UInt32(truncated) : invalidCode
    }

    /// The code of a missing value, and of a value that is no category code.
    static let missingCode = UInt32.max
    static let invalidCode = UInt32.max - 1
}
