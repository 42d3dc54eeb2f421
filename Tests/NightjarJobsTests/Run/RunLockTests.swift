import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// Locks with leases in a SQLite run store, with lock rows planted as another host, a reused PID
/// or an expired lease would leave them: a live holder refuses the run (naming host, pid, since
/// and lease expiry), a dead one is taken over and the takeover recorded; `runs` shows a run
/// whose holder is gone as interrupted without writing; `nightjar unlock` (LockRelease) refuses a
/// live holder on this host unless forced.
@Suite struct RunLockTests {
    let executorTests = RunExecutorTests()

    static func iso(_ offset: TimeInterval) -> String { Timestamp.format(Date().addingTimeInterval(offset)) }

    func plant(_ db: SQLiteDatabase, job: String = "churn-test", date: String = "2026-11-28", run: String = "other-run",
               host: String, pid: Int32, expires: TimeInterval?) throws {
        try db.execute("""
            INSERT OR REPLACE INTO nightjar_locks (job, logical_date, run_id, host, pid, acquired_at, heartbeat_at, expires_at)
            VALUES ('\(job)', '\(date)', '\(run)', '\(host)', \(pid), '\(RunLockTests.iso(-600))', '\(RunLockTests.iso(-30))',
                    \(expires.map { "'\(RunLockTests.iso($0))'" } ?? "NULL"))
            """)
    }

