import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

@Suite(.enabled(if: PostgresTestServer.available, "needs NIGHTJAR_TEST_PG_DSN (scripts/test.sh starts a server)"))
struct PostgresJobTests {
    func job(source: String, sink: String, model: String = "churn/churn_lgbm.txt", extra: String = "", chunkRows: Int = 150,
             key: String = "customer_id") throws -> JobSpec {
        let dir = temporaryDirectory()
        let yaml = """
            name: pg-\(UUID().uuidString.prefix(6).lowercased())
            model: \(fixture(model))
            source: \(source)
            key: \(key)
            chunk_rows: \(chunkRows)
            sink: \(sink)
            \(extra)
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        return try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
    }

    /// A source key with a '.' in its name is one quoted identifier, not schema.column; resumes cut on it.
    @Test func aKeyWithADotInItsNameIsOneIdentifier() throws {
        let c = try PostgresTestServer.connect()
        let src = PostgresTestServer.name("src")
        let out = PostgresTestServer.name("out")
        try PostgresTestServer.loadChurn(into: src, connection: c)
        try c.execute("ALTER TABLE \(src) RENAME COLUMN customer_id TO \"customer.id\"")
        let spec = try job(source: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, query: \"SELECT * FROM \(src)\", key: customer.id } }",
                           sink: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }", model: "churn/churn_xgb.json",
                           chunkRows: 300, key: "customer.id")
        let record = try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(record.rowsWritten == 1000 && record.chunks == 4)
        #expect(try c.execute("SELECT count(DISTINCT \"customer.id\") FROM \(out)").string(0, 0) == "1000")
    }

    @Test func typedColumnsAndNullsScoreLikeTheCSV() throws {
        let c = try PostgresTestServer.connect()
        let src = PostgresTestServer.name("src")
        let out = PostgresTestServer.name("out")
        try PostgresTestServer.loadChurn(into: src, connection: c)
        let spec = try job(source: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, query: \"SELECT * FROM \(src)\", key: customer_id } }",
                           sink: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: analytics.\(out) } }")
        let record = try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(record.rowsWritten == 1000 && record.chunks == 7)
        let expected = try readColumns(fixture("churn/churn_lgbm.expected.csv"))
        var byKey: [String: Double] = [:]
        for (k, p) in zip(expected["customer_id"]!, expected["probability"]!) { byKey[k] = Double(p)! }
        let rows = try c.execute("SELECT customer_id, probability, label, logical_date::text, run_id FROM analytics.\(out)").rows
        #expect(rows.count == 1000)
        var worst = 0.0
        for r in rows {
            worst = max(worst, abs(Double(r[1]!)! - byKey[r[0]!]!))
            #expect(r[3] == "2026-11-28" && r[4] == record.runID)
        }
        #expect(worst <= 1e-6, "max abs diff \(worst)")
        let types = try c.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [out]).rows
        #expect(types.map { $0[1]! } == ["text", "double precision", "bigint", "date", "text", "text", "text", "text"])
    }

    @Test func shadowAndSplitRowsCommitWithTheChampionsInPostgres() throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("rollout")
        let dir = temporaryDirectory()
        try FileManager.default.copyItem(at: fixtures.deletingLastPathComponent().appendingPathComponent("models"), to: dir.appendingPathComponent("models"))
        let yaml = """
            name: \(out)
            model: churn@1
            registry: models
            challengers: [churn@2]
            split: { challenger: churn@2, share: 0.2 }
            source: { csv: \(fixture("churn/score_input.csv")) }
            key: customer_id
            chunk_rows: 300
            sink: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let spec = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        for date in ["2026-11-27", "2026-11-28"] {
            let record = try RunExecutor(job: spec).run(RunOptions(date: LogicalDate(date)!))
            #expect(record.status == .succeeded)
        }
        let main = try c.execute("SELECT logical_date::text, model_version, count(*) FROM \(out) GROUP BY 1, 2 ORDER BY 1, 2").rows
        #expect(main.count == 4)
        let challengerRows = main.filter { $0[1] == "2" }.map { Int($0[2]!)! }
        #expect(challengerRows.count == 2 && challengerRows[0] == challengerRows[1] && abs(challengerRows[0] - 200) < 40)
        #expect(main.map { Int($0[2]!)! }.reduce(0, +) == 2000)
        let shadow = try c.execute("SELECT logical_date::text, model_version, count(*) FROM \(out)_shadow GROUP BY 1, 2 ORDER BY 1").rows
        #expect(shadow == [["2026-11-27", "2", "1000"], ["2026-11-28", "2", "1000"]])
        // The same customers on the challenger's side both nights.
        let moved = try c.execute("""
            SELECT count(*) FROM \(out) a JOIN \(out) b USING (customer_id)
            WHERE a.logical_date = '2026-11-27' AND b.logical_date = '2026-11-28' AND a.model_version <> b.model_version
            """).string(0, 0)
        #expect(moved == "0")
    }

