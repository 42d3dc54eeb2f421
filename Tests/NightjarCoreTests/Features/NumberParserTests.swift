import Foundation
import Testing
@testable import NightjarCore

extension NumberParser.Result {
    var bits: UInt64? { if case .number(let v) = self { v.bitPattern } else { nil } }
}

/// A seeded linear congruential generator, so that a failing random case repeats.
struct Seeded {
    var state: UInt64
    /// A number in 0 ..< n.
    mutating func next(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(n))
    }
}

@Suite struct NumberParserTests {
    func parse(_ s: String) -> NumberParser.Result {
        Array(s.utf8).withUnsafeBufferPointer { NumberParser.parse($0) }
    }

    @Test func parsesDecimalsLikeStrtod() {
        // Fast path and slow path must both give strtod's correctly rounded value, bit for bit.
        var generator = SystemRandomNumberGenerator()
        var samples = ["0", "-0", "1", "26639.91", "4404.7", "0.1", "1e-5", "1E22", "1e23", "123456789012345678",
                       "9007199254740993", "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
                       ".5", "5.", "+3.25", "-0.000001", "1.0000000000000002", "0.30000000000000004"]
        for _ in 0..<2000 {
            let digits = Int.random(in: 1...18, using: &generator)
            var s = Int.random(in: 0...1, using: &generator) == 0 ? "" : "-"
            for _ in 0..<digits { s += String(Int.random(in: 0...9, using: &generator)) }
            let dot = Int.random(in: 0...digits, using: &generator)
            s.insert(".", at: s.index(s.endIndex, offsetBy: -dot))
            if Int.random(in: 0...3, using: &generator) == 0 { s += "e\(Int.random(in: -30...30, using: &generator))" }
            samples.append(s)
        }
        for s in samples {
            let expected = strtod(s, nil)
            guard case .number(let v) = parse(s) else {
                Issue.record("'\(s)' was not parsed")
                continue
            }
            #expect(v.bitPattern == expected.bitPattern, "'\(s)': \(v) vs strtod \(expected)")
        }
    }

