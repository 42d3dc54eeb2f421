import Foundation
import Testing
import NightjarIO

/// PostgreSQL → PostgreSQL runs as real processes: killed with SIGKILL and resumed, and a
/// connection terminated by the server mid-run; compared row by row with a clean run.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PG_DSN"] != nil, "needs NIGHTJAR_TEST_PG_DSN"))
struct PostgresRunCommandTests {
    let dsn = ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PG_DSN"] ?? ""
    let runner = RunCommandTests()

    func connect() throws -> PostgresConnection { try PostgresConnection(conninfo: dsn, name: "test") }

    /// A 20,000-row source table and a job over it (chunks of 500) writing to `out`.
    func setUp(_ c: PostgresConnection) throws -> (job: URL, src: String, out: String) {
        let id = UUID().uuidString.prefix(8).lowercased()
        let src = "src_\(id)", out = "out_\(id)"
        try c.execute("""
            CREATE TABLE \(src) AS SELECT 'K' || lpad(g::text, 6, '0') AS customer_id, 18 + g % 70 AS age,
                (20000 + (g * 7919) % 90000)::numeric AS income, g % 120 AS tenure_months, ((g * 31) % 9000 - 1000)::float8 AS balance,
                1 + g % 4 AS num_products, CASE WHEN g % 17 = 0 THEN NULL ELSE ((g * 13) % 1700) / 10.0 END AS last_login_days,
                (g % 2 = 0) AS has_card, (ARRAY['east','north','south','west','central'])[1 + g % 5] AS region,
                (ARRAY['basic','plus','premium'])[1 + g % 3] AS plan
            FROM generate_series(1::bigint, 20000::bigint) AS g
            """)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-pgrun-\(id)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let yaml = """
            name: pg-crash-\(id)
            model: \(CLITests.root.appendingPathComponent("fixtures/churn/churn_xgb.json").path)
            source: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, query: "SELECT * FROM \(src)", key: customer_id } }
            key: customer_id
            chunk_rows: 500
            sink: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }
            """
        let job = dir.appendingPathComponent("job.yaml")
        try yaml.write(to: job, atomically: true, encoding: .utf8)
        return (job, src, out)
    }

    /// Removes the job's temporary directory (`nightjar-pgrun-<id>`: job files, run store).
    static func remove(_ job: URL) {
        try? FileManager.default.removeItem(at: job.deletingLastPathComponent())
    }

    /// Chunks committed so far by the job's newest run (its id is in the job's SQLite run store).
    func chunks(_ c: PostgresConnection, job: String) -> Int {
        let state = URL(fileURLWithPath: job).deletingLastPathComponent().appendingPathComponent("nightjar-state.db").path
        guard FileManager.default.fileExists(atPath: state),
              let runID = try? SQLiteDatabase(path: state, readOnly: true)
                .query("SELECT run_id FROM nightjar_runs WHERE job LIKE 'pg-crash-%' ORDER BY started_at DESC LIMIT 1").first?[0] ?? nil
        else { return 0 }
        let n = try? c.execute("SELECT count(*) FROM nightjar.chunks WHERE run_id = $1", [runID]).string(0, 0)
        return Int(n ?? "0") ?? 0
    }

    func rows(_ c: PostgresConnection, _ table: String) throws -> [String] {
        try c.execute("SELECT customer_id, probability::text, label, logical_date::text FROM \(table) ORDER BY customer_id").rows
            .map { $0.map { $0 ?? "NULL" }.joined(separator: ",") }
    }

    @Test func killedAndResumedGivesTheRowsOfACleanRun() throws {
        let c = try connect()
        let (job, src, out) = try setUp(c)
        defer { PostgresRunCommandTests.remove(job) }
        // Clean reference run into another table.
        let cleanJob = job.deletingLastPathComponent().appendingPathComponent("clean.yaml")
        try (try String(contentsOf: job, encoding: .utf8)).replacingOccurrences(of: "table: \(out)", with: "table: \(out)_clean")
            .replacingOccurrences(of: "name: pg-crash", with: "name: pg-clean").write(to: cleanJob, atomically: true, encoding: .utf8)
        let (cleanStatus, cleanErr) = try runner.finish(["run", cleanJob.path, "--date", "2026-11-28", "--quiet"])
        #expect(cleanStatus == 0, "\(cleanErr)")
        var killedAfter: [Int] = []
        for target in [2, 11, 29] {
            let (p, _) = try runner.start(["run", job.path, "--date", "2026-11-28", "--quiet"], delayMs: 40)
            let deadline = Date().addingTimeInterval(60)
            while chunks(c, job: job.path) < target && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            #expect(p.isRunning)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            killedAfter.append(chunks(c, job: job.path))
        }
        let (status, err) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(err)")
        let resumed = try rows(c, out)
        #expect(resumed.count == 20_000 && Set(resumed).count == 20_000)
        #expect(resumed == (try rows(c, "\(out)_clean")))
        print("postgres crash-resume: killed with SIGKILL after \(killedAfter) committed chunks of 40; output identical to a clean run")
        try c.execute("DROP TABLE \(src)")
        for t in [out, "\(out)_clean"] { try PostgresTableWriter.dropOutput(t, connection: c) }
    }

