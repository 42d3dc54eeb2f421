extension NumberParser {
    /// Exact for a decimal `[+-]digits[.digits][(e|E)[+-]digits]` of at most 19 digits whose value
    /// is `m / 10^k` with 1 ≤ k ≤ 19: nil for anything else (the caller falls back to `strtod`).
    /// `fastPath` covers mantissas up to 2^53; this covers the longer ones too, such as the 17
    /// significant digits LightGBM writes for every threshold and leaf value ("%.17g").
    ///
    /// One 128-by-64-bit integer division: `m · 2^s / 10^k` with `s` chosen so that the quotient
    /// has 63 or 64 bits, rounded to 53 bits to nearest, ties to even, the division's remainder
    /// telling a tie from a value just above it. That is IEEE rounding of the exact value, so
    /// the result is `strtod`'s bit for bit. On the 500-tree LightGBM benchmark model, `strtod`
    /// for these numbers was 115 M of the load's 397 M instructions; this takes 42 M (callgrind).
    static func longMantissa(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        guard var p = s.baseAddress else { return nil }
        let e = p + s.count
        guard p < e else { return nil }
        let negative = p.pointee == 0x2D
        if negative || p.pointee == 0x2B { p += 1 }
        var m: UInt64 = 0
        let intStart = p
        while p < e {
            let d = p.pointee &- 0x30
            if d > 9 { break }
            m = m &* 10 &+ UInt64(d)
            p += 1
        }
        var digits = p - intStart
        var k = 0
        if p < e && p.pointee == 0x2E {
            p += 1
            let fractionStart = p
            // Eight digits at a time, as in `fastPath` (LightGBM writes 16 or 17 fraction digits).
            while e - p >= 8, let v = eightDigits(UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))) {
                m = m &* 100_000_000 &+ v
                p += 8
                if p - fractionStart + digits > 19 { return nil }
            }
            while p < e {
                let d = p.pointee &- 0x30
                if d > 9 { break }
                m = m &* 10 &+ UInt64(d)
                p += 1
            }
            k = p - fractionStart
            digits += k
        }
        // At most 19 digits cannot have wrapped the 64-bit mantissa.
        guard digits > 0, digits <= 19, m != 0 else { return nil }
        if p < e {
            guard p.pointee | 0x20 == 0x65 else { return nil }  // 'e'
            p += 1
            var expNegative = false
            if p < e && (p.pointee == 0x2D || p.pointee == 0x2B) { expNegative = p.pointee == 0x2D; p += 1 }
            guard p < e else { return nil }
            var x = 0
            while p < e {
                let d = p.pointee &- 0x30
                if d > 9 || x > 1000 { return nil }
                x = x &* 10 &+ Int(d)
                p += 1
            }
            k -= expNegative ? -x : x
        }
        guard k >= 1 && k <= 19 else { return nil }
        let d = powerOfTen(k)
        // m·2^lz has its top bit set; 2^t ≤ d < 2^(t+1) (t ≥ 3, as d ≥ 10). The numerator
        // m·2^(lz+t) over d lies in [2^62, 2^64), and its high word is below 2^t ≤ d.
        let lz = m.leadingZeroBitCount
        let top = m << UInt64(lz)
        let t = 63 - d.leadingZeroBitCount
        let (q, r) = d.dividingFullWidth((high: top >> UInt64(64 - t), low: top << UInt64(t)))
        // Keep 53 of q's 63 or 64 bits; the value is (q + r/d) · 2^-(lz+t).
        let drop = 11 - q.leadingZeroBitCount
        var mantissa = q >> UInt64(drop)
        let rest = q & ((1 << UInt64(drop)) - 1)
        let half: UInt64 = 1 << UInt64(drop - 1)
        if rest > half || (rest == half && (r != 0 || mantissa & 1 == 1)) { mantissa += 1 }
        var exponent = drop - lz - t
        if mantissa == 1 << 53 {
            mantissa >>= 1
            exponent += 1
        }
        // mantissa < 2^53 and the value within [1e-19, 1e19): exact, and a normal double.
        let v = Double(sign: .plus, exponent: exponent, significand: Double(mantissa))
        return negative ? -v : v
    }

    /// 10^k for 1 ≤ k ≤ 19 (all below 2^64): a switch of literals, compiled to a constant table.
    private static func powerOfTen(_ k: Int) -> UInt64 {
        switch k {
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        case 8: return 100_000_000
        case 9: return 1_000_000_000
        case 10: return 10_000_000_000
        case 11: return 100_000_000_000
        case 12: return 1_000_000_000_000
        case 13: return 10_000_000_000_000
        case 14: return 100_000_000_000_000
        case 15: return 1_000_000_000_000_000
        case 16: return 10_000_000_000_000_000
        case 17: return 100_000_000_000_000_000
        case 18: return 1_000_000_000_000_000_000
        default: return 10_000_000_000_000_000_000
        }
    }
}
