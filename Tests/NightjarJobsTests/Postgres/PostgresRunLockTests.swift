import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// Locks in a PostgreSQL run store, where the session's advisory lock is the lease: a lock row
/// left by a process whose session ended (another host, a killed pod) is taken over and the
/// takeover recorded; its run reads `interrupted`; `nightjar unlock` (LockRelease) refuses a lock
/// a live session holds and, with --force, ends that session.
@Suite(.enabled(if: PostgresTestServer.available, "needs NIGHTJAR_TEST_PG_DSN (scripts/test.sh starts a server)"))
struct PostgresRunLockTests {
    let base = PostgresRunStoreTests()

    @Test func aLockRowLeftByAnEndedSessionIsTakenOverAndItsRunReadsInterrupted() throws {
        let name = PostgresTestServer.name("pgtakeover")
        let spec = try base.job(name)
        let c = try PostgresTestServer.connect()
        let store = try PostgresRunStore(settings: base.settings, job: name)
        // What a process on another host leaves when it dies: the row, and no session holding the lock.
        try c.execute("""
            INSERT INTO nightjar.locks (job, logical_date, run_id, host, pid, acquired_at)
            VALUES ($1, '2026-11-28', 'r-dead', 'elsewhere.example', 4242, now() - interval '1 hour')
            """, [name])
        let run = RunRecord(runID: "r-dead-\(name)", job: name, logicalDate: "2026-11-28", trigger: .manual, status: .running, attempt: 1,
                            startedAt: RunLockTests.iso(-3600), rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0,
                            host: "elsewhere.example", pid: 4242)
        try store.insert(run)
        let shown = store.observed(run)
        #expect(shown.status == .interrupted)
        #expect(shown.error?.contains("no server session holds its lock") == true, "\(shown.error ?? "")")
        // Derived on read: stored running until the next run of the date.
        #expect(try c.execute("SELECT status FROM nightjar.runs WHERE run_id = $1", [run.runID]).rows == [["running"]])

        let next = try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(next.status == .succeeded)
        let events = try store.lockEvents(job: name)
        #expect(events.map(\.action) == [.takeover])
        #expect(events.first?.holderHost == "elsewhere.example" && events.first?.holderPID == 4242 && events.first?.runID == "r-dead")
        #expect(events.first?.byHost == Host.name)
        #expect(try c.execute("SELECT status FROM nightjar.runs WHERE run_id = $1", [run.runID]).rows == [["interrupted"]])
        #expect(try store.lockHolders(job: name, date: "2026-11-28").isEmpty)
    }

    @Test func unlockRefusesALockALiveSessionHoldsAndForceEndsTheSession() throws {
        let name = PostgresTestServer.name("pgunlock")
        let spec = try base.job(name)
        let date = LogicalDate("2026-11-28")!
        #expect(try LockRelease.unlock(job: spec, date: date, force: false).first?.contains("holds no lock") == true)
        // A live run on another machine: its session holds the advisory lock.
        let holder = try PostgresRunStore(settings: base.settings, job: name)
        #expect(try holder.tryLock(job: name, date: "2026-11-28", runID: "r-live") == nil)
        #expect { try LockRelease.unlock(job: spec, date: date, force: false) } throws: { error in
            error is UnlockRefused && FailureKind.of(error) == .temporary
                && "\(error)".contains("a PostgreSQL session holds its advisory lock") && "\(error)".contains("--force")
        }
        let store = try PostgresRunStore(settings: base.settings, job: name)
        #expect(try store.lockHolders(job: name, date: "2026-11-28").map(\.runID) == ["r-live"])
        let lines = try LockRelease.unlock(job: spec, date: date, force: true)
        #expect(lines.count == 1 && lines[0].contains("removed the lock \(name) for 2026-11-28") && lines[0].contains("force_unlock"), "\(lines)")
        #expect(try store.lockEvents(job: name).map(\.action) == [.forceUnlock])
        // The holder never released its lock: it goes only because its session was ended.
        let c = try PostgresTestServer.connect()
        let held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = hashtext('nightjar run ' || $1)::oid"
        let deadline = Date().addingTimeInterval(10)
        while try c.execute(held, [name]).string(0, 0) != "0" && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try c.execute(held, [name]).string(0, 0) == "0")
        #expect(try RunExecutor(job: spec).run(RunOptions(date: date)).status == .succeeded)
        #expect(try store.lockHolders(job: name, date: "2026-11-28").isEmpty)
    }
}
