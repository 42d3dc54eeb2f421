import Foundation
import Testing
import NightjarIO

/// The PostgreSQL server restarted (`pg_ctl restart -m fast`) while a PostgreSQL → PostgreSQL run
/// works. The suite's tests share one cluster and run in parallel, so this test starts and stops
/// a throwaway cluster of its own (scripts/pg-test-cluster.sh). Without retries the attempt ends
/// with exit 75 and one line; the rerun resumes and the output has exactly the rows, keys and
/// score sum of a clean run. With `retries:` the same restart is retried by the run itself.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PG_DSN"] != nil, "needs PostgreSQL (NIGHTJAR_TEST_PG_DSN)"))
struct PostgresRestartTests {
    let pg = PostgresRunCommandTests()

    /// Runs scripts/pg-test-cluster.sh functions; `dir` is the cluster's directory once started.
    /// Spawned and reaped here (posix_spawn, waitpid): Foundation's Process missed the exit of
    /// this shell, which starts a server in the background, and hung in waitUntilExit.
    @discardableResult
    func cluster(_ command: String, dir: String = "") throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-pgcluster-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: out) }
        let script = "cd '\(CLITests.root.path)' && source scripts/pg-test-cluster.sh; \(dir.isEmpty ? "" : "NIGHTJAR_PG_DIR='\(dir)'; ")\(command)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let words: [String] = ["/bin/bash", "-c", script]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, argv, environ)
        try #require(spawned == 0, "posix_spawn: \(String(cString: strerror(spawned)))")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited normally (no signal) with status 0.
        #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 0, "\(command): wait status \(status)")
        return (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    }

    /// `nightjar run` against the own cluster (the job's dsn_env, NIGHTJAR_TEST_PG_DSN, points at it).
    func start(_ arguments: [String], dsn: String, delayMs: Int = 0) throws -> (Process, Pipe) {
        try pg.runner.start(arguments, delayMs: delayMs, environment: ["NIGHTJAR_TEST_PG_DSN": dsn])
    }

    func finish(_ arguments: [String], dsn: String) throws -> (Int32, String) {
        try pg.runner.finish(arguments, environment: ["NIGHTJAR_TEST_PG_DSN": dsn])
    }

    /// Starts the run, restarts the server after 5 committed chunks; returns its status and stderr.
    func restartDuring(_ job: URL, dsn: String, dir: String) throws -> (Int32, String) {
        let c = try PostgresConnection(conninfo: dsn, name: "test")
        let (p, err) = try start(["run", job.path, "--date", "2026-11-28"], dsn: dsn, delayMs: 40)
        let deadline = Date().addingTimeInterval(60)
        while pg.chunks(c, job: job.path) < 5 && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(p.isRunning, "the run was still working when the server restarted")
        try cluster("nightjar_pg_restart", dir: dir)
        return pg.runner.wait(p, err)
    }

    @Test func aServerRestartedMidRunFailsTemporarilyAndTheRerunResumesExactlyOnce() throws {
        let lines = try cluster("nightjar_pg_start >/dev/null 2>&1; echo \"$NIGHTJAR_PG_DIR\"; echo \"$NIGHTJAR_TEST_PG_DSN\"")
            .split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "cluster: \(lines)")
        let (dir, dsn) = (lines[0], lines[1])
        defer { _ = try? cluster("nightjar_pg_stop", dir: dir) }

        // Without retries: exit 75, one line; the rerun resumes.
        var c = try PostgresConnection(conninfo: dsn, name: "test")
        let (job, _, out) = try pg.setUp(c)
        defer { PostgresRunCommandTests.remove(job) }
        let (status, stderr) = try restartDuring(job, dsn: dsn, dir: dir)
        #expect(status == 75, "a restarted server is a temporary failure: \(stderr)")
        let errors = stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1 && errors[0].contains("PostgreSQL"), "\(stderr)")
        c = try PostgresConnection(conninfo: dsn, name: "test")
        let committed = pg.chunks(c, job: job.path)
        #expect(committed >= 5 && committed < 40, "\(committed) chunks committed before the restart")
        let (rerun, rerunErr) = try finish(["run", job.path, "--date", "2026-11-28", "--quiet"], dsn: dsn)
        #expect(rerun == 0, "\(rerunErr)")
        let state = job.deletingLastPathComponent().appendingPathComponent("nightjar-state.db").path
        #expect(try SQLiteDatabase(path: state, readOnly: true).query("SELECT status, attempt FROM nightjar_runs") == [["succeeded", "2"]])

        // A clean run of the same rows into another table.
        let cleanJob = job.deletingLastPathComponent().appendingPathComponent("clean.yaml")
        try (try String(contentsOf: job, encoding: .utf8)).replacingOccurrences(of: "table: \(out)", with: "table: \(out)_clean")
            .replacingOccurrences(of: "name: pg-crash", with: "name: pg-clean").write(to: cleanJob, atomically: true, encoding: .utf8)
        let (cleanStatus, cleanErr) = try finish(["run", cleanJob.path, "--date", "2026-11-28", "--quiet"], dsn: dsn)
        #expect(cleanStatus == 0, "\(cleanErr)")
        let final = try pg.rows(c, out)
        #expect(final.count == 20_000 && Set(final).count == 20_000)
        #expect(final == (try pg.rows(c, "\(out)_clean")))
        #expect(try c.execute("SELECT count(DISTINCT customer_id), sum(probability) FROM \(out)").rows
                == (try c.execute("SELECT count(DISTINCT customer_id), sum(probability) FROM \(out)_clean").rows))

        // With retries: the run retries the restart itself, resumes and exits 0.
        let (retried, _, retriedOut) = try pg.setUp(c)
        defer { PostgresRunCommandTests.remove(retried) }
        try (try String(contentsOf: retried, encoding: .utf8) + "\nretries: { count: 3, backoff: 1s }\n").write(to: retried, atomically: true, encoding: .utf8)
        let (retryStatus, retryErr) = try restartDuring(retried, dsn: dsn, dir: dir)
        #expect(retryStatus == 0, "\(retryErr)")
        #expect(retryErr.contains("will retry"), "\(retryErr)")
        c = try PostgresConnection(conninfo: dsn, name: "test")
        let again = try pg.rows(c, retriedOut)
        #expect(again.count == 20_000 && Set(again).count == 20_000)
        #expect(again.map { $0.split(separator: ",").prefix(3) } == final.map { $0.split(separator: ",").prefix(3) })
        let retriedState = retried.deletingLastPathComponent().appendingPathComponent("nightjar-state.db").path
        let runs = try SQLiteDatabase(path: retriedState, readOnly: true).query("SELECT status, attempt FROM nightjar_runs")
        #expect(runs.count == 1 && runs.first?[0] == "succeeded" && Int(runs.first?[1] ?? "0")! >= 2, "\(runs)")
    }
}