    /// The fast path (eight digits at a time, mantissa up to 2^53, powers of ten to 22) against
    /// strtod on many random strings of the shapes it must get right or hand over: 1 to 25 digits,
    /// leading zeros, fractions of 8 and more digits, exponents from -330 to 330 (subnormals,
    /// overflow to infinity), signs. Seeded, so a failure repeats.
    @Test func fastPathMatchesStrtodOnRandomStrings() {
        var seeded = Seeded(state: 0x9E37_79B9_7F4A_7C15)
        func next(_ n: Int) -> Int { seeded.next(n) }
        var mismatches = 0
        var buffer = [UInt8](repeating: 0, count: 64)
        for round in 0..<300_000 {
            var s: [UInt8] = []
            switch next(3) { case 0: s.append(0x2d); case 1: if next(4) == 0 { s.append(0x2b) }; default: break }
            let intDigits = next(4) == 0 ? 0 : 1 + next(round % 2 == 0 ? 3 : 20)
            for k in 0..<intDigits { s.append(UInt8(0x30 + (k == 0 && next(3) == 0 ? 0 : next(10)))) }
            if next(5) != 0 || intDigits == 0 {
                s.append(0x2e)
                let fraction = next(4) == 0 ? next(26) : 1 + next(12)
                for _ in 0..<fraction { s.append(UInt8(0x30 + next(10))) }
            }
            if next(3) == 0 {
                s.append(next(2) == 0 ? 0x65 : 0x45)
                if next(2) == 0 { s.append(next(2) == 0 ? 0x2d : 0x2b) }
                let x = next(4) == 0 ? next(331) : next(25)
                s.append(contentsOf: Array(String(x).utf8))
            }
            buffer.withUnsafeMutableBufferPointer { b in
                for (k, c) in s.enumerated() { b[k] = c }
                b[s.count] = 0
            }
            let expected = buffer.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { c -> Double? in
                    var end: UnsafeMutablePointer<CChar>? = nil
                    let v = strtod(c, &end)
                    return end! - UnsafeMutablePointer(mutating: c) == s.count ? v : nil
                }
            }
            let got = s.withUnsafeBufferPointer { NumberParser.parse($0) }
            let ok: Bool
            switch (got, expected) {
            case (.number(let v), let e?): ok = v.bitPattern == e.bitPattern
            case (.invalid, nil): ok = true
            default: ok = false
            }
            if !ok {
                mismatches += 1
                if mismatches < 10 { Issue.record("'\(String(decoding: s, as: UTF8.self))': \(got) vs strtod \(String(describing: expected))") }
            }
        }
        #expect(mismatches == 0)
    }

    /// Fields are slices of a chunk's bytes: digits on both sides of a field must not leak into it
    /// (the fraction is read with word loads ending at the field's end). Every fraction length from
    /// 0 to 20 digits, integer parts of 0 to 4 digits, with and without a sign.
    @Test func fieldsBetweenDigitsReadOnlyTheirOwnBytes() {
        for sign in ["", "-", "+"] {
            for intDigits in 0...4 {
                for fraction in 0...20 {
                    if intDigits == 0 && fraction == 0 { continue }
                    let field = sign + String("98765".prefix(intDigits)) + "." + String("12345678901234567890".prefix(fraction))
                    let padded = Array(("77777777" + field + "55555555").utf8)
                    let got = padded.withUnsafeBufferPointer { b in
                        NumberParser.parse(UnsafeBufferPointer(rebasing: b[8..<(8 + field.utf8.count)]))
                    }
                    #expect(got.bits == strtod(field, nil).bitPattern, "'\(field)': \(got)")
                }
            }
        }
    }

    /// The branch-free path must take the shapes it is written for (else the speed is lost
    /// silently: `parse` would still be right through the general path) and read them exactly.
    @Test func plainDecimalTakesItsShapes() {
        var seeded = Seeded(state: 0x2545_F491_4F6C_DD1D)
        func next(_ n: Int) -> Int { seeded.next(n) }
        var taken = 0
        for _ in 0..<50_000 {
            let sign = ["", "-", "+"][next(3)]
            let intDigits = next(8 - sign.count)  // the point within the first eight bytes
            let fraction = 1 + next(16)
            let count = sign.count + intDigits + 1 + fraction
            // At least 8 bytes, at most 8 before the last eight fraction digits, a mantissa below 2^53.
            guard count >= 8, count - min(fraction, 8) <= 8, intDigits + fraction <= 15 else { continue }
            var s = sign
            for _ in 0..<intDigits { s += String(next(10)) }
            s += "."
            for _ in 0..<fraction { s += String(next(10)) }
            let got = Array(s.utf8).withUnsafeBufferPointer { NumberParser.plainDecimal($0) }
            #expect(got?.bitPattern == strtod(s, nil).bitPattern, "'\(s)': \(String(describing: got))")
            taken += 1
        }
        #expect(taken > 10_000)
        // Not its shapes: handed over (nil), never misread.
        for s in ["12345678", "1.5e10000", "123456789.5", " 1.234567", "1.234567 ", "1.2345-67", "--1.23456", "1..234567",
                  "1234.123456789012", "1.2.345678", "-.-1234567"] {
            #expect(Array(s.utf8).withUnsafeBufferPointer { NumberParser.plainDecimal($0) } == nil, "'\(s)'")
        }
    }

    @Test func edgeCases() {
        #expect(parse("1e-310") == .number(strtod("1e-310", nil)))  // subnormal
        #expect(parse("-0").bits == (-0.0).bitPattern)
        #expect(parse(".5") == .number(0.5))
        #expect(parse("5.") == .number(5))
        #expect(parse("+3") == .number(3))
        #expect(parse("1E+308") == .number(1e308))
        #expect(parse("1e309") == .number(.infinity))  // overflow, as strtod reads it
        #expect(parse("-1e309") == .number(-.infinity))
        #expect(parse("1_000") == .invalid)
        #expect(parse("0x10") == .invalid)
        #expect(parse("12345678901234567890123") == .number(strtod("12345678901234567890123", nil)))
        #expect(parse("0.00000000000000000000000001") == .number(1e-26))
        #expect(parse("9007199254740993") == .number(9007199254740992))  // 2^53 + 1 rounds to even
        #expect(parse("-3.62257075") == .number(-3.62257075))
        #expect(parse("1.23456789e-05") == .number(1.23456789e-05))
    }

    @Test(arguments: ["", "NA", "na", "N/A", "NaN", "nan", "null", "NULL", "None", "  "])
    func missingTokens(_ token: String) {
        #expect(parse(token) == .missing)
    }

    @Test(arguments: ["abc", "1,5", "12a", "--1", "1e", "e5", ".", "-", "0x10", "1 2", "nanx", "1e5.5"])
    func invalidValues(_ token: String) {
        #expect(parse(token) == .invalid)
    }

    @Test func infinityAndSpaces() {
        #expect(parse("inf") == .number(.infinity))
        #expect(parse("-Infinity") == .number(-.infinity))
        #expect(parse(" 42 ") == .number(42))
    }

    /// `longMantissa` (up to 19 digits over 10^1 ... 10^19: the 17 significant digits LightGBM
    /// writes) against strtod, bit for bit: random mantissas of 15 to 19 digits with the point
    /// anywhere and small exponents, the exact ties between two doubles (which round to even, so
    /// one rounding direction wrong shows), and what it must hand over (nil).
    @Test func longMantissaMatchesStrtod() {
        func long(_ s: String) -> Double? { Array(s.utf8).withUnsafeBufferPointer { NumberParser.longMantissa($0) } }
        // 2^53 + 1 and 2^53 + 3 with a fraction digit: ties, to the even neighbour (2^53, 2^53 + 4).
        #expect(long("9007199254740993.0") == 9007199254740992)
        #expect(long("9007199254740995.0") == 9007199254740996)
        #expect(long("-9007199254740993.0") == -9007199254740992)
        // Just above a tie: up.
        #expect(long("9007199254740993.001") == 9007199254740994)
        for s in ["0", "0.0", "1", "123", "1e5", "0.1e-19", "1.5e-30", "12345678901234567890.5", "0.1234567890123456789", "1x", "", "-", ".", "1.2.3"] {
            #expect(long(s) == nil, "\(s)")
        }
        var seeded = Seeded(state: 0x5EED_0021)
        var samples = ["0.34398116171360021", "-0.99335941672325123", "1.3670037984848025", "0.30000000000000004",
                       "9007199254740992.5", "4503599627370496.5", "0.99999999999999999", "1.0000000000000002",
                       "9999999999999999999e-19", "1844674407370955161.5", "+2.5e-1"]
        for _ in 0..<20_000 {
            let digits = 15 + seeded.next(5)
            var s = seeded.next(2) == 0 ? "-" : ""
            for k in 0..<digits { s += String(k == 0 ? 1 + seeded.next(9) : seeded.next(10)) }
            let point = 1 + seeded.next(digits)  // fraction digits
            s.insert(".", at: s.index(s.endIndex, offsetBy: -point))
            if seeded.next(4) == 0 { s += "e\(seeded.next(9) - 4)" }
            samples.append(s)
        }
        var taken = 0
        for s in samples {
            guard let v = long(s) else { continue }
            taken += 1
            let expected = strtod(s, nil)
            #expect(v.bitPattern == expected.bitPattern, "'\(s)': \(v) vs strtod \(expected)")
        }
        #expect(taken > 19_000)
    }
}
