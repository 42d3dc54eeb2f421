import Foundation
import Testing
import NightjarCore
@testable import NightjarIO

@Suite struct SinkTests {
    let layout = OutputLayout(keyColumns: [("id", 0)],
                              predictions: [OutputColumn(name: "probability", role: .probability(0)),
                                            OutputColumn(name: "label", role: .label)],
                              float32Values: false)

    func chunk(_ ids: [String], _ values: [Double], first: Int64 = 1) -> ScoredChunk {
        var b = TextBatch(columnCount: 1)
        for id in ids { b.bytes.append(contentsOf: id.utf8); b.endField(); b.endRow() }
        return ScoredChunk(batch: b, values: values, firstRowNumber: first)
    }

    @Test func sqliteRowsReadBackWithSQL() throws {
        let path = temporaryDirectory().appendingPathComponent("sub/out.db").path
        let sink = try SQLiteSink(path: path, table: "scores", layout: layout, mode: .replace)
        try sink.write(chunk(["a", "b"], [0.25, 0, 0.75, 1]))
        try sink.write(chunk(["c"], [.nan, 0], first: 3))
        try sink.commit()
        let db = try SQLiteDatabase(path: path, readOnly: true)
        let rows = try db.query("SELECT id, probability, label, typeof(label) FROM scores ORDER BY id")
        #expect(rows == [["a", "0.25", "0", "integer"], ["b", "0.75", "1", "integer"], ["c", nil, "0", "integer"]])
        let types = try db.query("SELECT name, type FROM pragma_table_info('scores')")
        #expect(types == [["id", "TEXT"], ["probability", "REAL"], ["label", "INTEGER"]])
    }

    @Test func abortedWriteLeavesNoTableAndKeepsTheOldOne() throws {
        let path = temporaryDirectory().appendingPathComponent("out.db").path
        let first = try SQLiteSink(path: path, table: "scores", layout: layout, mode: .replace)
        try first.write(chunk(["old"], [0.5, 1]))
        try first.commit()
        let second = try SQLiteSink(path: path, table: "scores", layout: layout, mode: .replace)
        try second.write(chunk(["new"], [0.1, 0]))
        second.abort()
        let db = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try db.query("SELECT id FROM scores") == [["old"]])
        let third = try SQLiteSink(path: path, table: "other", layout: layout, mode: .replace)
        try third.write(chunk(["x"], [0.1, 0]))
        third.abort()
        #expect(try db.query("SELECT name FROM sqlite_master WHERE name = 'other'").isEmpty)
    }

    @Test func appendAndFailModes() throws {
        let path = temporaryDirectory().appendingPathComponent("out.db").path
        for _ in 0..<2 {
            let sink = try SQLiteSink(path: path, table: "scores", layout: layout, mode: .append)
            try sink.write(chunk(["a"], [0.5, 1]))
            try sink.commit()
        }
        let db = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try db.query("SELECT count(*) FROM scores") == [["2"]])
        let failing = try SQLiteSink(path: path, table: "scores", layout: layout, mode: .fail)
        #expect { try failing.write(chunk(["a"], [0.5, 1])) } throws: { "\($0)".contains("already exists") }
        failing.abort()
    }

    @Test func integerKeysStayIntegers() throws {
        let path = temporaryDirectory().appendingPathComponent("out.db").path
        let sink = try SQLiteSink(path: path, table: "t", layout: layout, mode: .replace)
        try sink.write(chunk(["10", "-3"], [0.5, 1, 0.5, 1]))
        try sink.write(chunk(["x7"], [0.5, 1]))  // not an integer: kept as text
        try sink.commit()
        let db = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try db.query("SELECT id, typeof(id) FROM t ORDER BY rowid") == [["10", "integer"], ["-3", "integer"], ["x7", "text"]])
    }

    /// Rows go in 64 to a statement, the rest one by one: every row lands once, in input order,
    /// with its own values, whatever the chunk size around the group size.
    @Test(arguments: [1, 63, 64, 65, 200])
    func rowsInGroupsAndAlone(count: Int) throws {
        let path = temporaryDirectory().appendingPathComponent("out.db").path
        let sink = try SQLiteSink(path: path, table: "t", layout: layout, mode: .replace)
        let ids = (0..<count).map { $0 % 3 == 0 ? "k\($0)" : "\($0)" }
        try sink.write(chunk(ids, (0..<count).flatMap { [Double($0) / 1000, Double($0 % 2)] }))
        try sink.write(chunk(["last"], [0.5, 1], first: Int64(count + 1)))
        try sink.commit()
        let db = try SQLiteDatabase(path: path, readOnly: true)
        let rows = try db.query("SELECT id, probability, label FROM t ORDER BY rowid")
        let expected = (0..<count).map { [ids[$0], "\(Double($0) / 1000)", "\($0 % 2)"] } + [["last", "0.5", "1"]]
        #expect(rows == expected)
    }

    @Test(arguments: [("0", 0 as Int64?), ("7", 7), ("-42", -42), ("123456789012345678", 123_456_789_012_345_678),
                      ("-123456789012345678", -123_456_789_012_345_678), ("1234567890123456789", nil), ("", nil), ("-", nil),
                      ("007", nil), ("-0", 0), ("1.0", nil), ("1e3", nil), (" 1", nil), ("+1", nil), ("12a", nil)])
    func canonicalIntegerKeys(text: String, value: Int64?) {
        let got = Array(text.utf8).withUnsafeBufferPointer { SQLiteSink.canonicalInteger($0) }
        #expect(got == value, "'\(text)'")
        #expect(SQLiteSink.isCanonicalInteger(Array(text.utf8)[...]) == (value != nil))
    }

    @Test func csvQuotesKeysAndAppearsOnlyOnCommit() throws {
        let dir = temporaryDirectory()
        let path = dir.appendingPathComponent("out.csv").path
        let sink = try CSVSink(path: path, layout: layout)
        try sink.write(chunk(["plain", "has,comma", "has\"quote"], [0.5, 1, 0.25, 0, 1, 1]))
        #expect(!FileManager.default.fileExists(atPath: path))
        try sink.commit()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "id,probability,label\nplain,0.5,1\n\"has,comma\",0.25,0\n\"has\"\"quote\",1.0,1\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.csv"])
    }

    @Test func csvAbortLeavesNothing() throws {
        let dir = temporaryDirectory()
        let path = dir.appendingPathComponent("out.csv.lz4").path
        let sink = try CSVSink(path: path, layout: layout)
        try sink.write(chunk(["a"], [0.5, 1]))
        sink.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
