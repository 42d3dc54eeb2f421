import Foundation
import NightjarIO
import Testing

/// The exit status contract (`nightjar --help`, README "Exit codes"), each status caused for real,
/// and `nightjar run` retrying temporary failures as the job's `retries:` says.
@Suite struct ExitStatusTests {
    let cli = CLITests()
    static let root = CLITests.root

    /// A job scoring the churn fixture with bundle churn@1 of the committed registry; `extra` is
    /// appended to the job file.
    func job(_ extra: String = "", input: String? = nil) throws -> URL {
        let dir = cli.temporaryDirectory()
        let source = input ?? Self.root.appendingPathComponent("fixtures/churn/score_input.csv").path
        let yaml = """
            name: exit-test
            model: churn@1
            registry: \(Self.root.appendingPathComponent("models").path)
            source: { csv: "\(source)" }
            key: customer_id
            chunk_rows: 100
            sink: { sqlite: { path: out.db, table: scores } }
            \(extra)
            """
        let file = dir.appendingPathComponent("job.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func helpListsTheExitStatuses() throws {
        let r = try cli.run(["--help"])
        #expect(r.status == 0)
        for line in ["0    success", "3    quality gate failed", "64   command-line usage error", "65   input or contract error",
                     "70   internal error", "75   temporary failure", "78   job or configuration error", "128+N"] {
            #expect(r.stdout.contains(line), "\(line)")
        }
    }

    @Test func successIs0() throws {
        let r = try cli.run(["run", try job().path, "--date", "2026-11-28", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func aDriftGateIs3AndPublishesNothing() throws {
        let file = try job("drift: { warn: 0, fail: 0 }")
        let r = try cli.run(["run", file.path, "--date", "2026-11-28", "--quiet"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("failed on drift") && r.stderr.contains("not published"))
        let db = file.deletingLastPathComponent().appendingPathComponent("out.db").path
        #expect(try SQLiteDatabase(path: db, readOnly: true).query("SELECT count(*) FROM scores").first?[0] == "0")
    }

    @Test func aBadOptionIs64() throws {
        let r = try cli.run(["run", try job().path, "--shard", "nine"])
        #expect(r.status == 64, "\(r.stderr)")
    }

    @Test func rowsThatBreakTheContractAre65() throws {
        let dir = cli.temporaryDirectory()
        let input = dir.appendingPathComponent("in.csv")
        try "customer_id,age\nC1,40\n".write(to: input, atomically: true, encoding: .utf8)
        let r = try cli.run(["run", try job(input: input.path).path, "--date", "2026-11-28", "--quiet"])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("in.csv"))
    }

    /// What Nightjar does not expect is internal (70): here a lineage table that someone replaced
    /// with a view, so the run's first write fails in a way no kind describes.
    @Test func anUnexpectedFailureIs70() throws {
        let file = try job()
        let db = file.deletingLastPathComponent().appendingPathComponent("out.db").path
        try SQLiteDatabase(path: db).execute("CREATE VIEW nightjar_lineage AS SELECT 1 AS id")
        let r = try cli.run(["run", file.path, "--date", "2026-11-28", "--quiet"])
        #expect(r.status == 70, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func aMissingInputIs75WithoutRetries() throws {
        let dir = cli.temporaryDirectory()
        let file = try job("retries: { count: 3, backoff: 30s }", input: dir.appendingPathComponent("later.csv").path)
        let started = Date()
        let r = try cli.run(["run", file.path, "--date", "2026-11-28", "--quiet", "--no-retries"])
        #expect(r.status == 75, "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 20, "--no-retries does not wait for the back-off")
        #expect(r.stderr.contains("later.csv") && r.stderr.contains("does not exist"))
    }

    @Test func aBadJobFileIs78() throws {
        let file = try job("schedule: { cron: \"61 * * * *\" }")
        let r = try cli.run(["run", file.path, "--date", "2026-11-28"])
        #expect(r.status == 78, "\(r.stderr)")
        let missing = try job().deletingLastPathComponent().appendingPathComponent("nope.yaml")
        #expect(try cli.run(["run", missing.path]).status == 78)
    }

    /// The issue's case: `retries: {count: 2, backoff: 1s}` and an input that appears only after
    /// the first attempt failed. Plain `nightjar run` (no scheduler) retries and succeeds; the run
    /// store shows one run, attempt 2.
    @Test func runRetriesATemporaryFailureItself() throws {
        let dir = cli.temporaryDirectory()
        let input = dir.appendingPathComponent("late.csv")
        let file = try job("retries: { count: 2, backoff: 1s }", input: input.path)
        let p = Process()
        p.executableURL = CLITests.binary
        p.arguments = ["run", file.path, "--date", "2026-11-28"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        // The first attempt fails at once (no input); its warning names the retry.
        var seen = Data()
        let deadline = Date().addingTimeInterval(30)
        while !String(decoding: seen, as: UTF8.self).contains("will retry"), p.isRunning, Date() < deadline {
            seen.append(err.fileHandleForReading.availableData)
        }
        #expect(String(decoding: seen, as: UTF8.self).contains("retry=1/2"))
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("fixtures/churn/score_input.csv"), to: input)
        seen.append(err.fileHandleForReading.readDataToEndOfFile())
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(String(decoding: seen, as: UTF8.self))")
        let db = file.deletingLastPathComponent().appendingPathComponent("out.db").path
        let store = try SQLiteDatabase(path: db, readOnly: true)
        #expect(try store.query("SELECT status, attempt FROM nightjar_runs") == [["succeeded", "2"]])
        let expected = try String(contentsOf: input, encoding: .utf8).split(separator: "\n").count - 1
        #expect(try store.query("SELECT count(*) FROM scores").first?[0] == String(expected))
    }
}
