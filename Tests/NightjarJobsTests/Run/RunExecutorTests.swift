import Foundation
import Testing
import NightjarIO
import Logging
@testable import NightjarJobs

@Suite struct RunExecutorTests {
    /// A job in a fresh directory over a copy of the churn input.
    func makeJob(sink: String = "sqlite: { path: out.db, table: scores }", mode: String = "replace_partition",
                 input: String? = nil, extra: String = "", model: String = "churn/churn_lgbm.txt", chunkRows: Int = 128) throws -> (JobSpec, URL) {
        let dir = temporaryDirectory()
        let text = try input ?? String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
        try text.write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: churn-test
            model: \(fixture(model))
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: \(chunkRows)
            sink: { \(sink) }
            write_mode: \(mode)
            \(extra)
            """
        let path = dir.appendingPathComponent("job.yaml")
        try yaml.write(to: path, atomically: true, encoding: .utf8)
        return (try JobSpec.load(path: path.path), dir)
    }

    func rows(_ db: String, _ sql: String) throws -> [[String?]] {
        try SQLiteDatabase(path: db, readOnly: true).query(sql)
    }

    @Test func replacePartitionIsIdempotent() throws {
        let (job, dir) = try makeJob()
        let db = dir.appendingPathComponent("out.db").path
        let date = LogicalDate("2026-11-28")!
        let first = try RunExecutor(job: job).run(RunOptions(date: date))
        let second = try RunExecutor(job: job).run(RunOptions(date: date))
        #expect(first.runID != second.runID)
        #expect(second.rowsWritten == 1000 && second.chunks == 8 && second.status == .succeeded)
        #expect(try rows(db, "SELECT count(*), count(DISTINCT customer_id), min(run_id), max(run_id) FROM scores")
                == [["1000", "1000", second.runID, second.runID]])
        // Another date is its own partition.
        _ = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-29")!))
        #expect(try rows(db, "SELECT logical_date, count(*) FROM scores GROUP BY 1") == [["2026-11-28", "1000"], ["2026-11-29", "1000"]])
        // Every row carries the model's identity.
        let sha = try RunExecutor.sha256(ofFile: fixture("churn/churn_lgbm.txt"))
        #expect(try rows(db, "SELECT DISTINCT model_name, model_version, model_sha256 FROM scores")
                == [["churn_lgbm", "sha256:\(sha.prefix(12))", sha]])
        // Nothing staged or retired left behind: the rows table holds exactly the visible rows.
        #expect(try rows(db, "SELECT state, count(*) FROM nightjar_lineage GROUP BY 1") == [["published", "2"]])
        #expect(try SQLiteDestinationTests.storedRows(db) == 2000)
        let store = try SQLiteRunStore(path: db)
        #expect(try store.recentRuns(job: nil, limit: 10).count == 3)
        #expect(try store.chunks(runID: second.runID).map(\.rows).reduce(0, +) == 1000)
    }

    /// A key named like an output or lineage column is refused before anything is written, by validate too.
    @Test(arguments: ["logical_date", "run_id", "probability"])
    func aKeyNamedLikeAnOutputColumnIsRefused(_ name: String) throws {
        let text = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
            .replacingOccurrences(of: "customer_id,", with: "\(name),")
        let (job0, dir) = try makeJob(input: text)
        let yaml = try String(contentsOf: dir.appendingPathComponent("job.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "key: customer_id", with: "key: \(name)")
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        #expect { try JobValidator.validate(path: job0.file, date: LogicalDate("2026-11-28")!) } throws: {
            "\($0)".contains("the key column '\(name)'") && "\($0)".contains("job.yaml") && "\($0)".contains("'key'")
        }
        let db = dir.appendingPathComponent("out.db").path
        if name != "probability" {
            // A lineage column: refused by the job file's parser, with its line, before any store is opened.
            #expect { try JobSpec.load(path: job0.file) } throws: {
                "\($0)".contains("job.yaml:4: 'key': the key column '\(name)' has the name of an output column")
            }
            #expect(!FileManager.default.fileExists(atPath: db))
            return
        }
        let job = try JobSpec.load(path: job0.file)
        #expect { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: {
            "\($0)".contains("the key column '\(name)' has the name of an output column") && "\($0)".contains("job.yaml")
        }
        // Refused before a run is recorded or an output table made.
        #expect(try rows(db, "SELECT count(*) FROM nightjar_runs") == [["0"]])
        #expect(try rows(db, "SELECT count(*) FROM sqlite_master WHERE name = 'scores'") == [["0"]])
    }

    /// A key that is not valid UTF-8, or holds a NUL byte, is one clear error naming file, line and column.
    @Test(arguments: [([UInt8(0xFF), 0xFE], "is not valid UTF-8"), ([UInt8(ascii: "C"), 0x00, UInt8(ascii: "7")], "holds a NUL byte")])
    func anUnreadableKeyIsRefused(_ bytes: [UInt8], _ problem: String) throws {
        let (job, dir) = try makeJob()
        let path = dir.appendingPathComponent("in.csv")
        var data = try Data(contentsOf: path)
        // The key of data line 3 (file line 4) replaced by the bytes.
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var line = Array(lines[3])
        let comma = line.firstIndex(of: UInt8(ascii: ","))!
        line.replaceSubrange(0..<comma, with: bytes)
        data = Data(lines.enumerated().map { $0.offset == 3 ? line : Array($0.element) }.joined(separator: [UInt8(ascii: "\n")]))
        try data.write(to: path)
        #expect { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: { error in
            let s = "\(error)"
            return s.contains("in.csv") && s.contains("line 4") && s.contains("customer_id") && s.contains(problem)
        }
    }

    @Test func aHeaderNamingAColumnTwiceIsRefused() throws {
        let text = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
            .replacingOccurrences(of: "customer_id,age,", with: "customer_id,age,", options: .anchored)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[0] = lines[0].replacingOccurrences(of: ",income,", with: ",age,")
        let (job, _) = try makeJob(input: lines.joined(separator: "\n"))
        #expect { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: { error in
            "\(error)".contains("line 1") && "\(error)".contains("the header names this column twice (also column 2)")
        }
    }

    @Test func appendModeAddsRows() throws {
        let (job, dir) = try makeJob(mode: "append")
        let date = LogicalDate("2026-11-28")!
        try RunExecutor(job: job).run(RunOptions(date: date))
        try RunExecutor(job: job).run(RunOptions(date: date))
        #expect(try rows(dir.appendingPathComponent("out.db").path, "SELECT count(*), count(DISTINCT run_id) FROM scores") == [["2000", "2"]])
    }

    /// A run that fails mid-way keeps its committed chunks; the next run resumes from them and the
    /// result equals an uninterrupted run, row for row.
    @Test(arguments: ["sqlite: { path: out.db, table: scores }", "csv: { path: \"out/{{ ds }}.csv\" }", "csv: { path: \"out/{{ ds }}.csv.lz4\" }"])
    func resumesAfterAFailureWithIdenticalRows(_ sink: String) throws {
        let clean = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
        var lines = clean.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[700].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let original = fields[1]
        fields[1] = String(repeating: "x", count: original.count)  // same length: byte offsets stay valid
        lines[700] = fields.joined(separator: ",")
        let (job, dir) = try makeJob(sink: sink, input: lines.joined(separator: "\n"))
        let date = LogicalDate("2026-11-28")!
        #expect { try RunExecutor(job: job).run(RunOptions(date: date)) } throws: { "\($0)".contains("line 701") }
        let store = try SQLiteRunStore(path: job.state)
        let failed = try #require(try store.latestRun(job: job.name, date: "2026-11-28"))
        #expect(failed.status == .failed)
        #expect(failed.chunks == 5)  // rows 1–640 committed, the chunk holding line 701 rolled back
        // The data is fixed upstream (a while later); the same run resumes.
        Thread.sleep(forTimeInterval: 1.5)
        try clean.write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let resumed = try RunExecutor(job: job).run(RunOptions(date: date))
        #expect(resumed.runID == failed.runID)
        // The run reports the time its two attempts worked, not the downtime in between.
        let wall = Timestamp.parse(resumed.endedAt!)!.timeIntervalSince(Timestamp.parse(resumed.startedAt)!)
        let active = try #require(resumed.activeSeconds)
        #expect(active > 0 && active < wall - 1.0, "active \(active) s of \(wall) s wall")
        #expect(active >= failed.activeSeconds!)
        #expect(RunReport.duration(resumed) == active)
        #expect(resumed.attempt == 2)
        #expect(resumed.rowsWritten == 1000)
        let chunks = try store.chunks(runID: resumed.runID)
        #expect(chunks.map(\.chunk) == Array(0..<8))
        // Compare with a clean run of another job writing elsewhere.
        let (cleanJob, _) = try makeJob(sink: sink)
        try RunExecutor(job: cleanJob).run(RunOptions(date: date))
        #expect(try outputRows(job, date: date) == outputRows(cleanJob, date: date))
    }

    /// Key, predictions and date of every output row, in order (run ids differ between runs).
    func outputRows(_ job: JobSpec, date: LogicalDate) throws -> [String] {
        switch job.sink {
        case .sqlite(let path, let table):
            return try rows(path, "SELECT customer_id, probability, label, logical_date FROM \(table) ORDER BY rowid").map {
                $0.map { $0 ?? "NULL" }.joined(separator: ",")
            }
        case .csv(let pattern):
            let path = DateTemplate.render(pattern, date: date)
            let columns = try readColumns(path)
            return (0..<columns["customer_id"]!.count).map { i in
                ["customer_id", "probability", "label", "logical_date"].map { columns[$0]![i] }.joined(separator: ",")
            }
        case .postgres:
            return []
        }
    }

    @Test func aSecondProcessIsRefusedWhileTheLockIsHeld() throws {
        let (job, _) = try makeJob()
        // Another live process holds the lock: a child that sleeps.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sleep")
        holder.arguments = ["30"]
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        let store = try SQLiteRunStore(path: job.state)
        let db = try SQLiteDatabase(path: job.state)
        try db.execute("INSERT INTO nightjar_locks (job, logical_date, run_id, host, pid, acquired_at) VALUES ('churn-test', '2026-11-28', 'other-run', '\(ProcessInfo.processInfo.hostName)', \(holder.processIdentifier), '2026-11-28T00:00:00Z')")
        #expect { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: { error in
            let s = "\(error)"
            return s.contains("already running") && s.contains("other-run") && s.contains("--wait")
        }
        // Another date is not blocked.
        #expect(try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-29")!)).status == .succeeded)
        // A lock left by a dead process is taken over.
        kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit()
        #expect(try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)).status == .succeeded)
        #expect(try store.tryLock(job: "churn-test", date: "2026-11-28", runID: "x") == nil)
    }

    @Test func backfillSkipsDatesThatSucceeded() throws {
        let (job, _) = try makeJob()
        try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-02")!))
        let backfill = Backfill(job: job, from: LogicalDate("2026-11-01")!, to: LogicalDate("2026-11-04")!, parallel: 2)
        let plan = try backfill.plan()
        #expect(plan.toRun.map(\.description) == ["2026-11-01", "2026-11-03", "2026-11-04"])
        #expect(plan.skipped.map(\.description) == ["2026-11-02"])
        let results = Calls()
        try backfill.run(logger: .init(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }), cancellation: Cancellation()) { date, result in
            if case .success(let r) = result, r.trigger == .backfill { _ = results.add(r.job, date.description, r.trigger) }
        }
        #expect(Set(results.all.map(\.1)) == ["2026-11-01", "2026-11-03", "2026-11-04"])
        #expect(try backfill.plan().toRun.isEmpty)
        var rerun = backfill
        rerun.rerun = true
        #expect(try rerun.plan().toRun.count == 4)
    }

    @Test func outputsAndErrorsNameTheJob() throws {
        let (job, _) = try makeJob(extra: "outputs: [probability, margin]")
        try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        let names = try rows(job.state, "SELECT name FROM pragma_table_info('scores')").compactMap { $0[0] }
        #expect(names == ["customer_id", "probability", "margin", "logical_date", "run_id", "model_name", "model_version", "model_sha256"])
        let (bad, _) = try makeJob(extra: "outputs: [score]")
        #expect { try RunExecutor(job: bad).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: {
            "\($0)".contains("'outputs': 'score' is not an output of this model")
        }
        let (missing, _) = try makeJob(input: "customer_id,age\nC1,3\n")
        #expect { try RunExecutor(job: missing).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: {
            "\($0)".contains("in.csv: line 1") && "\($0)".contains("'income'")
        }
    }

    /// Several input files through a glob, in name order; a failure in the second file resumes there.
    @Test func globOfFilesResumesInTheRightFile() throws {
        let dir = temporaryDirectory()
        let text = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("2026-11-28"), withIntermediateDirectories: true)
        // Part b has its columns in another order.
        let a = ([header] + lines[0..<600]).joined(separator: "\n") + "\n"
        let names = header.split(separator: ",").map(String.init)
        let reordered = names.reversed().joined(separator: ",")
        var bLines = [reordered]
        for line in lines[600...] { bLines.append(line.split(separator: ",", omittingEmptySubsequences: false).reversed().joined(separator: ",")) }
        var broken = bLines
        broken[250] = broken[250].replacingOccurrences(of: ",C", with: ",C", options: [], range: nil)
        var fields = broken[250].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let age = names.count - 1 - names.firstIndex(of: "age")!
        fields[age] = String(repeating: "?", count: fields[age].count)
        broken[250] = fields.joined(separator: ",")
        try a.write(to: dir.appendingPathComponent("2026-11-28/part-a.csv"), atomically: true, encoding: .utf8)
        try (broken.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("2026-11-28/part-b.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: glob-test
            model: \(fixture("churn/churn_xgb.json"))
            source: { csv: "{{ ds }}/part-*.csv" }
            key: customer_id
            chunk_rows: 100
            sink: { sqlite: { path: out.db, table: scores } }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let job = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        let date = LogicalDate("2026-11-28")!
        #expect { try RunExecutor(job: job).run(RunOptions(date: date)) } throws: { error in
            "\(error)".contains("part-b.csv: line 251") && "\(error)".contains("('age')")
        }
        let store = try SQLiteRunStore(path: job.state)
        let failed = try #require(try store.latestRun(job: "glob-test", date: "2026-11-28"))
        let chunks = try store.chunks(runID: failed.runID)
        #expect(chunks.map(\.fileIndex) == [0, 0, 0, 0, 0, 0, 1, 1])
        try (bLines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("2026-11-28/part-b.csv"), atomically: true, encoding: .utf8)
        let done = try RunExecutor(job: job).run(RunOptions(date: date))
        #expect(done.runID == failed.runID && done.rowsWritten == 1000)
        let out = try rows(job.state, "SELECT customer_id, probability FROM scores ORDER BY customer_id")
        #expect(out.count == 1000 && Set(out.map { $0[0]! }).count == 1000)
        // Same predictions as scoring the original file in one piece.
        let single = dir.appendingPathComponent("single.csv").path
        _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_xgb.json"), inputPath: fixture("churn/score_input.csv"),
                                             outputPath: single, keys: ["customer_id"]))
        let expected = try readColumns(single)
        var byKey: [String: Double] = [:]
        for (k, p) in zip(expected["customer_id"]!, expected["probability"]!) { byKey[k] = Double(p)! }
        for row in out { #expect(Float(Double(row[1]!)!) == Float(byKey[row[0]!]!)) }
    }

    @Test func missingInputForTheDateIsAClearError() throws {
        let (job, _) = try makeJob()
        var templated = job
        templated.source = .csv(pattern: job.file.replacingOccurrences(of: "job.yaml", with: "{{ ds }}/in.csv"))
        #expect { try RunExecutor(job: templated).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: {
            "\($0)".contains("2026-11-28/in.csv for 2026-11-28 does not exist")
        }
    }

    /// A job names the ordered columns of a one-tensor ONNX graph with `features:`.
    @Test func jobFeaturesBindAnONNXTensorInput() throws {
        let dir = temporaryDirectory()
        let yaml = """
            name: onnx-job
            model: \(fixture("onnx/onnx_xgb.onnx"))
            features: [age, income, tenure_months, balance, num_products, last_login_days, has_card]
            source: { csv: \(fixture("churn/score_input.csv")) }
            key: customer_id
            sink: { sqlite: { path: out.db, table: scores } }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let job = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        let record = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(record.rowsWritten == 1000)
        let expected = try readColumns(fixture("onnx/onnx_xgb.expected.csv"))
        let got = try rows(job.state, "SELECT probability FROM scores ORDER BY rowid").map { Float(Double($0[0]!)!) }
        #expect(got == expected["onnxruntime_probability"]!.map { Float($0)! })
        var unbound = job
        unbound.features = nil
        #expect { try RunExecutor(job: unbound).run(RunOptions(date: LogicalDate("2026-11-29")!)) } throws: { "\($0)".contains("features") }
    }
}
