#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses decimal numbers from field bytes without creating Strings.
///
/// Written by hand because it runs once per numeric field (the hottest loop of parsing):
/// the fast path is exact (Clinger: a mantissa up to 2^53 times or over a power of ten up to 10^22
/// is one correctly rounded IEEE operation); anything else goes to the C library's `strtod`, which is
/// correctly rounded. Results are bit-identical to `strtod` for every input.
public enum NumberParser {
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

    @inlinable @inline(__always)
    public static func parse(_ p: UnsafeBufferPointer<UInt8>) -> Result {
        if p.count >= 8, let v = plainDecimal(p) { return .number(v) }
        return parseAny(p)
    }

    /// Everything `plainDecimal` leaves: spaces around, missing tokens, short fields, integers,
    /// exponents, long mantissas. Out of line, so that the common case stays small where it is inlined.
    @inline(never) @usableFromInline
    static func parseAny(_ p: UnsafeBufferPointer<UInt8>) -> Result {
        // Trim ASCII spaces.
        var lo = 0, hi = p.count
        while lo < hi && (p[lo] == 0x20 || p[lo] == 0x09) { lo += 1 }
        while hi > lo && (p[hi - 1] == 0x20 || p[hi - 1] == 0x09) { hi -= 1 }
        if lo == hi { return .missing }
        let s = UnsafeBufferPointer(rebasing: p[lo..<hi])
        // Numbers first: a missing token has no digit, so it never passes the fast path.
        if let v = fastPath(s) { return .number(v) }
        if isMissingToken(s) { return .missing }
        return slowPath(s)
    }

    /// The shape of most numeric fields in exported tables: an optional sign, integer digits, a
    /// point and 1 to 16 fraction digits up to the end of the field, at least 8 bytes in all, at
    /// most 8 bytes before the last eight fraction digits (at most 16 digits) and a mantissa up to
    /// 2^53 (exact, as in `fastPath`). Nil for anything else.
    ///
    /// Written for the branch predictor: no loop and no branch on the data. The sign is taken
    /// without a branch (in real data it is as random as a coin; a branch on it mispredicted on
    /// half the fields, the costliest part of parsing under perf); the point is found in the first
    /// eight bytes with a word compare, and the digits are read as two groups of eight padded with
    /// '0's in front (`eightDigits`): the last eight (or fewer) fraction digits with a load ending at
    /// the field's end, and all those before them, integer digits included, from the first word with
    /// the point taken out. The loop this replaces, digit by digit, exited after a number of steps
    /// that varied from field to field and mispredicted; three groups (integer digits apart) cost a
    /// quarter more instructions.
    @inlinable @inline(__always)
    static func plainDecimal(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        let b = s.baseAddress!
        let e = b + s.count
        // The first eight bytes hold the sign, the integer digits, the point and the fraction
        // digits before the last eight.
        let w = UInt64(littleEndian: UnsafeRawPointer(b).loadUnaligned(as: UInt64.self))
        let x = w ^ 0x2E2E_2E2E_2E2E_2E2E
        let points = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080  // exact up to the first '.'
        guard points != 0 else { return nil }
        let point = points.trailingZeroBitCount >> 3
        let first = UInt8(truncatingIfNeeded: w)
        let negative = first == 0x2d
        let signCount = Int(truncatingIfNeeded: UInt8(negative || first == 0x2b ? 1 : 0))
        let n = s.count &- point &- 1
        let tailCount = Swift.min(n, 8)
        // Bytes before the last fraction digits once the point is taken out (the sign included).
        let headBytes = s.count &- tailCount &- 1
        guard point >= signCount, n >= 1, n <= 16, headBytes <= 7 else { return nil }
        let zeros: UInt64 = 0x3030_3030_3030_3030
        // The point taken out of w, then the digits before the last eight moved to the top bytes
        // with '0's below: the integer digits and the first fraction digits as one group of eight.
        let below = ~highBytes(8 &- point)
        let joined = (w & below) | ((w &>> 8) & ~below)
        let headKeep = highBytes(headBytes &- signCount)
        let tailKeep = highBytes(tailCount)
        let tailWord = UInt64(littleEndian: UnsafeRawPointer(e - 8).loadUnaligned(as: UInt64.self))
        guard let head = eightDigits(((joined &<< UInt64(truncatingIfNeeded: (8 &- headBytes) &* 8)) & headKeep) | (zeros & ~headKeep)),
              let tail = eightDigits((tailWord & tailKeep) | (zeros & ~tailKeep)) else { return nil }
        let m = head &* UInt64(exactPowerOfTen(tailCount)) &+ tail
        guard m <= 1 << 53 else { return nil }
        let v = Double(m) / exactPowerOfTen(n)  // Clinger: both exact, one correctly rounded division
        return Double(bitPattern: v.bitPattern | UInt64(negative ? 1 : 0) << 63)
    }

