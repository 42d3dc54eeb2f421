import Foundation
import Testing
@testable import NightjarCore

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
}
