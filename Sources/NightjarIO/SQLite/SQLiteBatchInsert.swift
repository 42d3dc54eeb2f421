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

    /// Inserts a scored chunk's rows in the order of `layout`'s columns: with `rowIDs`, the rowid
    /// first (the statement's first column is `rowid`): `first + r` for the first `explicit` rows,
    /// NULL after them, so SQLite appends them at max(rowid) + 1 (its cheap append path: an
    /// explicit rowid costs a seek from the root per row, ~1,500 instructions a row by callgrind);
    /// then the row number or the keys (`bindKey(statement, index, field, k)` binds key `k`'s
    /// field), the predictions (integers as INTEGER, NaN as NULL), then the `trailing` values, the
    /// same on every row.
    func insert(_ chunk: ScoredChunk, layout: OutputLayout, rowIDs: (first: Int64, explicit: Int)? = nil, trailing: [String] = [],
                bindKey: (SQLiteStatement, Int32, UnsafeBufferPointer<UInt8>, Int) -> Void) throws {
        let width = layout.predictions.count
        let lead: Int32 = rowIDs == nil ? 0 : 1
        let keyCount = layout.rowNumberColumn ? 1 : layout.keyColumns.count
        let batch = chunk.batch
        try batch.bytes.withUnsafeBufferPointer { bytes in
            try chunk.values.withUnsafeBufferPointer { values in
                try insert(rows: batch.rowCount) { statement, r, start in
                    if let rowIDs {
                        if r < rowIDs.explicit { statement.bind(start + 1, int: rowIDs.first + Int64(r)) } else { statement.bindNull(start + 1) }
                    }
                    let first = start + lead
                    if layout.rowNumberColumn {
                        statement.bind(first + 1, int: chunk.firstRowNumber + Int64(r))
                    } else {
                        for (k, key) in layout.keyColumns.enumerated() {
                            bindKey(statement, first + Int32(k + 1), UnsafeBufferPointer(rebasing: bytes[batch.fieldRange(row: r, column: key.index)]), k)
                        }
                    }
                    for c in 0..<width {
                        let v = values[r * width + c]
                        let index = first + Int32(keyCount + c + 1)
                        if let names = layout.predictions[c].names {
                            if v.isNaN { statement.bindNull(index) } else { statement.bind(index, string: names[Int(v)]) }
                        } else if layout.predictions[c].isInteger && !v.isNaN { statement.bind(index, int: Int64(v)) } else { statement.bind(index, double: v) }
                    }
                    for (m, value) in trailing.enumerated() { statement.bind(first + Int32(keyCount + width + m + 1), string: value) }
                }
            }
        }
    }
}
