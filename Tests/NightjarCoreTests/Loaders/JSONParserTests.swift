import Foundation
import Testing
@testable import NightjarCore

@Suite struct JSONParserTests {
    @Test func readsValuesAsTheLoadersExpect() throws {
        let text = #"{"a": [1, -2.5E-1, 3e2], "b": "x\"y\\\u00e9\ud83d\ude00", "c": null, "d": [true, 0], "e": {}, "f": [], "g": [[1], "s"]}"#
        let root = JSONNode(value: try JSONParser.parse(Data(text.utf8)), path: "$")
        #expect(try root.required("a").doubles() == [1, -0.25, 300])
        #expect(try root.required("b").string() == "x\"y\\é😀")
        #expect(root["c"] == nil)
        #expect(try root.required("d").array().count == 2)
        #expect(try root.required("e").object().isEmpty)
        #expect(try root.required("f").doubles().isEmpty)
        #expect(try root.required("g").array()[1].string() == "s")
    }

    @Test func numbersMatchStrtod() throws {
        for text in ["0.1", "-1.2345678E-1", "5E-1", "1.7976931348623157e308", "4.9e-324", "123456789012345678901234"] {
            let parsed = try JSONParser.parse(Data("[\(text)]".utf8)) as? [Double]
            #expect(parsed == [strtod(text, nil)], "\(text)")
        }
    }

    @Test func malformedInputIsAnError() {
        for text in ["{", "[1,", "{\"a\" 1}", "[1] x", "\"abc", "[tru]", "{\"a\":}"] {
            #expect(throws: JSONParser.Failure.self, "\(text)") { try JSONParser.parse(Data(text.utf8)) }
        }
    }
}
