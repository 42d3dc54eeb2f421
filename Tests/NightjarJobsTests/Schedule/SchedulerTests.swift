import Foundation
import Logging
import Testing
@testable import NightjarJobs

/// A clock the test moves by hand.
final class ManualClock: SchedulerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    func now() -> Date { lock.lock(); defer { lock.unlock() }; return current }
    func sleep(until date: Date) {}
    func set(_ d: Date) { lock.lock(); current = d; lock.unlock() }
}

final class Calls: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(String, String, RunRecord.Trigger)] = []
    var failuresLeft = 0
    func add(_ job: String, _ date: String, _ trigger: RunRecord.Trigger) -> Bool {
        lock.lock(); defer { lock.unlock() }
        items.append((job, date, trigger))
        if failuresLeft > 0 { failuresLeft -= 1; return false }
        return true
    }
    var all: [(String, String, RunRecord.Trigger)] { lock.lock(); defer { lock.unlock() }; return items }
}

@Suite struct SchedulerTests {
    static func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test func catchUpPolicies() throws {
        let cron = try CronExpression("0 2 * * *")
        let utc = TimeZone(identifier: "UTC")!
        let since = Self.at("2026-11-20T02:00:00Z")
        let now = Self.at("2026-11-25T09:00:00Z")  // down for days: fires on the 21st…25th were missed
        #expect(JobSpec.CatchUp.none.dueFires(cron: cron, timeZone: utc, since: since, now: now).isEmpty)
        #expect(JobSpec.CatchUp.latest.dueFires(cron: cron, timeZone: utc, since: since, now: now) == [Self.at("2026-11-25T02:00:00Z")])
        #expect(JobSpec.CatchUp.all(limit: 3).dueFires(cron: cron, timeZone: utc, since: since, now: now)
                == ["2026-11-23", "2026-11-24", "2026-11-25"].map { Self.at("\($0)T02:00:00Z") })
        #expect(JobSpec.CatchUp.all(limit: 30).dueFires(cron: cron, timeZone: utc, since: since, now: now).count == 5)
        // On time: every policy runs the fire that is due now.
        let onTime = Self.at("2026-11-21T02:00:20Z")
        for policy in [JobSpec.CatchUp.none, .latest, .all(limit: 5)] {
            #expect(policy.dueFires(cron: cron, timeZone: utc, since: since, now: onTime) == [Self.at("2026-11-21T02:00:00Z")])
        }
    }

    func writeJob(_ dir: URL, name: String, cron: String, extra: String = "") throws {
        let yaml = """
            name: \(name)
            model: m.json
            source: { csv: in.csv }
            sink: { sqlite: { path: out.db } }
            state: state-\(name).db
            schedule:
              cron: "\(cron)"
              timezone: Europe/Berlin
            \(extra)
            """
        try yaml.write(to: dir.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
    }

    @Test func firesOnTimeInTheJobsTimeZoneAndPicksUpChanges() throws {
        let dir = temporaryDirectory()
        try writeJob(dir, name: "a", cron: "30 2 * * *")
        let clock = ManualClock(Self.at("2026-11-28T00:00:00Z"))
        let calls = Calls()
        let scheduler = Scheduler(directory: dir.path, clock: clock, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
                                  runner: { job, options in
            _ = calls.add(job.name, options.date.description, options.trigger)
            return RunRecord(runID: "r", job: job.name, logicalDate: options.date.description, trigger: options.trigger, status: .succeeded,
                             attempt: 1, startedAt: "", rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0)
        })
        scheduler.tick()
        #expect(calls.all.isEmpty)
        clock.set(Self.at("2026-11-28T01:29:00Z"))  // 02:29 in Berlin
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.isEmpty)
        clock.set(Self.at("2026-11-28T01:30:05Z"))  // 02:30:05 in Berlin
        scheduler.tick(); scheduler.drain()
        // A run covers the day that ended before it fires (one rule with `nightjar run`).
        #expect(calls.all.map(\.1) == ["2026-11-27"])
        #expect(calls.all.first?.2 == .schedule)
        // The job file changes on disk: the new cron applies without a restart.
        Thread.sleep(forTimeInterval: 1.1)  // a different modification time
        try writeJob(dir, name: "a", cron: "0 4 * * *")
        clock.set(Self.at("2026-11-29T01:30:05Z"))
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.count == 1)
        clock.set(Self.at("2026-11-29T03:00:01Z"))  // 04:00:01 in Berlin
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.map(\.1) == ["2026-11-27", "2026-11-28"])
    }

    @Test func failedRunsAreRetriedWithBackoff() throws {
        let dir = temporaryDirectory()
        try writeJob(dir, name: "b", cron: "0 3 * * *", extra: "retries: { count: 2, backoff: 10m }")
        let clock = ManualClock(Self.at("2026-11-28T00:00:00Z"))
        let calls = Calls()
        calls.failuresLeft = 2
        let scheduler = Scheduler(directory: dir.path, clock: clock, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
                                  runner: { job, options in
            guard calls.add(job.name, options.date.description, options.trigger) else { throw ScoreError("database down", kind: .temporary) }
            return RunRecord(runID: "r", job: job.name, logicalDate: options.date.description, trigger: options.trigger, status: .succeeded,
                             attempt: 1, startedAt: "", rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0)
        })
        scheduler.tick()
        clock.set(Self.at("2026-11-28T02:00:01Z"))
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.count == 1)
        clock.set(Self.at("2026-11-28T02:09:00Z"))  // before the 10 min back-off
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.count == 1)
        clock.set(Self.at("2026-11-28T02:10:02Z"))
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.count == 2)
        clock.set(Self.at("2026-11-28T02:25:00Z"))  // second back-off is 20 min
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.count == 2)
        clock.set(Self.at("2026-11-28T02:30:03Z"))
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.map(\.2) == [.schedule, .retry, .retry])
        clock.set(Self.at("2026-11-28T05:00:00Z"))
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.count == 3, "no retries left after success")
    }

    /// Only temporary failures are retried: a bad model or job file fails the same way every time.
    @Test func permanentFailuresAreNotRetried() throws {
        let dir = temporaryDirectory()
        try writeJob(dir, name: "p", cron: "0 3 * * *", extra: "retries: { count: 2, backoff: 1m }")
        let clock = ManualClock(Self.at("2026-11-28T00:00:00Z"))
        let calls = Calls()
        calls.failuresLeft = 5
        let scheduler = Scheduler(directory: dir.path, clock: clock, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
                                  runner: { job, options in
            guard calls.add(job.name, options.date.description, options.trigger) else { throw ScoreError("no version 7 of churn") }
            return RunRecord(runID: "r", job: job.name, logicalDate: options.date.description, trigger: options.trigger, status: .succeeded,
                             attempt: 1, startedAt: "", rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0)
        })
        scheduler.tick()
        clock.set(Self.at("2026-11-28T02:00:01Z"))
        scheduler.tick(); scheduler.drain()
        clock.set(Self.at("2026-11-28T02:30:00Z"))
        scheduler.tick(); scheduler.drain()
        #expect(calls.all.count == 1)
    }

    @Test func aJobNeverOverlapsItself() throws {
        let dir = temporaryDirectory()
        try writeJob(dir, name: "c", cron: "* * * * *")
        let clock = ManualClock(Self.at("2026-11-28T00:00:30Z"))
        let active = Calls()
        let gate = DispatchSemaphore(value: 0)
        let overlap = Calls()
        let running = NSLock()
        let scheduler = Scheduler(directory: dir.path, clock: clock, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
                                  runner: { job, options in
            if !running.try() { _ = overlap.add("overlap", "", .schedule) }
            _ = active.add(job.name, options.date.description, options.trigger)
            gate.wait()
            running.unlock()
            return RunRecord(runID: "r", job: job.name, logicalDate: options.date.description, trigger: options.trigger, status: .succeeded,
                             attempt: 1, startedAt: "", rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0)
        })
        func waitFor(_ condition: () -> Bool) {
            let deadline = Date().addingTimeInterval(20)
            while !condition() && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        }
        scheduler.tick()
        clock.set(Self.at("2026-11-28T00:01:01Z"))
        scheduler.tick()
        waitFor { active.all.count == 1 }
        clock.set(Self.at("2026-11-28T00:02:01Z"))
        scheduler.tick()  // the first run is still going: the second fire waits
        Thread.sleep(forTimeInterval: 0.3)
        #expect(active.all.count == 1)
        gate.signal()
        waitFor { scheduler.isIdle }
        scheduler.tick()
        waitFor { active.all.count == 2 }
        gate.signal()
        scheduler.drain()
        #expect(active.all.count == 2)
        #expect(overlap.all.isEmpty)
    }
}
