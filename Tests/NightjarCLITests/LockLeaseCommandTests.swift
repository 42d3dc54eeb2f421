import Foundation
import Testing
import NightjarIO

/// Leases, `nightjar unlock` and the interrupted status with real processes: a run renews its
/// lease while it works (NIGHTJAR_LOCK_LEASE_SECONDS=1 here), a second run is refused with the
/// holder and its lease, a run killed with SIGKILL reads `interrupted` in `runs` without anything
/// written, `unlock` refuses the live holder and removes the dead one's lock (recording it), and a
/// run whose lock is removed with --force stops before its next commit (exit 75). Every rerun
/// resumes and gives the 20,000 rows of a clean run.
@Suite(.serialized) struct LockLeaseCommandTests {
    let runner = RunCommandTests()
    let cli = CLITests()
    static let lease = ["NIGHTJAR_LOCK_LEASE_SECONDS": "1"]

    func start(_ arguments: [String], delayMs: Int) throws -> (Process, Pipe) {
        try runner.start(arguments, delayMs: delayMs, environment: Self.lease)
    }

    func nightjar(_ arguments: [String]) throws -> CLITests.Result { try cli.run(arguments, environment: Self.lease) }

    func expiry(_ db: String) throws -> String? {
        try SQLiteDatabase(path: db, readOnly: true).query("SELECT expires_at FROM nightjar_locks").first?[0] ?? nil
    }

    func statuses(_ json: String) throws -> [String] {
        let runs = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        return runs.compactMap { $0["status"] as? String }
    }

