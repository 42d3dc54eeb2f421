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
        for text in ["0.1", "-1.2345678E-1", "5E-1", "1.7976931348623157e308", "4.9e-324", "123456789012345678901234",
                     "-0", "-0.0e0", "0.54645145", "5.714326E-8", "19264.008", "9007199254740993", "1E22", "1E23",
                     "1e-22", "1e-23", "0.1234567890123456789", "1e400", "12.5E+1", "0001.5", "+1", ".5", "5."] {
            let parsed = try JSONParser.parse(Data("[\(text)]".utf8)) as? [Double]
            #expect(parsed == [strtod(text, nil)], "\(text)")
        }
    }

    @Test func malformedInputIsAnError() {
        for text in ["{", "[1,", "{\"a\" 1}", "[1] x", "\"abc", "[tru]", "{\"a\":}"] {
            #expect(throws: JSONParser.Failure.self, "\(text)") { try JSONParser.parse(Data(text.utf8)) }
        }
    }

    /// Members named in `skipping` are absent from their objects, and their values get the checks
    /// and errors every value gets: the same error at the same byte as without skipping.
    @Test func skippedMembersAreCheckedButNotKept() throws {
        let text = #"{"a": [1, 2], "loss_changes": [1.5, -2E3, 3, 1e400, 01], "b": {"loss_changes": [[1], "x", {"y": null}]}}"#
        let root = JSONNode(value: try JSONParser.parse(Data(text.utf8), skipping: ["loss_changes"]), path: "$")
        #expect(root["loss_changes"] == nil)
        #expect(try root.required("a").doubles() == [1, 2])
        #expect(try root.required("b").object().isEmpty)
        let kept = JSONNode(value: try JSONParser.parse(Data(text.utf8)), path: "$")
        #expect(try kept.required("loss_changes").array().count == 5)

        func failure(_ text: String, skipping: [String]) -> String? {
            do { _ = try JSONParser.parse(Data(text.utf8), skipping: skipping); return nil } catch { return error.description }
        }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        for bad in ["[1.5.2]", "[1,]", "[1 2]", "[01x]", "[-]", "[1e]", "[1e+]", "[.]", "[1,", "[1", "[[1], 2, tru]", #"["a]"#,
                    "[1.]", "[-.5]", "[1E5E5]", "[1-2]", "[" + String(repeating: "1", count: 600) + "]", deep, "[1, " + deep + "]"] {
            let text = #"{"x": 1, "loss_changes": "# + bad + "}"
            let plain = failure(text, skipping: [])
            let skipped = failure(text, skipping: ["loss_changes"])
            #expect(plain == skipped, "\(bad): \(plain ?? "accepted") vs \(skipped ?? "accepted")")
        }
    }
}