    @Test func keysetResumeAfterAFailureAndADateBoundAsAParameter() throws {
        let c = try PostgresTestServer.connect()
        let src = PostgresTestServer.name("src")
        let out = PostgresTestServer.name("out")
        try PostgresTestServer.loadChurn(into: src, connection: c)
        try c.execute("ALTER TABLE \(src) ADD COLUMN day date NOT NULL DEFAULT '2026-11-28'")
        try c.execute("UPDATE \(src) SET day = '2026-11-27' WHERE customer_id > 'C100900'")
        // Make one row fail mid-way (a category name where the model needs a number).
        try c.execute("ALTER TABLE \(src) ALTER COLUMN age TYPE text")
        try c.execute("UPDATE \(src) SET age = 'old' WHERE customer_id = 'C100500'")
        let spec = try job(source: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, query: \"SELECT * FROM \(src) WHERE day = {{ ds }}::date\", key: customer_id } }",
                           sink: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }")
        let date = LogicalDate("2026-11-28")!
        #expect { try RunExecutor(job: spec).run(RunOptions(date: date)) } throws: { "\($0)".contains("'old' is not a number") }
        let store = try SQLiteRunStore(path: spec.state)
        let failed = try #require(try store.latestRun(job: spec.name, date: "2026-11-28"))
        #expect(failed.chunks == 3)
        try c.execute("UPDATE \(src) SET age = '50' WHERE customer_id = 'C100500'")
        let done = try RunExecutor(job: spec).run(RunOptions(date: date))
        #expect(done.runID == failed.runID && done.rowsWritten == 901)
        let chunks = try store.chunks(runID: done.runID)
        #expect(chunks.map(\.chunk) == Array(0..<7))
        #expect(chunks[2].lastKey == "C100449")
        let stats = try c.execute("SELECT count(*), count(DISTINCT customer_id), max(customer_id) FROM \(out)").rows
        #expect(stats == [["901", "901", "C100900"]])
    }

    @Test func replacePartitionIsAtomicForOtherConnections() throws {
        let c = try PostgresTestServer.connect()
        let observer = try PostgresTestServer.connect()
        let src = PostgresTestServer.name("src")
        let out = PostgresTestServer.name("out")
        try PostgresTestServer.loadChurn(into: src, connection: c)
        let spec = try job(source: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, query: \"SELECT * FROM \(src)\", key: customer_id } }",
                           sink: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }")
        let date = LogicalDate("2026-11-28")!
        let first = try RunExecutor(job: spec).run(RunOptions(date: date))
        // A second run for the date, observed chunk by chunk from another connection.
        let progress = ObservingProgress { _ in
            let seen = (try? observer.execute("SELECT count(*), min(run_id) FROM \(out) WHERE logical_date = '2026-11-28'").rows) ?? []
            return seen.first.map { "\($0[0]!) \($0[1]!)" } ?? "?"
        }
        let second = try RunExecutor(job: spec, progress: progress.reporter).run(RunOptions(date: date))
        #expect(progress.observations.count == 7)
        #expect(Set(progress.observations) == ["1000 \(first.runID)"], "the old rows stay visible, whole, until the swap")
        #expect(try observer.execute("SELECT count(*), min(run_id), max(run_id) FROM \(out)").rows == [["1000", second.runID, second.runID]])
        #expect(try observer.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'nightjar' AND tablename = $1",
                                     [PostgresOutputTable.stagingName(runID: second.runID, suffix: "")]).rows == [["0"]])
    }

    @Test func csvIntoPostgresAndAppend() throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("out")
        let spec = try job(source: "{ csv: \(fixture("churn/score_input.csv")) }",
                           sink: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }", extra: "write_mode: append")
        try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!))
        try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(try c.execute("SELECT count(*), count(DISTINCT run_id) FROM \(out)").rows == [["2000", "2"]])
    }

    @Test func aFeatureColumnOfAnUnusableTypeIsNamed() throws {
        let c = try PostgresTestServer.connect()
        let src = PostgresTestServer.name("src")
        try PostgresTestServer.loadChurn(into: src, connection: c)
        try c.execute("ALTER TABLE \(src) ALTER COLUMN tenure_months TYPE interval USING make_interval(months => tenure_months)")
        let spec = try job(source: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, query: \"SELECT * FROM \(src)\", key: customer_id } }",
                           sink: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(PostgresTestServer.name("out")) } }")
        #expect { try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: {
            "\($0)".contains("column 'tenure_months' has a type") && "\($0)".contains("cannot be a feature")
        }
    }

    @Test func aMillionRowsStreamThroughWithFlatMemory() throws {
        let c = try PostgresTestServer.connect()
        let src = PostgresTestServer.name("big")
        let out = PostgresTestServer.name("out")
        try c.execute("""
            CREATE TABLE \(src) AS SELECT 'B' || lpad(g::text, 9, '0') AS customer_id, 18 + g % 70 AS age,
                (20000 + (g * 7919) % 90000)::numeric AS income, g % 120 AS tenure_months, ((g * 31) % 9000 - 1000)::float8 AS balance,
                1 + g % 4 AS num_products, ((g * 13) % 1700) / 10.0 AS last_login_days, g % 2 AS has_card
            FROM generate_series(1::bigint, 1000000::bigint) AS g
            """)
        let spec = try job(source: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, query: \"SELECT * FROM \(src)\", key: customer_id } }",
                           sink: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }", model: "churn/churn_xgb_reg.json",
                           chunkRows: 50000)
        let before = residentKB()
        let record = try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!))
        let after = residentKB()
        #expect(record.rowsWritten == 1_000_000 && record.chunks == 20)
        #expect(try c.execute("SELECT count(*), count(DISTINCT customer_id) FROM \(out)").rows == [["1000000", "1000000"]])
        #expect(after - before < 400_000, "resident memory grew by \(after - before) kB")
        try c.execute("DROP TABLE \(src)")
        try PostgresTableWriter.dropOutput(out, connection: c)
    }

    func residentKB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
}

