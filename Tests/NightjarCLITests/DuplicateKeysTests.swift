import Foundation
import NightjarIO
import Testing

/// `duplicate_keys:` — a key seen twice in a run's input fails the run (default), is set aside
/// (reject) or scored (keep), across chunks and across a resumed run.
@Suite struct DuplicateKeysTests {
    let cli = CLITests()

    /// The churn input with extra lines appended (each a copy of line `n`'s fields under `key`).
    func input(_ dir: URL, appending extra: [String] = []) throws -> (URL, [String]) {
        let text = try String(contentsOf: CLITests.root.appendingPathComponent("fixtures/churn/score_input.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        lines += extra
        let file = dir.appendingPathComponent("in.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return (file, lines)
    }

    /// Line `n` (1-based, header = 1) of `lines` with its key replaced.
    func copy(_ lines: [String], line n: Int, key: String) -> String {
        let fields = lines[n - 1].split(separator: ",", omittingEmptySubsequences: false)
        return ([key] + fields.dropFirst().map(String.init)).joined(separator: ",")
    }

    func db(_ job: URL) -> SQLiteDatabase { try! SQLiteDatabase(path: job.deletingLastPathComponent().appendingPathComponent("out.db").path, readOnly: true) }

    @Test func aDuplicateFailsTheRunNamingFileLineAndKey() throws {
        let dir = cli.temporaryDirectory()
        let (_, lines) = try input(dir)
        let key = String(lines[50].split(separator: ",")[0])
        let (file, _) = try input(dir, appending: [copy(lines, line: 3, key: key)])
        let job = try ExitStatusTests().job(input: file.path)
        let r = try cli.run(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("error: \(file.path): line 1002, column 1 ('customer_id'): the key '\(key)' appears more than once"), "\(r.stderr)")
        #expect(try db(job).query("SELECT count(*) FROM scores") == [["0"]], "nothing published")
    }

    @Test func rejectSetsLaterRowsAsideAndKeepScoresThemAll() throws {
        let dir = cli.temporaryDirectory()
        let (_, lines) = try input(dir)
        let a = String(lines[10].split(separator: ",")[0]), b = String(lines[700].split(separator: ",")[0])
        let (file, _) = try input(dir, appending: [copy(lines, line: 3, key: a), copy(lines, line: 4, key: b), copy(lines, line: 5, key: a)])
        let reject = try ExitStatusTests().job("duplicate_keys: reject", input: file.path)
        let r = try cli.run(["run", reject.path, "--date", "2026-11-28", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try db(reject).query("SELECT count(*), count(DISTINCT customer_id) FROM scores") == [["1000", "1000"]])
        #expect(try db(reject).query("SELECT row_number, key, reason FROM nightjar_rejects ORDER BY row_number")
                == [["1001", a, "duplicate_key"], ["1002", b, "duplicate_key"], ["1003", a, "duplicate_key"]])
        // The first occurrence is the one scored.
        let first = try SQLiteDatabase(path: reject.deletingLastPathComponent().appendingPathComponent("out.db").path, readOnly: true)
            .query("SELECT rows_rejected FROM nightjar_runs")
        #expect(first == [["3"]])
        let keep = try ExitStatusTests().job("duplicate_keys: keep", input: file.path)
        #expect(try cli.run(["run", keep.path, "--date", "2026-11-28", "--quiet"]).status == 0)
        #expect(try db(keep).query("SELECT count(*), count(DISTINCT customer_id) FROM scores") == [["1003", "1000"]])
    }

    /// A run that failed after committing chunks, resumed: a key first seen before the restart
    /// is still a duplicate after it (the committed rows' keys are read back).
    @Test func duplicatesAreToldAcrossAResumedRun() throws {
        let dir = cli.temporaryDirectory()
        let (_, lines) = try input(dir)
        let early = String(lines[50].split(separator: ",")[0])
        // Line 1001 (the 10th chunk) is broken: the first run commits 9 chunks of 100 rows and fails there.
        var broken = lines
        broken[1000] = "X,1,2"
        let file = dir.appendingPathComponent("in.csv")
        try (broken.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let job = try ExitStatusTests().job(input: file.path)
        let first = try cli.run(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(first.status == 65, "\(first.stderr)")
        #expect(try db(job).query("SELECT count(*) FROM nightjar_chunks") == [["9"]])
        // The same bytes up to the checkpoint; the last data line now repeats an early key.
        var fixed = lines
        fixed[1000] = copy(lines, line: 1001, key: early)
        try (fixed.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let resumed = try cli.run(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(resumed.status == 65, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("the key '\(early)' appears more than once"), "\(resumed.stderr)")
    }
}
