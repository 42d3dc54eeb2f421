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

    /// For `rows` category codes (`categoryCode`), `inSet` where a code is in the set of `words`
    /// words at `bits`, `1 - inSet` where it is not, `missing` where the value was missing: the
    /// side of a categorical split, for the scoring planes and the contributions engine alike. A
    /// set of at most 64 codes is one 64-bit mask, so that loop has no branch and is vectorised.
    @inline(__always)
    static func categorySides<D: FixedWidthInteger & UnsignedInteger>(
        codes: UnsafePointer<UInt32>, rows: Int, bits: UnsafePointer<UInt32>, words: Int, inSet: D, missing: D,
        into out: UnsafeMutablePointer<D>) {
        let notInSet = 1 &- inSet
        if words <= 2 {
            let mask = words == 0 ? 0 : UInt64(bits[0]) | (words == 2 ? UInt64(bits[1]) << 32 : 0)
            for r in 0..<rows {
                let c = codes[r]
                // A smart shift: 64 and over give 0 (not in the set).
                let member = D(truncatingIfNeeded: (mask >> UInt64(c)) & 1)
                out[r] = c == missingCode ? missing : member ^ notInSet
            }
            return
        }
        let limit = UInt64(words) * 32
        for r in 0..<rows {
            let c = codes[r]
            let member = UInt64(c) < limit ? D(truncatingIfNeeded: (bits[Int(c >> 5)] >> (c & 31)) & 1) : 0
            out[r] = c == missingCode ? missing : member ^ notInSet
        }
    }
}