/// Calls `observe` after each committed chunk and keeps what it returns.
final class ObservingProgress: @unchecked Sendable {
    var observations: [String] = []
    let observe: (Int) -> String
    var reporter: RunProgress!

    init(_ observe: @escaping (Int) -> String) {
        self.observe = observe
        reporter = RunProgress(logger: .init(label: "t"), terminal: false) { [unowned self] chunk in
            self.observations.append(self.observe(chunk))
        }
    }
}

@Suite struct PostgresJobFileTests {
    let head = "name: t\nmodel: m.json\nkey: id\n"

    @Test(arguments: [
        "source: { postgres: { dsn_env: X, password: hunter2, query: 'SELECT 1', key: id } }\nsink: { sqlite: { path: o.db } }",
        "source: { postgres: { dsn: 'host=db password=hunter2', query: 'SELECT 1', key: id } }\nsink: { sqlite: { path: o.db } }",
        "source: { csv: in.csv }\nsink: { postgres: { service: 'postgresql://u:hunter2@db/x', table: t } }",
        "source: { csv: in.csv }\nsink: { postgres: { dsn_env: 'host=db password=x', table: t } }",
    ])
    func literalPasswordsAreRefused(_ body: String) {
        #expect { try JobSpec.parse(yaml: head + body, file: "/j.yaml") } throws: { error in
            let s = "\(error)"
            return s.contains("/j.yaml:") && (s.contains("password") || s.contains("never go in a job file") || s.contains("NAME of an environment variable"))
        }
    }

    @Test func postgresSettingsParse() throws {
        let job = try JobSpec.parse(yaml: head + "source: { postgres: { dsn_env: PG, query: 'SELECT * FROM t WHERE d = {{ ds }}', key: id } }\nsink: { postgres: { service: prod, table: analytics.scores } }", file: "/j.yaml")
        #expect(job.source == .postgres(.init(dsnEnv: "PG", service: nil), query: "SELECT * FROM t WHERE d = {{ ds }}", key: "id"))
        #expect(job.sink == .postgres(.init(dsnEnv: nil, service: "prod"), table: "analytics.scores"))
        let (sql, params) = PostgresSource.bind("SELECT * FROM t WHERE d = {{ ds }} OR e = {{ds_nodash}} OR f = {{ ds }}", date: LogicalDate("2026-11-28")!)
        #expect(sql == "SELECT * FROM t WHERE d = $1 OR e = $2 OR f = $1")
        #expect(params == ["2026-11-28", "20261128"])
    }

    /// A service name is one quoted libpq value: it cannot add settings (another database, a host).
    @Test func aServiceNameIsQuotedAsOneValue() throws {
        #expect(try JobSpec.PostgresSettings(dsnEnv: nil, service: "prod").conninfo(job: "j") == "service='prod'")
        #expect(try JobSpec.PostgresSettings(dsnEnv: nil, service: "nj dbname=postgres").conninfo(job: "j") == "service='nj dbname=postgres'")
        #expect(try JobSpec.PostgresSettings(dsnEnv: nil, service: #"a'b\c"#).conninfo(job: "j") == #"service='a\'b\\c'"#)
        // libpq reads it as a service of that name, not as a second setting.
        do {
            _ = try PostgresConnection(conninfo: try JobSpec.PostgresSettings(dsnEnv: nil, service: "nj dbname=postgres").conninfo(job: "j"), name: "t")
            Issue.record("connected through a service that does not exist")
        } catch {
            #expect("\(error)".contains("definition of service"), "\(error)")
        }
    }
}