    @Test func aKilledRunReadsInterruptedAndUnlockRemovesItsLock() throws {
        let job = try runner.makeJob()
        defer { try? FileManager.default.removeItem(at: job.deletingLastPathComponent()) }
        let db = job.deletingLastPathComponent().appendingPathComponent("out.db").path
        let (p, _) = try start(["run", job.path, "--date", "2026-11-28", "--quiet"], delayMs: 100)
        runner.waitFor(chunks: 3, in: db, process: p)
        // The heartbeat moves the lease on while the run works.
        let first = try expiry(db)
        Thread.sleep(forTimeInterval: 0.7)
        let later = try expiry(db)
        #expect(first != nil && later != nil && later! > first!, "lease \(String(describing: first)) then \(String(describing: later))")
        let second = try nightjar(["run", job.path, "--date", "2026-11-28"])
        #expect(second.status == 75)
        #expect(second.stderr.split(separator: "\n").count == 1 && second.stderr.contains("is already running")
                && second.stderr.contains("pid \(p.processIdentifier) on ") && second.stderr.contains("lease until"), "\(second.stderr)")
        let refused = try nightjar(["unlock", job.path, "--date", "2026-11-28"])
        #expect(refused.status == 75 && refused.stderr.contains("alive on this host") && refused.stderr.contains("--force"), "\(refused.stderr)")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // Stored running, shown interrupted: nothing written by reading.
        let listed = try nightjar(["runs", "--job", job.path, "--json"])
        #expect(listed.status == 0)
        #expect(try statuses(listed.stdout) == ["interrupted"], "\(listed.stdout)")
        #expect(listed.stdout.contains("its process (pid \(p.processIdentifier)"))
        let runID = try SQLiteDatabase(path: db, readOnly: true).query("SELECT run_id, status FROM nightjar_runs")
        #expect(runID.first?[1] == "running")
        let shown = try nightjar(["runs", "show", runID.first?[0] ?? "", "--job", job.path])
        #expect(shown.status == 0 && shown.stdout.contains("interrupted"), "\(shown.stdout)")
        // The operator removes the dead run's lock: recorded, and the run stored interrupted.
        let unlocked = try nightjar(["unlock", job.path, "--date", "2026-11-28"])
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        #expect(unlocked.stdout.contains("removed the lock crash-test for 2026-11-28") && unlocked.stdout.contains("is not running"), "\(unlocked.stdout)")
        let store = try SQLiteDatabase(path: db, readOnly: true)
        #expect(try store.query("SELECT action, holder_pid FROM nightjar_lock_events") == [["unlock", String(p.processIdentifier)]])
        #expect(try store.query("SELECT status FROM nightjar_runs") == [["interrupted"]])
        #expect(try store.query("SELECT count(*) FROM nightjar_locks") == [["0"]])
        let (status, err) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(err)")
        let rows = try runner.outputRows(db)
        #expect(rows.count == 20_000 && Set(rows).count == 20_000)
        #expect(try store.query("SELECT status, attempt FROM nightjar_runs") == [["succeeded", "2"]])
    }

    @Test func aRunWhoseLockIsForciblyRemovedStopsBeforeItsNextCommit() throws {
        let job = try runner.makeJob()
        defer { try? FileManager.default.removeItem(at: job.deletingLastPathComponent()) }
        let db = job.deletingLastPathComponent().appendingPathComponent("out.db").path
        let (p, err) = try start(["run", job.path, "--date", "2026-11-28"], delayMs: 100)
        runner.waitFor(chunks: 3, in: db, process: p)
        let forced = try nightjar(["unlock", job.path, "--date", "2026-11-28", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("force_unlock"))
        let (stopped, stderr) = runner.wait(p, err)
        #expect(stopped == 75, "\(stderr)")
        #expect(stderr.contains("error: run ") && stderr.contains("its lock was removed or taken over"), "\(stderr)")
        let committed = runner.committedChunks(db)
        #expect(committed < 40)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(runner.committedChunks(db) == committed, "nothing committed after the lock was lost")
        #expect(try SQLiteDatabase(path: db, readOnly: true).query("SELECT action FROM nightjar_lock_events") == [["force_unlock"]])
        let (status, e) = try runner.finish(["run", job.path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(e)")
        let rows = try runner.outputRows(db)
        #expect(rows.count == 20_000 && Set(rows).count == 20_000)
    }

    @Test func aLockLeftOnAnotherHostIsTakenOverOnceItsLeaseExpiredAndLogged() throws {
        let job = try runner.makeJob()
        defer { try? FileManager.default.removeItem(at: job.deletingLastPathComponent()) }
        let db = job.deletingLastPathComponent().appendingPathComponent("out.db").path
        let (first, e1) = try runner.finish(["run", job.path, "--date", "2026-11-27", "--quiet"])
        #expect(first == 0, "\(e1)")
        // A pod rescheduled elsewhere left its lock; its lease ran out a second ago.
        let expired = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-1))
        try SQLiteDatabase(path: db).execute("""
            INSERT INTO nightjar_locks (job, logical_date, run_id, host, pid, acquired_at, heartbeat_at, expires_at)
            VALUES ('crash-test', '2026-11-28', 'gone-run', 'pod-7f9c.example', 4242, '2026-11-28T03:00:00Z', '2026-11-28T03:00:00Z', '\(expired)')
            """)
        let taken = try nightjar(["run", job.path, "--date", "2026-11-28"])
        #expect(taken.status == 0, "\(taken.stderr)")
        #expect(taken.stderr.contains("took over the lock of a run whose holder is gone") && taken.stderr.contains("pid 4242 on pod-7f9c.example")
                && taken.stderr.contains("lease expired"), "\(taken.stderr)")
        let store = try SQLiteDatabase(path: db, readOnly: true)
        #expect(try store.query("SELECT action, run_id, holder_host FROM nightjar_lock_events") == [["takeover", "gone-run", "pod-7f9c.example"]])
        #expect(try store.query("SELECT count(*) FROM nightjar_locks") == [["0"]])
        // The next run has nothing to take over: nothing more is logged or recorded.
        let again = try nightjar(["run", job.path, "--date", "2026-11-28"])
        #expect(again.status == 0 && !again.stderr.contains("took over"), "\(again.stderr)")
        #expect(try store.query("SELECT count(*) FROM nightjar_lock_events") == [["1"]])
    }

    @Test func unlockIsInTheHelp() throws {
        let help = try cli.run(["--help"])
        #expect(help.stdout.contains("unlock"))
        let own = try cli.run(["unlock", "--help"])
        #expect(own.stdout.contains("--force") && own.stdout.contains("--date") && own.stdout.contains("lease"))
    }
}