    /// SIGKILL while a rerun publishes its date: inside the publish transaction (the old rows stay)
    /// or after its COMMIT, before the replaced partition is dropped (the new rows are there, the old
    /// partition detached and invisible, dropped by the next run). Either way one copy of every row.
    @Test func killedDuringPublishLeavesOneCopyOfEveryRow() throws {
        let c = try connect()
        let (job, src, out) = try setUp(c)
        defer { PostgresRunCommandTests.remove(job) }
        let (first, e1) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(first == 0, "\(e1)")
        let clean = try rows(c, out)
        let output = try PostgresOutputTable.resolve(out, connection: c)
        var windows: [String] = []
        for wait in [0.3, 1.3, 0.3, 1.3] {
            // --restart: a new run replaces the published date, as a nightly rerun does.
            let (p, _) = try runner.start(["run", job.path, "--date", "2026-11-28", "--quiet", "--restart"], publishDelayMs: 1000)
            let deadline = Date().addingTimeInterval(60)
            // The publish starts once every chunk is committed.
            while chunks(c, job: job.path) < 40 && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            Thread.sleep(forTimeInterval: wait)
            #expect(p.isRunning)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let seen = try c.execute("SELECT count(*), count(DISTINCT run_id) FROM \(out)").rows
            #expect(seen == [["20000", "1"]], "after a kill \(wait) s into the publish: \(seen)")
            windows.append(try c.execute("SELECT count(*) FROM nightjar.retired WHERE output = $1", [output.lineageName]).string(0, 0) == "0"
                           ? "in the transaction" : "after the commit")
        }
        let (status, err) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(err)")
        let final = try rows(c, out)
        #expect(final == clean)
        let parts = try c.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = $1::regclass", [output.quotedBase]).string(0, 0)
        #expect(parts == "1")
        #expect(try c.execute("SELECT count(*) FROM nightjar.retired WHERE output = $1", [output.lineageName]).string(0, 0) == "0")
        print("postgres kill during publish: killed \(windows); one copy of every row each time")
        try c.execute("DROP TABLE \(src)")
        try PostgresTableWriter.dropOutput(out, connection: c)
    }

