/// Inserts rows into one table with several rows per statement (`INSERT … VALUES (…), (…), …`).
///
/// A statement per row cost about 4,200 instructions a row in SQLite (callgrind, the benchmark's
/// two-column output), most of it per statement (opening the cursor, halting, resetting) rather
/// than per row; 64 rows per statement took it to about 1,900.
final class SQLiteBatchInsert {
    private let single: SQLiteStatement
    private let group: SQLiteStatement?
    private let groupRows: Int
    private let columnCount: Int32

    /// Rows per statement at most.
    static let maxGroupRows = 64

    /// `table` and `columns` quoted already.
    init(database: SQLiteDatabase, table: String, columns: [String]) throws {
        let names = columns.joined(separator: ", ")
        let marks = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        single = try database.prepare("INSERT INTO \(table) (\(names)) VALUES \(marks)")
        // At most 999 parameters, SQLite's oldest limit for a statement.
        groupRows = Swift.max(1, Swift.min(SQLiteBatchInsert.maxGroupRows, 999 / Swift.max(1, columns.count)))
        group = groupRows > 1
            ? try database.prepare("INSERT INTO \(table) (\(names)) VALUES " + Array(repeating: marks, count: groupRows).joined(separator: ", "))
            : nil
        columnCount = Int32(columns.count)
    }

    /// Inserts rows `0 ..< count`: `bind(statement, row, first)` binds row `row`'s values to the
    /// parameters `first + 1`, `first + 2`, … of `statement`.
    func insert(rows count: Int, _ bind: (SQLiteStatement, Int, Int32) -> Void) throws {
        var r = 0
        if let group {
            while r + groupRows <= count {
                for g in 0..<groupRows { bind(group, r + g, Int32(g) * columnCount) }
                try group.step()
                group.reset()
                r += groupRows
            }
        }
        while r < count {
            bind(single, r, 0)
            try single.step()
            single.reset()
            r += 1
        }
    }
}
