import Foundation
import Testing
import NightjarIO

/// `nightjar run` as a real process: killed with SIGKILL at several points and resumed, stopped with
/// SIGTERM, and locked against a second process. The result is compared row by row with a clean run.
@Suite(.serialized) struct RunCommandTests {
    static let root = CLITests.root

    /// A job over a 20,000-row input (chunks of 500) in a fresh directory.
    func makeJob(_ name: String = "job") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = try String(contentsOf: Self.root.appendingPathComponent("fixtures/churn/score_input.csv"), encoding: .utf8)
        var lines = source.split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        var out = [header]
        for copy in 0..<20 {
            for line in lines {
                let comma = line.firstIndex(of: ",")!
                out.append("K\(copy)-\(line[..<comma])\(line[comma...])")
            }
        }
        try (out.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: crash-test
            model: \(Self.root.appendingPathComponent("fixtures/churn/churn_xgb.json").path)
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: 500
            sink: { sqlite: { path: out.db, table: scores } }
            """
        let job = dir.appendingPathComponent("\(name).yaml")
        try yaml.write(to: job, atomically: true, encoding: .utf8)
        return job
    }

    /// Starts `nightjar` with `environment` on top of this process's (sanitizer options included).
    func start(_ arguments: [String], delayMs: Int = 0, publishDelayMs: Int = 0,
               environment: [String: String] = [:]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = CLITests.binary
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NIGHTJAR_TEST_CHUNK_DELAY_MS"] = delayMs > 0 ? String(delayMs) : nil
        env["NIGHTJAR_TEST_PUBLISH_DELAY_MS"] = publishDelayMs > 0 ? String(publishDelayMs) : nil
        env.merge(environment) { $1 }
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        return (p, err)
    }

    func finish(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let (p, err) = try start(arguments, environment: environment)
        return wait(p, err)
    }

    /// Waits for a process `start` began: its status and stderr (a sanitizer report in it fails the test).
    func wait(_ p: Process, _ err: Pipe) -> (Int32, String) {
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        SanitizerReport.check(stderr: stderr, status: p.terminationStatus)
        return (p.terminationStatus, stderr)
    }

    /// Rows stored in the output's rows tables (one per run and model), of lineages in `state`
    /// (any state when nil), visible or not.
    static func storedRows(_ database: SQLiteDatabase, state: String? = nil) throws -> Int {
        let tables = try database.query("SELECT rows_table FROM nightjar_lineage\(state.map { " WHERE state = '\($0)'" } ?? "")").compactMap { $0[0] }
        return try tables.reduce(0) { sum, t in sum + Int(try database.query("SELECT count(*) FROM \"\(t)\"")[0][0]!)! }
    }

    func committedChunks(_ db: String) -> Int {
        guard FileManager.default.fileExists(atPath: db),
              let rows = try? SQLiteDatabase(path: db, readOnly: true).query("SELECT count(*) FROM nightjar_chunks") else { return 0 }
        return Int(rows.first?[0] ?? "0") ?? 0
    }

    func waitFor(chunks: Int, in db: String, process: Process) {
        let deadline = Date().addingTimeInterval(60)
        while committedChunks(db) < chunks && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    func outputRows(_ db: String) throws -> [String] {
        try SQLiteDatabase(path: db, readOnly: true)
            .query("SELECT customer_id, probability, label, logical_date FROM scores ORDER BY customer_id")
            .map { $0.map { $0 ?? "NULL" }.joined(separator: ",") }
    }

    @Test func killedAtSeveralPointsAndResumedGivesTheRowsOfACleanRun() throws {
        let cleanJob = try makeJob()
        let (cleanStatus, cleanErr) = try finish(["run", cleanJob.path, "--date", "2026-11-28", "--quiet"])
        #expect(cleanStatus == 0, "\(cleanErr)")
        let clean = try outputRows(cleanJob.deletingLastPathComponent().appendingPathComponent("out.db").path)
        #expect(clean.count == 20_000)

        let job = try makeJob()
        let db = job.deletingLastPathComponent().appendingPathComponent("out.db").path
        var killedAfter: [Int] = []
        // Kill points: before any chunk, then after 3, 17 and 33 committed chunks (of 40).
        for target in [0, 3, 17, 33] {
            let (p, _) = try start(["run", job.path, "--date", "2026-11-28", "--quiet"], delayMs: 40)
            if target == 0 { Thread.sleep(forTimeInterval: 0.05) } else { waitFor(chunks: target, in: db, process: p) }
            #expect(p.isRunning, "the run finished before the kill point \(target)")
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal)
            killedAfter.append(committedChunks(db))
            // Whole chunks only: the staged rows are exactly the committed chunks' rows, and none is visible.
            // Opened read-write, as the next run opens it: a kill during start-up can leave a hot
            // rollback journal (before the file is in WAL mode), which only a writer may roll back.
            if FileManager.default.fileExists(atPath: db),
               try !SQLiteDatabase(path: db).query("SELECT 1 FROM sqlite_master WHERE name = 'nightjar_lineage'").isEmpty {
                let database = try SQLiteDatabase(path: db)
                let staged = try Self.storedRows(database, state: "staged")
                let committed = try database.query("SELECT coalesce(sum(rows), 0) FROM nightjar_chunks")[0][0]
                #expect(String(staged) == committed)
                #expect(try database.query("SELECT count(*) FROM scores") == [["0"]])
            }
        }
        #expect(killedAfter == killedAfter.sorted(), "chunks never go backwards: \(killedAfter)")
        #expect(killedAfter.last! >= 33 && killedAfter.last! < 40)
        let (status, err) = try finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(err)")
        let resumed = try outputRows(db)
        #expect(resumed.count == 20_000)
        #expect(Set(resumed).count == 20_000, "no row twice")
        #expect(resumed == clean, "identical to an uninterrupted run, row by row")
        // One run, resumed after each kill (the kill during start-up may come before the run is recorded).
        let runs = try SQLiteDatabase(path: db, readOnly: true).query("SELECT status, attempt, rows_written FROM nightjar_runs")
        #expect(runs.count == 1)
        #expect(runs.first?[0] == "succeeded" && runs.first?[2] == "20000")
        #expect(["4", "5"].contains(runs.first?[1] ?? ""))
        #expect(try SQLiteDatabase(path: db, readOnly: true).query("SELECT count(DISTINCT run_id) FROM scores") == [["1"]])
        print("crash-resume: killed with SIGKILL after \(killedAfter) committed chunks of 40; resumed output identical to a clean run (20,000 rows)")
    }

    /// The date's visible rows and their run ids, through a connection of another process's kind (read-only).
    func visible(_ db: String) throws -> [String] {
        try SQLiteDatabase(path: db, readOnly: true).query("SELECT count(*), count(DISTINCT run_id), min(run_id) FROM scores")
            .map { $0.map { $0 ?? "NULL" }.joined(separator: ",") }
    }

    @Test(arguments: ["inside the publish transaction", "after the publish, before the old rows are deleted"])
    func killedDuringThePublishKeepsExactlyOneCopy(_ moment: String) throws {
        let job = try makeJob()
        let db = job.deletingLastPathComponent().appendingPathComponent("out.db").path
        let (status, err) = try finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(err)")
        let before = try visible(db)
        let oldRun = try SQLiteDatabase(path: db, readOnly: true).query("SELECT run_id FROM nightjar_runs")[0][0]!
        #expect(before == ["20000,1,\(oldRun)"])

        // A rerun of the date (a new run: --restart), killed while its publish pauses for 1.5 s twice.
        let (p, _) = try start(["run", job.path, "--date", "2026-11-28", "--quiet", "--restart"], publishDelayMs: 1500)
        let deadline = Date().addingTimeInterval(60)
        func published() -> Bool {
            (try? SQLiteDatabase(path: db, readOnly: true).query("SELECT count(*) FROM nightjar_publications WHERE run_id <> \(SQLiteString.literal(oldRun))"))?.first?[0] == "1"
        }
        // All 40 chunks committed: the run is in its publish transaction now; once the publication
        // shows, it is past the commit and waiting before deleting the old rows.
        while committedChunks(db) < 80 && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if moment.hasPrefix("after") {
            while !published() && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        } else {
            Thread.sleep(forTimeInterval: 0.3)
        }
        #expect(p.isRunning, "the run finished before the kill")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)

        // Readers see one whole copy: the old run's rows (killed before the commit) or the new run's.
        let afterKill = try visible(db)
        let newRun = try SQLiteDatabase(path: db, readOnly: true).query("SELECT run_id FROM nightjar_runs WHERE run_id <> \(SQLiteString.literal(oldRun))")[0][0]!
        #expect(afterKill == [moment.hasPrefix("after") ? "20000,1,\(newRun)" : "20000,1,\(oldRun)"])

        // The next run finishes the job: exactly one copy of every row, no leftovers in the file.
        let (code, e) = try finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(code == 0, "\(e)")
        let final = try visible(db)
        #expect(final == ["20000,1,\(newRun)"])
        let database = try SQLiteDatabase(path: db, readOnly: true)
        #expect(try Self.storedRows(database) == 20000, "no rows of another run left in the file")
        #expect(try database.query("SELECT count(*) FROM sqlite_master WHERE name LIKE 'nightjar_rows__scores__%'") == [["1"]])
        #expect(try database.query("SELECT count(DISTINCT customer_id) FROM scores") == [["20000"]])
        #expect(try database.query("SELECT status FROM nightjar_runs WHERE run_id = \(SQLiteString.literal(newRun))") == [["succeeded"]])
    }

    @Test func sigtermMarksTheRunInterruptedAndItResumes() throws {
        let job = try makeJob()
        let db = job.deletingLastPathComponent().appendingPathComponent("out.db").path
        let (p, err) = try start(["run", job.path, "--date", "2026-11-28"], delayMs: 40)
        waitFor(chunks: 4, in: db, process: p)
        kill(p.processIdentifier, SIGTERM)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 143)
        #expect(stderr.contains("error: run ") && stderr.contains("interrupted by SIGTERM"))
        let status = try SQLiteDatabase(path: db, readOnly: true).query("SELECT status FROM nightjar_runs")
        #expect(status == [["interrupted"]])
        #expect(try SQLiteDatabase(path: db, readOnly: true).query("SELECT count(*) FROM nightjar_locks") == [["0"]])
        let (code, e) = try finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(code == 0, "\(e)")
        #expect(try outputRows(db).count == 20_000)
    }

    @Test func aSecondProcessForTheSameDateIsRefusedOrWaits() throws {
        let job = try makeJob()
        let db = job.deletingLastPathComponent().appendingPathComponent("out.db").path
        let (first, _) = try start(["run", job.path, "--date", "2026-11-28", "--quiet"], delayMs: 20)
        waitFor(chunks: 1, in: db, process: first)
        let (status, stderr) = try finish(["run", job.path, "--date", "2026-11-28"])
        #expect(status == 75, "a lock held by another run is temporary")
        #expect(stderr.contains("is already running") && stderr.contains("--wait"))
        #expect(stderr.split(separator: "\n").count == 1)
        let (waitStatus, waitErr) = try finish(["run", job.path, "--date", "2026-11-28", "--wait", "--quiet"])
        #expect(waitStatus == 0, "\(waitErr)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let rows = try outputRows(db)
        #expect(rows.count == 20_000 && Set(rows).count == 20_000)
        let runs = try SQLiteDatabase(path: db, readOnly: true).query("SELECT status FROM nightjar_runs ORDER BY started_at")
        #expect(runs == [["succeeded"], ["succeeded"]])
    }

    @Test func runsListsAndShowsRunsAsTextAndJSON() throws {
        let job = try makeJob()
        let (s, e) = try finish(["run", job.path, "--date", "2026-11-27", "--quiet"])
        #expect(s == 0, "\(e)")
        let list = try CLITests().run(["runs", "--job", job.path])
        #expect(list.status == 0)
        #expect(list.stdout.contains("crash-test") && list.stdout.contains("2026-11-27") && list.stdout.contains("succeeded"))
        let json = try CLITests().run(["runs", "--job", job.path, "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        #expect(parsed.count == 1)
        let runID = parsed[0]["run_id"] as! String
        #expect(parsed[0]["rows_written"] as? Int == 20_000)
        let show = try CLITests().run(["runs", "show", runID, "--job", job.path])
        #expect(show.stdout.contains("chunks: 40"))
        #expect(show.stdout.contains("model sha256"))
        let showJSON = try CLITests().run(["runs", "show", runID, "--job", job.path, "--json"])
        let detail = try JSONSerialization.jsonObject(with: Data(showJSON.stdout.utf8)) as! [String: Any]
        #expect((detail["chunks"] as! [Any]).count == 40)
        let missing = try CLITests().run(["runs", "show", "nope", "--job", job.path])
        #expect(missing.status == 78 && missing.stderr.contains("no run nope"))
    }

    @Test func validateChecksWithoutScoring() throws {
        let r = try CLITests().run(["validate", "jobs/churn-nightly.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("is valid") && r.stdout.contains("next run"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-val-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let bad = dir.appendingPathComponent("bad.yaml")
        try "name: x\nmodel: m.json\nsource: { csv: in.csv }\nsink: { sqlite: { path: o.db } }\nextra: 1\n".write(to: bad, atomically: true, encoding: .utf8)
        let b = try CLITests().run(["validate", bad.path])
        #expect(b.status == 78)
        #expect(b.stderr.hasPrefix("error: \(bad.path):5: 'extra': unknown key (allowed here: name, description, model, "))
        #expect(b.stderr.hasSuffix(", rollback, promote_when, rollback_when, explain, duplicate_keys)\n") && b.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.db").path))
    }

    @Test func timeoutFailsTheRunAndKeepsItsChunks() throws {
        let job = try makeJob()
        try (try String(contentsOf: job, encoding: .utf8) + "\ntimeout: 1s\n").write(to: job, atomically: true, encoding: .utf8)
        let (p, err) = try start(["run", job.path, "--date", "2026-11-28"], delayMs: 100)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 75, "a timeout is temporary: a retry resumes")
        #expect(stderr.contains("timed out after 1 s"))
        let db = job.deletingLastPathComponent().appendingPathComponent("out.db").path
        let run = try SQLiteDatabase(path: db, readOnly: true).query("SELECT status, chunks > 0 FROM nightjar_runs")
        #expect(run == [["failed", "1"]])
    }

    @Test func backfillDryRunAndSkips() throws {
        let root = Self.root.path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-bf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let yaml = """
            name: bf
            model: \(root)/fixtures/churn/churn_lgbm.txt
            source: { csv: "\(root)/fixtures/churn/daily/{{ ds }}/customers.csv" }
            key: customer_id
            sink: { sqlite: { path: out.db, table: daily } }
            """
        let job = dir.appendingPathComponent("bf.yaml")
        try yaml.write(to: job, atomically: true, encoding: .utf8)
        let first = try CLITests().run(["backfill", job.path, "--from", "2026-11-01", "--to", "2026-11-03", "--parallel", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("3 succeeded, 0 failed, 0 skipped"))
        let dry = try CLITests().run(["backfill", job.path, "--from", "2026-11-02", "--to", "2026-11-05", "--dry-run"])
        #expect(dry.stdout.contains("would run bf for 2026-11-04") && dry.stdout.contains("skip bf for 2026-11-02"))
        #expect(dry.stdout.contains("2 to run, 2 skipped"))
        let partial = try CLITests().run(["backfill", job.path, "--from", "2026-11-02", "--to", "2026-11-09"])
        #expect(partial.status == 75, "2026-11-08 and -09 have no input (yet): temporary")
        #expect(partial.stdout.contains("4 succeeded, 2 failed, 2 skipped"))
        #expect(partial.stderr.contains("2026-11-08") && partial.stderr.contains("does not exist"))
        let counts = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
            .query("SELECT count(DISTINCT logical_date), count(*) FROM daily")
        #expect(counts == [["7", "1540"]])
    }
}

/// `--shard i/n`: four processes at once give exactly the rows of one unsharded run, none twice.
@Suite(.serialized) struct ShardedRunTests {
    let runner = RunCommandTests()

    func runShards(_ job: URL, count: Int) throws {
        var processes: [(Process, Pipe)] = []
        for i in 1...count {
            processes.append(try runner.start(["run", job.path, "--date", "2026-11-28", "--shard", "\(i)/\(count)", "--quiet"], delayMs: 5))
        }
        for (p, err) in processes {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(text)")
        }
    }

    @Test func fourShardsOfOneFileEqualOneRun() throws {
        let job = try runner.makeJob()
        let dir = job.deletingLastPathComponent()
        let clean = dir.appendingPathComponent("clean.yaml")
        try (try String(contentsOf: job, encoding: .utf8)).replacingOccurrences(of: "path: out.db", with: "path: clean.db")
            .write(to: clean, atomically: true, encoding: .utf8)
        let (s, e) = try runner.finish(["run", clean.path, "--date", "2026-11-28", "--quiet"])
        #expect(s == 0, "\(e)")
        try runShards(job, count: 4)
        let db = dir.appendingPathComponent("out.db").path
        let sharded = try runner.outputRows(db)
        #expect(sharded.count == 20_000 && Set(sharded).count == 20_000)
        #expect(sharded == (try runner.outputRows(dir.appendingPathComponent("clean.db").path)))
        let database = try SQLiteDatabase(path: db, readOnly: true)
        #expect(try database.query("SELECT status, rows_written FROM nightjar_runs") == [["succeeded", "20000"]])
        let shards = try database.query("SELECT shard, status FROM nightjar_shards ORDER BY shard")
        #expect(shards == [["1", "succeeded"], ["2", "succeeded"], ["3", "succeeded"], ["4", "succeeded"]])
        #expect(try database.query("SELECT count(DISTINCT run_id) FROM scores") == [["1"]])
        // Each shard scored a share, not everything.
        let perShard = try database.query("SELECT shard, sum(rows) FROM nightjar_chunks GROUP BY shard ORDER BY shard").map { Int($0[1]!)! }
        #expect(perShard.count == 4 && perShard.reduce(0, +) == 20_000 && perShard.allSatisfy { $0 > 3_000 && $0 < 7_000 })
        let runID = try database.query("SELECT run_id FROM nightjar_runs")[0][0]!
        let show = try CLITests().run(["runs", "show", runID, "--job", job.path])
        #expect(show.stdout.contains("shards: 4 of 4 finished"), "\(show.stdout)")
    }

    @Test func shardsOfSeveralFilesAndAShardRunTwice() throws {
        let job = try runner.makeJob()
        let dir = job.deletingLastPathComponent()
        // Split the input into 6 files; the job reads them through a glob.
        let text = try String(contentsOf: dir.appendingPathComponent("in.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("parts"), withIntermediateDirectories: true)
        for k in 0..<6 {
            let part = stride(from: k, to: lines.count, by: 6).map { lines[$0] }
            try ([header] + part).joined(separator: "\n").appending("\n").write(to: dir.appendingPathComponent("parts/p\(k).csv"), atomically: true, encoding: .utf8)
        }
        try (try String(contentsOf: job, encoding: .utf8)).replacingOccurrences(of: "source: { csv: in.csv }", with: "source: { csv: \"parts/*.csv\" }")
            .write(to: job, atomically: true, encoding: .utf8)
        try runShards(job, count: 4)
        let rows = try runner.outputRows(dir.appendingPathComponent("out.db").path)
        #expect(rows.count == 20_000 && Set(rows).count == 20_000)
        // A shard started again after the run succeeded begins a new run of the date; the published
        // rows stay as they are until all of its shards have finished.
        let (s, e) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--shard", "3/4", "--quiet"])
        #expect(s == 0, "\(e)")
        #expect(try runner.outputRows(dir.appendingPathComponent("out.db").path) == rows)
        let runs = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
            .query("SELECT status FROM nightjar_runs ORDER BY started_at")
        #expect(runs == [["succeeded"], ["running"]])
    }
}
