import Testing
import NightjarCore

@Suite struct QuotedValueTests {
    @Test func controlCharactersAndQuotesAreEscaped() {
        #expect(QuotedValue.quote("a'b\nc\td\u{0}e\\f") == #"'a\'b\nc\td\u{0}e\\f'"#)
        #expect(QuotedValue.quote("") == "''")
        #expect(QuotedValue.quote("Zürich") == "'Zürich'")
    }

    @Test func aLongValueIsCutWithItsSizeSaid() {
        let big = String(repeating: "x", count: 10_000_000)
        let q = QuotedValue.quote(big)
        #expect(q.utf8.count < 260)
        #expect(q.hasPrefix("'xxxx") && q.hasSuffix("…' (10000000 bytes)"))
        // Cut at a character boundary: never half of a multi-byte character.
        let accents = String(repeating: "é", count: 300)
        #expect(QuotedValue.quote(accents).contains("…' (600 bytes)"))
    }

    @Test func anErrorLineIsOneLineAndBounded() {
        #expect(QuotedValue.line("a\nb") == "a b")
        let line = QuotedValue.line(String(repeating: "y", count: 5000))
        #expect(line.count < 2100 && line.hasSuffix("… (5000 bytes in all)"))
    }
}