    @Test func aConnectionTerminatedMidRunFailsCleanlyAndResumes() throws {
        let c = try connect()
        let (job, src, out) = try setUp(c)
        defer { PostgresRunCommandTests.remove(job) }
        let (p, err) = try runner.start(["run", job.path, "--date", "2026-11-28"], delayMs: 40)
        let deadline = Date().addingTimeInterval(60)
        while chunks(c, job: job.path) < 5 && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        // The server drops every other session (the run's source and sink connections).
        let terminated = try c.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE $1",
                                       ["nightjar[\(p.processIdentifier)]%"]).string(0, 0)
        #expect(terminated == "2", "the run's source and sink connections")
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 75, "a lost connection is a temporary failure")
        #expect(stderr.contains("PostgreSQL") && stderr.contains("terminat"), "\(stderr)")
        // Nothing half-written: the staged rows are exactly the committed chunks' rows, and the output table has none yet.
        let state = job.deletingLastPathComponent().appendingPathComponent("nightjar-state.db").path
        let runID = try SQLiteDatabase(path: state, readOnly: true).query("SELECT run_id FROM nightjar_runs").first?[0] ?? ""
        let committed = try c.execute("SELECT coalesce(sum(rows), 0) FROM nightjar.chunks WHERE run_id = $1", [runID]).string(0, 0)
        let staging = try c.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'nightjar' AND tablename = $1",
                                    ["nightjar_staging_" + String(runID.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })]).rows.compactMap { $0[0] }
        #expect(staging.count == 1)
        if let s = staging.first {
            #expect(try c.execute("SELECT count(*) FROM nightjar.\(s)").string(0, 0) == committed)
        }
        let visible = try c.execute("SELECT to_regclass($1) IS NULL OR (SELECT count(*) FROM \(out)) = 0", [out]).string(0, 0)
        #expect(visible == "t")
        let (status, e) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(e)")
        let final = try rows(c, out)
        #expect(final.count == 20_000 && Set(final).count == 20_000)
        // The same rows, keys and sum as a clean run.
        let cleanJob = job.deletingLastPathComponent().appendingPathComponent("clean.yaml")
        try (try String(contentsOf: job, encoding: .utf8)).replacingOccurrences(of: "table: \(out)", with: "table: \(out)_clean")
            .replacingOccurrences(of: "name: pg-crash", with: "name: pg-clean").write(to: cleanJob, atomically: true, encoding: .utf8)
        let (cleanStatus, cleanErr) = try runner.finish(["run", cleanJob.path, "--date", "2026-11-28", "--quiet"])
        #expect(cleanStatus == 0, "\(cleanErr)")
        #expect(final == (try rows(c, "\(out)_clean")))
        #expect(try c.execute("SELECT sum(probability) FROM \(out)").string(0, 0) == (try c.execute("SELECT sum(probability) FROM \(out)_clean").string(0, 0)))
        try c.execute("DROP TABLE \(src)")
        for t in [out, "\(out)_clean"] { try PostgresTableWriter.dropOutput(t, connection: c) }
    }

    /// With `retries:`, the same fault never reaches the operator: `nightjar run` retries the
    /// temporary failure itself, resuming from the last committed chunk, and exits 0.
    @Test func aConnectionTerminatedMidRunIsRetriedByTheRunItself() throws {
        let c = try connect()
        let (job, src, out) = try setUp(c)
        defer { PostgresRunCommandTests.remove(job) }
        try (try String(contentsOf: job, encoding: .utf8) + "\nretries: { count: 2, backoff: 1s }\n").write(to: job, atomically: true, encoding: .utf8)
        let (p, err) = try runner.start(["run", job.path, "--date", "2026-11-28"], delayMs: 40)
        let deadline = Date().addingTimeInterval(60)
        while chunks(c, job: job.path) < 5 && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let terminated = try c.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE $1",
                                       ["nightjar[\(p.processIdentifier)]%"]).string(0, 0)
        #expect(terminated == "2")
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("will retry"), "\(stderr)")
        let final = try rows(c, out)
        #expect(final.count == 20_000 && Set(final).count == 20_000)
        let state = job.deletingLastPathComponent().appendingPathComponent("nightjar-state.db").path
        #expect(try SQLiteDatabase(path: state, readOnly: true).query("SELECT status, attempt FROM nightjar_runs") == [["succeeded", "2"]])
        try c.execute("DROP TABLE \(src)")
        try PostgresTableWriter.dropOutput(out, connection: c)
    }

    @Test func fourShardProcessesGiveTheRowsOfOneRun() throws {
        let c = try connect()
        let (job, src, out) = try setUp(c)
        defer { PostgresRunCommandTests.remove(job) }
        let cleanJob = job.deletingLastPathComponent().appendingPathComponent("clean.yaml")
        try (try String(contentsOf: job, encoding: .utf8)).replacingOccurrences(of: "table: \(out)", with: "table: \(out)_clean")
            .replacingOccurrences(of: "name: pg-crash", with: "name: pg-clean").write(to: cleanJob, atomically: true, encoding: .utf8)
        let (cs, ce) = try runner.finish(["run", cleanJob.path, "--date", "2026-11-28", "--quiet"])
        #expect(cs == 0, "\(ce)")
        var processes: [(Process, Pipe)] = []
        for i in 1...4 {
            processes.append(try runner.start(["run", job.path, "--date", "2026-11-28", "--shard", "\(i)/4", "--quiet"]))
        }
        for (p, err) in processes {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(text)")
        }
        let sharded = try rows(c, out)
        #expect(sharded.count == 20_000 && Set(sharded).count == 20_000)
        #expect(sharded == (try rows(c, "\(out)_clean")))
        let state = job.deletingLastPathComponent().appendingPathComponent("nightjar-state.db").path
        let perShard = try SQLiteDatabase(path: state, readOnly: true)
            .query("SELECT shard, rows FROM nightjar_shards WHERE run_id IN (SELECT run_id FROM nightjar_runs WHERE job LIKE 'pg-crash-%') ORDER BY shard")
        #expect(perShard.count == 4)
        #expect(perShard.compactMap { Int($0[1] ?? "") }.reduce(0, +) == 20_000)
        try c.execute("DROP TABLE \(src)")
        for t in [out, "\(out)_clean"] { try PostgresTableWriter.dropOutput(t, connection: c) }
    }

    /// The shipped PostgreSQL job runs as it is, split in two like the Kubernetes Indexed Job does.
    @Test func theShippedPostgresJobRunsSharded() throws {
        let c = try connect()
        try c.execute("DROP TABLE IF EXISTS customers")
        try PostgresTableWriter.dropOutput("analytics.churn_scores", connection: c)
        try c.execute("""
            CREATE TABLE customers (customer_id text PRIMARY KEY, age integer, income numeric, tenure_months integer, balance float8,
                num_products integer, last_login_days real, has_card boolean, region text, plan text, snapshot_day date NOT NULL DEFAULT '2026-11-28')
            """)
        let csv = try String(contentsOf: CLITests.root.appendingPathComponent("fixtures/churn/score_input.csv"), encoding: .utf8)
        try c.copyIn("COPY customers (customer_id, age, income, tenure_months, balance, num_products, last_login_days, has_card, region, plan) FROM STDIN (FORMAT csv, HEADER true)") { send in
            var bytes = Array(csv.utf8)
            try bytes.withUnsafeMutableBytes { try send(UnsafeRawBufferPointer($0)) }
        }
        let job = CLITests.root.appendingPathComponent("jobs/churn-nightly-pg.yaml").path
        var processes: [(Process, Pipe)] = []
        for i in 1...2 {
            let p = Process()
            p.executableURL = CLITests.binary
            p.arguments = ["run", job, "--date", "2026-11-28", "--shard", "\(i)/2", "--quiet"]
            var env = ProcessInfo.processInfo.environment
            env["NIGHTJAR_PG_DSN"] = dsn
            p.environment = env
            let err = Pipe()
            p.standardError = err
            p.standardOutput = Pipe()
            try p.run()
            processes.append((p, err))
        }
        for (p, err) in processes {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(text)")
        }
        let stats = try c.execute("SELECT count(*), count(DISTINCT customer_id), count(DISTINCT run_id), min(logical_date)::text FROM analytics.churn_scores").rows
        #expect(stats == [["1000", "1000", "1", "2026-11-28"]])
        // The run that published the rows (the cluster may hold runs of this job from earlier test runs).
        let run = try c.execute("SELECT status, rows_written FROM nightjar.runs WHERE job = 'churn-nightly-pg' AND run_id = (SELECT min(run_id) FROM analytics.churn_scores)").rows
        #expect(run == [["succeeded", "1000"]])
    }

    /// A source key with upper case, a dot, a space and a double quote: quoted as an identifier in the COPY
    /// query, the resume clause, the shard hash and the output table.
    @Test func aKeyWithOddCharactersIsQuoted() throws {
        let c = try connect()
        let id = UUID().uuidString.prefix(8).lowercased()
        let src = "odd_\(id)", out = "odd_out_\(id)"
        try c.execute(#"""
            CREATE TABLE \#(src) AS SELECT 'K' || lpad(g::text, 5, '0') AS "Cust.ID ""x""", 18 + g % 70 AS age,
                (20000 + (g * 7919) % 90000)::numeric AS income, g % 120 AS tenure_months, ((g * 31) % 9000 - 1000)::float8 AS balance,
                1 + g % 4 AS num_products, ((g * 13) % 1700) / 10.0 AS last_login_days, (g % 2 = 0) AS has_card,
                (ARRAY['east','north','south','west'])[1 + g % 4] AS region, (ARRAY['basic','plus','premium'])[1 + g % 3] AS plan
            FROM generate_series(1, 3000) AS g
            """#)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-oddkey-\(id)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let job = dir.appendingPathComponent("job.yaml")
        try """
            name: odd-key-\(id)
            model: \(CLITests.root.appendingPathComponent("fixtures/churn/churn_xgb.json").path)
            source: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, query: "SELECT * FROM \(src)", key: 'Cust.ID "x"' } }
            key: 'Cust.ID "x"'
            chunk_rows: 500
            sink: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }
            """.write(to: job, atomically: true, encoding: .utf8)
        let validated = try CLITests().run(["validate", job.path, "--date", "2026-11-28"])
        #expect(validated.status == 0 && validated.stdout.contains("returns Cust.ID \"x\", age"), "\(validated.stderr)")
        // Killed after two chunks, resumed after the last committed key.
        let (p, _) = try runner.start(["run", job.path, "--date", "2026-11-28", "--quiet"], delayMs: 100)
        let state = dir.appendingPathComponent("nightjar-state.db").path
        let deadline = Date().addingTimeInterval(60)
        while runner.committedChunks(state) < 2 && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let (status, err) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(err)")
        #expect(try c.execute(#"SELECT count(*), count(DISTINCT "Cust.ID ""x"""), min("Cust.ID ""x""") FROM \#(out)"#).rows == [["3000", "3000", "K00001"]])
        // Two shards of a --restart run hash the quoted key.
        for i in 1...2 {
            let (s, e) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--shard", "\(i)/2", "--restart", "--quiet"])
            #expect(s == 0, "\(e)")
        }
        #expect(try c.execute(#"SELECT count(*), count(DISTINCT "Cust.ID ""x""") FROM \#(out)"#).rows == [["3000", "3000"]])
        try c.execute("DROP TABLE \(src)")
        try PostgresTableWriter.dropOutput(out, connection: c)
    }
}
