import Foundation
import Testing
@testable import NightjarIO

/// The output view over many published lineages: SQLite refuses a compound SELECT of more than
/// 500 terms, so lineages are grouped; a date's query still finds exactly its rows.
@Suite struct SQLiteOutputViewTests {
    @Test(arguments: [0, 1, 250, 251, 1_100])
    func aViewOverManyLineages(_ count: Int) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-view-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try SQLiteDatabase(path: path)
        try db.execute("BEGIN")
        try SQLiteLineage.ensureTable(in: db)
        try db.execute("CREATE TABLE nightjar_rows__t (k TEXT, p REAL)")
        for i in 0..<count {
            let lineage = OutputLineage(logicalDate: String(format: "2024-%05d", i), runID: "r\(i)", modelName: "m", modelVersion: "1", modelSHA256: "s")
            let (id, created) = try SQLiteLineage.id(of: lineage, table: "t", state: .published, in: db)
            #expect(created)
            try db.execute("CREATE TABLE \"\(SQLiteLineage.rowsTable(table: "t", id: id))\" (k TEXT, p REAL)")
            try db.execute("INSERT INTO \"\(SQLiteLineage.rowsTable(table: "t", id: id))\" VALUES ('k\(i)', \(i)), ('k\(i)b', \(i))")
        }
        try SQLiteOutputView.rebuild(table: "t", in: db)
        try db.execute("COMMIT")
        let columns = try db.query("SELECT name FROM pragma_table_info('t')").map { $0[0]! }
        #expect(columns == ["k", "p"] + OutputLineage.columns)
        #expect(try db.query("SELECT count(*) FROM t") == [[String(2 * count)]])
        if count > 0 {
            let last = String(format: "2024-%05d", count - 1)
            #expect(try db.query("SELECT k, run_id FROM t WHERE logical_date = '\(last)' ORDER BY k") == [["k\(count - 1)", "r\(count - 1)"], ["k\(count - 1)b", "r\(count - 1)"]])
        }
    }
}
