import Foundation
import NightjarIO

extension PostgresRunStore {
    public func replaceEvaluations(job: String, date: String, _ records: [EvaluationRecord]) throws {
        let columns = EvaluationRecord.storeColumns
        try transaction {
            try connection.execute("DELETE FROM nightjar.evaluations WHERE job = $1 AND logical_date = $2::date", [job, date])
            let marks = columns.names.enumerated().map { i, name in
                name == "logical_date" ? "$\(i + 1)::date" : name == "evaluated_at" ? "$\(i + 1)::timestamptz" : "$\(i + 1)"
            }.joined(separator: ",")
            let sql = "INSERT INTO nightjar.evaluations (\(columns.list())) VALUES (\(marks))"
            for record in records {
                // Doubles as Swift's shortest round-tripping text: the server reads back the same double.
                try connection.execute(sql, record.storeValues.map { value -> String? in
                    switch value {
                    case .null, .blob: nil
                    case .integer(let v): String(v)
                    case .real(let v): "\(v)"
                    case .text(let v): v
                    }
                })
            }
        }
    }

    public func evaluations(job: String, from: String?, to: String?) throws -> [EvaluationRecord] {
        let columns = EvaluationRecord.storeColumns
        let list = columns.list(["logical_date": "logical_date::text", "evaluated_at": PostgresRunStore.iso("evaluated_at")])
        return try connection.execute("""
            SELECT \(list) FROM nightjar.evaluations
            WHERE job = $1 AND ($2::date IS NULL OR logical_date >= $2::date) AND ($3::date IS NULL OR logical_date <= $3::date)
            ORDER BY logical_date, CASE arm WHEN 'champion' THEN 0 WHEN 'split' THEN 1 ELSE 2 END, model_name, model_version
            """, [job, from, to]).rows.map { try EvaluationRecord(row: row("nightjar.evaluations", columns, $0)) }
    }
}
