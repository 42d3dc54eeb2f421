import Testing
@testable import NightjarCore

/// Category names found by their bytes: every name of a large vocabulary, the first code of a
/// duplicate, nothing for an unseen name, no Unicode normalisation.
@Suite struct CategoryTableTests {
    func code(_ table: CategoryTable, _ name: String) -> Int? {
        Array(name.utf8).withUnsafeBufferPointer { table.code($0) }
    }

    @Test func everyNameOfALargeVocabularyFindsItsCode() {
        let names = (0..<5000).map { "cat_\($0 * 7919 % 100_003)" } + ["", "a", "ab", "ba"]
        let table = CategoryTable(names: names)
        for (i, name) in names.enumerated() { #expect(code(table, name) == i, "\(name)") }
        #expect(code(table, "cat_") == nil && code(table, "b") == nil && code(table, "cat_1x") == nil)
    }

    @Test func theFirstOfADuplicateKeepsItsCodeAndBytesMatchExactly() {
        let precomposed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let table = CategoryTable(names: ["x", "y", "x", precomposed, "\u{FFFD}"])
        #expect(code(table, "x") == 0 && code(table, "y") == 1)
        #expect(code(table, precomposed) == 3)
        #expect(code(table, decomposed) == nil, "Python compares code points: no normalisation")
        // Invalid UTF-8 is not U+FFFD.
        #expect([UInt8]([0xFF]).withUnsafeBufferPointer { table.code($0) } == nil)
        #expect(code(table, "X") == nil)
    }
}
