import Foundation
import Testing

/// `--log-format json`: every line a process writes, on stdout and stderr, parses as one JSON
/// object, and the records carry what log pipelines filter on.
@Suite struct LogFormatTests {
    let cli = CLITests()

    func records(_ r: CLITests.Result) throws -> [[String: Any]] {
        let lines = (r.stdout + r.stderr).split(separator: "\n")
        return try lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            guard let dict = object as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
            return dict
        }
    }

    @Test func aRunLogsOnlyJSONLines() throws {
        // Drift thresholds low enough to warn on every feature, never to fail.
        let file = try ExitStatusTests().job("drift: { warn: 0, fail: 1000 }\nmax_reject_fraction: 50%")
        let r = try cli.run(["run", file.path, "--date", "2026-11-28", "--log-format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try records(r)
        #expect(all.count >= 3)
        for record in all {
            #expect(record["time"] is String && record["level"] is String && record["message"] is String, "\(record)")
        }
        let progress = all.first { $0["message"] as? String == "progress" }
        #expect(progress?["job"] as? String == "exit-test" && progress?["logical_date"] as? String == "2026-11-28")
        #expect(progress?["rows"] is NSNumber && progress?["rows_per_second"] is NSNumber && progress?["percent"] is NSNumber, "\(String(describing: progress))")
        #expect(all.contains { $0["message"] as? String == "drift warning" && $0["level"] as? String == "warning" && ($0["features"] as? String)?.contains("PSI") == true })
        let summary = all.last { $0["message"] as? String == "run finished" }
        #expect(summary?["status"] as? String == "succeeded" && summary?["rows_written"] as? Int == 1000 && summary?["run_id"] is String)
    }

    @Test func aFailureIsAJSONLineWithItsExitStatus() throws {
        let dir = cli.temporaryDirectory()
        let file = try ExitStatusTests().job(input: dir.appendingPathComponent("none.csv").path)
        let r = try cli.run(["run", file.path, "--date", "2026-11-28", "--log-format", "json"])
        #expect(r.status == 75)
        let all = try records(r)
        let error = all.last
        #expect(error?["level"] as? String == "error" && error?["exit_status"] as? Int == 75 && error?["failure"] as? String == "temporary")
        #expect((error?["message"] as? String)?.contains("none.csv") == true)
    }

    @Test func aBackfillLogsOnlyJSONLines() throws {
        let file = try ExitStatusTests().job()
        let r = try cli.run(["backfill", file.path, "--from", "2026-11-01", "--to", "2026-11-02", "--log-format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try records(r)
        #expect(all.filter { $0["message"] as? String == "run finished" }.count == 2)
        let finished = all.first { $0["message"] as? String == "backfill finished" }
        #expect(finished?["succeeded"] as? Int == 2 && finished?["failed"] as? Int == 0)
    }
}
