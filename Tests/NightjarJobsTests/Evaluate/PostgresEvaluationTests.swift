import Foundation
import Testing
import NightjarIO
import NightjarCore
@testable import NightjarJobs

/// `nightjar evaluate` against a real PostgreSQL server: the job's rows in a PostgreSQL sink, its
/// run store (and the evaluations) in schema `nightjar`, the labels from a `postgres:` query.
@Suite(.enabled(if: PostgresTestServer.available && SklearnReference.enabled, "needs NIGHTJAR_TEST_PG_DSN and python3 with scikit-learn (scripts/test.sh)"))
struct PostgresEvaluationTests {
    @Test func labelsFromAQueryJoinedToAPostgresSinkAndStoredInThePostgresRunStore() throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("evaluated"), outcomes = PostgresTestServer.name("outcomes")
        let dir = temporaryDirectory()
        try FileManager.default.copyItem(at: fixtures.deletingLastPathComponent().appendingPathComponent("models"), to: dir.appendingPathComponent("models"))
        let yaml = """
            name: \(out)
            model: churn@1
            registry: models
            challengers: [churn@2]
            split: { challenger: churn@2, share: 0.25 }
            source: { csv: \(fixture("churn/train_sample.csv")) }
            key: customer_id
            chunk_rows: 2000
            max_reject_fraction: 5%
            drift: { warn: 0.5, fail: 0.9 }
            sink: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }
            state: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN } }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let job = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        #expect(try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)).status == .succeeded)

        // The outcomes as a table: a boolean column, one key twice with the same label, one unknown key.
        let columns = try readColumns(fixture("churn/train_sample.csv"))
        let y = Dictionary(uniqueKeysWithValues: zip(columns["customer_id"]!, columns["churned"]!.map { Double($0)! }))
        try c.execute("CREATE TABLE \(outcomes) (customer_id text, churned boolean, day date)")
        var csv = ""
        for (k, v) in y { csv += "\(k),\(v == 1 ? "t" : "f"),2026-11-28\n" }
        csv += "C100000,\(y["C100000"]! == 1 ? "t" : "f"),2026-11-28\nZ1,t,2026-11-28\n"
        try c.copyIn("COPY \(outcomes) FROM STDIN (FORMAT csv)") { send in
            var bytes = Array(csv.utf8)
            try bytes.withUnsafeMutableBytes { try send(UnsafeRawBufferPointer($0)) }
        }
        let store = try RunStores.open(for: job)
        let evaluator = OutcomeEvaluator(job: job, labels: .parse("postgres:SELECT customer_id, churned FROM \(outcomes) WHERE day = {{ ds }}", job: job, dsnEnv: nil),
                                         labelColumn: "churned", store: store)
        let result = try evaluator.evaluate(date: LogicalDate("2026-11-28")!)
        #expect(result.records.map(\.arm) == [.champion, .split, .challenger])
        for r in result.records {
            #expect(r.labelsRead == 6002 && r.labelsDuplicate == 1 && r.labelsUnscored == 1 && r.labelsConflicting == 0)
            #expect(r.rowsMatched == r.rowsScored)
        }
        #expect(result.records[0].rowsScored + result.records[1].rowsScored == 6000 && result.records[2].rowsScored == 6000)
        // Stored in nightjar.evaluations and read back the same, doubles included.
        #expect(try store.evaluations(job: out, from: "2026-11-28", to: "2026-11-28") == result.records)
        #expect(try store.evaluations(job: out, from: "2026-11-29", to: nil).isEmpty)

        // The champion's metrics against scikit-learn on the rows the PostgreSQL view holds.
        let rows = try c.execute("SELECT customer_id, probability FROM \(out) WHERE logical_date = '2026-11-28' AND model_version = '1'").rows
        let answer = try SklearnReference.answer(["kind": "binary", "labels": rows.map { y[$0[0]!]! }, "probabilities": rows.map { Double($0[1]!)! }, "threshold": 0.5])
        let champion = result.records[0]
        OutcomeEvaluatorTests.close(champion.auc, answer["auc"], "auc")
        OutcomeEvaluatorTests.close(champion.logLoss, answer["log_loss"], "log_loss")
        OutcomeEvaluatorTests.close(champion.brier, answer["brier"], "brier")
        OutcomeEvaluatorTests.close(champion.ece, answer["ece"], "ece")
        #expect(champion.rowsScored == rows.count)
        try c.execute("DROP TABLE \(outcomes)")
    }
}
