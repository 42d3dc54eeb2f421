#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses decimal numbers from field bytes without creating Strings.
///
/// Written by hand because it runs once per numeric field (the hottest loop of parsing):
/// the fast path is exact (Clinger: a mantissa below 2^53 times a power of ten up to 10^22 is one
/// correctly rounded IEEE operation); anything else goes to the C library's `strtod`, which is
/// correctly rounded. Results are bit-identical to `strtod` for every input.
public enum NumberParser {
    @usableFromInline static let powersOfTen: [Double] = (0...22).map { p in
        var v = 1.0
        for _ in 0..<p { v *= 10 }
        return v
    }

    /// What a field holds when read as a number.
    public enum Result: Equatable {
        case number(Double)
        case missing
        case invalid
    }

    /// Empty, `NA`, `N/A`, `NaN`, `null`, `None` in any case are missing (as pandas reads them).
    @inlinable
    public static func isMissingToken(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        @inline(__always) func lower(_ c: UInt8) -> UInt8 { c | 0x20 }
        switch p.count {
        case 0: return true
        case 2: return lower(p[0]) == 0x6e && lower(p[1]) == 0x61  // na
        case 3:
            return lower(p[0]) == 0x6e && lower(p[2]) == (p[1] == 0x2f ? 0x61 : 0x6e)  // n/a, nan
                && (p[1] == 0x2f || lower(p[1]) == 0x61)
        case 4:
            let w = (UInt32(lower(p[0])) << 24) | (UInt32(lower(p[1])) << 16) | (UInt32(lower(p[2])) << 8) | UInt32(lower(p[3]))
            return w == 0x6e75_6c6c || w == 0x6e6f_6e65  // null, none
        default: return false
        }
    }

    @inlinable
    public static func parse(_ p: UnsafeBufferPointer<UInt8>) -> Result {
        // Trim ASCII spaces.
        var lo = 0, hi = p.count
        while lo < hi && (p[lo] == 0x20 || p[lo] == 0x09) { lo += 1 }
        while hi > lo && (p[hi - 1] == 0x20 || p[hi - 1] == 0x09) { hi -= 1 }
        let s = UnsafeBufferPointer(rebasing: p[lo..<hi])
        if isMissingToken(s) { return .missing }
        if let v = fastPath(s) { return .number(v) }
        return slowPath(s)
    }

    @inlinable
    static func fastPath(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        let n = s.count
        var negative = false
        if s[0] == 0x2d { negative = true; i = 1 } else if s[0] == 0x2b { i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawDigit = false
        while i < n {
            let d = s[i] &- 0x30
            if d > 9 { break }
            sawDigit = true
            if mantissa != 0 || d != 0 { digits += 1 }
            mantissa = mantissa &* 10 &+ UInt64(d)
            i += 1
        }
        if i < n && s[i] == 0x2e {
            i += 1
            while i < n {
                let d = s[i] &- 0x30
                if d > 9 { break }
                sawDigit = true
                if mantissa != 0 || d != 0 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(d)
                fractionDigits += 1
                i += 1
            }
        }
        guard sawDigit, digits <= 15 else { return nil }
        var exponent = -fractionDigits
        if i < n {
            guard s[i] | 0x20 == 0x65 else { return nil }  // 'e'
            i += 1
            var expNegative = false
            if i < n && (s[i] == 0x2d || s[i] == 0x2b) { expNegative = s[i] == 0x2d; i += 1 }
            var e = 0
            var expDigits = 0
            while i < n {
                let d = s[i] &- 0x30
                if d > 9 { return nil }
                e = e * 10 + Int(d)
                expDigits += 1
                if e > 1000 { return nil }
                i += 1
            }
            guard expDigits > 0 else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return nil }
        var v = Double(mantissa)  // exact: mantissa < 10^15 < 2^53
        if exponent < 0 {
            guard exponent >= -22 else { return nil }
            v /= powersOfTen[-exponent]
        } else if exponent > 0 {
            guard exponent <= 22 else { return nil }
            v *= powersOfTen[exponent]
        }
        return negative ? -v : v
    }

    @usableFromInline
    static func slowPath(_ s: UnsafeBufferPointer<UInt8>) -> Result {
        // strtod needs a NUL-terminated string; reject anything strtod would read partially.
        guard s.count < 512 else { return .invalid }
        var buffer = [CChar](repeating: 0, count: s.count + 1)
        for i in 0..<s.count {
            let c = s[i]
            // Allowed characters of a decimal/inf number; hex floats and other forms are refused.
            switch c {
            case 0x30...0x39, 0x2b, 0x2d, 0x2e, 0x45, 0x65: break
            case 0x41...0x5a, 0x61...0x7a: break  // letters of inf/infinity checked below
            default: return .invalid
            }
            buffer[i] = CChar(bitPattern: c)
        }
        return buffer.withUnsafeMutableBufferPointer { b -> Result in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(b.baseAddress!, &end)
            guard let end, end - b.baseAddress! == s.count else { return .invalid }
            if v.isNaN { return .missing }
            // Letters are only fine as inf/infinity.
            if v.isInfinite || s.contains(where: { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7a && ($0 | 0x20) != 0x65 }) {
                let lowered = String(decoding: s, as: UTF8.self).lowercased()
                let body = lowered.hasPrefix("-") || lowered.hasPrefix("+") ? String(lowered.dropFirst()) : lowered
                if body == "inf" || body == "infinity" { return .number(v) }
                if v.isInfinite { return .number(v) }  // overflow such as 1e400, as strtod reads it
                return .invalid
            }
            return .number(v)
        }
    }
}
