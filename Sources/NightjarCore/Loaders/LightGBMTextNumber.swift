#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A number type a LightGBM text model holds (`Double`, `Int`, `UInt32`), read from a value's
/// bytes with the result `init?(_: Substring)` gives, for `LightGBMTextLoader`.
protocol LightGBMTextNumber {
    /// The same value (or nil) as `Self(String(decoding: token, as: UTF8.self))`, for a non-empty
    /// ASCII token without spaces.
    static func read(_ token: UnsafeBufferPointer<UInt8>) -> Self?
    /// `init?(_: Substring)`, for the values of lines that are not all ASCII (see `LightGBMTextLines`).
    init?(text: Substring)
}

extension Double: LightGBMTextNumber {
    /// `NumberParser.longMantissa` (up to 19 digits over a power of ten up to 10^19: LightGBM's 17
    /// significant digits, and short decimals too), then `NumberParser.fastPath` (integers, small
    /// exponents), both exact and accepting only decimal forms that `Double(_:)` reads the same;
    /// then `strtod` on a copy for the other decimal strings, then `Double(_:)` for anything else
    /// (`nan`, `inf`, hex, a string `strtod` did not read whole).
    ///
    /// `Double(_:)` is `strtod` in the C locale behind a `String` made for each value; with the
    /// grapheme splitting that fed it, the old reading was most of the 5.1 G instructions of
    /// loading the 500-tree benchmark model (callgrind). Its doubles (126,000 thresholds and leaf
    /// values, 253,000 counts read for the covers) now cost about 71 M: `longMantissa` 52 M,
    /// `fastPath` 13 M (the counts), `strtod` 5 M for the 1,100 values written with an exponent
    /// (`fastPath` first would parse every 17-digit value twice: 23 M more).
    @inline(__always)
    static func read(_ token: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !token.isEmpty else { return nil }
        if let v = NumberParser.longMantissa(token) { return v }
        if let v = NumberParser.fastPath(token) { return v }
        return readSlow(token)
    }

    @inline(never)
    private static func readSlow(_ token: UnsafeBufferPointer<UInt8>) -> Double? {
        // Digits, signs, point, exponent: what strtod reads as a decimal number, nothing it
        // would skip (leading spaces, which Double(_:) refuses) or read otherwise (inf, nan, hex).
        let decimal = token.count < 64 && token.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 | 0x20 == 0x65 }
        if decimal {
            let v: Double? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
                let b = buffer.baseAddress!
                for k in 0..<token.count { b[k] = CChar(bitPattern: token[k]) }
                b[token.count] = 0
                var end: UnsafeMutablePointer<CChar>? = nil
                let v = strtod(b, &end)
                return end == b + token.count ? v : nil
            }
            // Not read whole (say a process locale whose decimal point is not '.'): Double(_:) decides.
            if let v { return v }
        }
        return Double(String(decoding: token, as: UTF8.self))
    }

    init?(text: Substring) { self.init(text) }
}

extension Int: LightGBMTextNumber {
    /// An optional '-' and 1 to 18 digits here (no overflow possible), else `Int(_:)`.
    @inline(__always)
    static func read(_ token: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !token.isEmpty else { return nil }
        let negative = token[0] == 0x2D
        let first = negative ? 1 : 0
        let digits = token.count - first
        if digits >= 1 && digits <= 18 {
            var v = 0
            var k = first
            while k < token.count {
                let d = token[k] &- 0x30
                if d > 9 { break }
                v = v &* 10 &+ Int(d)
                k += 1
            }
            if k == token.count { return negative ? -v : v }
        }
        return Int(String(decoding: token, as: UTF8.self))
    }

    init?(text: Substring) { self.init(text) }
}

extension UInt32: LightGBMTextNumber {
    /// 1 to 9 digits here (no overflow possible), else `UInt32(_:)`.
    @inline(__always)
    static func read(_ token: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !token.isEmpty else { return nil }
        if token.count <= 9 {
            var v: UInt32 = 0
            var k = 0
            while k < token.count {
                let d = token[k] &- 0x30
                if d > 9 { break }
                v = v &* 10 &+ UInt32(d)
                k += 1
            }
            if k == token.count { return v }
        }
        return UInt32(String(decoding: token, as: UTF8.self))
    }

    init?(text: Substring) { self.init(text) }
}
