import Foundation
import NightjarIO

extension SQLiteRunStore {
    public func replaceEvaluations(job: String, date: String, _ records: [EvaluationRecord]) throws {
        let columns = EvaluationRecord.storeColumns
        try transaction {
            let delete = try db.prepare("DELETE FROM nightjar_evaluations WHERE job = ? AND logical_date = ?")
            delete.bind(1, string: job)
            delete.bind(2, string: date)
            try delete.step()
            let marks = Array(repeating: "?", count: columns.names.count).joined(separator: ",")
            let insert = try db.prepare("INSERT INTO nightjar_evaluations (\(columns.list())) VALUES (\(marks))")
            for record in records {
                insert.reset()
                for (i, value) in record.storeValues.enumerated() {
                    let index = Int32(i + 1)
                    switch value {
                    case .null, .blob: insert.bindNull(index)
                    case .integer(let v): insert.bind(index, int: v)
                    case .real(let v): insert.bind(index, double: v)
                    case .text(let v): insert.bind(index, string: v)
                    }
                }
                try insert.step()
            }
        }
    }

    public func evaluations(job: String, from: String?, to: String?) throws -> [EvaluationRecord] {
        let columns = EvaluationRecord.storeColumns
        let s = try db.prepare("""
            SELECT \(columns.list()) FROM nightjar_evaluations
            WHERE job = ? AND logical_date >= ? AND logical_date <= ?
            ORDER BY logical_date, CASE arm WHEN 'champion' THEN 0 WHEN 'split' THEN 1 ELSE 2 END, model_name, model_version
            """)
        s.bind(1, string: job)
        s.bind(2, string: from ?? "")
        s.bind(3, string: to ?? "\u{10FFFF}")
        var out: [EvaluationRecord] = []
        while try s.step() {
            out.append(try EvaluationRecord(row: row("nightjar_evaluations", columns, s)))
        }
        return out
    }
}
