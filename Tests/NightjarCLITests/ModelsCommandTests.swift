import Foundation
import Testing
import NightjarIO

/// `nightjar bundle` and `nightjar models` as real processes, and an alias moved while a run is in flight.
@Suite(.serialized) struct ModelsCommandTests {
    let cli = CLITests()
    let runs = RunCommandTests()

    /// A registry with churn@1 (XGBoost) and churn@2 (LightGBM), and a job on churn@champion over
    /// a 2,000-row input in chunks of 100.
    /// Bundles churn@1 (XGBoost) and churn@2 (LightGBM) and writes a job on churn@champion, with
    /// `jobExtras` (YAML lines) appended.
    func makeRegistry(jobExtras: String = "") throws -> (dir: URL, job: String) {
        let dir = cli.temporaryDirectory()
        let f = CLITests.root.appendingPathComponent("fixtures/churn").path
        for (version, model, expected) in [("1", "churn_xgb.json", "churn_xgb.expected.csv"), ("2", "churn_lgbm.txt", "churn_lgbm.expected.csv")] {
            let r = try cli.run(["bundle", "create", "--model", "\(f)/\(model)", "--name", "churn", "--version", version,
                                 "--registry", dir.appendingPathComponent("models").path, "--train-sample", "\(f)/train_sample.csv",
                                 "--expected", "\(f)/\(expected)", "--golden-input", "\(f)/score_input.csv", "--golden-rows", "100"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("golden rows: 1000 re-scored"))
        }
        let source = try String(contentsOfFile: "\(f)/score_input.csv", encoding: .utf8)
        var lines = source.split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        let body = (0..<2).flatMap { copy in lines.map { "K\(copy)-" + $0 } }
        try ([header] + body).joined(separator: "\n").appending("\n").write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: alias-test
            model: churn@champion
            registry: models
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: 100
            sink: { sqlite: { path: out.db, table: scores } }
            """ + (jobExtras.isEmpty ? "" : "\n" + jobExtras)
        let job = dir.appendingPathComponent("job.yaml")
        try yaml.write(to: job, atomically: true, encoding: .utf8)
        return (dir, job.path)
    }

    func versions(_ dir: URL, date: String) throws -> [String: Int] {
        let rows = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
            .query("SELECT model_version, count(*) FROM scores WHERE logical_date = '\(date)' GROUP BY model_version")
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0]!, Int($0[1]!)!) })
    }

    @Test func anAliasMovedDuringARunDoesNotChangeIt() throws {
        let (dir, job) = try makeRegistry()
        // No alias yet: the run says how to set one.
        let unset = try cli.run(["run", job, "--date", "2026-11-01", "--quiet"])
        #expect(unset.status == 78)
        #expect(unset.stderr.contains("nightjar models promote churn VERSION --alias champion"))
        #expect(try cli.run(["models", "promote", "churn", "1", "--job", job]).status == 0)
        // Promoting the version the alias already names is a no-op success.
        let again = try cli.run(["models", "promote", "churn", "1", "--job", job])
        #expect(again.status == 0 && again.stdout.contains("already points at 1; nothing to do"), "\(again.stderr)")

        // A slow run on version 1; version 2 is promoted after a few chunks.
        let (process, err) = try runs.start(["run", job, "--date", "2026-11-02", "--quiet"], delayMs: 60)
        runs.waitFor(chunks: 3, in: dir.appendingPathComponent("out.db").path, process: process)
        #expect(process.isRunning)
        let promoted = try cli.run(["models", "promote", "churn", "2", "--job", job, "--reason", "better AUC"])
        #expect(promoted.status == 0, "\(promoted.stderr)")
        #expect(promoted.stdout.contains("churn@champion → 2 (was 1)"))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        #expect(try versions(dir, date: "2026-11-02") == ["1": 2000])

        // The next run takes the new champion; a rollback returns the one before.
        #expect(try cli.run(["run", job, "--date", "2026-11-03", "--quiet"]).status == 0)
        #expect(try versions(dir, date: "2026-11-03") == ["2": 2000])
        let back = try cli.run(["models", "rollback", "churn", "--job", job, "--reason", "complaints"])
        #expect(back.stdout.contains("churn@champion → 1 (rolled back from 2)"), "\(back.stderr)")
        #expect(try cli.run(["run", job, "--date", "2026-11-04", "--quiet"]).status == 0)
        #expect(try versions(dir, date: "2026-11-04") == ["1": 2000])

        let list = try cli.run(["models", "list", "--job", job])
        #expect(list.stdout.contains("churn@1  xgboost-json") && list.stdout.contains("← champion"))
        let history = try cli.run(["models", "history", "churn", "--job", job])
        #expect(history.stdout.split(separator: "\n").count == 3)
        #expect(history.stdout.contains("rollback  churn@champion → 1 (was 2)  complaints"))
        let runsList = try cli.run(["runs", "--job", job])
        #expect(runsList.stdout.contains("churn@1") && runsList.stdout.contains("churn@2"))
    }

    @Test func shadowAndSplitRowsSurviveAKillExactlyOnce() throws {
        let (dir, job) = try makeRegistry(jobExtras: "challengers: [churn@2]\nsplit: { challenger: churn@2, share: 0.25 }\n")
        #expect(try cli.run(["models", "promote", "churn", "1", "--job", job]).status == 0)
        let clean = try cli.run(["run", job, "--date", "2026-11-01", "--quiet"])
        #expect(clean.status == 0, "\(clean.stderr)")

        let db = dir.appendingPathComponent("out.db").path
        let (process, _) = try runs.start(["run", job, "--date", "2026-11-02", "--quiet"], delayMs: 80)
        runs.waitFor(chunks: 20 + 5, in: db, process: process)  // the clean run's 20 chunks are in the table too
        #expect(process.isRunning, "the run ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let partial = try SQLiteDatabase(path: db, readOnly: true).query("SELECT count(*) FROM nightjar_chunks")[0][0].flatMap { Int($0) } ?? 0
        #expect(partial > 20 && partial < 40, "\(partial - 20) chunks of 20 committed when killed")
        let resumed = try cli.run(["run", job, "--date", "2026-11-02", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")

        let sqlite = try SQLiteDatabase(path: db, readOnly: true)
        for table in ["scores", "scores_shadow"] {
            let rows = { (date: String) in
                try sqlite.query("SELECT customer_id, probability, label, model_version FROM \(table) WHERE logical_date = '\(date)' ORDER BY customer_id")
            }
            let a = try rows("2026-11-01"), b = try rows("2026-11-02")
            #expect(a.count == 2000 && a == b, "\(table): \(a.count) rows clean, \(b.count) after the kill")
        }
        let comparisons = try sqlite.query("SELECT c.logical_date, c.rows, c.flip_rate FROM nightjar_shadow_comparisons c JOIN nightjar_runs r USING (run_id) ORDER BY 1")
        #expect(comparisons.count == 2 && comparisons[0][1] == "2000" && comparisons[0][1...] == comparisons[1][1...])
    }

    @Test func canaryPromotionFromTheCommandLine() throws {
        let (dir, job) = try makeRegistry(jobExtras: "challengers: [churn@2]\n")
        #expect(try cli.run(["models", "promote", "churn", "1", "--job", job]).status == 0)
        for date in ["2026-11-01", "2026-11-02"] { #expect(try cli.run(["run", job, "--date", date, "--quiet"]).status == 0) }
        let show = try cli.run(["runs", "show", try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
                                    .query("SELECT run_id FROM nightjar_runs LIMIT 1")[0][0]!, "--job", job])
        #expect(show.stdout.contains("shadow challengers against the champion (churn@1):") && show.stdout.contains("churn@2"))

        let unbounded = try cli.run(["models", "promote", "churn", "2", "--job", job, "--max-flip-rate", "0.05"])
        #expect(unbounded.status != 0 && unbounded.stderr.contains("--after-shadow-runs"))
        let few = try cli.run(["models", "promote", "churn", "2", "--job", job, "--after-shadow-runs", "3", "--max-flip-rate", "0.05"])
        #expect(few.status == 3 && few.stderr.contains("has 2 succeeded shadow run(s), 3 needed"), "\(few.stderr)")
        let strict = try cli.run(["models", "promote", "churn", "2", "--job", job, "--after-shadow-runs", "2", "--max-flip-rate", "0.02"])
        #expect(strict.status == 3 && strict.stderr.contains("flip rate 0.0410 > --max-flip-rate 0.02"), "\(strict.stderr)")
        let ok = try cli.run(["models", "promote", "churn", "2", "--job", job, "--after-shadow-runs", "2", "--max-flip-rate", "0.05"])
        #expect(ok.status == 0 && ok.stdout.contains("churn@champion → 2 (was 1)"), "\(ok.stderr)")
        #expect(try cli.run(["models", "history", "churn", "--job", job]).stdout.contains("canary: 2 shadow runs within bounds"))
    }

    @Test func bundleCreateRefusesAndPrintsTheWorstRows() throws {
        let f = CLITests.root.appendingPathComponent("fixtures/churn").path
        let dir = cli.temporaryDirectory()
        // ONNX Runtime's float32 thresholds cannot reproduce scikit-learn's own probabilities.
        let r = try cli.run(["bundle", "create", "--model", "\(f)/churn_rf.onnx", "--name", "rf", "--version", "1",
                             "--registry", dir.path, "--train-sample", "\(f)/train_sample.csv",
                             "--expected", "\(f)/churn_rf.expected.csv", "--golden-input", "\(f)/score_input.csv"])
        #expect(r.status == 78)
        #expect(r.stderr.hasPrefix("error: bundle refused: "))
        #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("  key C1") }.count == 10)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("rf/1").path))
        // Against ONNX Runtime's own column it is created, and verifies.
        let ok = try cli.run(["bundle", "create", "--model", "\(f)/churn_rf.onnx", "--name", "rf", "--version", "1",
                              "--registry", dir.path, "--train-sample", "\(f)/train_sample.csv",
                              "--expected", "\(f)/churn_rf.expected.csv", "--golden-input", "\(f)/score_input.csv",
                              "--expected-column", "probability=onnxruntime_probability"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let verify = try cli.run(["bundle", "verify", dir.appendingPathComponent("rf/1").path])
        #expect(verify.status == 0 && verify.stdout.contains("1000 golden rows agree"), "\(verify.stderr)")
    }

    @Test func theRepositoryBundlesVerifyAndTheNightlyJobValidates() throws {
        for v in ["1", "2"] {
            let r = try cli.run(["bundle", "verify", "models/churn/\(v)"])
            #expect(r.status == 0, "\(r.stderr)")
        }
    }
}