    /// 10^i for 0 ≤ i ≤ 22, all exact doubles. A switch of literals (compiled to a constant
    /// table) rather than a global array: the array cost a `swift_once` call per number.
    @inlinable @inline(__always)
    static func exactPowerOfTen(_ i: Int) -> Double {
        switch i {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// A word with the high `k` bytes set, 0 ≤ k ≤ 8: two shifts, as one shift by 64 is not defined
    /// (a `switch` of constants compiled to a jump table here, whose indirect jump mispredicted).
    @inlinable @inline(__always)
    static func highBytes(_ k: Int) -> UInt64 {
        let half = UInt64(truncatingIfNeeded: k &* 4)
        return ~((UInt64.max &>> half) &>> half)
    }

    /// The value of eight ASCII digits loaded little-endian into `w`, or nil if one is not a digit.
    /// SWAR: three multiplications instead of eight dependent multiply-adds.
    @inlinable @inline(__always)
    static func eightDigits(_ w: UInt64) -> UInt64? {
        let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0, zeros: UInt64 = 0x3030_3030_3030_3030
        guard w & high == zeros, (w &+ 0x0606_0606_0606_0606) & high == zeros else { return nil }
        var v = w &- zeros
        v = (v &* 10) &+ (v >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        v = (((v & mask) &* 0x000F_4240_0000_0064) &+ (((v >> 16) & mask) &* 0x0000_2710_0000_0001)) >> 32
        return v & 0xFFFF_FFFF
    }

    /// Exact for a decimal mantissa of at most 19 digits whose value is at most 2^53 and a power of
    /// ten within ±22 (Clinger: both exact doubles, one correctly rounded IEEE operation); nil for
    /// anything else (the caller falls back to `strtod`). `s` is not empty.
    ///
    /// Pointer walk without overflow checks and with eight fraction digits at a time: on the 28-float
    /// benchmark file (callgrind) the previous loop (digit by digit, powers of ten in a global array)
    /// cost about 270 instructions per field, this one about 143.
    @inlinable
    static func fastPath(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        var p = s.baseAddress!
        let e = p + s.count
        // The sign without a branch, as in `plainDecimal`.
        let first = p.pointee
        let negative = first == 0x2d
        p += Int(truncatingIfNeeded: UInt8(negative || first == 0x2b ? 1 : 0))
        var mantissa: UInt64 = 0
        let intStart = p
        while p < e {
            let d = p.pointee &- 0x30
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            p += 1
        }
        var digits = p - intStart
        var fractionDigits = 0
        if p < e && p.pointee == 0x2e {
            p += 1
            let fractionStart = p
            while e - p >= 8, let v = eightDigits(UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))) {
                mantissa = mantissa &* 100_000_000 &+ v
                p += 8
                if p - fractionStart + digits > 19 { return nil }
            }
            while p < e {
                let d = p.pointee &- 0x30
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                p += 1
            }
            fractionDigits = p - fractionStart
            digits &+= fractionDigits
        }
        // At most 19 digits cannot have wrapped the 64-bit mantissa.
        guard digits > 0, digits <= 19, mantissa <= 1 << 53 else { return nil }
        var exponent = -fractionDigits
        if p < e {
            guard p.pointee | 0x20 == 0x65 else { return nil }  // 'e'
            p += 1
            var expNegative = false
            if p < e && (p.pointee == 0x2d || p.pointee == 0x2b) { expNegative = p.pointee == 0x2d; p += 1 }
            guard p < e else { return nil }
            var x = 0
            while p < e {
                let d = p.pointee &- 0x30
                if d > 9 || x > 1000 { return nil }
                x = x &* 10 &+ Int(d)
                p += 1
            }
            exponent &+= expNegative ? -x : x
        }
        var v = Double(mantissa)  // exact: mantissa ≤ 2^53
        if exponent < 0 {
            guard exponent >= -22 else { return nil }
            v /= exactPowerOfTen(-exponent)
        } else if exponent > 0 {
            guard exponent <= 22 else { return nil }
            v *= exactPowerOfTen(exponent)
        }
        return Double(bitPattern: v.bitPattern | UInt64(negative ? 1 : 0) << 63)
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