    @Test func aLiveLeaseOnAnotherHostRefusesTheRunAndAnExpiredOneIsTakenOver() throws {
        let (job, _) = try executorTests.makeJob()
        let store = try SQLiteRunStore(path: job.state)
        let db = try SQLiteDatabase(path: job.state)
        try plant(db, host: "elsewhere.example", pid: 4242, expires: 120)
        #expect { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: { error in
            let s = "\(error)"
            return error is LockHeld && FailureKind.of(error) == .temporary && s.contains("pid 4242 on elsewhere.example")
                && s.contains("since ") && s.contains("lease until ") && s.contains("--wait")
        }
        #expect(try store.lockEvents(job: "churn-test").isEmpty)
        // The lease ran out: the host is gone (or cut off); the next run takes the lock over.
        try plant(db, host: "elsewhere.example", pid: 4242, expires: -1)
        #expect(try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)).status == .succeeded)
        let events = try store.lockEvents(job: "churn-test")
        #expect(events.map(\.action) == [.takeover])
        #expect(events.first?.holderHost == "elsewhere.example" && events.first?.holderPID == 4242)
        #expect(events.first?.reason?.contains("lease expired") == true)
        #expect(try db.query("SELECT count(*) FROM nightjar_locks") == [["0"]])
    }

    @Test func aReusedPIDWithAnExpiredLeaseIsTakenOverAndALiveLeaseIsNot() throws {
        let (job, _) = try executorTests.makeJob()
        let store = try SQLiteRunStore(path: job.state)
        let db = try SQLiteDatabase(path: job.state)
        // A live process of this host that is not the holder: its PID was reused.
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sleep")
        other.arguments = ["30"]
        try other.run()
        defer { kill(other.processIdentifier, SIGKILL); other.waitUntilExit() }
        try plant(db, host: Host.name, pid: other.processIdentifier, expires: 60)
        let held = try store.tryLock(job: "churn-test", date: "2026-11-28", runID: "mine")
        #expect(held?.pid == Int(other.processIdentifier) && held?.runID == "other-run")
        try plant(db, host: Host.name, pid: other.processIdentifier, expires: -5)
        #expect(try store.tryLock(job: "churn-test", date: "2026-11-28", runID: "mine") == nil)
        #expect(try store.lockHolders(job: "churn-test", date: "2026-11-28").map(\.runID) == ["mine"])
        #expect(try store.lockEvents(job: "churn-test").first?.reason?.contains("lease expired") == true)
        try store.unlock(job: "churn-test", date: "2026-11-28")
    }

    @Test func aRunningRunWhoseHolderIsGoneReadsInterruptedWithoutAWrite() throws {
        let (job, _) = try executorTests.makeJob()
        let store = try SQLiteRunStore(path: job.state)
        let db = try SQLiteDatabase(path: job.state)
        let run = RunRecord(runID: "r-1", job: "churn-test", logicalDate: "2026-11-28", trigger: .manual, status: .running, attempt: 1,
                            startedAt: RunLockTests.iso(-900), rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0,
                            host: "elsewhere.example", pid: 4242)
        try store.insert(run)
        try plant(db, run: "r-1", host: "elsewhere.example", pid: 4242, expires: 60)
        #expect(store.observed(try store.recentRuns(job: "churn-test", limit: 5)).map(\.status) == [.running])
        try plant(db, run: "r-1", host: "elsewhere.example", pid: 4242, expires: -60)
        let shown = store.observed(try store.recentRuns(job: "churn-test", limit: 5))
        #expect(shown.map(\.status) == [.interrupted])
        #expect(shown.first?.error?.contains("lease expired") == true)
        // Derived on read: the row still says running (a read-only store, a full disk).
        #expect(try db.query("SELECT status FROM nightjar_runs") == [["running"]])
        // No lock at all (released without the run's end recorded): interrupted as well.
        try db.execute("DELETE FROM nightjar_locks")
        #expect(store.observed(run).status == .interrupted)
        // The next run of the date stores it (this one has no model to resume with: it starts over).
        let next = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(next.status == .succeeded)
        #expect(try db.query("SELECT run_id, status FROM nightjar_runs ORDER BY started_at") == [["r-1", "interrupted"], [next.runID, "succeeded"]])
    }

    @Test func unlockRefusesALiveHolderOnThisHostUnlessForcedAndRecordsWhatItDid() throws {
        let (job, _) = try executorTests.makeJob()
        let store = try SQLiteRunStore(path: job.state)
        let db = try SQLiteDatabase(path: job.state)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sleep")
        holder.arguments = ["30"]
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        let date = LogicalDate("2026-11-28")!
        #expect(try LockRelease.unlock(job: job, date: date, force: false) == ["job churn-test for 2026-11-28 holds no lock in \(job.state); nothing to unlock"])
        try plant(db, host: Host.name, pid: holder.processIdentifier, expires: 60)
        #expect { try LockRelease.unlock(job: job, date: date, force: false) } throws: { error in
            error is UnlockRefused && FailureKind.of(error) == .temporary && "\(error)".contains("alive on this host")
                && "\(error)".contains("pid \(holder.processIdentifier)") && "\(error)".contains("--force")
        }
        #expect(try db.query("SELECT count(*) FROM nightjar_locks") == [["1"]])
        let lines = try LockRelease.unlock(job: job, date: date, force: true)
        #expect(lines.count == 1 && lines[0].contains("removed the lock churn-test for 2026-11-28") && lines[0].contains("force_unlock"))
        #expect(try db.query("SELECT count(*) FROM nightjar_locks") == [["0"]])
        // A dead holder needs no --force.
        try plant(db, host: "elsewhere.example", pid: 7, expires: -1)
        #expect(try LockRelease.unlock(job: job, date: date, force: false).count == 1)
        #expect(try store.lockEvents(job: "churn-test").map(\.action) == [.forceUnlock, .unlock])
        #expect(try store.lockEvents(job: "churn-test").allSatisfy { $0.byHost == Host.name && $0.byPID == Int(getpid()) })
    }

    @Test func aLeaseThatIsNotRenewedStopsTheHolder() throws {
        var renewals = 0
        let lease = RunLease(job: "j", date: "2026-11-28", expires: Date().addingTimeInterval(0.3)) {
            renewals += 1
            return nil  // the lock is no longer ours
        }
        defer { lease.stop() }
        let deadline = Date().addingTimeInterval(RunLease.renewInterval * 3 + 1)
        var stopped: Error?
        while stopped == nil && Date() < deadline {
            do { try lease.check(runID: "r") } catch { stopped = error }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(stopped is LeaseLost)
        #expect(FailureKind.of(stopped ?? ScoreError("none")) == .temporary)
    }
}
