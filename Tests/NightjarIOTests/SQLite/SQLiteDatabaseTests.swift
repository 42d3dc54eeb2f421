import Foundation
import Testing
@testable import NightjarIO

@Suite struct SQLiteDatabaseTests {
    /// A database copied with its journal in the middle of a write transaction is what a process
    /// killed there leaves: a hot journal. A read-only connection (`nightjar runs`) reads the
    /// rolled-back content instead of failing with "attempt to write a readonly database".
    @Test func aReadOnlyConnectionRollsBackAHotJournalFirst() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let live = dir.appendingPathComponent("live.db").path, left = dir.appendingPathComponent("left.db").path
        let db = try SQLiteDatabase(path: live)
        try db.execute("PRAGMA journal_mode = DELETE")
        try db.execute("CREATE TABLE t (x TEXT)")
        try db.execute("INSERT INTO t VALUES ('before')")
        try db.execute("PRAGMA cache_size = 1")  // pages spill into the file mid-transaction
        try db.execute("BEGIN")
        for _ in 0..<2000 { try db.execute("INSERT INTO t VALUES ('\(String(repeating: "y", count: 200))')") }
        try FileManager.default.copyItem(atPath: live, toPath: left)
        try FileManager.default.copyItem(atPath: live + "-journal", toPath: left + "-journal")
        try db.execute("ROLLBACK")
        #expect(FileManager.default.fileExists(atPath: left + "-journal"))
        #expect(try SQLiteDatabase(path: left, readOnly: true).query("SELECT x FROM t") == [["before"]])
        let journalSize = (try? FileManager.default.attributesOfItem(atPath: left + "-journal"))?[.size] as? NSNumber
        #expect((journalSize?.intValue ?? 0) == 0, "the journal was rolled back and removed")
    }
}
